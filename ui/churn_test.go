package ui

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hato/protocol"
)

// drawnRows renders the window and returns the rows the table drew since the list last changed,
// checking that each shows what that row holds.
func drawnRows(t *testing.T, w fyne.Window, h *hostTable) map[int]bool {
	t.Helper()
	w.Canvas().Capture() // paints: the table fills its visible cells
	drawn := map[int]bool{}
	for row, nick := range h.drawn {
		if row >= len(h.rows) {
			t.Errorf("row %d drawn (%q), past the %d rows listed", row, nick, len(h.rows))
			continue
		}
		if r := h.rows[row]; r.host != nil && nick != r.host.DisplayName() {
			t.Errorf("row %d drawn as %q, holds %s", row, nick, r.host.DisplayName())
		}
		drawn[row] = true
	}
	return drawn
}

// Hosts come and go by the thousand while the filter, grouping and sort change: whatever the list
// holds, the table draws its first rows (it once drew one row, or none, until scrolled).
func TestHostTableDrawsAfterChurn(t *testing.T) {
	newTestApp(t)
	h := newHostTable()
	w := test.NewWindow(h.content)
	defer w.Close()
	w.Resize(fyne.NewSize(680, 340))
	host := func(i int) protocol.Host {
		return protocol.Host{User: fmt.Sprintf("u%d", i), Host: "pc", Nick: fmt.Sprintf("n%04d", i),
			Group: fmt.Sprintf("g%d", i%7), Addr: mustAddr(fmt.Sprintf("10.0.%d.%d:2425", i/250, i%250+1))}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 12 {
		// Everyone arrives, the table is scrolled down, then most leave.
		for i := range 1000 {
			h.update(protocol.Event{Kind: protocol.EventHostJoined, Host: host(i)})
		}
		h.flush()
		h.table.ScrollToBottom()
		drawnRows(t, w, h)
		keep := rng.IntN(5)
		for i := keep; i < 1000; i++ {
			h.update(protocol.Event{Kind: protocol.EventHostLeft, Host: host(i)})
		}
		h.flush()
		switch round % 4 {
		case 0:
			h.onHeaderTapped(colIP)
		case 1:
			h.group.SetChecked(!h.grouped)
		case 2:
			h.search.SetText([]string{"", "n0", "g3", "10.0.1"}[rng.IntN(4)])
		case 3:
			h.onHeaderTapped(colNick)
		}
		drawn := drawnRows(t, w, h)
		for row := range min(len(h.rows), 3) {
			if !drawn[row] {
				t.Fatalf("round %d: %d rows listed (%s), but row %d is not drawn (drawn: %v)", round, len(h.rows), h.count.Text, row, drawn)
			}
		}
		h.search.SetText("")
	}
}
