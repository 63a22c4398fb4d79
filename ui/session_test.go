package ui

import (
	"testing"

	"hato/protocol"
)

// Two sessions on loopback: events reach the handlers through the UI queue, a send reports its
// deliveries there, and new settings change the nick live.
func TestSessionSendsAndReceives(t *testing.T) {
	a := newTestApp(t)
	port := testPort(t)
	tx := newTestSession(t, a, "127.0.0.2", port, nil, "127.0.0.3")
	rx := newTestSession(t, newTestApp(t), "127.0.0.3", port, nil, "127.0.0.2")
	var got []*protocol.Message
	rx.onEvent = func(ev protocol.Event) {
		if ev.Kind == protocol.EventMessage {
			got = append(got, ev.Message)
		}
	}
	var peers []protocol.Host
	tx.onEvent = func(ev protocol.Event) {
		if ev.Kind == protocol.EventHostJoined {
			peers = append(peers, ev.Host)
		}
	}
	tx.q.until(t, "rx in tx's host list", func() bool { return len(peers) == 1 })

	var result *sent
	tx.send(peers, "こんにちは", protocol.SendOptions{}, nil, nil, func(r sent) { result = &r })
	tx.q.until(t, "the send's outcome", func() bool { return result != nil })
	if result.Err != nil || result.Deliveries[0].Err != nil || result.Deliveries[0].Cipher == "" {
		t.Fatalf("send %+v", result)
	}
	rx.q.until(t, "the message", func() bool { return len(got) == 1 })
	if got[0].Text != "こんにちは" || !got[0].Encrypted {
		t.Errorf("received %+v", got[0])
	}

	set := tx.set
	set.Nick = "新しい名前"
	if err := tx.applySettings(set); err != nil {
		t.Fatal(err)
	}
	var renamed bool
	rx.onEvent = func(ev protocol.Event) {
		renamed = renamed || ev.Kind == protocol.EventHostUpdated && ev.Host.Nick == "新しい名前"
	}
	rx.q.until(t, "the new nick at rx", func() bool { return renamed })

	set.Port = "not a port"
	if err := tx.applySettings(set); err == nil {
		t.Error("a non-numeric port was accepted")
	}
}

// Quitting says goodbye: the peer removes us at once (BR_EXIT), not after a timeout.
func TestSessionCloseSaysGoodbye(t *testing.T) {
	p := newPair(t, nil, nil)
	left := false
	p.tx.onEvent = func(ev protocol.Event) {
		left = left || ev.Kind == protocol.EventHostLeft && ev.Host.User == p.rx.base.User
	}
	p.rx.close()
	p.tx.q.until(t, "the peer's goodbye", func() bool { return left })
}
