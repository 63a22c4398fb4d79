package protocol

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// handle acts on one parsed datagram of size bytes from the UDP port. Every step before the expensive
// ones (decryption, recording) is O(1): lookups by address in bounded tables.
func (n *Node) handle(from netip.AddrPort, p wire.Packet, size int) {
	if n.self(from) {
		return
	}
	now := time.Now()
	k := dedupKeyOf(from, p)
	n.mu.Lock()
	n.gate.received(from.Addr(), size)
	if e := n.hosts.byAddr[from]; e != nil {
		n.hosts.touch(e, now)
		if e.Addr == from {
			e.heard = now
		}
	}
	if n.probed[from] > 0 {
		n.oldHeardLocked(from)
	}
	state, repeat := n.seen.see(k, now)
	n.mu.Unlock()
	mode := p.Cmd.Mode()

	// Acknowledgements go out for repeats too (the first answer may have been lost), but only for a
	// message that was shown: a repeat of one still being handled is answered by that handling, one
	// of a rejected message never.
	if mode == wire.ReadMsg && p.Cmd.Has(wire.ReadCheckOpt) {
		n.reply(from, p, size, wire.AnsReadMsg, strconv.FormatUint(uint64(p.No), 10))
	}
	if repeat {
		if mode == wire.SendMsg && state == seenShown {
			n.ackMessage(from, p, size)
		}
		return
	}
	if n.spoofed(from, p) {
		n.setSeen(k, seenDropped)
		return
	}
	in := inbound{from: from, p: p, size: size, at: now, key: k}

	switch mode {
	case wire.BrEntry, wire.AnsEntry, wire.BrAbsence:
		n.onEntry(in)
	case wire.BrExit:
		n.onExit(from)
	case wire.SendMsg:
		n.onMessage(in)
	case wire.RecvMsg:
		n.ack(wire.RecvMsg, p.Msg, from)
	case wire.AnsReadMsg:
		n.ack(wire.AnsReadMsg, p.Msg, from)
	case wire.ReadMsg:
		n.onReceipt(EventOpened, from, p)
	case wire.DelMsg:
		n.onReceipt(EventDiscarded, from, p)
	case wire.GetInfo:
		n.reply(from, p, size, wire.SendInfo, n.cfg.VersionInfo)
	case wire.GetAbsenceInfo:
		n.mu.Lock()
		text := "Not absence mode"
		if n.cfg.Absent {
			text = n.cfg.AbsenceText
		}
		n.mu.Unlock()
		n.reply(from, p, size, wire.SendAbsenceInfo, text)
	case wire.SendInfo:
		n.onInfo(EventInfo, from, p)
	case wire.SendAbsenceInfo:
		n.onInfo(EventAbsenceInfo, from, p)
	case wire.BrIsGetList, wire.BrIsGetList2:
		n.onListOffer(from, p, size)
	case wire.OkGetList:
		n.onListReady(from, p)
	case wire.GetList:
		n.onListRequest(from, p, size)
	case wire.AnsList:
		n.onList(from, p)
	case wire.ReleaseFiles:
		n.onRelease(from, p)
	case wire.NoOperation:
		n.onActivate(from, p)
	case wire.GetPubKey:
		n.onGetPubKey(in)
	case wire.AnsPubKey:
		n.onAnsPubKey(from, p)
	default:
		// iptux (0xFB-0xFF), FeiQ (0x77, 0x79, 0xC0, ...) and Windows member-master commands.
		n.log.Debug("ignored command", "from", from, "cmd", p.Cmd)
	}
}

// inbound is a received packet with what its handling needs besides.
type inbound struct {
	from netip.AddrPort
	p    wire.Packet
	size int // the datagram's size: what an answer may spend (see answer)
	at   time.Time
	key  dedupKey
}

func (n *Node) setSeen(k dedupKey, s seenState) {
	n.mu.Lock()
	n.seen.set(k, s)
	n.mu.Unlock()
}

func (n *Node) forgetSeen(k dedupKey) {
	n.mu.Lock()
	n.seen.forget(k)
	n.mu.Unlock()
}

// reply answers p's sender in the charset it reads, with text as the message part, within its budget.
func (n *Node) reply(to netip.AddrPort, p wire.Packet, reqLen int, mode wire.Command, text string) {
	h := n.hostAt(to)
	n.answer(to, reqLen, n.packetFor(h, mode, text, nil))
}

// hostAt finds the known host with the address from, or nil. The copy's Addr is from: the address the
// packet came from, which is one of Addrs but not always the main one.
func (n *Node) hostAt(from netip.AddrPort) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.hosts.byAddr[from]; ok {
		c := e.copy()
		c.Addr = from
		return &c
	}
	return nil
}

// isIptux recognises iptux by its version field ("1_iptux 0.8.3") or its four-field entry.
func isIptux(p wire.Packet) bool { return strings.Contains(p.Version, "iptux") }

// decode turns text from a peer into UTF-8: UTF8OPT means UTF-8; iptux always writes UTF-8; otherwise
// valid UTF-8 is taken as such and anything else is the legacy code page.
func (n *Node) decode(b []byte, p wire.Packet, h *Host) string {
	if p.Cmd.Has(wire.UTF8Opt) || isIptux(p) || (h != nil && h.Iptux) {
		return wire.Decode(b, wire.UTF8)
	}
	return wire.DecodeGuess(b, n.cfg.Codepage)
}

// headerHost is a Host made of p's header names, at from: a sender that is no known host.
func (n *Node) headerHost(from netip.AddrPort, p wire.Packet) Host {
	hint := &Host{Iptux: isIptux(p)}
	return Host{User: n.decode([]byte(p.User), p, hint), Host: n.decode([]byte(p.Host), p, hint), Addr: from,
		Version: p.Version, Iptux: hint.Iptux}
}

func (n *Node) onEntry(in inbound) {
	from, p := in.from, in.p
	e := wire.ParseEntry(p)
	iptux := isIptux(p) || e.Iptux
	h := Host{
		Addr:     from,
		Caps:     p.Cmd.Opts(),
		Version:  p.Version,
		Iptux:    iptux,
		Encoding: e.Encoding,
		Hato:     e.Hato != "",
		Seen:     in.at,
		Entry:    true,
		// iptux sets ABSENCEOPT in every entry packet; it has no absence mode to report.
		Absent: p.Cmd.Has(wire.AbsenceOpt) && !iptux,
	}
	hint := &Host{Iptux: iptux}
	h.User = firstNonEmpty(e.UN, n.decode([]byte(p.User), p, hint))
	h.Host = firstNonEmpty(e.HN, n.decode([]byte(p.Host), p, hint))
	h.Nick = firstNonEmpty(e.NN, n.decode(e.Nick, p, hint))
	h.Group = firstNonEmpty(e.GN, n.decode(e.Group, p, hint))

	mode := p.Cmd.Mode()
	known := n.knownAddr(from)
	r := n.learnEntry(h, mode)
	n.introduced(from)
	if r.claim != nil {
		n.checkClaim(from, r.claim, in.size)
	}

	drb, upt := entryHints(e.IP)
	if r.claim == nil && r.host.Addr == from {
		if mode == wire.BrEntry {
			n.masterHeardEntry(r.host, drb) // as the member master: the whole list
		}
		if mode == wire.BrEntry || mode == wire.BrAbsence {
			n.agentHeard(r.host, mode, drb) // as an agent: tell the master
		}
	}
	n.memberHeardEntry(from, r.first, upt, r.host) // as a member: the master just started, or is WIN
	switch {
	case mode == wire.BrEntry:
		// The answer is in the peer's charset, after Windows' random delay; a flood of entries waits
		// in a bounded queue (the rest go unanswered). A host already known that announces itself again
		// and again gets a few answers, then one every two seconds (a new host, or one back after its
		// BR_EXIT, is answered within the budget of an unknown source, see answer).
		n.mu.Lock()
		ok := n.answering < maxPendingAnswers && (!known || r.first || n.entryAnswers.allow(from.Addr(), in.at))
		if ok {
			n.answering++
		}
		n.mu.Unlock()
		if !ok {
			n.log.Debug("ANSENTRY dropped: too many", "to", from)
			return
		}
		// Built and charged now, written after the delay.
		n.entryMu.Lock()
		b, ok := n.prepareEntry(wire.AnsEntry, &r.host, from, in.size)
		n.entryMu.Unlock()
		n.after(n.answerDelay(from.Addr()), func() {
			n.mu.Lock()
			n.answering--
			n.mu.Unlock()
			if ok {
				n.entryMu.Lock()
				n.writeRaw(b, from)
				n.entryMu.Unlock()
			}
		})
	case (r.first || r.solicited) && n.readsLegacy(&r.host) && n.namesNeedLegacy():
		// Our entry packets to peers we did not know, broadcast or unicast (which an ANSENTRY answers),
		// carry UTF-8 names; a peer that reads only a legacy code page gets them again in its charset,
		// in a BR_ABSENCE, which updates the name without asking for an answer.
		n.answerEntry(wire.BrAbsence, &r.host, from, in.size)
	case mode == wire.BrAbsence && r.claim != nil:
		// A claim needs an entry exchange: ask for its ANSENTRY.
		n.answerEntry(wire.BrEntry, &r.host, from, in.size)
	}
}

// entryResult is what learnEntry did with an entry packet.
type entryResult struct {
	host  Host // the host as now known (for a claim: as its packet says)
	first bool // the host is known from an entry packet it sent for the first time
	// solicited: an ANSENTRY that answers a BR_ENTRY of ours
	solicited bool
	claim     *claim // the packet claims the names of a host known at another address: being checked
}

// learnEntry takes an entry packet heard from h.Addr into the host table. An address belongs to one host:
// the names an address announces replace what was there. Names already held by a host at another
// address are only a claim until the new address proves it is that host (see checkClaim): until then
// the packet changes nothing of that host.
func (n *Node) learnEntry(h Host, mode wire.Command) entryResult {
	from := h.Addr
	var r entryResult
	var evs []Event
	n.mu.Lock()
	e := n.hosts.byAddr[from]
	if e != nil && e.key() != h.key() {
		// Same address, other names: a renamed user or a new program there. The old entry goes.
		n.hosts.unbind(e, from)
		if e.Addr != from {
			evs = append(evs, Event{Kind: EventHostUpdated, Host: e.copy()})
		}
		e = nil
	}
	// An ANSENTRY that answers our BR_ENTRY completes an exchange (so does our ANSENTRY, see answerEntry).
	answered := mode == wire.AnsEntry && n.solicitedLocked(from, h.Seen)
	r.solicited = answered
	switch {
	case e != nil && e.Addr == from:
		r.first = !(e.Entry && e.direct)
		if n.hosts.update(e, h) {
			evs = append(evs, Event{Kind: EventHostUpdated, Host: e.copy()})
		}
		e.direct = true
		e.exchanged = e.exchanged || answered
		r.host = e.copy()
	case e != nil:
		// Another proven address of the host (a second interface): it may announce, not rename. If the
		// main address has been silent, this one may become the main one.
		r.host = e.copy()
		r.host.Addr = from
		if n.hosts.byAddr[e.Addr] == e && time.Since(e.heard) > n.claimWait() {
			r.claim = n.newClaimLocked(h, e, answered, true)
		}
	default:
		if old := n.hosts.entry(h.key()); old != nil {
			r.host = h
			r.claim = n.newClaimLocked(h, old, answered, false)
			break
		}
		e = n.hosts.insert(h)
		e.direct, e.exchanged = true, answered
		r.first, r.host = true, e.copy()
		evs = append(evs, Event{Kind: EventHostJoined, Host: r.host})
	}
	evs = append(n.goneLocked(), evs...)
	n.mu.Unlock()
	n.emitAll(evs)
	return r
}

// goneLocked collects the hosts the table dropped (evicted or displaced), forgets what the node kept
// about them, and returns their EventHostLeft. n.mu is held.
func (n *Node) goneLocked() []Event {
	var evs []Event
	for _, h := range n.hosts.takeGone() {
		n.forgetHostLocked(h)
		evs = append(evs, Event{Kind: EventHostLeft, Host: h})
	}
	return evs
}

// forgetHostLocked drops the per-host state of a host that left.
func (n *Node) forgetHostLocked(h Host) {
	for _, a := range h.Addrs {
		if n.hosts.byAddr[a] == nil {
			n.peerKeys.remove(a)
		}
	}
	n.autoReplied.remove(h.key())
	n.lostTold.remove(h.key())
}

func (n *Node) emitAll(evs []Event) {
	for _, ev := range evs {
		n.emit(ev)
	}
}

// namesNeedLegacy reports whether our names are not plain ASCII, which reads the same in every charset.
func (n *Node) namesNeedLegacy() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range []string{n.cfg.User, n.cfg.Host, n.cfg.Nick, n.cfg.Group} {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return true
			}
		}
	}
	return false
}

// onExit removes the host whose main address said BR_EXIT (from another of its addresses, only that
// address goes). A BR_EXIT from anywhere else, whatever names it carries, changes nothing.
func (n *Node) onExit(from netip.AddrPort) {
	var evs []Event
	n.mu.Lock()
	n.seen.exit(from)
	n.dropClaimLocked(from)
	if e := n.hosts.byAddr[from]; e != nil {
		if e.Addr == from {
			h, _ := n.hosts.remove(e.key())
			n.forgetHostLocked(h)
			evs = append(evs, Event{Kind: EventHostLeft, Host: h})
			defer n.agentHeard(h, wire.BrExit, false) // as an agent: tell the master (after the unlock)
		} else {
			n.hosts.unbind(e, from)
			n.peerKeys.remove(from)
			evs = append(evs, Event{Kind: EventHostUpdated, Host: e.copy()})
		}
	}
	n.mu.Unlock()
	n.emitAll(evs)
}

func (n *Node) onMessage(in inbound) {
	from, p := in.from, in.p
	h := n.hostAt(from)
	if p.Cmd.Has(wire.EncryptOpt) {
		n.onEncrypted(in, h)
		return
	}
	if !n.knownAddr(from) {
		// A sender that completed no entry exchange: shown (as iptux and WIN do), but only so many.
		n.mu.Lock()
		ok := n.unknownMsgs.allow(from.Addr(), in.at)
		n.mu.Unlock()
		if !ok {
			n.forgetSeen(in.key) // not acknowledged: a real sender resends
			n.log.Debug("message from an unknown sender set aside: over the rate", "from", from)
			return
		}
	}
	if h == nil {
		h = n.addUnknown(in)
	}
	n.deliver(in, h, decrypted{text: p.Msg, files: p.Extra})
}

// deliver records a message (decrypted if it was encrypted), reports it, and only then acknowledges it;
// in absence mode it answers it.
func (n *Node) deliver(in inbound, h *Host, d decrypted) {
	p := in.p
	text := wire.ReplaceImageRefs(wire.StripFontTag(n.decode(d.text, p, h)))
	m := &Message{
		Packet:    p.No,
		From:      *h,
		Text:      text,
		Cmd:       p.Cmd,
		Sealed:    p.Cmd.Has(wire.SecretOpt),
		Locked:    p.Cmd.Has(wire.PasswordOpt),
		Broadcast: p.Cmd.Has(wire.BroadcastOpt),
		Multicast: p.Cmd.Has(wire.MulticastOpt),
		AutoReply: p.Cmd.Has(wire.AutoRetOpt),
		NoLog:     p.Cmd.Has(wire.NoLogOpt),
		Received:  in.at,
		Encrypted: d.cipher != 0,
		Signed:    d.signed,
		Verified:  d.verified,
	}
	if m.Encrypted {
		m.Cipher = cipherName(d.cipher)
	}
	if p.Cmd.Has(wire.FileAttachOpt) {
		// The list is in the text's charset; its separators (':', '\a') never occur inside CP932 or GBK
		// characters, so it decodes whole.
		m.Files = n.decode(d.files, p, h)
	}
	for _, r := range d.to {
		m.To = append(m.To, crypt.Recipient{User: n.decode([]byte(r.User), p, h), Host: n.decode([]byte(r.Host), p, h)})
	}
	n.record(m, p)
	n.emit(Event{Kind: EventMessage, Message: m, Host: *h})
	n.setSeen(in.key, seenShown)
	n.ackMessage(in.from, p, in.size)
	if p.Cmd&wire.NoReplyOpts == 0 {
		n.autoReply(h, in.size)
	}
}

// dropMessage rejects a message: it is not shown, and neither it nor its repeats are acknowledged.
func (n *Node) dropMessage(in inbound, h Host, why string) {
	n.setSeen(in.key, seenDropped)
	n.reject(h, in.p.No, why)
}

// addUnknown is the sender of a message from an address no known host has. A new name is listed (unless
// it asked us not to, NOADDLISTOPT) and sent our BR_ENTRY, so that it answers with its nick and
// capabilities; names a host at another address has are not taken from a message (they show with this
// address, as another host), but the BR_ENTRY goes too: its answer may prove a move.
func (n *Node) addUnknown(in inbound) *Host {
	h := n.headerHost(in.from, in.p)
	h.Seen = in.at
	if in.p.Cmd.Has(wire.NoAddListOpt) {
		return &h
	}
	var evs []Event
	n.mu.Lock()
	if n.hosts.byAddr[in.from] == nil && n.hosts.entry(h.key()) == nil {
		e := n.hosts.insert(h)
		h = e.copy()
		evs = append(n.goneLocked(), Event{Kind: EventHostJoined, Host: h})
	}
	n.mu.Unlock()
	n.emitAll(evs)
	n.answerEntry(wire.BrEntry, &h, in.from, in.size)
	return &h
}

// autoReply answers once per sender with the absence text while absence mode is on.
func (n *Node) autoReply(h *Host, reqLen int) {
	n.mu.Lock()
	absent, text := n.cfg.Absent, n.cfg.AbsenceText
	k := h.key()
	_, already := n.autoReplied.get(k)
	if absent {
		n.autoReplied.put(k, struct{}{})
	}
	n.mu.Unlock()
	if !absent || already {
		return
	}
	n.answer(h.Addr, reqLen, n.packetFor(h, wire.SendMsg|wire.AutoRetOpt, text, nil))
}

// ack wakes the sender waiting for this acknowledgement; the message part is the decimal packet number.
func (n *Node) ack(mode wire.Command, msg []byte, from netip.AddrPort) {
	no, err := strconv.ParseUint(strings.TrimSpace(string(msg)), 10, 32)
	if err != nil {
		n.log.Debug("bad acknowledgement", "from", from, "mode", mode, "msg", string(msg))
		return
	}
	n.mu.Lock()
	ch, ok := n.acks[ackKey{mode, uint32(no), from}]
	if ok {
		delete(n.acks, ackKey{mode, uint32(no), from})
	}
	n.mu.Unlock()
	if ok {
		close(ch)
	}
}

// onReceipt reports READMSG (our sealed message was opened) or DELMSG (discarded unopened).
func (n *Node) onReceipt(kind EventKind, from netip.AddrPort, p wire.Packet) {
	no, err := strconv.ParseUint(strings.TrimSpace(string(p.Msg)), 10, 32)
	if err != nil {
		return
	}
	n.emit(Event{Kind: kind, Host: n.sender(from, p), Packet: uint32(no)})
}

// sender is the known host behind p (its Addr the packet's source), or one made of its header's names.
func (n *Node) sender(from netip.AddrPort, p wire.Packet) Host {
	if h := n.hostAt(from); h != nil {
		return *h
	}
	return n.headerHost(from, p)
}

// onInfo reports SENDINFO or SENDABSENCEINFO, except the answers to our own probes (see checkClaim).
func (n *Node) onInfo(kind EventKind, from netip.AddrPort, p wire.Packet) {
	n.mu.Lock()
	probe := n.probed[from] > 0 && kind == EventInfo
	n.mu.Unlock()
	if probe {
		return
	}
	h := n.hostAt(from)
	if h == nil {
		h = &Host{Addr: from}
	}
	n.emit(Event{Kind: kind, Host: *h, Text: n.decode(p.Msg, p, h)})
}

// learn merges a host-list row into the table and reports a new or changed host (see upsert).
func (n *Node) learn(h Host) (merged Host, isNew bool) {
	n.mu.Lock()
	merged, isNew, changed := n.hosts.upsert(h)
	evs := n.goneLocked()
	n.mu.Unlock()
	n.emitAll(evs)
	switch {
	case isNew:
		n.emit(Event{Kind: EventHostJoined, Host: merged})
	case changed:
		n.emit(Event{Kind: EventHostUpdated, Host: merged})
	}
	return merged, isNew
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
