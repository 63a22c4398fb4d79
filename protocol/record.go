package protocol

import (
	"net/netip"
	"strconv"

	"hato/protocol/wire"
)

// A message is acknowledged (RECVMSG) only after Config.Record has stored it and it was reported: a
// sender told "delivered" can rely on the message being in the history and shown, even if the process
// dies the next moment. A repeat is acknowledged only once the first copy got there (see dedup).

// wantsAck reports whether a SENDMSG asks for RECVMSG (broadcasts and auto-replies never get one).
func wantsAck(p wire.Packet) bool { return p.Cmd.Has(wire.SendCheckOpt) && p.Cmd&wire.NoReplyOpts == 0 }

// ackMessage sends RECVMSG for p (a datagram of reqLen bytes) when it asks for one.
func (n *Node) ackMessage(from netip.AddrPort, p wire.Packet, reqLen int) {
	if wantsAck(p) {
		n.reply(from, p, reqLen, wire.RecvMsg, strconv.FormatUint(uint64(p.No), 10))
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
