package protocol

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// handle acts on one parsed datagram from the UDP port.
func (n *Node) handle(from netip.AddrPort, p wire.Packet) {
	if n.self(from) {
		return
	}
	if n.spoofed(from, p) {
		return
	}
	now := time.Now()
	dup := n.duplicate(p, now)
	mode := p.Cmd.Mode()

	// Acknowledgements go out for repeats too: the first answer may have been lost. A message is
	// acknowledged once it is recorded (Config.Record): a repeat that arrives before that is not.
	switch mode {
	case wire.SendMsg:
		if wantsAck(p) {
			if !dup {
				n.holdAck(p)
			} else if !n.ackHeld(p) {
				n.ackMessage(from, p)
			}
		}
	case wire.ReadMsg:
		if p.Cmd.Has(wire.ReadCheckOpt) {
			n.reply(from, p, wire.AnsReadMsg, strconv.FormatUint(uint64(p.No), 10))
		}
	}
	if dup {
		return
	}

	switch mode {
	case wire.BrEntry, wire.AnsEntry, wire.BrAbsence:
		n.onEntry(from, p, now)
	case wire.BrExit:
		n.onExit(from, p)
		n.forgetPackets(p.User, p.Host)
	case wire.SendMsg:
		n.onMessage(from, p, now)
	case wire.RecvMsg:
		n.ack(wire.RecvMsg, p.Msg, from)
	case wire.AnsReadMsg:
		n.ack(wire.AnsReadMsg, p.Msg, from)
	case wire.ReadMsg:
		n.onReceipt(EventOpened, from, p)
	case wire.DelMsg:
		n.onReceipt(EventDiscarded, from, p)
	case wire.GetInfo:
		n.reply(from, p, wire.SendInfo, n.cfg.VersionInfo)
	case wire.GetAbsenceInfo:
		n.mu.Lock()
		text := "Not absence mode"
		if n.cfg.Absent {
			text = n.cfg.AbsenceText
		}
		n.mu.Unlock()
		n.reply(from, p, wire.SendAbsenceInfo, text)
	case wire.SendInfo:
		n.onInfo(EventInfo, from, p)
	case wire.SendAbsenceInfo:
		n.onInfo(EventAbsenceInfo, from, p)
	case wire.BrIsGetList, wire.BrIsGetList2:
		n.onListOffer(from, p)
	case wire.OkGetList:
		n.onListReady(from, p)
	case wire.GetList:
		n.onListRequest(from, p)
	case wire.AnsList:
		n.onList(from, p)
	case wire.ReleaseFiles:
		n.onRelease(from, p)
	case wire.NoOperation:
		n.onActivate(from, p)
	case wire.GetPubKey:
		n.onGetPubKey(from, p)
	case wire.AnsPubKey:
		n.onAnsPubKey(from, p)
	default:
		// iptux (0xFB-0xFF), FeiQ (0x77, 0x79, 0xC0, ...) and Windows member-master commands.
		n.log.Debug("ignored command", "from", from, "cmd", p.Cmd)
	}
}

// reply answers p's sender in the charset it reads, with text as the message part.
func (n *Node) reply(to netip.AddrPort, p wire.Packet, mode wire.Command, text string) {
	h := n.hostAt(to, p)
	n.writeTo(n.packetFor(h, mode, text, nil), to)
}

// hostAt finds the known host behind a packet, or nil.
func (n *Node) hostAt(from netip.AddrPort, p wire.Packet) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	if h, ok := n.hosts.at(from); ok {
		c := *h
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

func (n *Node) onEntry(from netip.AddrPort, p wire.Packet, now time.Time) {
	e := wire.ParseEntry(p)
	iptux := isIptux(p) || e.Iptux
	h := Host{
		Addr:     from,
		Caps:     p.Cmd.Opts(),
		Version:  p.Version,
		Iptux:    iptux,
		Encoding: e.Encoding,
		Hato:     e.Hato != "",
		Seen:     now,
		Entry:    true,
		// iptux sets ABSENCEOPT in every entry packet; it has no absence mode to report.
		Absent: p.Cmd.Has(wire.AbsenceOpt) && !iptux,
	}
	hint := &Host{Iptux: iptux}
	h.User = firstNonEmpty(e.UN, n.decode([]byte(p.User), p, hint))
	h.Host = firstNonEmpty(e.HN, n.decode([]byte(p.Host), p, hint))
	h.Nick = firstNonEmpty(e.NN, n.decode(e.Nick, p, hint))
	h.Group = firstNonEmpty(e.GN, n.decode(e.Group, p, hint))

	merged, _, first := n.learn(h)
	n.introduced(from)

	switch {
	case p.Cmd.Mode() == wire.BrEntry:
		// The answer is in the peer's charset.
		n.after(n.answerDelay(from.Addr()), func() { n.unicastEntry(wire.AnsEntry, &merged, from) })
	case (first || p.Cmd.Mode() == wire.AnsEntry) && n.readsLegacy(&merged) && n.namesNeedLegacy():
		// Our entry packets to peers we did not know, broadcast or unicast (which an ANSENTRY answers),
		// carry UTF-8 names; a peer that reads only a legacy code page gets them again in its charset,
		// in a BR_ABSENCE, which updates the name without asking for an answer.
		n.unicastEntry(wire.BrAbsence, &merged, from)
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

func (n *Node) onExit(from netip.AddrPort, p wire.Packet) {
	hint := &Host{Iptux: isIptux(p)}
	k := keyOf(n.decode([]byte(p.User), p, hint), n.decode([]byte(p.Host), p, hint), from.Port())
	n.mu.Lock()
	h, ok := n.hosts.remove(k)
	if !ok {
		// A Windows peer's BR_EXIT may be in its ANSI code page while we keyed it by its UN:/HN: lines.
		if hp, found := n.hosts.at(from); found {
			h, ok = n.hosts.remove(hp.key())
		}
	}
	delete(n.autoReplied, k)
	if ok {
		delete(n.peerKeys, h.Addr)
		delete(n.lostTold, h.key())
	}
	n.mu.Unlock()
	if ok {
		n.emit(Event{Kind: EventHostLeft, Host: h})
	}
}

func (n *Node) onMessage(from netip.AddrPort, p wire.Packet, now time.Time) {
	h := n.hostAt(from, p)
	if h == nil {
		h = n.addUnknown(from, p, now)
	}
	if p.Cmd.Has(wire.EncryptOpt) {
		e, err := n.takeEncrypted(p, h)
		if err != nil {
			n.ackMessage(from, p)
			n.reject(*h, p.No, fmt.Sprintf("encrypted message: %v", err))
			return
		}
		// Off the read loop: checking the signature may need the sender's ANSPUBKEY, which this loop reads.
		ctx := n.runContext()
		n.wg.Go(func() {
			d, err := n.decrypt(ctx, from, p, h, e)
			switch {
			case err != nil:
				n.ackMessage(from, p) // as WIN: the sender is told it arrived
				n.reject(*h, p.No, fmt.Sprintf("encrypted message: %v", err))
			case fingerprinted(h.User) && !d.verified:
				n.releaseAck(p) // a spoofer is not told anything
				n.reject(*h, p.No, fmt.Sprintf("message from fingerprinted user %q without a valid signature (spoofed name)", h.User))
			default:
				n.deliver(from, p, h, now, d)
			}
		})
		return
	}
	n.deliver(from, p, h, now, decrypted{text: p.Msg, files: p.Extra})
}

// deliver records a message (decrypted if it was encrypted), acknowledges it, reports it and answers it
// in absence mode.
func (n *Node) deliver(from netip.AddrPort, p wire.Packet, h *Host, now time.Time, d decrypted) {
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
		Received:  now,
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
	n.ackMessage(from, p)
	n.emit(Event{Kind: EventMessage, Message: m, Host: *h})
	if p.Cmd&wire.NoReplyOpts == 0 {
		n.autoReply(h)
	}
}

// addUnknown lists a sender we had not heard an entry from and, unless it asked us not to (NOADDLISTOPT),
// sends it a BR_ENTRY so that it answers with its nick and capabilities.
func (n *Node) addUnknown(from netip.AddrPort, p wire.Packet, now time.Time) *Host {
	hint := &Host{Iptux: isIptux(p)}
	h := Host{
		User: n.decode([]byte(p.User), p, hint), Host: n.decode([]byte(p.Host), p, hint),
		Addr: from, Version: p.Version, Iptux: hint.Iptux, Seen: now,
	}
	if p.Cmd.Has(wire.NoAddListOpt) {
		return &h
	}
	merged, _, _ := n.learn(h)
	n.unicastEntry(wire.BrEntry, &merged, from)
	return &merged
}

// autoReply answers once per sender with the absence text while absence mode is on.
func (n *Node) autoReply(h *Host) {
	n.mu.Lock()
	absent, text := n.cfg.Absent, n.cfg.AbsenceText
	k := h.key()
	already := n.autoReplied[k]
	if absent {
		n.autoReplied[k] = true
	}
	n.mu.Unlock()
	if !absent || already {
		return
	}
	n.writeTo(n.packetFor(h, wire.SendMsg|wire.AutoRetOpt, text, nil), h.Addr)
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

// sender is the known host behind p, or one made of its header's names when it never announced itself.
func (n *Node) sender(from netip.AddrPort, p wire.Packet) Host {
	if h := n.hostAt(from, p); h != nil {
		return *h
	}
	hint := &Host{Iptux: isIptux(p)}
	return Host{User: n.decode([]byte(p.User), p, hint), Host: n.decode([]byte(p.Host), p, hint), Addr: from}
}

func (n *Node) onInfo(kind EventKind, from netip.AddrPort, p wire.Packet) {
	h := n.hostAt(from, p)
	if h == nil {
		h = &Host{Addr: from}
	}
	n.emit(Event{Kind: kind, Host: *h, Text: n.decode(p.Msg, p, h)})
}

// learn merges what a packet says about a host into the table and reports a new or changed host.
// first says that the host is now known from an entry packet (or list row) for the first time.
func (n *Node) learn(h Host) (merged Host, isNew, first bool) {
	n.mu.Lock()
	old, ok := n.hosts.get(h.key())
	first = h.Entry && !(ok && old.Entry)
	merged, isNew, changed := n.hosts.upsert(h)
	n.mu.Unlock()
	switch {
	case isNew:
		n.emit(Event{Kind: EventHostJoined, Host: merged})
	case changed:
		n.emit(Event{Kind: EventHostUpdated, Host: merged})
	}
	return merged, isNew, first
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
