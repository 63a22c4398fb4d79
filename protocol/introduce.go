package protocol

import (
	"context"
	"net/netip"
	"time"

	"hato/protocol/wire"
)

// introWaiter is woken by the first entry packet from one address; users counts the Introduce calls
// waiting on it, so that the last to give up removes it.
type introWaiter struct {
	done  chan struct{}
	users int
}

// Introduce sends our BR_ENTRY to each address that no entry packet was heard from (a bare IP, an address
// of a range, a sender that never announced itself), all at once, then waits up to Config.IntroduceWait
// for their entries: so that they know our names before our message, and we know their charset and
// capabilities before writing it. Windows does the same before each message (BroadcastEntrySub in
// MsgSendMsg). It returns the hosts as now known, in the order of addrs; an address that stayed silent
// is a bare Host{Addr} (or what a message from it told).
func (n *Node) Introduce(ctx context.Context, addrs []netip.AddrPort) []Host {
	var waits []*introWaiter
	var from []netip.AddrPort
	sent := map[netip.AddrPort]bool{}
	for _, a := range addrs {
		if sent[a] || n.known(Host{Addr: a}).Entry || !n.isRunning() {
			continue
		}
		sent[a] = true
		if n.cfg.IntroduceWait > 0 {
			waits, from = append(waits, n.introWaiter(a)), append(from, a)
		}
		n.unicastEntry(wire.BrEntry, nil, a)
	}
	if len(waits) > 0 {
		t := time.NewTimer(n.cfg.IntroduceWait)
		defer t.Stop()
	wait:
		for _, w := range waits {
			select {
			case <-w.done:
			case <-t.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		for i, w := range waits {
			n.dropIntroWaiter(from[i], w)
		}
	}
	out := make([]Host, len(addrs))
	for i, a := range addrs {
		out[i] = *n.known(Host{Addr: a})
	}
	return out
}

func (n *Node) introWaiter(a netip.AddrPort) *introWaiter {
	n.mu.Lock()
	defer n.mu.Unlock()
	w, ok := n.introWait[a]
	if !ok {
		w = &introWaiter{done: make(chan struct{})}
		n.introWait[a] = w
	}
	w.users++
	return w
}

func (n *Node) dropIntroWaiter(a netip.AddrPort, w *introWaiter) {
	n.mu.Lock()
	defer n.mu.Unlock()
	w.users--
	if w.users == 0 && n.introWait[a] == w {
		delete(n.introWait, a)
	}
}

// introduced wakes the Introduce calls waiting for an entry packet from a.
func (n *Node) introduced(a netip.AddrPort) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if w, ok := n.introWait[a]; ok {
		close(w.done)
		delete(n.introWait, a)
	}
}
