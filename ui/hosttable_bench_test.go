package ui

import (
	"fmt"
	"net/netip"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hato/protocol"
)

// burst is n hosts answering a BR_ENTRY at once, as the session hands them over: in batches of maxBatch.
func burst(n int) [][]protocol.Event {
	var batches [][]protocol.Event
	for i := 0; i < n; i += maxBatch {
		var b []protocol.Event
		for j := i; j < min(i+maxBatch, n); j++ {
			addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(j >> 16), byte(j >> 8), byte(j)}), 2425)
			b = append(b, protocol.Event{Kind: protocol.EventHostJoined, Host: protocol.Host{
				User: fmt.Sprintf("user%d", j), Host: fmt.Sprintf("pc%d", j), Nick: fmt.Sprintf("名前 %d", j),
				Group: fmt.Sprintf("group %d", j%37), Addr: addr, Addrs: []netip.AddrPort{addr}}})
		}
		batches = append(batches, b)
	}
	return batches
}

// shownTable is a host table in a window of the app's size, as the main window shows it.
func shownTable(b *testing.B) *hostTable {
	test.NewTempApp(b)
	t := newHostTable()
	w := test.NewWindow(t.content)
	w.Resize(fyne.NewSize(680, 340))
	b.Cleanup(w.Close)
	return t
}

// BenchmarkHostsBurst: hosts arriving at once, until the table lists them all and has drawn.
func BenchmarkHostsBurst(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			batches := burst(n)
			for b.Loop() {
				t := shownTable(b)
				for _, batch := range batches {
					for _, ev := range batch {
						t.update(ev)
					}
					t.flush()
				}
				if len(t.rows) != n {
					b.Fatalf("%d rows, want %d", len(t.rows), n)
				}
			}
		})
	}
}

// BenchmarkFilterKeystroke: one keystroke in the filter box with 10,000 hosts listed.
func BenchmarkFilterKeystroke(b *testing.B) {
	t := shownTable(b)
	for _, batch := range burst(10000) {
		for _, ev := range batch {
			t.update(ev)
		}
	}
	t.flush()
	filters := []string{"名前 1", "group 3", "10.0.3", ""}
	i := 0
	for b.Loop() {
		t.onFilterChanged(filters[i%len(filters)])
		i++
	}
}
