//go:build linux

package protocol

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"hato/internal/netlab"
	"hato/protocol/wire"
)

// Sizes of the simulated site: WIN's largest documented deployments, the 10,000 on 100 subnets.
const (
	benchSubnets    = 100
	benchPerSubnet  = 100
	benchIngestStep = 128 // polls sent before waiting for the master to take them (a socket buffer's worth)
)

// benchMember is a simulated member: a socket on its own loopback address, and its signed poll.
type benchMember struct {
	conn *net.UDPConn
	poll []byte
}

// newBenchMember binds ip:port and signs a DIR_POLL naming subnet seg, as member user@host.
func newBenchMember(tb testing.TB, ip netip.Addr, port int, seg netip.Prefix, user string, key *rsa.PrivateKey, no uint32) benchMember {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
	if err != nil {
		tb.Fatal(err)
	}
	var d wire.Dict
	d.SetInt(dkVer, dirVersion)
	d.SetInt(dkPkt, int64(no))
	d.SetInt(dkDate, time.Now().Unix())
	d.SetStr(dkUID, user)
	d.SetStr(dkHID, "pc-"+user)
	d.SetInt(dkCmd, int64(wire.DirPoll))
	d.SetInt(dkFlg, 0)
	d.SetStr(dkCVer, "00010002:4:99:3")
	d.SetStr(dkGrp, fmt.Sprintf("floor %d", seg.Addr().As4()[2]))
	d.SetStr(dkNick, "Member "+user)
	d.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt|wire.FileAttachOpt))
	d.SetDictList(dkNAdrs, dirNetworks([]netip.Prefix{seg}))
	if err := signDict(&d, key, 0x65920006); err != nil {
		tb.Fatal(err)
	}
	return benchMember{conn: c, poll: wire.AppendIPDict(nil, d)}
}

// masterHostCount is the size of the master's table, without Hosts' sorting.
func masterHostCount(n *Node) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hosts.len()
}

// BenchmarkMaster10k runs a master with 10,000 members on 100 subnets, every member a socket of its own on
// 127.10.<subnet>.<host>. Reported: how fast the master takes the members' first polls (polls/s), the
// heap they cost it (MB, B/member), how many agents one change is pushed to and the datagrams that
// takes (agents, push-datagrams), and, as the time of one operation, how long a member joining the full
// site waits for the whole list (BR_ENTRY, then its first poll, until every chunk arrived).
func BenchmarkMaster10k(b *testing.B) {
	key := testKeys(b, 6).RSA2048
	port := netlab.FreePort(b)
	cfg := DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast = port, "127.0.0.2", true
	cfg.User, cfg.Host, cfg.Keys, cfg.BeMaster = "master", "srv", testKeys(b, 5), true
	master, err := Listen(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); master.Run(ctx, nil) }()
	defer func() { cancel(); <-done }()
	<-master.Ready()

	// Members, their polls signed on every core.
	members := make([]benchMember, benchSubnets*benchPerSubnet)
	var wg sync.WaitGroup
	work := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range work {
				s, h := i/benchPerSubnet, i%benchPerSubnet
				ip := netip.AddrFrom4([4]byte{127, 10, byte(s), byte(h + 2)})
				seg := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 10, byte(s), 0}), 24)
				members[i] = newBenchMember(b, ip, port, seg, fmt.Sprintf("m%d-%d", s, h), key, uint32(1000+i))
			}
		})
	}
	for i := range members {
		work <- i
	}
	close(work)
	wg.Wait()
	defer func() {
		for _, m := range members {
			m.conn.Close()
		}
	}()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	to := net.UDPAddrFromAddrPort(master.Addr())
	start := time.Now()
	for i := 0; i < len(members); i += benchIngestStep {
		end := min(i+benchIngestStep, len(members))
		for _, m := range members[i:end] {
			m.conn.WriteToUDP(m.poll, to)
		}
		for deadline := time.Now().Add(5 * time.Second); masterHostCount(master) < end; time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatalf("the master took %d of %d polls", masterHostCount(master), end)
			}
		}
	}
	ingest := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(int64(after.HeapAlloc) - int64(before.HeapAlloc))

	// One change, pushed at the next tick: to how many agents, in how many datagrams.
	time.Sleep(2 * dirTick) // the ingest's own pushes are done
	master.master.mu.Lock()
	agents, direct := master.master.planPush(time.Now())
	master.master.mu.Unlock()

	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ip := netip.AddrFrom4([4]byte{127, 11, byte(i / 200), byte(i%200 + 2)})
		j := newBenchMember(b, ip, port, netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 11, byte(i / 200), 0}), 24),
			fmt.Sprintf("joiner%d", i), key, uint32(900000+i))
		j.conn.SetReadBuffer(4 << 20)
		entry := wire.Packet{No: uint32(800000 + i), User: fmt.Sprintf("joiner%d", i), Host: fmt.Sprintf("pc-joiner%d", i),
			Cmd: wire.BrEntry | wire.CapUTF8Opt | wire.EncryptOpt}
		j.conn.WriteToUDP(entry.Bytes(), to)
		time.Sleep(50 * time.Millisecond) // our ANSENTRY is committed at once (its delay is only its sending)
		b.StartTimer()
		j.conn.WriteToUDP(j.poll, to)
		rows, total := 0, -1
		buf := make([]byte, maxRecv)
		j.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		for rows != total {
			k, err := j.conn.Read(buf)
			if err != nil {
				b.Fatalf("joiner %d: %d of %d rows: %v", i, rows, total, err)
			}
			d, err := wire.ParseIPDict(buf[:k])
			if err != nil {
				continue // ANSENTRY, BR_ENTRY probes
			}
			if c, _ := d.Int(dkCmd); wire.Command(c) != wire.AnsListDict {
				continue
			}
			num, _ := d.Int(dkNum)
			tot, _ := d.Int(dkTotal)
			rows, total = rows+int(num), int(tot)
		}
		b.StopTimer()
		j.conn.Close()
	}
	b.ReportMetric(float64(len(members))/ingest.Seconds(), "polls/s")
	b.ReportMetric(heap/(1<<20), "heap-MB")
	b.ReportMetric(heap/float64(len(members)), "B/member")
	b.ReportMetric(float64(len(agents)), "agents")
	b.ReportMetric(float64(len(agents)+len(direct)), "push-datagrams")
}
