package protocol

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// The agent's sweep (docs/member-master.md §2.4). A master orders a member it picked as agent over TCP,
// with one signed IPDict written at once and never half-closed: DIR_POLLAGENT opens a window of AGS
// seconds on the agent's network that holds TADR, DIR_BROADCAST does too and asks for a sweep. The agent
// reads the whole dict and closes cleanly: WIN's master takes that FIN for "accepted", a reset or
// silence for a failure. During the window the agent reports each BR_ENTRY, BR_EXIT and BR_ABSENCE it
// hears from a host of that network (DIR_EVBROAD). A sweep is a NOOPERATION and, 250 ms later, a
// BR_ENTRY marked DRB broadcast on that network; some 4-6 s later the agent sends the master the hosts
// of the network it heard from directly in the last 10 s (DIR_ANSBROAD). Every report is signed.

// Agent timings and bounds (WIN: DelayTime, IPMSG_BRDIR_TIMER, UpdateTime; the TCP cleanup's 3 s).
const (
	sweepEntryDelay = 250 * time.Millisecond
	sweepAnswerMin  = 4000 * time.Millisecond
	sweepAnswerMax  = 6047 * time.Millisecond
	sweepHeard      = 10 * time.Second
	dirTCPTimeout   = 3 * time.Second
	maxDirTCP       = 64 << 10
	maxAgentWindow  = time.Hour
)

// Event reports a second, and in a burst (each is an RSA signature).
const evReportRate, evReportBurst = 20, 50

// agentState is the window a master granted us (Node.mu).
type agentState struct {
	seg     netip.Prefix
	until   time.Time
	reports bucket
}

// Keys of the agent's packets.
const (
	dkAgs  = "AGS"  // int: DIR_BROADCAST/POLLAGENT, the window in seconds
	dkDrct = "DRCT" // int: DIR_EVBROAD, 1 when the host sent a BR_ENTRY itself
	dkDRB  = "DRB"  // int: IP: line of a sweep's BR_ENTRY, 1
	dkUPT  = "UPT"  // int: IP: line of a master's first BR_ENTRY, 0
)

// entryHints reads the IPDict of an entry packet's IP: line: DRB (an agent's sweep, which nobody
// reports) and UPT (a master that just started: its members poll at once).
func entryHints(ip []byte) (drb, upt bool) {
	if len(ip) == 0 {
		return false, false
	}
	d, err := wire.ParseIPDict(ip)
	if err != nil {
		return false, false
	}
	v, err := d.Int(dkDRB)
	drb = err == nil && v == 1
	_, err = d.Int(dkUPT)
	return drb, err == nil
}

// onDirTCP reads one IPDict a master sent over TCP (r has its first bytes), hands it to the directory
// dispatcher, and closes the connection cleanly.
func (n *Node) onDirTCP(c *net.TCPConn, r *bufio.Reader, from netip.AddrPort) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(dirTCPTimeout))
	var b []byte
	buf := make([]byte, 4096)
	for {
		total, err := wire.IPDictLen(b)
		switch {
		case err != nil:
			n.log.Debug("directory packet over TCP", "from", from, "err", err)
			return
		case total > maxDirTCP:
			n.log.Debug("directory packet over TCP: too long", "from", from, "bytes", total)
			return
		case total > 0 && len(b) >= total:
			n.onDirDatagram(from, b[:total])
			return
		}
		k, err := r.Read(buf)
		b = append(b, buf[:k]...)
		if err != nil && k == 0 {
			n.log.Debug("directory packet over TCP", "from", from, "bytes", len(b), "err", err)
			return
		}
	}
}

// onAgentOrder takes DIR_POLLAGENT or DIR_BROADCAST (sweep) from our master.
func (n *Node) onAgentOrder(from netip.AddrPort, h dirHeader, d *wire.Dict, sweep bool) (why string) {
	m := n.member
	if from.Addr() != m.master.Addr() { // over TCP, from another port
		return fmt.Sprintf("sent by %s, not by the master %s", from.Addr(), m.master.Addr())
	}
	return n.takeOnce(h, func() string {
		if why := n.checkMasterSigned(d, true, dirSender(from, h)); why != "" {
			return why
		}
		ags, err := d.Int(dkAgs)
		if err != nil {
			return err.Error()
		}
		tadr, err := d.Str(dkTAdr)
		if err != nil {
			return err.Error()
		}
		seg, ok := n.segmentOf(tadr)
		switch {
		case !ok:
			return fmt.Sprintf("TADR %q is on none of our networks", tadr)
		case seg.Contains(m.master.Addr()):
			return "" // the master hears that network itself (WIN's DirPollCore)
		}
		window := min(time.Duration(max(ags, 0))*time.Second, maxAgentWindow)
		n.mu.Lock()
		n.agent.seg, n.agent.until = seg, time.Now().Add(window)
		n.mu.Unlock()
		if ctx := n.runContext(); sweep && ctx != nil {
			n.wg.Go(func() { n.sweep(ctx, seg) })
		}
		return ""
	})
}

// sweep asks the network to announce itself and reports who did.
func (n *Node) sweep(ctx context.Context, seg netip.Prefix) {
	bc := netip.AddrPortFrom(broadcastAddr(seg), n.PeerPort())
	n.writeTo(n.packet(wire.UTF8, wire.NoOperation, nil, nil), bc)
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	if !wait(sweepEntryDelay) {
		return
	}
	var hint wire.Dict
	hint.SetInt(dkDRB, 1)
	hint.SetStr("SVADR", n.member.master.Addr().String())
	start := time.Now()
	n.entryMu.Lock()
	n.noteAsked(wire.BrEntry, bc)
	n.writeTo(n.entryPacketWith(wire.BrEntry, nil, wire.AppendIPDict(nil, hint)), bc)
	n.entryMu.Unlock()
	if !wait(sweepAnswerMin + rand.N(sweepAnswerMax-sweepAnswerMin)) {
		return
	}
	n.reportSweep(seg, start)
}

// reportSweep sends the master DIR_ANSBROAD: the hosts of seg heard from directly lately (an empty list
// when none: the master learns the sweep happened).
func (n *Node) reportSweep(seg netip.Prefix, since time.Time) {
	key := n.signingKey()
	if key == nil {
		return
	}
	var rows []wire.Dict
	n.mu.Lock()
	n.hosts.each(func(e *hostEntry) bool {
		if e.direct && listable(&e.Host) && seg.Contains(e.Addr.Addr()) && time.Since(e.heard) < sweepHeard &&
			e.Addr != n.member.master {
			rows = append(rows, dirEntry(e.copy(), true))
		}
		return true
	})
	n.mu.Unlock()
	chunks := chunkRows(rows)
	if len(chunks) == 0 {
		chunks = [][]wire.Dict{nil}
	}
	out := make([]wire.Dict, len(chunks))
	for i, c := range chunks {
		out[i] = n.dirHeaderDict(wire.DirAnsBroad)
		out[i].SetDictList(dkHList, c)
	}
	if err := signAll(out, key); err != nil {
		n.log.Warn("sweep not reported", "err", err)
		return
	}
	for _, d := range out {
		n.writeRaw(wire.AppendIPDict(nil, d), n.member.master)
	}
	n.log.Debug("sweep reported", "network", seg, "hosts", len(rows))
}

// agentHeard reports an entry packet or BR_EXIT from h to the master (DIR_EVBROAD) while we are an agent
// of h's network: not our own, nor the master's, nor a sweep's (DRB).
func (n *Node) agentHeard(h Host, mode wire.Command, drb bool) {
	m := n.member
	if m == nil || drb || h.Addr == m.master || n.self(h.Addr) || !listable(&h) {
		return
	}
	now := time.Now()
	n.mu.Lock()
	ok := now.Before(n.agent.until) && n.agent.seg.Contains(h.Addr.Addr()) &&
		n.agent.reports.take(now, evReportRate, evReportBurst, 1)
	n.mu.Unlock()
	if !ok {
		return
	}
	d := n.dirHeaderDict(wire.DirEvBroad)
	d.SetDictList(dkHList, []wire.Dict{dirEntry(h, mode != wire.BrExit)})
	if mode == wire.BrEntry {
		d.SetInt(dkDrct, 1)
	}
	n.wg.Go(func() {
		key := n.signingKey()
		if key == nil {
			return
		}
		if err := signDict(&d, key, crypt.Supported); err != nil {
			return
		}
		n.writeRaw(wire.AppendIPDict(nil, d), m.master)
	})
}
