package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// An empty list is explained after a while with the checks hato doctor runs; adding the others' range
// makes Hato announce itself there, and once someone shows up the explanation goes.
func TestMainWindowExplainsAnEmptyList(t *testing.T) {
	port := testPort(t)
	me := newTestSession(t, newTestApp(t), "127.0.0.2", port, nil)
	w := newMainWindow(me.session)
	t.Cleanup(w.window.Close)
	p := w.alone
	p.wait = 10 * time.Millisecond
	p.pending = false
	p.onHosts(0)
	me.q.until(t, "the explanation", func() bool { return p.content.Visible() && strings.Contains(p.checks.Text, "peers:") })
	if p.content.Size().Height == 0 {
		t.Error("the explanation shows but was given no room")
	}
	if !strings.Contains(p.checks.Text, "✗ peers: nobody answered") || !strings.Contains(p.checks.Text, "✓ interfaces") &&
		!strings.Contains(p.checks.Text, "✗ interfaces") {
		t.Errorf("the checks say %q", p.checks.Text)
	}

	test.Type(p.ranges, "not a range")
	test.Tap(p.add)
	if !strings.HasPrefix(p.status.Text, "Not an address range") {
		t.Errorf("a bad range: %q", p.status.Text)
	}
	p.ranges.SetText("")
	test.Type(p.ranges, "127.0.0.3")
	test.Tap(p.add)
	if !slices.Contains(me.set.Broadcasts, "127.0.0.3") || !slices.Contains(me.h.Settings().Broadcasts, "127.0.0.3") {
		t.Fatalf("the range is not among the destinations: %v (%q)", me.set.Broadcasts, p.status.Text)
	}
	me.onEvent, me.onBatchEnd = w.onEvent, w.hosts.flush
	newTestSession(t, newTestApp(t), "127.0.0.3", port, nil, "127.0.0.2")
	me.q.until(t, "the peer in the list, the explanation gone", func() bool { return len(w.hosts.hosts) == 1 && !p.content.Visible() })
}
