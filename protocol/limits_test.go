package protocol

import (
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"hato/protocol/wire"
)

func TestLRU(t *testing.T) {
	l := newLRU[int, string](3)
	var evicted []int
	l.evicted = func(k int, _ string) { evicted = append(evicted, k) }
	for i := range 3 {
		l.put(i, strconv.Itoa(i))
	}
	l.get(0) // 1 is now the least recently used
	l.put(3, "3")
	if _, ok := l.peek(1); ok || len(evicted) != 1 || evicted[0] != 1 || l.len() != 3 {
		t.Errorf("after a 4th key: evicted %v, len %d", evicted, l.len())
	}
	l.remove(0)
	l.put(4, "4")
	if len(evicted) != 1 || l.len() != 3 {
		t.Errorf("remove frees a place without evicting: evicted %v, len %d", evicted, l.len())
	}
}

func TestBucket(t *testing.T) {
	var b bucket
	now := time.Now()
	for i := range 3 {
		if !b.take(now, 1, 3, 1) {
			t.Fatalf("token %d of a burst of 3 refused", i)
		}
	}
	if b.take(now, 1, 3, 1) {
		t.Error("a fourth token at once")
	}
	if !b.take(now.Add(1100*time.Millisecond), 1, 3, 1) {
		t.Error("no token a second later")
	}
}

// Repeats are found per source address; a message's state comes back with its repeats; forget and
// BR_EXIT make a packet new again; a flood of other packets does not push messages out.
func TestDedup(t *testing.T) {
	d := newDedup()
	now := time.Now()
	a, b := addr("192.0.2.1", 2425), addr("192.0.2.2", 2425)
	msg := wire.Packet{No: 7, User: "taro", Host: "PC01", Cmd: wire.SendMsg}
	if _, repeat := d.see(dedupKeyOf(a, msg), now); repeat {
		t.Fatal("first copy taken for a repeat")
	}
	if _, repeat := d.see(dedupKeyOf(b, msg), now); repeat {
		t.Error("the same packet from another address taken for a repeat")
	}
	if st, repeat := d.see(dedupKeyOf(a, msg), now); !repeat || st != seenHandling {
		t.Errorf("repeat: %v %v", st, repeat)
	}
	d.set(dedupKeyOf(a, msg), seenShown)
	if st, _ := d.see(dedupKeyOf(a, msg), now); st != seenShown {
		t.Errorf("state %v, want shown", st)
	}
	d.forget(dedupKeyOf(b, msg))
	if _, repeat := d.see(dedupKeyOf(b, msg), now); repeat {
		t.Error("a forgotten packet taken for a repeat")
	}
	d.exit(a)
	if _, repeat := d.see(dedupKeyOf(a, msg), now); repeat {
		t.Error("a packet from before the sender's BR_EXIT taken for a repeat")
	}
	for i := range 3 * maxDedupOther {
		d.see(dedupKeyOf(a, wire.Packet{No: uint32(1000 + i), User: "x", Host: "y", Cmd: wire.BrEntry}), now)
	}
	if _, repeat := d.see(dedupKeyOf(b, msg), now); !repeat {
		t.Error("a flood of entries pushed a message out")
	}
	if d.len() > maxDedup+maxDedupOther {
		t.Errorf("%d remembered", d.len())
	}
	if _, repeat := d.see(dedupKeyOf(b, msg), now.Add(dedupWindow+time.Second)); repeat {
		t.Error("remembered beyond the window")
	}
}

// Unknown sources get no more bytes than they sent, after a first-contact allowance; known ones get
// what an answer carries beyond the request out of a budget.
func TestAnswerGate(t *testing.T) {
	g := newAnswerGate()
	ip := netip.MustParseAddr("192.0.2.9")
	now := time.Now()
	g.received(ip, 20)
	if !g.allow(ip, false, 20, 120, now) {
		t.Fatal("first contact refused")
	}
	sent := 120
	for i := range 200 {
		g.received(ip, 20)
		if g.allow(ip, false, 20, 120, now) {
			sent += 120
		}
		if in := 20 * (i + 2); sent > in+unknownAllowance {
			t.Fatalf("after %d bytes in, %d out", in, sent)
		}
	}
	if in := 20 * 201; sent > in {
		t.Errorf("%d bytes out for %d in", sent, in)
	}
	if g.allow(ip, false, 20, smallPacket+1, now) {
		t.Error("a large answer to an unknown source")
	}
	known := netip.MustParseAddr("192.0.2.10")
	got := 0
	for g.allow(known, true, 20, 32<<10, now) {
		got += 32 << 10
	}
	if got < knownExcessBurst/2 || got > knownExcessBurst {
		t.Errorf("a known source got %d bytes of large answers at once, budget %d", got, knownExcessBurst)
	}
	if !g.allow(known, true, 100, 50, now) {
		t.Error("an answer smaller than its request refused")
	}
}

// A full host table drops the host heard least recently; a host that keeps talking stays; one IP
// cannot hold more than maxHostsPerIP hosts. Every host dropped is reported as left.
func TestHostTableEviction(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.MaxHosts = 50 })
	go func() {
		for range n.events {
		}
	}()
	live := newRawPeer(t, "127.0.0.3", port, n.addr)
	live.send(t, "1:1:live:PC01:1:Live\x00\x00")
	live.expect(t, wire.AnsEntry, 2*time.Second)
	for i := range 200 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 5, 0, byte(i + 1)}), 2425)
		p := wire.Packet{No: uint32(i + 1), User: fmt.Sprint("f", i), Host: "pc", Cmd: wire.BrEntry, Msg: []byte("F")}
		n.handle(src, p, 20)
		if i%20 == 0 {
			live.send(t, fmt.Sprintf("1:%d:live:PC01:64:\x00", 100+i)) // keeps talking
			live.expect(t, wire.SendInfo, time.Second)
		}
	}
	for i := range 40 { // 40 ports of one IP
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 6, 0, 1}), uint16(3000+i))
		p := wire.Packet{No: uint32(i + 1), User: fmt.Sprint("p", i), Host: "pc", Cmd: wire.BrEntry, Msg: []byte("P")}
		n.handle(src, p, 20)
	}
	live.send(t, "1:999:live:PC01:64:\x00")
	live.expect(t, wire.SendInfo, time.Second)
	hosts := n.Hosts()
	sameIP := 0
	liveListed := false
	for _, h := range hosts {
		if h.Addr.Addr() == netip.AddrFrom4([4]byte{127, 6, 0, 1}) {
			sameIP++
		}
		liveListed = liveListed || h.User == "live"
	}
	if len(hosts) > 50 || !liveListed || sameIP > maxHostsPerIP {
		t.Errorf("%d hosts (cap 50), live listed %v, %d on one IP (cap %d)", len(hosts), liveListed, sameIP, maxHostsPerIP)
	}
}

// A host list of several pages, with holes where hosts left: paging from each page's "next" position
// gives every listed host exactly once.
func TestHostListPaging(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	go func() {
		for range n.events {
		}
	}()
	src := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 7, byte(i / 250), byte(i%250 + 1)}), uint16(port))
	}
	for i := range 2000 {
		p := wire.Packet{No: uint32(i + 1), User: fmt.Sprintf("paged-user-with-a-long-name-%04d", i), Host: "pc",
			Cmd: wire.AnsEntry | wire.CapUTF8Opt, Msg: []byte("Nick"), Extra: []byte("Group\x00")}
		n.handle(src(i), p, 40)
	}
	for i := 0; i < 2000; i += 7 {
		n.handle(src(i), wire.Packet{No: 9000, User: "x", Host: "pc", Cmd: wire.BrExit}, 20)
	}
	want := map[string]bool{}
	for _, h := range n.Hosts() {
		want[h.User] = true
	}
	req := newRawPeer(t, "127.0.0.3", port, n.addr)
	req.send(t, "1:1:req:PC01:"+strconv.Itoa(int(wire.BrEntry|wire.CapUTF8Opt))+":Req\x00\x00")
	req.expect(t, wire.AnsEntry, 2*time.Second)
	delete(want, "req")
	got := map[string]int{}
	next, pages := 0, 0
	for {
		req.send(t, fmt.Sprintf("1:%d:req:PC01:%d:%d\x00", 10+pages, wire.GetList|wire.CapUTF8Opt, next))
		p, _ := req.expect(t, wire.AnsList, 2*time.Second)
		pages++
		var rows []wire.ListEntry
		var err error
		next, rows, err = wire.ParseAnsList(p.Msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got[r.User]++
		}
		if next == 0 || pages > 20 {
			break
		}
	}
	for u := range want {
		if got[u] != 1 {
			t.Errorf("%s listed %d times", u, got[u])
		}
	}
	if len(got) != len(want) || pages < 2 {
		t.Errorf("%d hosts in %d pages, want %d in several", len(got), pages, len(want))
	}
}
