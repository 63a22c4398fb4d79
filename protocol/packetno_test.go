package protocol

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"hato/protocol/wire"
)

// Numbering goes on after Config.LastPacketNo, even far ahead of the clock.
func TestPacketNoAfterLast(t *testing.T) {
	port := testPort(t)
	last := uint32(time.Now().Unix()) + 1_000_000
	peer := newRecorder(t, "127.0.0.3", port, addr("127.0.0.2", port), nil)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.LastPacketNo = last }, "127.0.0.3")
	peer.wait(t, wire.BrEntry, nil)
	got := peer.packets()
	if got[0].No != last+1 {
		t.Errorf("first packet %v numbered %d, want %d", got[0].Cmd, got[0].No, last+1)
	}
	if no := n.LastPacketNo(); no < got[len(got)-1].No {
		t.Errorf("LastPacketNo() = %d, below %d on the wire", no, got[len(got)-1].No)
	}
}

// reservations records Config.ReservePackets' calls.
type reservations struct {
	mu   sync.Mutex
	upTo []uint32
	err  error // what each call returns
}

func (r *reservations) reserve(upTo uint32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.upTo = append(r.upTo, upTo)
	return r.err
}

func (r *reservations) last() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.upTo) == 0 {
		return 0
	}
	return r.upTo[len(r.upTo)-1]
}

// Every number on the wire was reserved before it was sent: the peer compares each arriving datagram's
// number with the reservations made so far.
func TestReservePacketsBeforeUse(t *testing.T) {
	port := testPort(t)
	var res reservations
	var mu sync.Mutex
	var unreserved, nos []uint32
	peer := newRecorder(t, "127.0.0.3", port, addr("127.0.0.2", port), func(p wire.Packet) []string {
		mu.Lock()
		defer mu.Unlock()
		nos = append(nos, p.No)
		if p.No > res.last() {
			unreserved = append(unreserved, p.No)
		}
		return nil
	})
	start := uint32(time.Now().Unix())
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.LastPacketNo, c.ReservePackets = 1000, res.reserve }, "127.0.0.3")
	for range 200 {
		if err := n.Broadcast("x"); err != nil {
			t.Fatal(err)
		}
	}
	n.stop()
	peer.waitCount(t, wire.BrExit, 2) // the last two packets
	mu.Lock()
	defer mu.Unlock()
	if len(nos) < 200 || len(unreserved) > 0 {
		t.Errorf("%d packets, numbers used before their reservation: %v", len(nos), unreserved)
	}
	// Start-up packets go out while the loop runs: the order on the wire may differ, numbers may not repeat.
	slices.Sort(nos)
	if len(slices.Compact(slices.Clone(nos))) != len(nos) {
		t.Errorf("numbers repeat: %v", nos)
	}
	// One reservation per block: three or four for 200-odd numbers, each beyond the last.
	if len(res.upTo) < 3 || len(res.upTo) > 5 || !slices.IsSorted(res.upTo) || res.upTo[0] < start {
		t.Errorf("reservations %v for numbers %d..%d", res.upTo, nos[0], nos[len(nos)-1])
	}
}

// A failed reservation is logged; the node goes on numbering and sending, and tries again a block later.
func TestReservePacketsFailure(t *testing.T) {
	port := testPort(t)
	res := reservations{err: errors.New("disk full")}
	peer := newRecorder(t, "127.0.0.3", port, addr("127.0.0.2", port), nil)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.ReservePackets = res.reserve }, "127.0.0.3")
	for range 100 {
		n.Broadcast("x")
	}
	n.stop()
	peer.waitCount(t, wire.BrExit, 2)
	if got := len(peer.modes(wire.SendMsg)); got != 100 {
		t.Errorf("%d of 100 messages sent", got)
	}
	if len(res.upTo) < 2 || len(res.upTo) > 3 {
		t.Errorf("%d reservations for about 105 numbers, want one per block of %d", len(res.upTo), reserveAhead)
	}
}

// A second run started with the first's last reservation never repeats the first's numbers, even in
// the same second (the first used more numbers than seconds went by).
func TestPacketNoAcrossRuns(t *testing.T) {
	port := testPort(t)
	var mu sync.Mutex
	byRun := map[string][]uint32{}
	peer := newRecorder(t, "127.0.0.3", port, addr("127.0.0.2", port), func(p wire.Packet) []string {
		mu.Lock()
		byRun[p.User] = append(byRun[p.User], p.No)
		mu.Unlock()
		return nil
	})
	var first, second reservations
	a := startNode(t, "127.0.0.2", port, func(c *Config) { c.User, c.ReservePackets = "one", first.reserve }, "127.0.0.3")
	for range 20 {
		a.Broadcast("x")
	}
	a.stop()
	b := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.User, c.LastPacketNo, c.ReservePackets = "two", first.last(), second.reserve
	}, "127.0.0.3")
	for range 20 {
		b.Broadcast("x")
	}
	b.stop()
	peer.waitCount(t, wire.BrExit, 4)
	mu.Lock()
	defer mu.Unlock()
	one, two := byRun["one"], byRun["two"]
	if len(one) < 20 || len(two) < 20 {
		t.Fatalf("packets seen: %d and %d", len(one), len(two))
	}
	if slices.Max(one) >= slices.Min(two) || slices.Min(two) <= first.last() {
		t.Errorf("second run's numbers %d.. overlap the first's ..%d (reserved up to %d)", slices.Min(two), slices.Max(one), first.last())
	}
}
