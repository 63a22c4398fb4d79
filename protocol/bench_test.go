package protocol

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"hato/protocol/wire"
)

// BenchmarkRoundTrip measures SENDMSG → RECVMSG on loopback between two real nodes.
func BenchmarkRoundTrip(b *testing.B) {
	port := testPortB(b)
	a := benchNode(b, "127.0.0.2", port, "127.0.0.3")
	peer := benchNode(b, "127.0.0.3", port, "127.0.0.2")
	_ = peer
	to := []Host{{Addr: addr("127.0.0.3", port)}}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		_, res, err := a.Send(context.Background(), to, "ping", SendOptions{})
		if err != nil || res[0].Err != nil {
			b.Fatalf("send: %v %v", err, res)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkDiscovery1000 starts a node whose destination list covers 1,000 simulated peers (one UDP
// socket each on 127.1.x.y). Each peer answers the node's BR_ENTRY with an ANSENTRY, after a random 0-1 s
// delay as Windows peers do, or all at once (a burst that tests the receive path). It reports how many
// peers the node listed and how long that took.
func BenchmarkDiscovery1000(b *testing.B) {
	b.Run("windows-delay", func(b *testing.B) { benchDiscovery(b, time.Second) })
	b.Run("burst", func(b *testing.B) { benchDiscovery(b, 0) })
}

func benchDiscovery(b *testing.B, maxDelay time.Duration) {
	const peers = 1000
	port := testPortB(b)
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		conns := make([]*net.UDPConn, 0, peers)
		for i := range peers {
			ip := netip.AddrFrom4([4]byte{127, 1, byte((i + 1) / 256), byte((i + 1) % 256)})
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
			if err != nil {
				b.Fatalf("peer %d: %v", i, err)
			}
			conns = append(conns, c)
			wg.Go(func() { simulatedPeer(ctx, c, i, maxDelay) })
		}
		cfg := DefaultConfig()
		cfg.Port, cfg.BindAddr, cfg.NoBroadcast, cfg.EntryRepeat = port, "127.0.0.2", true, 0
		cfg.Destinations = []string{"127.1.0.1-255", "127.1.1.0-255", "127.1.2.0-255", fmt.Sprintf("127.1.3.0-%d", peers%256)}
		n, err := Listen(cfg)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		runCtx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); n.Run(runCtx, nil) }()
		var found int
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if found = len(n.Hosts()); found >= peers {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(start)
		stop()
		<-done
		cancel()
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
		b.ReportMetric(float64(found), "peers-found")
		b.ReportMetric(took.Seconds(), "converge-s")
		if found != peers {
			b.Errorf("found %d of %d peers", found, peers)
		}
	}
}

// simulatedPeer answers BR_ENTRY with ANSENTRY after a random delay below maxDelay.
func simulatedPeer(ctx context.Context, c *net.UDPConn, i int, maxDelay time.Duration) {
	buf := make([]byte, 2048)
	for {
		size, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		p, err := wire.Parse(buf[:size])
		if err != nil || p.Cmd.Mode() != wire.BrEntry {
			continue
		}
		user := fmt.Sprintf("peer%04d", i)
		ans := wire.Packet{No: 1, User: user, Host: "sim", Cmd: wire.AnsEntry | wire.CapUTF8Opt | wire.UTF8Opt,
			Msg: []byte(user), Extra: []byte("sim\x00")}
		var delay time.Duration
		if maxDelay > 0 {
			delay = rand.N(maxDelay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		c.WriteToUDPAddrPort(ans.Bytes(), from)
	}
}

func testPortB(b *testing.B) int {
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	return u.LocalAddr().(*net.UDPAddr).Port
}

func benchNode(b *testing.B, ip string, port int, dests ...string) *Node {
	cfg := DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast, cfg.EntryRepeat = port, ip, true, 0
	cfg.User, cfg.Host, cfg.Destinations = "u"+ip, "h"+ip, dests
	cfg.AnswerDelayMax = time.Millisecond
	n, err := Listen(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx, nil) }()
	b.Cleanup(func() { cancel(); <-done })
	return n
}
