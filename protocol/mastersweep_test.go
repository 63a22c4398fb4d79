package protocol

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"hato/protocol/wire"
)

// fakeAgent is a poller that also takes the master's TCP orders (or, with refuse, takes none).
type fakeAgent struct {
	*fakeMaster
	mu     sync.Mutex
	orders []wire.Dict
}

func newFakeAgent(t *testing.T, ip string, port int, master *testNode, refuse bool) *fakeAgent {
	t.Helper()
	a := &fakeAgent{}
	if !refuse {
		ln, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(addr(ip, port)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				c, err := ln.AcceptTCP()
				if err != nil {
					return
				}
				c.SetDeadline(time.Now().Add(3 * time.Second))
				var b []byte
				buf := make([]byte, 4096)
				for {
					total, _ := wire.IPDictLen(b)
					if total > 0 && len(b) >= total {
						break
					}
					k, err := c.Read(buf)
					if err != nil {
						break
					}
					b = append(b, buf[:k]...)
				}
				if d, err := wire.ParseIPDict(b); err == nil {
					a.mu.Lock()
					a.orders = append(a.orders, d)
					a.mu.Unlock()
				}
				c.Close()
			}
		}()
		t.Cleanup(func() { ln.Close(); <-done })
	}
	a.fakeMaster = fakePoller(t, ip, port, master)
	return a
}

func (a *fakeAgent) ordersSoFar() []wire.Dict {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.orders)
}

// waitOrder waits for the agent's first order.
func (a *fakeAgent) waitOrder(t *testing.T, within time.Duration) wire.Dict {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		if o := a.ordersSoFar(); len(o) > 0 {
			return o[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s: no order within %v", a.user, within)
		}
	}
}

// report sends the master a signed DIR_ANSBROAD or DIR_EVBROAD naming hosts.
func (a *fakeAgent) report(t *testing.T, to netip.AddrPort, cmd wire.Command, hosts ...listHost) {
	t.Helper()
	d := a.header(cmd)
	d.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt))
	list := make([]wire.Dict, len(hosts))
	for i, h := range hosts {
		list[i] = h.dict()
	}
	d.SetDictList(dkHList, list)
	a.send(t, to, a.sign(t, d, a.key))
}

// The master orders its agents over TCP: the first of a segment sweeps (DIR_BROADCAST), the other
// reports events (DIR_POLLAGENT), both with a window of DirSpan + 10 s and their own address. An agent
// that takes no order is dropped and another picked. Reports are taken from agents only, for hosts of
// their segment only; a host reported gone goes.
func TestMasterOrdersSweeps(t *testing.T) {
	port := testPort(t)
	master := startMaster(t, "127.0.0.2", port, 3*time.Second)
	spare := newFakeAgent(t, "127.0.0.6", port, master, false)
	time.Sleep(20 * time.Millisecond)
	dead := newFakeAgent(t, "127.0.0.7", port, master, true) // polls, takes no TCP
	time.Sleep(20 * time.Millisecond)
	sweeper := newFakeAgent(t, "127.0.0.8", port, master, false)

	order := sweeper.waitOrder(t, 5*time.Second)
	h, _ := readDirHeader(&order)
	ags, _ := order.Int(dkAgs)
	tadr, _ := order.Str(dkTAdr)
	if _, err := verifyDict(order); err != nil || h.cmd != wire.DirBroadcast || ags != 13 || tadr != "127.0.0.8" {
		t.Errorf("order %v AGS %d TADR %q (%v)", h.cmd, ags, tadr, err)
	}
	// .7 refused: the spare takes its place, with a DIR_POLLAGENT.
	if o := spare.waitOrder(t, 10*time.Second); func() bool { h, _ := readDirHeader(&o); return h.cmd != wire.DirPollAgent }() {
		t.Errorf("the spare agent's order: %v", o.Keys())
	}

	at := func(ip string) string { return fmt.Sprintf("%s:%d", ip, port) }
	inSeg := listHost{user: "iptux", host: "lab", nick: "Plain", ip: "127.0.0.50", port: port, active: true}
	outside := listHost{user: "far", host: "away", ip: "10.9.9.9", port: 2425, active: true}
	mark := master.mark()
	sweeper.report(t, master.Addr(), wire.DirAnsBroad, inSeg, outside)
	master.waitAfter(t, mark, "the host outside the segment refused", rejected("outside the agent's network 127.0.0.0/8"))
	master.waitEvent(t, "the swept host joined", joinedAt(at("127.0.0.50")))
	if slices.Contains(hostAddrs(master), "10.9.9.9:2425") {
		t.Error("a host outside the agent's segment was taken")
	}
	mark = master.mark()
	dead.report(t, master.Addr(), wire.DirEvBroad, listHost{user: "x", host: "y", ip: "127.0.0.51", port: port, active: true})
	master.waitAfter(t, mark, "a report from no agent refused", rejected("none of our agents"))

	inSeg.active = false
	sweeper.report(t, master.Addr(), wire.DirEvBroad, inSeg)
	master.waitEvent(t, "the swept host left", func(ev Event) bool {
		return ev.Kind == EventHostLeft && ev.Host.Addr.String() == at("127.0.0.50")
	})
}
