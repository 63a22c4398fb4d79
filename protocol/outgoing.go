package protocol

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"hato/protocol/wire"
)

// caps are the capabilities every entry packet advertises; FILEATTACHOPT joins them when a file server
// is configured. Encryption and inline images are added as those features land: advertising them early
// would invite requests we can't serve.
const caps = wire.CapUTF8Opt

// charsetFor says how to write to h: UTF-8 with UTF8OPT for peers that advertise CAPUTF8OPT, plain UTF-8
// for iptux (which never reads the flag and decodes UTF-8 first), the legacy code page for other peers
// known from an entry packet, even where it cannot hold texts (Send reports what was lost). A peer that
// never announced itself may read either: it gets the code page when that holds texts and our names,
// otherwise UTF-8 with UTF8OPT, which Windows reads and iptux takes as UTF-8 anyway. Broadcasts
// (h == nil) are UTF-8 too: Windows reads the UTF-8 lines of entry packets anyway, and iptux takes legacy
// bytes for UTF-16, then garbles everything it sends us until our next BR_ENTRY. Legacy peers get their
// own code page in a unicast BR_ABSENCE after each broadcast (see spread).
func (n *Node) charsetFor(h *Host, texts ...string) (wire.Codepage, wire.Command) {
	switch {
	case h == nil:
		return wire.UTF8, 0
	case h.Caps.Has(wire.CapUTF8Opt):
		return wire.UTF8, wire.UTF8Opt
	case h.Iptux:
		return wire.UTF8, 0
	case h.Entry:
		return n.cfg.Codepage, 0
	}
	if lost(n.cfg.Codepage, append([]string{n.cfg.User, n.cfg.Host}, texts...)...) == "" {
		return n.cfg.Codepage, 0
	}
	return wire.UTF8, wire.UTF8Opt
}

// lost is the characters of texts that cs cannot hold, each once, in order of first appearance.
func lost(cs wire.Codepage, texts ...string) string {
	return wire.Lost(strings.Join(texts, "\n"), cs) // '\n' keeps one text's bad bytes from joining the next's
}

// packet builds a packet with a fresh number and our names in cs.
func (n *Node) packet(cs wire.Codepage, cmd wire.Command, msg, extra []byte) wire.Packet {
	return n.numbered(n.nextNo(), cs, cmd, msg, extra)
}

// numbered builds a packet with our names in cs under a number taken before.
func (n *Node) numbered(no uint32, cs wire.Codepage, cmd wire.Command, msg, extra []byte) wire.Packet {
	return wire.Packet{
		No:    no,
		User:  string(wire.Encode(n.cfg.User, cs)),
		Host:  string(wire.Encode(n.cfg.Host, cs)),
		Cmd:   cmd,
		Msg:   msg,
		Extra: extra,
	}
}

// packetFor builds a packet for one peer, in the charset that peer reads.
func (n *Node) packetFor(h *Host, cmd wire.Command, text string, extra []byte) wire.Packet {
	cs, flag := n.charsetFor(h, text)
	return n.packet(cs, cmd|flag, wire.Encode(text, cs), extra)
}

// entryOpts are the options of our entry packets: capabilities plus ABSENCEOPT when away.
func (n *Node) entryOpts() wire.Command {
	n.mu.Lock()
	defer n.mu.Unlock()
	o := caps
	if n.cfg.Files != nil {
		o |= wire.FileAttachOpt
		if n.cfg.InlineImages {
			o |= wire.ClipboardOpt
		}
	}
	if n.keys != nil {
		o |= wire.EncryptOpt | wire.EncExtMsgOpt
		if n.cfg.Files != nil && n.keys.RSA2048 != nil {
			o |= wire.CapFileEncOpt // draft-14 §8: our file server reads sealed requests
		}
	}
	if n.cfg.Absent {
		o |= wire.AbsenceOpt
	}
	if n.master != nil {
		o |= wire.DirMasterOpt | wire.DialupOpt // as WIN's master (HostStatus)
	}
	return o
}

// entryPacket builds BR_ENTRY, ANSENTRY or BR_ABSENCE in the Windows layout: legacy nick and group,
// then UTF-8 UN/HN/NN/GN lines. To a peer known from its entry it uses that peer's charset, telling the
// front end (EventLost) when the code page cannot hold our names; anyone else gets the broadcast's.
func (n *Node) entryPacket(mode wire.Command, h *Host) wire.Packet {
	return n.entryPacketWith(mode, h, n.masterHint(mode))
}

// entryPacketWith is entryPacket with an IPDict for WIN's IP: line (nil for none): member-master hints.
func (n *Node) entryPacketWith(mode wire.Command, h *Host, ip []byte) wire.Packet {
	n.mu.Lock()
	nick, group := n.cfg.Nick, n.cfg.Group
	n.mu.Unlock()
	if h != nil && !h.Entry {
		h = nil
	}
	cs, flag := n.charsetFor(h)
	if h != nil && cs != wire.UTF8 {
		n.tellLost(*h, lost(cs, nick, group, n.cfg.User, n.cfg.Host))
	}
	msg, extra := wire.AppendEntry(wire.Encode(nick, cs), wire.Encode(group, cs),
		wire.EntryText{User: n.cfg.User, Host: n.cfg.Host, Nick: nick, Group: group, Hato: HatoLevel, IP: ip})
	return n.packet(cs, mode|n.entryOpts()|flag, msg, extra)
}

// hostsUnsorted copies the host table in no order: for our own broadcasts, which need no sorting.
func (n *Node) hostsUnsorted() []Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Host, 0, n.hosts.len())
	n.hosts.each(func(e *hostEntry) bool {
		out = append(out, e.copy())
		return true
	})
	return out
}

// tellLost reports (EventLost) the characters of our names a peer's code page cannot hold, once per peer
// (until it leaves) and set of characters. The event goes out on its own goroutine: entry packets are also built on the
// callers' (SetPresence's) goroutines, which may be the ones reading events.
func (n *Node) tellLost(h Host, chars string) {
	n.mu.Lock()
	told, _ := n.lostTold.get(h.key())
	n.lostTold.put(h.key(), chars)
	n.mu.Unlock()
	if chars != "" && chars != told {
		n.after(0, func() { n.emit(Event{Kind: EventLost, Host: h, Text: chars}) })
	}
}

// unicastEntry sends an entry packet to one peer, in its charset.
func (n *Node) unicastEntry(mode wire.Command, h *Host, to netip.AddrPort) {
	n.entryMu.Lock()
	defer n.entryMu.Unlock()
	n.noteAsked(mode, to)
	n.writeTo(n.entryPacket(mode, h), to)
}

// answerEntry sends an entry packet to one peer in answer to a packet of reqLen bytes, within its budget
// (see answer).
func (n *Node) answerEntry(mode wire.Command, h *Host, to netip.AddrPort, reqLen int) bool {
	n.entryMu.Lock()
	defer n.entryMu.Unlock()
	b, ok := n.prepareEntry(mode, h, to, reqLen)
	return ok && n.writeRaw(b, to) == nil
}

// prepareEntry builds an entry packet for one peer and charges its budget; n.entryMu is held. An
// ANSENTRY it commits to completes the entry exchange: the peer is known from then on, also while the
// answer waits for its random delay (a peer's GETPUBKEY may follow its BR_ENTRY at once).
func (n *Node) prepareEntry(mode wire.Command, h *Host, to netip.AddrPort, reqLen int) ([]byte, bool) {
	b := n.entryPacket(mode, h).Bytes()
	n.mu.Lock()
	ok := n.gate.allow(to.Addr(), n.knownAddrLocked(to), reqLen, len(b), time.Now())
	if ok && mode == wire.AnsEntry {
		if e := n.hosts.byAddr[to]; e != nil && e.Addr == to {
			e.exchanged = true
		}
		if c := n.claims[to]; c != nil {
			c.exchanged = true
		}
	}
	n.mu.Unlock()
	if !ok {
		n.log.Debug("entry answer withheld: over the budget", "to", to, "bytes", len(b), "request", reqLen)
		return nil, false
	}
	n.noteAsked(mode, to)
	return b, true
}

// spread broadcasts an entry packet (and with known, unicasts it to every known host too). Its names are
// UTF-8, so each known peer that reads another charset gets them again, right after, in its own, in a
// BR_ABSENCE, which updates the name without asking for an answer. Whatever the order of broadcasts
// (keys ready, a nick change, the second BR_ENTRY), the last one such a peer hears from us is in its charset.
func (n *Node) spread(mode wire.Command, known bool) {
	n.entryMu.Lock()
	defer n.entryMu.Unlock()
	p := n.entryPacket(mode, nil)
	n.broadcast(p)
	if known {
		n.unicastKnown(p)
	}
	if !n.namesNeedLegacy() {
		return
	}
	for _, h := range n.hostsUnsorted() {
		if n.readsLegacy(&h) {
			n.writeTo(n.entryPacket(wire.BrAbsence, &h), h.Addr)
		}
	}
}

// readsLegacy reports whether h reads our entry packets in another charset than the broadcast's. Only a
// peer heard from itself (Version) counts: a host-list row does not say whether it is iptux, which takes
// legacy bytes for UTF-16 and would then keep garbling what it sends us.
func (n *Node) readsLegacy(h *Host) bool {
	if !h.Entry || h.Version == "" {
		return false
	}
	cs, _ := n.charsetFor(h)
	return cs != wire.UTF8
}

// Announce broadcasts BR_ENTRY again, so that every peer answers with ANSENTRY (the host list's Refresh).
func (n *Node) Announce() error {
	if !n.isRunning() {
		return fmt.Errorf("announce: %w", ErrClosed)
	}
	n.spread(wire.BrEntry, false)
	return nil
}

// broadcastTargets are 255.255.255.255, each interface's directed broadcast and the configured list.
func (n *Node) broadcastTargets() []netip.AddrPort {
	var out []netip.AddrPort
	// A node bound to a loopback address cannot reach the LAN: it only uses its destination list.
	if !n.cfg.NoBroadcast && !n.addr.Addr().IsLoopback() {
		port := n.PeerPort()
		out = append(out, netip.AddrPortFrom(limitedBroadcast, port))
		for _, a := range directedBroadcasts() {
			out = append(out, netip.AddrPortFrom(a, port))
		}
	}
	return append(out, n.dests...)
}

// broadcast sends p to every broadcast target; failures (an unreachable subnet) are only logged.
func (n *Node) broadcast(p wire.Packet) {
	b := p.Bytes()
	targets := n.broadcastTargets()
	if len(targets) > 0 && p.Cmd.Mode() == wire.BrEntry {
		n.mu.Lock()
		n.broadcastAt = time.Now() // anyone may answer it
		n.mu.Unlock()
	}
	for _, to := range targets {
		n.writeRaw(b, to)
	}
}

// unicastKnown sends p to every known host's address; used for BR_EXIT so that peers reached only
// through unicast ranges or the host-list exchange learn we left.
func (n *Node) unicastKnown(p wire.Packet) {
	b := p.Bytes()
	sent := map[netip.AddrPort]bool{}
	for _, to := range n.dests {
		sent[to] = true
	}
	for _, h := range n.hostsUnsorted() {
		if !sent[h.Addr] {
			sent[h.Addr] = true
			n.noteAsked(p.Cmd.Mode(), h.Addr)
			n.writeRaw(b, h.Addr)
		}
	}
}

func (n *Node) writeTo(p wire.Packet, to netip.AddrPort) error {
	return n.writeRaw(p.Bytes(), to)
}

func (n *Node) writeRaw(b []byte, to netip.AddrPort) error {
	_, err := n.udp.WriteToUDPAddrPort(b, to)
	if err != nil {
		n.log.Debug("udp write", "to", to, "err", err)
	}
	return err
}
