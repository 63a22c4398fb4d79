package protocol

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// The master's side of the agents' sweeps (docs/member-master.md §2.5, "Requests"; the agent's side is
// diragent.go). Once per DirSpan each foreign segment's first agent is sent DIR_BROADCAST (sweep, and
// report), the others DIR_POLLAGENT (report events), over TCP, with a window (AGS) of DirSpan + 10 s.
// An agent that does not take the order (no clean close within 3 s) is dropped, and picked again only
// after its next poll. The agents' reports, DIR_ANSBROAD and DIR_EVBROAD, are taken from current agents
// only, signed by the key they poll with, and only for hosts of the agent's own segment: the hosts
// become hearsay in the site's list, kept fresh by each sweep and dropped when it stops naming them.

// orderTimeout is how long an agent has to take an order (WIN's CleanupDirTcp: 3 s without activity).
const orderTimeout = 3 * time.Second

// agentOrder is one DIR_BROADCAST or DIR_POLLAGENT to send.
type agentOrder struct {
	k     hostKey
	to    netip.AddrPort
	seg   netip.Prefix
	sweep bool
}

// orderSweeps sends the orders that are due: every DirSpan per segment, at once for a segment that just
// got its agents.
func (n *Node) orderSweeps(now time.Time, key *rsa.PrivateKey) {
	m := n.master
	var orders []agentOrder
	m.mu.Lock()
	m.planPush(now) // agents as they stand now
	for seg, agents := range m.agents {
		if len(agents) == 0 || now.Sub(m.swept[seg]) < m.span {
			continue
		}
		m.swept[seg] = now
		for i, k := range agents {
			orders = append(orders, agentOrder{k: k, to: m.pollers[k].addr, seg: seg, sweep: i == 0})
		}
	}
	for seg := range m.swept {
		if _, ok := m.agents[seg]; !ok {
			delete(m.swept, seg)
		}
	}
	m.mu.Unlock()
	ctx := n.runContext()
	for _, o := range orders {
		n.wg.Go(func() {
			if err := n.sendOrder(ctx, o, key); err != nil {
				n.log.Debug("master: agent dropped", "agent", o.to, "network", o.seg, "err", err)
				m.dropAgent(o)
			}
		})
	}
}

// sendOrder writes one order over TCP and waits for the agent to close the connection cleanly.
func (n *Node) sendOrder(ctx context.Context, o agentOrder, key *rsa.PrivateKey) error {
	cmd := wire.DirPollAgent
	if o.sweep {
		cmd = wire.DirBroadcast
	}
	d := n.dirHeaderDict(cmd)
	d.SetInt(dkAgs, int64((n.master.span+10*time.Second)/time.Second))
	d.SetStr(dkTAdr, o.to.Addr().String())
	if err := signDict(&d, key, crypt.Supported); err != nil {
		return err
	}
	dialer := net.Dialer{Timeout: orderTimeout}
	if ip := n.addr.Addr(); !ip.IsUnspecified() {
		dialer.LocalAddr = &net.TCPAddr{IP: ip.AsSlice()}
	}
	c, err := dialer.DialContext(ctx, "tcp4", o.to.String())
	if err != nil {
		return fmt.Errorf("%v: %w", cmd, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(orderTimeout))
	if _, err := c.Write(wire.AppendIPDict(nil, d)); err != nil {
		return fmt.Errorf("%v: %w", cmd, err)
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(c, 4096)); err != nil { // EOF, the agent's "taken"
		return fmt.Errorf("%v: %w", cmd, err)
	}
	return nil
}

// dropAgent takes an agent that failed an order off its segment until it polls again.
func (m *dirMaster) dropAgent(o agentOrder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agents[o.seg] = slices.DeleteFunc(m.agents[o.seg], func(k hostKey) bool { return k == o.k })
	if p := m.pollers[o.k]; p != nil {
		p.polled = time.Time{}
	}
	if o.sweep {
		delete(m.swept, o.seg) // the next agent sweeps at the next tick
	}
}

// onAgentReport takes DIR_ANSBROAD or DIR_EVBROAD from one of our agents.
func (n *Node) onAgentReport(from netip.AddrPort, h dirHeader, d *wire.Dict) (why string) {
	m := n.master
	var seg netip.Prefix
	var fp string
	m.mu.Lock()
	for s, agents := range m.agents {
		for _, k := range agents {
			if p := m.pollers[k]; p != nil && p.addr == from {
				seg, fp = s, p.fp
			}
		}
	}
	m.mu.Unlock()
	if fp == "" {
		return fmt.Sprintf("from %s, which is none of our agents", from)
	}
	pub, err := verifyDict(*d)
	if err != nil {
		return err.Error()
	}
	if got := crypt.Fingerprint(pub); got != fp {
		return fmt.Sprintf("signed by key %s, not %s as the agent's polls", got, fp)
	}
	list, err := d.DictList(dkHList)
	if err != nil {
		return err.Error()
	}
	rows := make([]dirRow, 0, len(list))
	outside := 0
	for i := range list {
		r, ok, err := readDirRow(&list[i])
		switch {
		case err != nil:
			return fmt.Sprintf("HLST entry %d: %v", i, err)
		case !ok:
		case !seg.Contains(r.host.Addr.Addr()):
			outside++
		default:
			rows = append(rows, r)
		}
	}
	now := time.Now()
	for _, r := range rows {
		r.host.Seen = now
		n.mergeHearsay(r.host, !r.active, h.no, "agent's report")
	}
	if outside > 0 {
		return fmt.Sprintf("%d of its hosts are outside the agent's network %s", outside, seg)
	}
	return ""
}
