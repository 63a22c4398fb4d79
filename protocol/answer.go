package protocol

import (
	"net/netip"
	"time"

	"hato/protocol/wire"
)

// Answers and amplification. A UDP source address can be forged, so an answer may go to a victim who
// never asked: a node that answers 20 bytes with 32 KB is an amplifier. Every packet the node sends in
// answer to one it received therefore goes through answer(), which keeps a budget per IP address:
//
//   - A known source (an entry exchange completed with that address, see knownAddr) may be answered in
//     full, but what the answers carry beyond the requests' own size (an ANSLIST page, a key) comes out
//     of a token bucket per IP and one for all.
//   - Any other source gets no more bytes than it sent, counted over all its packets, after a first
//     contact allowance (unknownAllowance, in packets of at most smallPacket bytes) that lets a new peer's
//     BR_ENTRY get its ANSENTRY and a script's first messages their RECVMSG. The allowance is paid back
//     out of later bytes before anything else is answered, so a flood from a forged source gets at most
//     what it sent.
//
// Large answers (ANSLIST, ANSPUBKEY) go to known sources only; see onListRequest and onGetPubKey. IPMsg
// has no nonce, so a forged BR_ENTRY is enough to make its source "known" (our ANSENTRY completes the
// exchange): what such a source can then be sent is bounded by the known budget (knownExcessRate a
// second per IP), not by what it sent.

// answerBudget is what one IP address has been sent and may still be sent.
type answerBudget struct {
	in, out   int64  // bytes received from it, bytes answered while it was unknown
	allowance int    // first-contact bytes left
	excess    bucket // known: bytes answered beyond the requests' size
}

type answerGate struct {
	sources       *lru[netip.Addr, *answerBudget]
	unknownGlobal bucket // first-contact allowances, all sources together
	knownGlobal   bucket // excess bytes to known sources, all together
}

func newAnswerGate() *answerGate {
	return &answerGate{sources: newLRU[netip.Addr, *answerBudget](maxSources)}
}

func (g *answerGate) budget(ip netip.Addr) *answerBudget {
	b, ok := g.sources.get(ip)
	if !ok {
		b = &answerBudget{allowance: unknownAllowance}
		g.sources.put(ip, b)
	}
	return b
}

// received counts a datagram of size bytes from ip.
func (g *answerGate) received(ip netip.Addr, size int) { g.budget(ip).in += int64(size) }

// allow decides whether an answer of size bytes to a request of reqLen bytes may go to ip, and charges it.
func (g *answerGate) allow(ip netip.Addr, known bool, reqLen, size int, now time.Time) bool {
	b := g.budget(ip)
	if known {
		excess := float64(size - reqLen)
		if excess <= 0 {
			return true
		}
		probe := b.excess
		if !probe.take(now, knownExcessRate, knownExcessBurst, excess) ||
			!g.knownGlobal.take(now, 8*knownExcessRate, 8*knownExcessBurst, excess) {
			return false
		}
		b.excess = probe
		return true
	}
	switch {
	case b.in-b.out >= int64(size):
	case size <= smallPacket && size <= b.allowance &&
		g.unknownGlobal.take(now, unknownGlobalRate, unknownGlobalRate, float64(size)):
		b.allowance -= size
	default:
		return false
	}
	b.out += int64(size)
	return true
}

// knownAddrLocked reports whether a completed an entry exchange with us: it is the address of a host
// that sent us an entry packet from it, and either answered ours (an ANSENTRY after we sent it or
// broadcast a BR_ENTRY, see solicitedLocked) or got our ANSENTRY. Another proven address of a host (a
// second network interface) counts too. n.mu is held.
func (n *Node) knownAddrLocked(a netip.AddrPort) bool {
	e := n.hosts.byAddr[a]
	return e != nil && e.Entry && (e.Addr != a || e.direct && e.exchanged)
}

func (n *Node) knownAddr(a netip.AddrPort) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.knownAddrLocked(a)
}

// answer sends p to `to` in answer to a packet of reqLen bytes, if to's budget allows.
func (n *Node) answer(to netip.AddrPort, reqLen int, p wire.Packet) bool {
	return n.answerRaw(to, reqLen, p.Bytes())
}

func (n *Node) answerRaw(to netip.AddrPort, reqLen int, b []byte) bool {
	n.mu.Lock()
	ok := n.gate.allow(to.Addr(), n.knownAddrLocked(to), reqLen, len(b), time.Now())
	n.mu.Unlock()
	if !ok {
		n.log.Debug("answer withheld: over the budget", "to", to, "bytes", len(b), "request", reqLen)
		return false
	}
	return n.writeRaw(b, to) == nil
}

// solicitWindow is how long after our BR_ENTRY an ANSENTRY counts as its answer (WIN delays its answer by
// up to 4 s).
const solicitWindow = 10 * time.Second

// noteAsked remembers that we sent a BR_ENTRY to these addresses: their ANSENTRY completes an exchange.
func (n *Node) noteAsked(mode wire.Command, to ...netip.AddrPort) {
	if mode.Mode() != wire.BrEntry {
		return
	}
	now := time.Now()
	n.mu.Lock()
	for _, a := range to {
		n.asked.put(a, now)
	}
	n.mu.Unlock()
}

// solicitedLocked reports whether an ANSENTRY from a answers a BR_ENTRY of ours (to a, or broadcast)
// rather than coming out of the blue (a forged source cannot make itself known that way). n.mu is held.
func (n *Node) solicitedLocked(a netip.AddrPort, now time.Time) bool {
	if now.Sub(n.broadcastAt) < solicitWindow {
		return true
	}
	at, ok := n.asked.peek(a)
	return ok && now.Sub(at) < solicitWindow
}
