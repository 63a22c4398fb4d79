package protocol

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Receiving the member master's lists (docs/member-master.md §2.1, §2.3). Three IPDict datagrams carry
// them: ANSLIST_DICT (the full list, or a batch of changes), DIR_PACKET (an ANSLIST_DICT of changes
// wrapped in WAPD, broadcast on the master's own segments) and DIR_AGENTPACKET (a DIR_PACKET an agent
// rebroadcasts on its segment, itself unsigned). A list is taken only when every packet the master made
// verifies with the master's key (member.go), and a packet sent directly only from the master's address.
// Anything else changes nothing and is reported (EventRejected). The hosts are hearsay: they never
// override what a host told us itself, and never push one out of a full table (mergeHearsay).
//
// Windows takes these lists from any signer, member or not; Hato only as a member of that master.

// isDirDatagram recognises an IPDict datagram: "IP2:" replaces the classic header.
func isDirDatagram(b []byte) bool { return bytes.HasPrefix(b, []byte("IP2:")) }

// onDirDatagram handles one IPDict datagram (its values alias b, which the caller reuses after).
func (n *Node) onDirDatagram(from netip.AddrPort, b []byte) {
	if n.self(from) {
		return
	}
	m, limit := n.member, n.dirLimit()
	n.mu.Lock()
	n.gate.received(from.Addr(), len(b))
	ok := limit != nil && limit.allow(from.Addr(), time.Now())
	n.mu.Unlock()
	switch {
	case limit == nil:
		n.log.Debug("directory packet ignored: no master configured, and not the master", "from", from)
		return
	case !ok:
		n.log.Debug("directory packet dropped: over the rate", "from", from)
		return
	}
	d, err := wire.ParseIPDict(b)
	if err != nil {
		n.reject(Host{Addr: from}, 0, "directory packet: "+err.Error())
		return
	}
	h, err := readDirHeader(&d)
	if err != nil {
		n.reject(Host{Addr: from}, 0, "directory packet: header: "+err.Error())
		return
	}
	var why string
	switch mode := h.cmd.Mode(); {
	case mode == wire.DirPoll && n.master != nil:
		why = n.onPoll(from, h, &d)
	case (mode == wire.DirAnsBroad || mode == wire.DirEvBroad) && n.master != nil:
		why = n.onAgentReport(from, h, &d)
	case m == nil:
		n.log.Debug("directory packet ignored: the master's own lists", "from", from, "cmd", mode)
		return
	case mode == wire.AnsListDict || mode == wire.DirPacket:
		why = n.onMasterPacket(from, h, &d, true)
	case mode == wire.DirAgentPacket:
		why = n.onAgentPacket(from, &d)
	case mode == wire.DirRequest:
		why = n.onDirRequest(from, h, &d)
	case mode == wire.DirBroadcast || mode == wire.DirPollAgent:
		why = n.onAgentOrder(from, h, &d, mode == wire.DirBroadcast)
	default:
		// DIR_POLL, DIR_ANSBROAD, DIR_EVBROAD are the master's.
		n.log.Debug("directory packet ignored", "from", from, "cmd", h.cmd.Mode())
		return
	}
	if why != "" {
		n.reject(dirSender(from, h), h.no, h.cmd.Mode().String()+": "+why)
	}
}

// dirLimit is the rate limiter of directory datagrams: the member's or the master's, nil for neither.
func (n *Node) dirLimit() *limiter {
	switch {
	case n.member != nil:
		return n.member.limit
	case n.master != nil:
		return n.master.limit
	}
	return nil
}

// dirSender is the host a directory packet names in its header, at the address it came from.
func dirSender(from netip.AddrPort, h dirHeader) Host {
	return Host{User: wire.Decode([]byte(h.user), wire.UTF8), Host: wire.Decode([]byte(h.host), wire.UTF8), Addr: from}
}

// onAgentPacket unwraps a DIR_AGENTPACKET: its WAPD must be a DIR_PACKET of the master's, which may come
// from any address (the agent's).
func (n *Node) onAgentPacket(from netip.AddrPort, d *wire.Dict) (why string) {
	_, why = n.takeWrapped(from, d)
	return why
}

// takeWrapped takes the DIR_PACKET of the master's that d wraps (WAPD), and returns it.
func (n *Node) takeWrapped(from netip.AddrPort, d *wire.Dict) (wire.Dict, string) {
	inner, err := d.Dict(dkWrap)
	if err != nil {
		return inner, err.Error()
	}
	h, err := readDirHeader(&inner)
	if err != nil {
		return inner, "WAPD: header: " + err.Error()
	}
	if h.cmd.Mode() != wire.DirPacket {
		return inner, fmt.Sprintf("WAPD is a %v, not a DIR_PACKET", h.cmd.Mode())
	}
	if why := n.onMasterPacket(from, h, &inner, false); why != "" {
		return inner, "WAPD: " + why
	}
	return inner, ""
}

// onMasterPacket takes an ANSLIST_DICT or DIR_PACKET the master made, sent by the master (direct) or
// relayed by an agent.
func (n *Node) onMasterPacket(from netip.AddrPort, h dirHeader, d *wire.Dict, direct bool) (why string) {
	if direct && from != n.member.master {
		return fmt.Sprintf("sent by %s, not by the master %s", from, n.member.master)
	}
	return n.takeOnce(h, func() string {
		if why := n.checkMasterSigned(d, direct, dirSender(from, h)); why != "" {
			return why
		}
		return n.applyMasterPacket(h, d)
	})
}

// takeOnce runs take for a packet of the master's not taken before: the master broadcasts on several
// addresses, agents relay what we may have heard. A packet take refuses is forgotten, so that a forged
// copy does not make us drop the real one.
func (n *Node) takeOnce(h dirHeader, take func() string) string {
	k := dedupKey{src: n.member.master, no: h.no, mode: h.cmd.Mode(), user: h.user, host: h.host}
	n.mu.Lock()
	_, repeat := n.seen.see(k, time.Now())
	n.mu.Unlock()
	if repeat {
		return ""
	}
	why := take()
	if why != "" {
		n.forgetSeen(k)
	}
	return why
}

// checkMasterSigned checks that d is signed by the master's key. Without a pinned key, only a packet the
// master's address sent us directly (mayPin) may pin the key it is signed with, unless a key is
// configured. The key's fingerprint is compared before anything costly is done.
func (n *Node) checkMasterSigned(d *wire.Dict, mayPin bool, from Host) (why string) {
	if !d.Has(wire.KeySign) {
		return "unsigned"
	}
	pub, err := dictSigner(d)
	if err != nil {
		return "signer's key: " + err.Error()
	}
	m := n.member
	n.mu.Lock()
	pinned := m.key
	n.mu.Unlock()
	fp := crypt.Fingerprint(pub)
	switch {
	case pinned != nil && !pinned.Equal(pub):
		return fmt.Sprintf("signed by key %s, not the master's %s", fp, crypt.Fingerprint(pinned))
	case pinned == nil && m.want != "" && fp != m.want:
		return fmt.Sprintf("signed by key %s, not the configured master key %s", fp, m.want)
	case pinned == nil && m.want == "" && !mayPin:
		return "the master's key is not known yet: only a packet from the master itself may show it"
	}
	if _, err := verifyDict(*d); err != nil {
		return err.Error()
	}
	if why := signerOwnsUID(d, fp); why != "" {
		return why
	}
	if pinned == nil {
		return n.pinMasterKey(pub, from)
	}
	return ""
}

// applyMasterPacket takes a verified ANSLIST_DICT, or unwraps a verified DIR_PACKET down to its own
// ANSLIST_DICT, which the master signed too.
func (n *Node) applyMasterPacket(h dirHeader, d *wire.Dict) (why string) {
	if h.cmd.Mode() == wire.AnsListDict {
		return n.applyDirList(d, h.no)
	}
	inner, err := d.Dict(dkWrap)
	if err != nil {
		return err.Error()
	}
	ih, err := readDirHeader(&inner)
	if err != nil {
		return "WAPD: header: " + err.Error()
	}
	if ih.cmd.Mode() != wire.AnsListDict {
		return fmt.Sprintf("WAPD is a %v, not an ANSLIST_DICT", ih.cmd.Mode())
	}
	if why := n.checkMasterSigned(&inner, false, Host{}); why != "" {
		return "WAPD: " + why
	}
	if why := n.applyDirList(&inner, ih.no); why != "" {
		return "WAPD: " + why
	}
	return ""
}

// applyDirList merges the host entries of an ANSLIST_DICT. As Windows does (AddHostListDict), NUM must
// count the entries of HLST; unlike Windows, a malformed entry rejects the whole chunk before any of it
// is taken.
func (n *Node) applyDirList(d *wire.Dict, no uint32) (why string) {
	num, err := d.Int(dkNum)
	if err != nil {
		return err.Error()
	}
	list, err := d.DictList(dkHList)
	if err != nil {
		return err.Error()
	}
	if num < 1 || num != int64(len(list)) {
		return fmt.Sprintf("NUM is %d, HLST has %d entries", num, len(list))
	}
	rows := make([]dirRow, 0, len(list))
	for i := range list {
		r, ok, err := readDirRow(&list[i])
		if err != nil {
			return fmt.Sprintf("HLST entry %d: %v", i, err)
		}
		if ok {
			rows = append(rows, r)
		}
	}
	now := time.Now()
	full := 0
	for _, r := range rows {
		r.host.Seen = now
		if !n.mergeHearsay(r.host, !r.active, no, "master's list") {
			full++
		}
	}
	if full > 0 {
		n.log.Debug("master's list: hosts not added, the host table is full", "hosts", full, "max", n.cfg.MaxHosts)
	}
	n.markListed(rows)
	return ""
}

// markListed notes which hosts the master lists, those it adds and those heard directly alike: a host
// on another subnet that we have exchanged packets with is no hearsay, yet cannot hear our broadcast
// BR_ENTRY, so a Refresh keeps it only while the master lists it (Listed). A host the master deletes
// but we heard directly stays known, as one that falls silent on our own subnet does.
func (n *Node) markListed(rows []dirRow) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, r := range rows {
		if e := n.hosts.entry(r.host.key()); e != nil && e.Addr == r.host.Addr {
			e.listed = r.active
		}
	}
}

// mergeHearsay takes a host another node told us about (a host-list row, a master's list). It adds
// hosts we never heard of and updates (or, gone, removes) hosts we know only from hearsay, but never
// changes a host heard directly, nor moves a known host's address. A new host is not added to a full
// table: hearsay never pushes out a host heard directly. It reports false only for that case.
func (n *Node) mergeHearsay(h Host, gone bool, no uint32, what string) bool {
	addr := h.Addr
	if n.self(addr) || (h.User == n.cfg.User && h.Host == n.cfg.Host && addr.Port() == n.addr.Port()) {
		return true
	}
	if fingerprinted(h.User) && !h.Caps.Has(wire.EncryptOpt) && !gone {
		n.reject(h, no, fmt.Sprintf("%s: fingerprinted user %q without ENCRYPTOPT (spoofed name)", what, h.User))
		return true
	}
	n.mu.Lock()
	e, other := n.hosts.entry(h.key()), n.hosts.byAddr[addr]
	hearsay := e == nil && other == nil || e != nil && e == other && !e.direct && e.Addr == addr
	full := e == nil && n.hosts.len() >= n.cfg.MaxHosts
	if !hearsay || gone || full {
		var evs []Event
		if hearsay && gone && e != nil {
			old, _ := n.hosts.remove(e.key())
			n.forgetHostLocked(old)
			evs = append(evs, Event{Kind: EventHostLeft, Host: old})
		}
		n.mu.Unlock()
		n.emitAll(evs)
		return !(full && hearsay && !gone)
	}
	n.mu.Unlock()
	n.learn(h)
	return true
}
