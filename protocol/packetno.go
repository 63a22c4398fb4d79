package protocol

import (
	"math"
	"time"
)

// reserveAhead is how far beyond the number in use a reservation reaches: one disk write per 64 packets.
const reserveAhead = 64

// nextNo is max(now, last+1) as Windows numbers packets: it grows across restarts, as iptux expects.
// Config.LastPacketNo and ReservePackets carry it across processes: two runs in the same second (a
// script's `hato send`s) must not repeat a number, or a peer that drops repeats loses the second's.
func (n *Node) nextNo() uint32 {
	n.noMu.Lock()
	defer n.noMu.Unlock()
	no := uint32(time.Now().Unix())
	if no <= n.lastNo {
		no = n.lastNo + 1
	}
	if reserve := n.cfg.ReservePackets; reserve != nil && no > n.reserved {
		upTo := no + reserveAhead
		if no > math.MaxUint32-reserveAhead {
			upTo = math.MaxUint32
		}
		if err := reserve(upTo); err != nil {
			n.log.Warn("reserve packet numbers", "up_to", upTo, "err", err)
		}
		// Also after a failure: retried at the next block rather than for every packet.
		n.reserved = upTo
	}
	n.lastNo = no
	return no
}

// LastPacketNo is the last packet number the node used (Config.LastPacketNo before the first).
func (n *Node) LastPacketNo() uint32 {
	n.noMu.Lock()
	defer n.noMu.Unlock()
	return n.lastNo
}
