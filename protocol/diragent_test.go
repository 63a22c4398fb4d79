package protocol

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"hato/protocol/wire"
)

// orderAgent writes a signed DIR_BROADCAST or DIR_POLLAGENT to to over TCP, as WIN's master does (one
// write, no half-close), and returns how the agent ended the connection: nil for a clean close.
func (m *fakeMaster) orderAgent(t *testing.T, to netip.AddrPort, cmd wire.Command, tadr string, key int) error {
	t.Helper()
	d := m.header(cmd)
	d.SetInt(dkAgs, 190)
	d.SetStr(dkTAdr, tadr)
	d = m.sign(t, d, testKeys(t, key).RSA2048)
	c, err := net.DialTCP("tcp4", &net.TCPAddr{IP: m.addr().Addr().AsSlice()}, net.TCPAddrFromAddrPort(to))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(wire.AppendIPDict(nil, d)); err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, c)
	return err
}

// dictsOf lists the IPDicts of mode cmd received so far.
func (m *fakeMaster) dictsOf(cmd wire.Command) []wire.Dict {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []wire.Dict
	for _, d := range m.dicts {
		if c, _ := d.Int(dkCmd); wire.Command(c) == cmd {
			out = append(out, d)
		}
	}
	return out
}

// waitDicts returns the IPDicts of mode cmd received so far, once there are at least count of them.
func (m *fakeMaster) waitDicts(t *testing.T, cmd wire.Command, count int, within time.Duration) []wire.Dict {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		if ds := m.dictsOf(cmd); len(ds) >= count {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %v within %v, want %d", m.user, len(m.dictsOf(cmd)), cmd, within, count)
		}
	}
}

// reportedHosts reads a report's HLST as "addr ACT".
func reportedHosts(t *testing.T, d wire.Dict) []string {
	t.Helper()
	list, err := d.DictList(dkHList)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range list {
		r, ok, err := readDirRow(&list[i])
		if err != nil || !ok {
			t.Fatalf("row %d: %v", i, err)
		}
		act := " gone"
		if r.active {
			act = " present"
		}
		out = append(out, r.host.Addr.String()+act)
	}
	return out
}

// An agent takes its master's TCP orders whole and closes cleanly (WIN's master counts that as taken),
// also when it refuses one. In its window it reports the entries and exits of its network's hosts
// (DIR_EVBROAD, signed, DRCT for a BR_ENTRY, not for a sweep's), and a sweep broadcasts NOOPERATION and
// a BR_ENTRY marked DRB, then reports the hosts it heard from (DIR_ANSBROAD).
func TestAgentSweepsAndReports(t *testing.T) {
	port := testPort(t)
	master := newFakeMaster(t, "127.0.0.9", port, testKeys(t, 5).RSA2048)
	keys := testKeys(t, 0)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = keys, master.addr(), time.Hour
	})
	me := n.Addr()

	// Orders over TCP: a clean close whether taken or not. The master is on our loopback network, so
	// it needs no agent there (WIN's rule): no window opens.
	if err := master.orderAgent(t, me, wire.DirPollAgent, "127.0.0.2", 5); err != nil {
		t.Errorf("DIR_POLLAGENT: the agent did not close cleanly: %v", err)
	}
	mark := n.mark()
	if err := master.orderAgent(t, me, wire.DirBroadcast, "127.0.0.2", 6); err != nil {
		t.Errorf("forged DIR_BROADCAST: the agent did not close cleanly: %v", err)
	}
	n.waitAfter(t, mark, "forged order rejected", rejected("signed by key"))
	n.Node.mu.Lock()
	open := n.agent.until.After(time.Now())
	n.Node.mu.Unlock()
	if open {
		t.Error("a window opened for the master's own network")
	}

	// A window on 127.0.0.0/8, as a master elsewhere would open it.
	seg := netip.MustParsePrefix("127.0.0.0/8")
	n.Node.mu.Lock()
	n.agent.seg, n.agent.until = seg, time.Now().Add(time.Minute)
	n.Node.mu.Unlock()
	peer := startNode(t, "127.0.0.5", port, nil, "127.0.0.2")
	ev := master.waitDicts(t, wire.DirEvBroad, 1, 5*time.Second)[0] // the peer's BR_ENTRY
	if pub, err := verifyDict(ev); err != nil || !pub.Equal(&keys.RSA2048.PublicKey) {
		t.Errorf("DIR_EVBROAD signature: %v", err)
	}
	if drct, _ := ev.Int(dkDrct); drct != 1 || !slices.Equal(reportedHosts(t, ev), []string{peer.Addr().String() + " present"}) {
		t.Errorf("DIR_EVBROAD: DRCT %d, hosts %v", drct, reportedHosts(t, ev))
	}

	// A sweep: on the network's broadcast address, NOOPERATION then BR_ENTRY with DRB.
	segment := udpAt(t, "127.255.255.255", port)
	peer.Announce() // heard lately when the sweep reports, however slow the machine
	go n.sweep(n.runContext(), seg)
	segment.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, maxRecv)
	var modes []wire.Command
	var drb bool
	for len(modes) < 2 {
		k, err := segment.Read(buf)
		if err != nil {
			t.Fatalf("sweep broadcasts %v: %v", modes, err)
		}
		p, err := wire.Parse(buf[:k])
		if err != nil {
			t.Fatal(err)
		}
		modes = append(modes, p.Cmd.Mode())
		if p.Cmd.Mode() == wire.BrEntry {
			drb, _ = entryHints(wire.ParseEntry(p).IP)
		}
	}
	if !slices.Equal(modes, []wire.Command{wire.NoOperation, wire.BrEntry}) || !drb {
		t.Errorf("sweep broadcast %v, DRB %v", modes, drb)
	}
	ans := master.waitDicts(t, wire.DirAnsBroad, 1, 8*time.Second)[0]
	if _, err := verifyDict(ans); err != nil || !slices.Equal(reportedHosts(t, ans), []string{peer.Addr().String() + " present"}) {
		t.Errorf("DIR_ANSBROAD %v (%v)", reportedHosts(t, ans), err)
	}

	// A sweep's BR_ENTRY from another agent is not reported; an exit is.
	other := newFakeMaster(t, "127.0.0.6", port, nil)
	var hint wire.Dict
	hint.SetInt(dkDRB, 1)
	msg, extra := wire.AppendEntry([]byte("o"), nil, wire.EntryText{User: "o", Host: "h6", IP: wire.AppendIPDict(nil, hint)})
	sweepEntry := wire.Packet{No: 7, User: "o", Host: "h6", Cmd: wire.BrEntry | wire.CapUTF8Opt, Msg: msg, Extra: extra}
	sendFrom(t, other.conn, me, sweepEntry.Bytes())
	n.waitEvent(t, "the other agent joined", joinedAt(fmt.Sprintf("127.0.0.6:%d", port)))
	before := len(master.dictsOf(wire.DirEvBroad))
	peer.stop()
	evs := master.waitDicts(t, wire.DirEvBroad, before+1, 5*time.Second) // its BR_EXIT
	last := evs[len(evs)-1]
	if !slices.Equal(reportedHosts(t, last), []string{peer.Addr().String() + " gone"}) || last.Has(dkDrct) {
		t.Errorf("DIR_EVBROAD for the BR_EXIT: %v, DRCT %v", reportedHosts(t, last), last.Has(dkDrct))
	}
	for _, e := range evs {
		if r := reportedHosts(t, e); slices.ContainsFunc(r, func(h string) bool { return strings.HasPrefix(h, "127.0.0.6:") }) {
			t.Errorf("a sweep's BR_ENTRY was reported: %v", r)
		}
	}
}
