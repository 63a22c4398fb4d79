package messenger

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"hato/protocol"
)

// testKeys are made once per test binary: RSA key generation takes a while.
var testKeys = sync.OnceValue(func() *protocol.Keys {
	k, err := protocol.GenerateKeys(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// fast keeps test nodes off the LAN and quick.
func fast(c *protocol.Config) {
	c.NoBroadcast, c.EntryRepeat, c.AnswerDelayMax = true, 0, 20*time.Millisecond
	c.SendInterval, c.ReadInterval = 200*time.Millisecond, 200*time.Millisecond
}

// running is a Hato started for a test, with every event it reported.
type running struct {
	*Hato
	events <-chan Event
	stop   func()
}

// start runs a Hato on ip:port with its own profile, telling dests about itself; t's cleanup stops it.
func start(t *testing.T, profile, ip string, port int, nick string, dests ...string) *running {
	t.Helper()
	h, err := New(Config{Profile: profile, Keys: testKeys(), Tune: fast, ProgressEvery: 20 * time.Millisecond,
		Settings: Settings{Port: port, Bind: ip, Nick: nick, User: "u" + ip, Broadcasts: dests}})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := h.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	<-h.Ready()
	var once sync.Once
	r := &running{Hato: h, events: events, stop: func() {
		once.Do(func() {
			cancel()
			for range events { // the channel closes once Run ended
			}
			<-done
		})
	}}
	t.Cleanup(r.stop)
	return r
}

// wait returns the first event that matches, failing after a minute.
func (r *running) wait(t *testing.T, what string, match func(Event) bool) Event {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				t.Fatalf("events ended before %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within a minute", what)
		}
	}
}
