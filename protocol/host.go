package protocol

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"hato/protocol/wire"
)

// Host is one peer as the node knows it. One user on one host at one port is one Host, however many
// network interfaces it answers from.
type Host struct {
	User, Host  string // login and host name (decoded to UTF-8)
	Nick, Group string
	// Addr is where packets to this host go: the address it was first heard at, until it proves it moved
	// (EventHostMoved). In a received message's From and in events about a packet it is the packet's
	// source address, which may be another of Addrs, or no known host's at all.
	Addr    netip.AddrPort
	Addrs   []netip.AddrPort // every address proven to be this host's (an entry exchange from each)
	Absent  bool
	Caps    wire.Command // option bits of its last entry packet
	Version string       // the header's version field, e.g. "1_iptux 0.8.3"
	Iptux   bool         // iptux: UTF-8 without UTF8OPT, no sealed receipts, no encryption
	// Encoding is iptux's advertised encoding, e.g. "utf-8".
	Encoding string
	Hato     bool // another Hato (HATO: entry line): its file server resumes from an offset
	// Entry: known from an entry packet (BR_ENTRY, ANSENTRY, BR_ABSENCE) or a host-list row, so its
	// names, capabilities and charset are known; a host only seen sending a message has none of them.
	Entry bool
	Seen  time.Time
}

// DisplayName is the nick, or the user name when the peer set none, or the address of a peer that never
// said who it is.
func (h Host) DisplayName() string {
	switch {
	case h.Nick != "":
		return h.Nick
	case h.User != "":
		return h.User
	}
	return h.Addr.String()
}

// hostKey identifies a peer: user and host, compared without case as Windows does, plus the port so that
// two instances on one machine stay apart.
type hostKey struct {
	user, host string
	port       uint16
}

func keyOf(user, host string, port uint16) hostKey {
	return hostKey{strings.ToLower(user), strings.ToLower(host), port}
}

func (h *Host) key() hostKey { return keyOf(h.User, h.Host, h.Addr.Port()) }

// hostEntry is a Host with what the node knows of how it was heard.
type hostEntry struct {
	Host
	direct    bool      // an entry packet came from Host.Addr itself, not only a host-list row
	exchanged bool      // entry packets went both ways with Host.Addr: it is known (see Node.knownAddr)
	listed    bool      // the member master's list has it at Host.Addr (a member's Refresh keeps it)
	pos       int       // index in hostTable.order
	heard     time.Time // the last packet from Host.Addr
}

// hostTable is the node's list of peers, at most max of them: the least recently heard goes first. Each
// address belongs to one host at most, so a packet's sender is found by its source address. Every
// operation is O(1) (or O(maxHostsPerIP)), whatever the size. Not safe for concurrent use; the node
// locks around it.
type hostTable struct {
	hosts  *lru[hostKey, *hostEntry]
	byAddr map[netip.AddrPort]*hostEntry // every address of Addrs
	byIP   map[netip.Addr][]*hostEntry   // the same by IP: TCP requests come from other ports
	order  []*hostEntry                  // arrival order with holes (nil): host-list pages stay stable
	holes  int
	gone   []Host // hosts evicted since takeGone: the node reports them as left
}

func newHostTable() *hostTable { return newHostTableMax(DefaultMaxHosts) }

func newHostTableMax(max int) *hostTable {
	t := &hostTable{hosts: newLRU[hostKey, *hostEntry](max), byAddr: map[netip.AddrPort]*hostEntry{},
		byIP: map[netip.Addr][]*hostEntry{}}
	t.hosts.evicted = func(_ hostKey, e *hostEntry) {
		t.unlink(e)
		t.gone = append(t.gone, e.copy())
	}
	return t
}

// copy returns the Host with its own Addrs.
func (e *hostEntry) copy() Host {
	h := e.Host
	h.Addrs = slices.Clone(e.Addrs)
	return h
}

// upsert merges what an entry packet (or ANSLIST row) says about a peer, heard at h.Addr, which it takes
// as proven: a new host, or another address of the host with these names (another network interface).
// It reports whether the host is new, and whether anything a user would see changed.
func (t *hostTable) upsert(h Host) (merged Host, isNew, changed bool) {
	k := h.key()
	e, ok := t.hosts.get(k)
	if !ok {
		if other := t.byAddr[h.Addr]; other != nil {
			t.unbind(other, h.Addr)
		}
		return t.insert(h).copy(), true, true
	}
	if !slices.Contains(e.Addrs, h.Addr) {
		t.bind(e, h.Addr)
		changed = true
	}
	e.Seen = h.Seen
	if e.Entry && !h.Entry {
		return e.copy(), false, changed // a message from another address says nothing of names or capabilities
	}
	changed = t.update(e, h) || changed
	return e.copy(), false, changed
}

// update takes names, presence and capabilities from an entry packet or list row.
func (t *hostTable) update(e *hostEntry, h Host) (changed bool) {
	changed = e.Nick != h.Nick || e.Group != h.Group || e.Absent != h.Absent || e.Caps != h.Caps || e.Entry != h.Entry
	e.Nick, e.Group, e.Absent, e.Caps, e.Entry = h.Nick, h.Group, h.Absent, h.Caps, h.Entry
	if h.Version != "" { // an entry packet, not a host-list row, which says nothing of the client
		e.Version, e.Iptux, e.Encoding, e.Hato = h.Version, h.Iptux, h.Encoding, h.Hato
	}
	if !h.Seen.IsZero() {
		e.Seen = h.Seen
	}
	return changed
}

// insert adds a new host at h.Addr, which must be free, making room if the table (or the address's IP)
// is full.
func (t *hostTable) insert(h Host) *hostEntry {
	if same := t.byIP[h.Addr.Addr()]; len(same) >= maxHostsPerIP {
		oldest := same[0]
		for _, o := range same[1:] {
			if o.Seen.Before(oldest.Seen) {
				oldest = o
			}
		}
		t.hosts.remove(oldest.key())
		t.unlink(oldest)
		t.gone = append(t.gone, oldest.copy())
	}
	e := &hostEntry{Host: h, pos: len(t.order), heard: h.Seen}
	e.Addrs = nil
	t.hosts.put(h.key(), e) // may evict the least recently heard
	t.order = append(t.order, e)
	t.bind(e, h.Addr)
	return e
}

// bind adds a to e's addresses, taking it from any other host.
func (t *hostTable) bind(e *hostEntry, a netip.AddrPort) {
	if other := t.byAddr[a]; other != nil && other != e {
		t.unbind(other, a)
	}
	if !slices.Contains(e.Addrs, a) {
		e.Addrs = append(e.Addrs, a)
	}
	t.byAddr[a] = e
	if !slices.Contains(t.byIP[a.Addr()], e) {
		t.byIP[a.Addr()] = append(t.byIP[a.Addr()], e)
	}
}

// unbind takes a from e's addresses. A host left without its main address is removed.
func (t *hostTable) unbind(e *hostEntry, a netip.AddrPort) {
	if a == e.Addr {
		t.hosts.remove(e.key())
		t.unlink(e)
		t.gone = append(t.gone, e.copy())
		return
	}
	e.Addrs = slices.DeleteFunc(e.Addrs, func(x netip.AddrPort) bool { return x == a })
	t.dropAddr(e, a)
}

// dropAddr removes a from the address indexes (not from e.Addrs).
func (t *hostTable) dropAddr(e *hostEntry, a netip.AddrPort) {
	if t.byAddr[a] == e {
		delete(t.byAddr, a)
	}
	if slices.ContainsFunc(e.Addrs, func(x netip.AddrPort) bool { return x.Addr() == a.Addr() }) {
		return // another port of the same IP is still e's
	}
	same := slices.DeleteFunc(t.byIP[a.Addr()], func(x *hostEntry) bool { return x == e })
	if len(same) == 0 {
		delete(t.byIP, a.Addr())
	} else {
		t.byIP[a.Addr()] = same
	}
}

// unlink drops a host (already out of t.hosts) from the indexes.
func (t *hostTable) unlink(e *hostEntry) {
	addrs := e.Addrs
	e.Addrs = nil
	for _, a := range addrs {
		t.dropAddr(e, a)
	}
	e.Addrs = addrs
	if e.pos < len(t.order) && t.order[e.pos] == e {
		t.order[e.pos] = nil
		t.holes++
	}
	if t.holes > 64 && t.holes > len(t.order)/2 {
		t.order = slices.DeleteFunc(t.order, func(x *hostEntry) bool { return x == nil })
		for i, x := range t.order {
			x.pos = i
		}
		t.holes = 0
	}
}

// move makes a the main address of e (a proven move): the old one is dropped.
func (t *hostTable) move(e *hostEntry, a netip.AddrPort) {
	old := e.Addr
	t.bind(e, a)
	e.Addr = a
	e.Addrs = append([]netip.AddrPort{a}, slices.DeleteFunc(e.Addrs, func(x netip.AddrPort) bool { return x == a || x == old })...)
	t.dropAddr(e, old)
}

func (t *hostTable) remove(k hostKey) (Host, bool) {
	e, ok := t.hosts.peek(k)
	if !ok {
		return Host{}, false
	}
	t.hosts.remove(k)
	t.unlink(e)
	return e.copy(), true
}

// takeGone returns the hosts evicted or displaced since the last call.
func (t *hostTable) takeGone() []Host {
	g := t.gone
	t.gone = nil
	return g
}

func (t *hostTable) entry(k hostKey) *hostEntry {
	e, _ := t.hosts.peek(k)
	return e
}

// at finds the host that was seen at addr.
func (t *hostTable) at(addr netip.AddrPort) (*Host, bool) {
	e, ok := t.byAddr[addr]
	if !ok {
		return nil, false
	}
	return &e.Host, true
}

// touch marks e heard from now: the least recently heard host is the first to go when the table is full.
func (t *hostTable) touch(e *hostEntry, now time.Time) {
	t.hosts.get(e.key())
	e.Seen = now
}

// atIP finds a host with an address at ip, the one named user if several are (TCP requests come from
// ephemeral ports).
func (t *hostTable) atIP(ip netip.Addr, user string) *hostEntry {
	same := t.byIP[ip]
	for _, e := range same {
		if strings.EqualFold(e.User, user) { // raw header bytes: exact for UTF-8 and ASCII names
			return e
		}
	}
	if len(same) > 0 {
		return same[0]
	}
	return nil
}

func (t *hostTable) len() int { return t.hosts.len() }

// each calls fn for every host, in no particular order, until it returns false. fn must not change t.
func (t *hostTable) each(fn func(*hostEntry) bool) {
	t.hosts.each(func(_ hostKey, e *hostEntry) bool { return fn(e) })
}

// page calls fn for hosts in arrival order from position start until fn returns false, and returns the
// position after the last host fn accepted (0 at the end of the table).
func (t *hostTable) page(start int, fn func(*hostEntry) bool) (next int) {
	for i := max(0, start); i < len(t.order); i++ {
		if e := t.order[i]; e != nil && !fn(e) {
			return i
		}
	}
	return 0
}

// list returns copies sorted by nick, then user and host, so that listings are stable.
func (t *hostTable) list() []Host {
	out := make([]Host, 0, t.len())
	t.each(func(e *hostEntry) bool {
		out = append(out, e.copy())
		return true
	})
	slices.SortFunc(out, func(a, b Host) int {
		if c := strings.Compare(strings.ToLower(a.DisplayName()), strings.ToLower(b.DisplayName())); c != 0 {
			return c
		}
		if c := strings.Compare(a.User+"@"+a.Host, b.User+"@"+b.Host); c != 0 {
			return c
		}
		return a.Addr.Compare(b.Addr)
	})
	return out
}
