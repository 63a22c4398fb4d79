package protocol

import (
	"net/netip"
	"strconv"

	"hato/protocol/wire"
)

// A message is acknowledged (RECVMSG) only after Config.Record has stored it: a sender told "delivered"
// can rely on the message being in the history, even if the process dies the next moment. Until then
// the ack is held: a repeat of the message is not answered, the first copy's handling will answer it.

// wantsAck reports whether a SENDMSG asks for RECVMSG (broadcasts and auto-replies never get one).
func wantsAck(p wire.Packet) bool { return p.Cmd.Has(wire.SendCheckOpt) && p.Cmd&wire.NoReplyOpts == 0 }

func ackKeyOf(p wire.Packet) seenKey { return seenKey{p.No, wire.SendMsg, p.User, p.Host} }

// holdAck notes that the acknowledgement of p waits for its handling.
func (n *Node) holdAck(p wire.Packet) {
	n.mu.Lock()
	n.heldAcks[ackKeyOf(p)] = true
	n.mu.Unlock()
}

// ackHeld reports whether p's acknowledgement still waits for its first copy's handling.
func (n *Node) ackHeld(p wire.Packet) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.heldAcks[ackKeyOf(p)]
}

// releaseAck forgets a held acknowledgement without sending it.
func (n *Node) releaseAck(p wire.Packet) {
	n.mu.Lock()
	delete(n.heldAcks, ackKeyOf(p))
	n.mu.Unlock()
}

// ackMessage sends RECVMSG for p when it asks for one.
func (n *Node) ackMessage(from netip.AddrPort, p wire.Packet) {
	n.releaseAck(p)
	if wantsAck(p) {
		n.reply(from, p, wire.RecvMsg, strconv.FormatUint(uint64(p.No), 10))
	}
}

// record hands m to Config.Record, unless the sender asked for no log (NOLOGOPT) and the user did not
// override that (Config.RecordNoLog). A failure is kept in m: the message is shown, marked not saved.
func (n *Node) record(m *Message, p wire.Packet) {
	if n.cfg.Record == nil || (p.Cmd.Has(wire.NoLogOpt) && !n.cfg.RecordNoLog) {
		return
	}
	if err := n.cfg.Record(m); err != nil {
		m.RecordErr = err
		n.log.Warn("message not recorded", "from", m.From.Addr, "err", err)
	}
}
