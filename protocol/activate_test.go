package protocol

import (
	"errors"
	"testing"
	"time"
)

// A second start reaches the running node over loopback; nothing answers on a port without Hato.
func TestActivate(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.1", port, nil)
	for range 2 {
		if err := Activate(port, 2*time.Second); err != nil {
			t.Fatal(err)
		}
		n.waitEvent(t, "activate", func(ev Event) bool { return ev.Kind == EventActivate })
		n.mu.Lock()
		n.seen = nil // waitEvent keeps what it saw: look for the second one afresh
		n.mu.Unlock()
	}
	if err := Activate(testPort(t), 300*time.Millisecond); !errors.Is(err, ErrNotHato) {
		t.Errorf("activating an empty port: %v, want ErrNotHato", err)
	}
}
