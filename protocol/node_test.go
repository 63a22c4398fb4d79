package protocol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/internal/netlab"
	"hato/protocol/wire"
)

// testPort picks a free loopback port number for the test's nodes.
func testPort(t *testing.T) int {
	return netlab.FreePort(t)
}

// testNode is a running node with its event stream.
type testNode struct {
	*Node
	events chan Event
	stop   func() // ends Run and waits for it; also done at the test's end
	mu     sync.Mutex
	seen   []Event
}

func addr(ip string, port int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port))
}

// startNode runs a node on ip:port that announces itself only to dests (no broadcast on loopback).
func startNode(t *testing.T, ip string, port int, mutate func(*Config), dests ...string) *testNode {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast = port, ip, true
	cfg.User, cfg.Host, cfg.Nick = "u"+ip, "h"+ip, "n"+ip
	cfg.Destinations = dests
	cfg.AnswerDelayMax = 20 * time.Millisecond
	cfg.SendInterval, cfg.ReadInterval = 100*time.Millisecond, 100*time.Millisecond
	cfg.EntryRepeat = 0
	cfg.IntroduceWait = 500 * time.Millisecond // nodes answer within AnswerDelayMax
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := Listen(cfg)
	if err != nil {
		t.Fatalf("listen %s:%d: %v", ip, port, err)
	}
	tn := &testNode{Node: n, events: make(chan Event, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx, tn.events); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	tn.stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(tn.stop)
	return tn
}

// waitEvent returns the first event (seen before or arriving within 5 s) that matches.
func (tn *testNode) waitEvent(t *testing.T, what string, match func(Event) bool) Event {
	t.Helper()
	tn.mu.Lock()
	for _, ev := range tn.seen {
		if match(ev) {
			tn.mu.Unlock()
			return ev
		}
	}
	tn.mu.Unlock()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-tn.events:
			tn.mu.Lock()
			tn.seen = append(tn.seen, ev)
			tn.mu.Unlock()
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("%s: no %s within 5 s; saw %v", tn.addr, what, tn.kinds())
		}
	}
}

// drain collects events arriving within d without waiting for any.
func (tn *testNode) drain(d time.Duration) []Event {
	deadline := time.After(d)
	for {
		select {
		case ev := <-tn.events:
			tn.mu.Lock()
			tn.seen = append(tn.seen, ev)
			tn.mu.Unlock()
		case <-deadline:
			tn.mu.Lock()
			defer tn.mu.Unlock()
			return append([]Event(nil), tn.seen...)
		}
	}
}

func (tn *testNode) kinds() []string {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	var out []string
	for _, ev := range tn.seen {
		out = append(out, string(ev.Kind))
	}
	return out
}

func joined(user string) func(Event) bool {
	return func(ev Event) bool { return ev.Kind == EventHostJoined && ev.Host.User == user }
}

func TestDiscoveryAndExit(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, func(c *Config) { c.Nick, c.Group = "鳩ハト", "開発部" },
		"127.0.0.3", "127.0.0.4")
	b := startNode(t, "127.0.0.3", port, func(c *Config) { c.Nick, c.Group, c.Codepage = "中文昵称", "测试组", wire.GBK },
		"127.0.0.2", "127.0.0.4")
	cctx, stopC := context.WithCancel(context.Background())
	cfg := DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast, cfg.EntryRepeat = port, "127.0.0.4", true, 0
	cfg.User, cfg.Host, cfg.Nick, cfg.Group = "carol", "pc-c", "Carol", "QA"
	cfg.Destinations = []string{"127.0.0.2", "127.0.0.3"}
	c, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cdone := make(chan struct{})
	go func() { defer close(cdone); c.Run(cctx, nil) }()

	ev := a.waitEvent(t, "host-joined carol", joined("carol"))
	if ev.Host.Nick != "Carol" || ev.Host.Group != "QA" || ev.Host.Addr != addr("127.0.0.4", port) {
		t.Errorf("a sees carol as %+v", ev.Host)
	}
	ev = a.waitEvent(t, "host-joined b", joined("u127.0.0.3"))
	if ev.Host.Nick != "中文昵称" || ev.Host.Group != "测试组" {
		t.Errorf("a sees b as nick %q group %q", ev.Host.Nick, ev.Host.Group)
	}
	ev = b.waitEvent(t, "host-joined a", joined("u127.0.0.2"))
	if ev.Host.Nick != "鳩ハト" || ev.Host.Group != "開発部" || !ev.Host.Caps.Has(wire.CapUTF8Opt) {
		t.Errorf("b sees a as %+v", ev.Host)
	}

	stopC()
	<-cdone
	ev = a.waitEvent(t, "host-left carol", func(ev Event) bool { return ev.Kind == EventHostLeft && ev.Host.User == "carol" })
	for _, h := range a.Hosts() {
		if h.User == "carol" {
			t.Errorf("carol still listed after BR_EXIT: %+v", h)
		}
	}
	b.waitEvent(t, "host-left carol", func(ev Event) bool { return ev.Kind == EventHostLeft && ev.Host.User == "carol" })
}

func TestSendMulticastAndAck(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, nil, "127.0.0.3", "127.0.0.4")
	b := startNode(t, "127.0.0.3", port, nil, "127.0.0.2")
	c := startNode(t, "127.0.0.4", port, func(c *Config) { c.Codepage = wire.CP932 }, "127.0.0.2")
	a.waitEvent(t, "b", joined("u127.0.0.3"))
	a.waitEvent(t, "c", joined("u127.0.0.4"))

	text := "こんにちは 你好 ~〜− a:b:c"
	no, res, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}, {Addr: addr("127.0.0.4", port)}}, text, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res {
		if d.Err != nil {
			t.Errorf("delivery to %s: %v", d.Host.Addr, d.Err)
		}
	}
	for _, rx := range []*testNode{b, c} {
		ev := rx.waitEvent(t, "message", func(ev Event) bool { return ev.Kind == EventMessage })
		m := ev.Message
		if m.Text != text || m.Packet != no || !m.Multicast || m.Sealed || m.From.User != "u127.0.0.2" {
			t.Errorf("%s got %+v (want text %q packet %d multicast)", rx.addr, m, text, no)
		}
	}
	a.waitEvent(t, "delivered", func(ev Event) bool { return ev.Kind == EventDelivered && ev.Packet == no })
}

func TestUndeliveredAfterFourSends(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, nil)
	silent, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr("127.0.0.9", port)))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	got := make(chan wire.Packet, 16)
	go func() {
		buf := make([]byte, maxRecv)
		for {
			n, _, err := silent.ReadFromUDPAddrPort(buf)
			if err != nil {
				close(got)
				return
			}
			if p, err := wire.Parse(buf[:n]); err == nil && p.Cmd.Mode() == wire.SendMsg {
				got <- p
			}
		}
	}()
	_, res, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.9", port)}}, "anyone?", SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, ErrUndelivered) {
		t.Fatalf("delivery error = %v, want ErrUndelivered", res[0].Err)
	}
	time.Sleep(50 * time.Millisecond)
	silent.Close()
	var sends []wire.Packet
	for p := range got {
		sends = append(sends, p)
	}
	if len(sends) != 4 {
		t.Fatalf("SENDMSG sent %d times, want 4", len(sends))
	}
	for _, p := range sends {
		if p.No != sends[0].No || !p.Cmd.Has(wire.SendCheckOpt) {
			t.Errorf("resend %+v differs from the first (packet %d)", p, sends[0].No)
		}
	}
	a.waitEvent(t, "undelivered", func(ev Event) bool { return ev.Kind == EventUndelivered })
}

func TestSealedOpenReceipt(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, nil, "127.0.0.3")
	b := startNode(t, "127.0.0.3", port, nil, "127.0.0.2")
	a.waitEvent(t, "b", joined("u127.0.0.3"))
	no, res, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, "secret", SendOptions{Sealed: true})
	if err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %v", err, res)
	}
	m := b.waitEvent(t, "sealed message", func(ev Event) bool { return ev.Kind == EventMessage }).Message
	if !m.Sealed || !m.Cmd.Has(wire.ReadCheckOpt) {
		t.Fatalf("message not sealed: %v", m.Cmd)
	}
	if err := b.Open(context.Background(), m); err != nil {
		t.Fatalf("open: %v", err)
	}
	ev := a.waitEvent(t, "opened", func(ev Event) bool { return ev.Kind == EventOpened })
	if ev.Packet != no || ev.Host.User != "u127.0.0.3" {
		t.Errorf("opened event %+v, want packet %d from b", ev, no)
	}

	no2, _, _ := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, "secret 2", SendOptions{Sealed: true})
	m2 := b.waitEvent(t, "second sealed", func(ev Event) bool { return ev.Kind == EventMessage && ev.Message.Packet == no2 }).Message
	if err := b.Discard(m2); err != nil {
		t.Fatal(err)
	}
	a.waitEvent(t, "discarded", func(ev Event) bool { return ev.Kind == EventDiscarded && ev.Packet == no2 })
}

func TestAbsenceAutoReplyOncePerSender(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, nil, "127.0.0.3")
	b := startNode(t, "127.0.0.3", port, func(c *Config) { c.Absent, c.AbsenceText = true, "外出中です" }, "127.0.0.2")
	ev := a.waitEvent(t, "b", joined("u127.0.0.3"))
	if !ev.Host.Absent {
		t.Errorf("absent host shown present: %+v", ev.Host)
	}
	for i := range 2 {
		if _, res, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, fmt.Sprint("hi ", i), SendOptions{}); err != nil || res[0].Err != nil {
			t.Fatalf("send: %v %v", err, res)
		}
	}
	a.waitEvent(t, "auto-reply", func(ev Event) bool { return ev.Kind == EventMessage && ev.Message.AutoReply })
	replies := 0
	for _, ev := range a.drain(500 * time.Millisecond) {
		if ev.Kind == EventMessage {
			replies++
			if ev.Message.Text != "外出中です" || !ev.Message.AutoReply {
				t.Errorf("auto-reply %+v", ev.Message)
			}
		}
	}
	if replies != 1 {
		t.Errorf("%d auto-replies for two messages, want 1", replies)
	}
	b.drain(100 * time.Millisecond)
	b.SetPresence(Presence{Nick: "back"})
	a.waitEvent(t, "presence update", func(ev Event) bool {
		return ev.Kind == EventHostUpdated && ev.Host.Nick == "back" && !ev.Host.Absent
	})
}

func TestHostListExchange(t *testing.T) {
	port := testPort(t)
	// a knows b and c; d only knows a's address and asks a for its list.
	a := startNode(t, "127.0.0.2", port, nil, "127.0.0.3", "127.0.0.4")
	startNode(t, "127.0.0.3", port, func(c *Config) { c.Nick = "ビー" }, "127.0.0.2")
	startNode(t, "127.0.0.4", port, nil, "127.0.0.2")
	a.waitEvent(t, "b", joined("u127.0.0.3"))
	a.waitEvent(t, "c", joined("u127.0.0.4"))
	a.Node.mu.Lock()
	a.start = time.Now().Add(-time.Minute) // answer list requests at once
	a.Node.mu.Unlock()
	d := startNode(t, "127.0.0.5", port, nil, "127.0.0.2")
	d.waitEvent(t, "a", joined("u127.0.0.2"))
	if err := d.RequestHostList(); err != nil {
		t.Fatal(err)
	}
	d.waitEvent(t, "list done", func(ev Event) bool { return ev.Kind == EventListReceived })
	ev := d.waitEvent(t, "b via list", joined("u127.0.0.3"))
	if ev.Host.Nick != "ビー" || ev.Host.Addr != addr("127.0.0.3", port) {
		t.Errorf("b from list: %+v", ev.Host)
	}
	d.waitEvent(t, "c via list", joined("u127.0.0.4"))
}

func TestMessageTooLong(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, nil)
	_, _, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, strings.Repeat("x", 33*1024), SendOptions{})
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("33 KB message: err = %v, want ErrTooLong", err)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	port := testPort(t)
	for range 3 {
		cfg := DefaultConfig()
		cfg.Port, cfg.BindAddr, cfg.NoBroadcast = port, "127.0.0.2", true
		cfg.Destinations = []string{"127.0.0.3"}
		n, err := Listen(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); n.Run(ctx, make(chan Event)) }() // nobody reads events
		time.Sleep(50 * time.Millisecond)
		cancel()
		<-done
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after close, %d before:\n%s", g, before, buf[:runtime.Stack(buf, true)])
	}
}

// Config copies the settings SetPresence and SetKeys change: under -race, an unlocked copy fails here.
func TestConfigWhileSetPresence(t *testing.T) {
	n := startNode(t, "127.0.0.2", testPort(t), nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			n.SetPresence(Presence{Nick: fmt.Sprint("nick ", i), Absent: i%2 == 0})
		}
	}()
	for range 200 {
		n.Config()
	}
	<-done
	n.SetKeys(testKeys(t, 0))
	if c := n.Config(); c.Nick != "nick 199" || c.Absent || c.Keys != testKeys(t, 0) {
		t.Errorf("Config() after SetPresence and SetKeys: nick %q absent %v keys %p", c.Nick, c.Absent, c.Keys)
	}
	if c := n.Config(); c.IntroduceWait != 500*time.Millisecond {
		t.Errorf("IntroduceWait %v", c.IntroduceWait)
	}
}

// IntroduceWait: 0 in a Config literal means the default, a negative value stays (no wait).
func TestIntroduceWaitDefault(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{0: 2 * time.Second, -1: -1, time.Second: time.Second} {
		n, err := Listen(Config{BindAddr: "127.0.0.2", IntroduceWait: in})
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Config().IntroduceWait; got != want {
			t.Errorf("IntroduceWait %v became %v, want %v", in, got, want)
		}
		n.udp.Close()
		n.tcp.Close()
	}
	if DefaultConfig().IntroduceWait != 2*time.Second {
		t.Errorf("DefaultConfig().IntroduceWait = %v", DefaultConfig().IntroduceWait)
	}
}
