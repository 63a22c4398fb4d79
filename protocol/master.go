package protocol

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// The master role of the member master (docs/member-master.md §2.5, §4): with Config.BeMaster the node
// keeps a whole site's host list, which is its own host table: every host heard on its networks, and
// every member elsewhere that polls it (DIR_POLL) or sends it its entry packets. It
//
//   - sends the whole list, in signed ANSLIST_DICT chunks, to a member at its first DIR_POLL and to a
//     member or IPDict-capable host at each BR_ENTRY it sends us; at most once per fullListEvery per
//     host, only to an address that completed an entry exchange, within a byte budget for all;
//   - pushes every change, batched per dirTick, as a signed ANSLIST_DICT wrapped in a signed DIR_PACKET:
//     broadcast on its own networks; to every other segment through up to agentsPerSegment agents it
//     picks among the members there that named the segment in their polls (NADRS), each sent the
//     packet wrapped in a DIR_REQUEST to relay it by broadcast (dirrelay.go); and by unicast to the
//     members no agent covers. (WIN elects agents the same way, also has them sweep their segments over
//     TCP, and leaves a segment without an agent without pushes.)
//   - probes a host not heard for DirSpan (+10 s by WIN's numbers) and drops it soon after (+16 s),
//     pushing the drop; members poll every minute, so only the gone are dropped;
//   - announces itself again (NOOPERATION, BR_ENTRY) every DirSpan, so that quiet hosts answer.

// Timings (WIN: DIR_BASE_TICK, DirSpan, the 7 s of DirSendHostList).
const (
	dirTick        = 2 * time.Second
	defaultDirSpan = 180 * time.Second
	fullListEvery  = 7 * time.Second
)

// Whole lists sent, in bytes, all hosts together: a site of 10,000 is about 1.2 MB a list. Its chunks
// go fullListGap apart: at once they would overflow a member's socket buffer (Linux gives 208 KB unless
// raised), and the chunks past it would be lost.
const (
	fullListRate, fullListBurst = 8 << 20, 16 << 20
	fullListGap                 = 3 * time.Millisecond
)

// Directory datagrams a master takes from all sources together: each costs an RSA verification (some
// 50 µs), and 10,000 WIN members poll at once when the master announces itself (UPT).
const masterGlobalRate, masterGlobalBurst = 4096, 16384

// poller is a member that polls us.
type poller struct {
	fp     string         // the key its polls are signed with: a poll signed by another is refused
	addr   netip.AddrPort // where its polls come from
	seg    netip.Prefix   // its network that holds addr, from its NADRS: it may be that segment's agent
	polled time.Time      // its last poll
}

// pushSignBudget bounds the signatures of one tick's push (some 1.2 ms each, shared among the cores):
// two chunks of changes to 200 agents.
const pushSignBudget = 512

// Agents (WIN: DirAgentNum, 3 by default, 2..4; the issue asks for one or two): an agent must have polled
// within agentFresh (WIN's MasterPoll + 5 s).
const (
	agentsPerSegment = 2
	agentFresh       = 65 * time.Second
)

// changeKey is one row of a change batch: a host at an address (a move is a drop and an add).
type changeKey struct {
	k    hostKey
	addr netip.AddrPort
}

// change is that row: the host as an event reported it, present or gone.
type change struct {
	host    Host
	present bool
}

type dirMaster struct {
	span  time.Duration
	log   *slog.Logger
	own   []netip.Prefix // networks our broadcasts reach: their members get pushes that way
	limit *limiter       // directory datagrams (node's mutex)
	kick  chan struct{}  // a whole list is owed: do not wait for the tick

	mu        sync.Mutex // never held while taking Node.mu
	pollers   map[hostKey]*poller
	agents    map[netip.Prefix][]hostKey // per foreign segment, its agents
	swept     map[netip.Prefix]time.Time // per foreign segment, its last sweep order
	due       map[hostKey]bool           // owed the whole list
	lastFull  *lru[hostKey, time.Time]
	fullBytes bucket
	changes   map[changeKey]change // pushed at the next tick
	order     []changeKey
	gen       uint64 // counts changes: a whole list built across one is not kept
	// maxPending bounds the changes waiting to be pushed (twice the host table); dropped counts those
	// let go beyond it, for the log.
	maxPending, dropped int
	full                [][]byte // the whole list, signed, while nothing changed
	announced           time.Time
	uptSent             bool // our first BR_ENTRY carried UPT
}

func newDirMaster(cfg *Config) *dirMaster {
	if cfg.DirSpan <= 0 {
		cfg.DirSpan = defaultDirSpan
	}
	return &dirMaster{
		span:       cfg.DirSpan,
		limit:      newLimiter(dirRate, dirBurst, masterGlobalRate, masterGlobalBurst),
		kick:       make(chan struct{}, 1),
		pollers:    map[hostKey]*poller{},
		agents:     map[netip.Prefix][]hostKey{},
		swept:      map[netip.Prefix]time.Time{},
		due:        map[hostKey]bool{},
		lastFull:   newLRU[hostKey, time.Time](cfg.MaxHosts),
		changes:    map[changeKey]change{},
		maxPending: 2 * cfg.MaxHosts,
	}
}

// startMaster runs the master's tick under Run's context; nothing when the node is no master.
func (n *Node) startMaster(ctx context.Context) {
	m := n.master
	if m == nil {
		return
	}
	if !n.cfg.NoBroadcast && !n.addr.Addr().IsLoopback() {
		m.own = localNetworks(n.addr.Addr())
	}
	m.announced = time.Now()
	n.wg.Go(func() {
		t := time.NewTicker(dirTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				n.masterTick(ctx, now)
			case <-m.kick:
				if key := n.signingKey(); key != nil {
					n.sendFullLists(ctx, time.Now(), key)
				}
			}
		}
	})
}

// signingKey is our RSA-2048 key, nil while keys are being made (nothing can be signed: lists wait).
func (n *Node) signingKey() *rsa.PrivateKey {
	if k := n.currentKeys(); k != nil {
		return k.RSA2048
	}
	return nil
}

// masterTick is the master's periodic work: announce, expire, push changes, send owed lists.
func (n *Node) masterTick(ctx context.Context, now time.Time) {
	m := n.master
	m.mu.Lock()
	announce := now.Sub(m.announced) >= m.span
	if announce {
		m.announced = now
	}
	m.mu.Unlock()
	if announce {
		n.broadcast(n.packet(wire.UTF8, wire.NoOperation, nil, nil))
		n.after(250*time.Millisecond, func() { n.spread(wire.BrEntry, false) })
	}
	n.expireHosts(now)
	key := n.signingKey()
	if key == nil {
		return
	}
	n.pushChanges(key)
	n.orderSweeps(now, key)
	n.sendFullLists(ctx, now, key)
}

// observe notes a change of the host table for the next push (called by emit).
func (m *dirMaster) observe(ev Event) {
	var rows []change
	switch ev.Kind {
	case EventHostJoined, EventHostUpdated:
		rows = []change{{ev.Host, true}}
	case EventHostMoved:
		if old, err := netip.ParseAddrPort(ev.Text); err == nil {
			h := ev.Host
			h.Addr = old
			rows = append(rows, change{h, false})
		}
		rows = append(rows, change{ev.Host, true})
	case EventHostLeft:
		rows = []change{{ev.Host, false}}
	default:
		return
	}
	k := ev.Host.key()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range rows {
		r := changeKey{k, c.host.Addr}
		if _, ok := m.changes[r]; !ok {
			m.order = append(m.order, r)
		}
		m.changes[r] = c
	}
	if over := len(m.order) - m.maxPending; over > 0 {
		// A flood of invented hosts outruns the pushes: the oldest changes go unsent, with a tenth more
		// so that this is rare. Members may then keep a few hosts too many, or miss some until the next
		// whole list.
		drop := min(len(m.order), over+m.maxPending/10)
		for _, r := range m.order[:drop] {
			delete(m.changes, r)
		}
		m.order = slices.Delete(m.order, 0, drop)
		m.dropped += drop
	}
	m.gen++
	m.full = nil
	if ev.Kind == EventHostLeft {
		delete(m.pollers, k)
		delete(m.due, k)
	}
}

// pushChanges sends the changes since the last tick to every member (see the top of this file). A row
// carries the host as the table holds it now; a host gone since is sent as gone. Each chunk costs a
// signature per agent: beyond pushSignBudget a tick, the rest waits for the next one.
func (n *Node) pushChanges(key *rsa.PrivateKey) {
	m := n.master
	m.mu.Lock()
	order, changes := m.order, m.changes
	m.order, m.changes = nil, map[changeKey]change{}
	agents, direct := m.planPush(time.Now())
	if m.dropped > 0 {
		n.log.Warn("master: changes dropped, arriving faster than they can be pushed", "changes", m.dropped)
		m.dropped = 0
	}
	m.mu.Unlock()
	if len(order) == 0 {
		return
	}
	rows := make([]wire.Dict, 0, len(order))
	keys := make([]changeKey, 0, len(order))
	n.mu.Lock()
	for _, r := range order {
		c := changes[r]
		e := n.hosts.entry(r.k)
		present := c.present && e != nil && e.Addr == r.addr
		if present {
			c.host = e.copy()
		}
		if listable(&c.host) {
			rows, keys = append(rows, dirEntry(c.host, present)), append(keys, r)
		}
	}
	n.mu.Unlock()
	chunks := chunkRows(rows)
	if take := max(1, pushSignBudget/(2+len(agents))); take < len(chunks) {
		sent := 0
		for _, c := range chunks[:take] {
			sent += len(c)
		}
		m.requeue(keys[sent:], changes)
		rows = rows[:sent]
	}
	if len(rows) == 0 {
		return
	}
	lists, err := n.signedLists(rows, key)
	if err != nil {
		n.log.Warn("master: changes not pushed", "err", err)
		return
	}
	targets := append(n.broadcastTargets(), direct...)
	for _, l := range lists {
		packet, err := n.wrapDirPacket(l, key)
		if err != nil {
			n.log.Warn("master: changes not pushed", "err", err)
			return
		}
		b := wire.AppendIPDict(nil, packet)
		for _, to := range targets {
			n.writeRaw(b, to)
		}
		reqs := make([]wire.Dict, len(agents))
		for i, to := range agents {
			reqs[i] = n.dirHeaderDict(wire.DirRequest)
			reqs[i].SetDict(dkWrap, packet)
			reqs[i].SetStr(dkTAdr, to.Addr().String())
		}
		if err := signAll(reqs, key); err != nil {
			n.log.Warn("master: changes not pushed", "err", err)
			return
		}
		for i, to := range agents {
			n.writeRaw(wire.AppendIPDict(nil, reqs[i]), to)
		}
	}
	n.log.Debug("master: changes pushed", "rows", len(rows), "chunks", len(lists), "to", len(targets), "agents", len(agents))
}

// requeue puts changes not pushed back for the next tick, unless a newer one came meanwhile.
func (m *dirMaster) requeue(keys []changeKey, changes map[changeKey]change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if _, newer := m.changes[k]; !newer {
			m.changes[k] = changes[k]
			m.order = append(m.order, k)
		}
	}
}

// planPush picks the agents of each foreign segment (keeping those that still poll) and returns them,
// with the members that no agent's broadcast reaches. m.mu is held.
func (m *dirMaster) planPush(now time.Time) (agents, direct []netip.AddrPort) {
	bySeg := map[netip.Prefix][]hostKey{}
	for k, p := range m.pollers {
		switch {
		case onNetworks(p.addr.Addr(), m.own):
		case p.seg.IsValid():
			bySeg[p.seg] = append(bySeg[p.seg], k)
		default:
			direct = append(direct, p.addr)
		}
	}
	fresh := func(k hostKey, seg netip.Prefix) bool {
		p := m.pollers[k]
		return p != nil && p.seg == seg && now.Sub(p.polled) < agentFresh
	}
	for seg := range m.agents {
		if len(bySeg[seg]) == 0 {
			delete(m.agents, seg)
		}
	}
	for seg, members := range bySeg {
		kept := slices.DeleteFunc(slices.Clone(m.agents[seg]), func(k hostKey) bool { return !fresh(k, seg) })
		// The freshest pollers fill the free places (WIN: the highest score, then the latest seen).
		slices.SortFunc(members, func(a, b hostKey) int { return m.pollers[b].polled.Compare(m.pollers[a].polled) })
		for _, k := range members {
			if len(kept) == agentsPerSegment {
				break
			}
			if fresh(k, seg) && !slices.Contains(kept, k) {
				kept = append(kept, k)
			}
		}
		if !slices.Equal(kept, m.agents[seg]) {
			var addrs []string
			for _, k := range kept {
				addrs = append(addrs, m.pollers[k].addr.String())
			}
			m.log.Debug("master: agents", "network", seg, "agents", strings.Join(addrs, " "))
		}
		m.agents[seg] = kept
		for _, k := range kept {
			agents = append(agents, m.pollers[k].addr)
		}
		if len(kept) == 0 { // every member there fell silent: they may still hear us directly
			for _, k := range members {
				direct = append(direct, m.pollers[k].addr)
			}
		}
	}
	return agents, direct
}

// sendFullLists sends the whole list to the hosts owed it whose address is known (an entry exchange
// completed), each at most once per fullListEvery, within the byte budget; the rest wait.
func (n *Node) sendFullLists(ctx context.Context, now time.Time, key *rsa.PrivateKey) {
	m := n.master
	m.mu.Lock()
	var due []hostKey
	for k := range m.due {
		if last, ok := m.lastFull.peek(k); !ok || now.Sub(last) >= fullListEvery {
			due = append(due, k)
		}
	}
	m.mu.Unlock()
	if len(due) == 0 {
		return
	}
	full := n.fullList(key)
	size := 0
	for _, b := range full {
		size += len(b)
	}
	for _, k := range due {
		n.mu.Lock()
		e := n.hosts.entry(k)
		var to netip.AddrPort
		known := e != nil && n.knownAddrLocked(e.Addr)
		if known {
			to = e.Addr
		}
		n.mu.Unlock()
		m.mu.Lock()
		switch {
		case e == nil:
			delete(m.due, k)
			m.mu.Unlock()
			continue
		case !known:
			m.mu.Unlock()
			continue
		case !m.fullBytes.take(now, fullListRate, fullListBurst, float64(size)):
			m.mu.Unlock()
			return
		}
		delete(m.due, k)
		m.lastFull.put(k, now)
		m.mu.Unlock()
		for i, b := range full {
			if i > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(fullListGap):
				}
			}
			n.writeRaw(b, to)
		}
		n.log.Debug("master: whole list sent", "to", to, "chunks", len(full), "bytes", size)
	}
}

// fullList is the whole list as signed ANSLIST_DICT datagrams, built again only after a change.
func (n *Node) fullList(key *rsa.PrivateKey) [][]byte {
	m := n.master
	m.mu.Lock()
	full, gen := m.full, m.gen
	m.mu.Unlock()
	if full != nil {
		return full
	}
	var rows []wire.Dict
	n.mu.Lock()
	n.hosts.page(0, func(e *hostEntry) bool {
		if listable(&e.Host) {
			rows = append(rows, dirEntry(e.copy(), true))
		}
		return true
	})
	n.mu.Unlock()
	lists, err := n.signedLists(rows, key)
	if err != nil {
		n.log.Warn("master: whole list not made", "err", err)
		return nil
	}
	full = make([][]byte, 0, len(lists))
	for _, l := range lists {
		full = append(full, wire.AppendIPDict(nil, l))
	}
	m.mu.Lock()
	if m.gen == gen {
		m.full = full
	}
	m.mu.Unlock()
	return full
}

// expireHosts probes hosts not heard for a while and drops those silent for longer (WIN's DirClean).
func (n *Node) expireHosts(now time.Time) {
	span := n.master.span
	// 190 s and 196 s for WIN's 180; a shorter cycle still probes twice first.
	probeAfter := span + span/18
	dropAfter := max(span+span*4/45, probeAfter+2*dirTick)
	var probe []netip.AddrPort
	var gone []hostKey
	var evs []Event
	n.mu.Lock()
	n.hosts.each(func(e *hostEntry) bool {
		switch age := now.Sub(e.Seen); {
		case age >= dropAfter:
			gone = append(gone, e.key())
		case age >= probeAfter && e.direct:
			probe = append(probe, e.Addr)
		}
		return true
	})
	for _, k := range gone {
		if h, ok := n.hosts.remove(k); ok {
			n.forgetHostLocked(h)
			evs = append(evs, Event{Kind: EventHostLeft, Host: h})
		}
	}
	n.mu.Unlock()
	n.emitAll(evs)
	for _, a := range probe {
		n.unicastEntry(wire.BrEntry, nil, a)
	}
}

// onPoll takes a member's DIR_POLL: signed (by the key of its earlier polls, and of its fingerprinted
// name), it adds the member if it is new, marks it heard, and owes it the whole list at its first poll.
func (n *Node) onPoll(from netip.AddrPort, h dirHeader, d *wire.Dict) (why string) {
	pub, err := verifyDict(*d)
	if err != nil {
		return err.Error()
	}
	fp := crypt.Fingerprint(pub)
	if why := signerOwnsUID(d, fp); why != "" {
		return why
	}
	host, why := pollHost(from, h, d)
	if why != "" {
		return why
	}
	var seg netip.Prefix
	if list, err := d.DictList(dkNAdrs); err == nil {
		for _, p := range readNetworks(list) {
			if p.Contains(from.Addr()) {
				seg = p
				break
			}
		}
	}
	m, k, now := n.master, host.key(), time.Now()
	m.mu.Lock()
	p := m.pollers[k]
	if p != nil && p.fp != fp {
		m.mu.Unlock()
		return fmt.Sprintf("signed by key %s, not %s as its earlier polls", fp, p.fp)
	}
	m.mu.Unlock()

	n.mu.Lock()
	e, other := n.hosts.entry(k), n.hosts.byAddr[from]
	switch {
	case e != nil && e.Addr == from:
		n.hosts.touch(e, now)
		e.heard = now
	case e == nil && other == nil:
	default:
		n.mu.Unlock()
		return fmt.Sprintf("a poll for %s@%s from %s, another host's address or not its own", host.User, host.Host, from)
	}
	n.mu.Unlock()
	if e == nil {
		n.learnEntry(host, wire.BrEntry)
		if n.hostAt(from) == nil {
			return "" // not taken (a claim being checked): the next poll may be
		}
	}
	m.mu.Lock()
	if p == nil {
		p = &poller{fp: fp}
		m.pollers[k] = p
		m.due[k] = true
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
	p.addr, p.seg, p.polled = from, seg, now
	m.mu.Unlock()
	return ""
}

// masterHint is the IP: line of our first BR_ENTRY as the master: UPT 0, which makes members that hear
// it poll at once (WIN's master after a start).
func (n *Node) masterHint(mode wire.Command) []byte {
	m := n.master
	if m == nil || mode.Mode() != wire.BrEntry {
		return nil
	}
	m.mu.Lock()
	first := !m.uptSent
	m.uptSent = true
	m.mu.Unlock()
	if !first {
		return nil
	}
	var d wire.Dict
	d.SetInt(dkUPT, 0)
	return wire.AppendIPDict(nil, d)
}

// masterHeardEntry owes the whole list to a host that sent us a BR_ENTRY (it started, or pressed
// Refresh): a member, or any host that reads IPDict (WIN sends it there too); not for an agent's sweep
// (DRB), which asks every host there to announce itself.
func (n *Node) masterHeardEntry(h Host, drb bool) {
	m := n.master
	if m == nil || drb {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := h.key()
	if m.pollers[k] != nil || h.Caps.Has(wire.CapIPDictOpt) {
		m.due[k] = true
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
}

// pollHost is the member a DIR_POLL names, at the address it came from.
func pollHost(from netip.AddrPort, h dirHeader, d *wire.Dict) (Host, string) {
	stat, err := d.Int(dkStat)
	if err != nil {
		return Host{}, err.Error()
	}
	nick, _ := d.Str(dkNick)
	group, _ := d.Str(dkGrp)
	if h.user == "" || h.host == "" || max(len(h.user), len(h.host), len(nick), len(group)) > maxDirName {
		return Host{}, "names empty or too long"
	}
	status := wire.Command(uint32(stat))
	return Host{
		User: wire.Decode([]byte(h.user), wire.UTF8), Host: wire.Decode([]byte(h.host), wire.UTF8),
		Nick: wire.Decode([]byte(nick), wire.UTF8), Group: wire.Decode([]byte(group), wire.UTF8),
		Addr: from, Caps: status.Opts(), Absent: status.Has(wire.AbsenceOpt), Entry: true, Seen: time.Now(),
	}, ""
}

// readNetworks reads NADRS, skipping what is not an IPv4 network.
func readNetworks(list []wire.Dict) []netip.Prefix {
	var out []netip.Prefix
	for i := range list {
		adr, err1 := list[i].Str(dkAdr)
		mask, err2 := list[i].Int(dkMask)
		a, err3 := netip.ParseAddr(adr)
		if err1 != nil || err2 != nil || err3 != nil || !a.Is4() || mask < 1 || mask > 31 {
			continue
		}
		out = append(out, netip.PrefixFrom(a, int(mask)).Masked())
	}
	return out
}

// Listed returns the hosts a member master vouches for, which a Refresh keeps though they cannot answer
// our broadcast (or not within the refresh's wait: WIN delays its answers by up to 4 s): as the master,
// every host of the table (silent ones are dropped after DirSpan); as a member, the master itself, the
// hosts known only from lists (the master's, or a host-list exchange), which the master deletes when
// they go, and those heard directly that the master's list has too. Nil for a node that is neither.
func (n *Node) Listed() []Host {
	if n.master == nil && n.member == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Host
	n.hosts.each(func(e *hostEntry) bool {
		if n.master != nil || !e.direct || e.listed || n.member != nil && e.Addr == n.member.master {
			out = append(out, e.copy())
		}
		return true
	})
	return out
}
