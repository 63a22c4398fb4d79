package protocol

import (
	"fmt"
	"net/netip"

	"hato/protocol/wire"
)

// caps are the capabilities every entry packet advertises; FILEATTACHOPT joins them when a file server
// is configured. Encryption and inline images are added as those features land: advertising them early
// would invite requests we can't serve.
const caps = wire.CapUTF8Opt

// charsetFor says how to write to h: UTF-8 with UTF8OPT for peers that advertise CAPUTF8OPT, plain UTF-8
// for iptux (which never reads the flag and decodes UTF-8 first), the legacy code page for other known
// peers. Broadcasts (h == nil) are UTF-8 too: Windows reads the UTF-8 lines of entry packets anyway, and
// iptux takes legacy bytes for UTF-16, then garbles everything it sends us until our next BR_ENTRY.
// Legacy peers get their own code page in a unicast BR_ABSENCE once they are known (see onEntry).
func (n *Node) charsetFor(h *Host) (wire.Codepage, wire.Command) {
	switch {
	case h == nil:
		return wire.UTF8, 0
	case h.Caps.Has(wire.CapUTF8Opt):
		return wire.UTF8, wire.UTF8Opt
	case h.Iptux:
		return wire.UTF8, 0
	default:
		return n.cfg.Codepage, 0
	}
}

// packet builds a packet with a fresh number and our names in cs.
func (n *Node) packet(cs wire.Codepage, cmd wire.Command, msg, extra []byte) wire.Packet {
	return wire.Packet{
		No:    n.nextNo(),
		User:  string(wire.Encode(n.cfg.User, cs)),
		Host:  string(wire.Encode(n.cfg.Host, cs)),
		Cmd:   cmd,
		Msg:   msg,
		Extra: extra,
	}
}

// packetFor builds a packet for one peer, in the charset that peer reads.
func (n *Node) packetFor(h *Host, cmd wire.Command, text string, extra []byte) wire.Packet {
	cs, flag := n.charsetFor(h)
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
	}
	if n.cfg.Absent {
		o |= wire.AbsenceOpt
	}
	return o
}

// entryPacket builds BR_ENTRY, ANSENTRY or BR_ABSENCE in the Windows layout: legacy nick and group,
// then UTF-8 UN/HN/NN/GN lines. To a known peer it uses that peer's charset.
func (n *Node) entryPacket(mode wire.Command, h *Host) wire.Packet {
	n.mu.Lock()
	nick, group := n.cfg.Nick, n.cfg.Group
	n.mu.Unlock()
	cs, flag := n.charsetFor(h)
	msg, extra := wire.AppendEntry(wire.Encode(nick, cs), wire.Encode(group, cs),
		wire.EntryText{User: n.cfg.User, Host: n.cfg.Host, Nick: nick, Group: group, Hato: HatoLevel})
	return n.packet(cs, mode|n.entryOpts()|flag, msg, extra)
}

// announce broadcasts BR_ENTRY.
func (n *Node) announce() { n.broadcast(n.entryPacket(wire.BrEntry, nil)) }

// Announce broadcasts BR_ENTRY again, so that every peer answers with ANSENTRY (the host list's Refresh).
func (n *Node) Announce() error {
	if !n.isRunning() {
		return fmt.Errorf("announce: %w", ErrClosed)
	}
	n.announce()
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
	for _, to := range n.broadcastTargets() {
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
	for _, h := range n.Hosts() {
		if !sent[h.Addr] {
			sent[h.Addr] = true
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
