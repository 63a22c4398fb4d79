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
	Addr        netip.AddrPort   // where packets to this host go: the first address it was seen at
	Addrs       []netip.AddrPort // every address it was seen at
	Absent      bool
	Caps        wire.Command // option bits of its last entry packet
	Version     string       // the header's version field, e.g. "1_iptux 0.8.3"
	Iptux       bool         // iptux: UTF-8 without UTF8OPT, no sealed receipts, no encryption
	Encoding    string       // iptux's advertised encoding, e.g. "utf-8"
	Hato        bool         // another Hato (HATO: entry line): its file server resumes from an offset
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

// hostTable is the node's list of peers. It is not safe for concurrent use; the node locks around it.
type hostTable struct {
	byKey  map[hostKey]*Host
	byAddr map[netip.AddrPort]hostKey // every packet looks its sender up by address
}

func newHostTable() *hostTable {
	return &hostTable{byKey: map[hostKey]*Host{}, byAddr: map[netip.AddrPort]hostKey{}}
}

// upsert merges what an entry packet (or ANSLIST row) says about a peer. It reports whether the host is new,
// and whether anything a user would see changed.
func (t *hostTable) upsert(h Host) (merged Host, isNew, changed bool) {
	k := h.key()
	old, ok := t.byKey[k]
	t.byAddr[h.Addr] = k
	if !ok {
		h.Addrs = []netip.AddrPort{h.Addr}
		t.byKey[k] = &h
		return h, true, true
	}
	if !slices.Contains(old.Addrs, h.Addr) {
		old.Addrs = append(old.Addrs, h.Addr)
		changed = true
	}
	old.Seen = h.Seen
	if old.Entry && !h.Entry {
		return *old, false, changed // a message from another address says nothing of names or capabilities
	}
	changed = changed || old.Nick != h.Nick || old.Group != h.Group || old.Absent != h.Absent || old.Caps != h.Caps ||
		old.Entry != h.Entry
	old.Nick, old.Group, old.Absent, old.Caps, old.Entry = h.Nick, h.Group, h.Absent, h.Caps, h.Entry
	if h.Version != "" { // an entry packet, not a host-list row, which says nothing of the client
		old.Version, old.Iptux, old.Encoding, old.Hato = h.Version, h.Iptux, h.Encoding, h.Hato
	}
	return *old, false, changed
}

func (t *hostTable) remove(k hostKey) (Host, bool) {
	h, ok := t.byKey[k]
	if !ok {
		return Host{}, false
	}
	delete(t.byKey, k)
	for _, a := range h.Addrs {
		if t.byAddr[a] == k {
			delete(t.byAddr, a)
		}
	}
	return *h, true
}

func (t *hostTable) get(k hostKey) (*Host, bool) {
	h, ok := t.byKey[k]
	return h, ok
}

// byAddr finds the host that was seen at addr.
func (t *hostTable) at(addr netip.AddrPort) (*Host, bool) {
	k, ok := t.byAddr[addr]
	if !ok {
		return nil, false
	}
	h, ok := t.byKey[k]
	return h, ok
}

func (t *hostTable) len() int { return len(t.byKey) }

// list returns copies sorted by nick, then user and host, so that listings are stable.
func (t *hostTable) list() []Host {
	out := make([]Host, 0, len(t.byKey))
	for _, h := range t.byKey {
		c := *h
		c.Addrs = slices.Clone(h.Addrs)
		out = append(out, c)
	}
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
