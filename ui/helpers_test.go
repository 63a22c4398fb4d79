package ui

import (
	"crypto/rand"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hato/internal/netlab"
	"hato/messenger"
	"hato/protocol"
	"hato/transfer"
)

// uiQueue stands in for fyne.Do in tests: the session's goroutines queue UI work, and the test goroutine
// runs it (in until), so widgets are only touched from one goroutine, as in the app, and -race can tell.
type uiQueue struct {
	mu    sync.Mutex
	fns   []func()
	ready chan struct{} // signalled when something is queued
}

func newUIQueue() *uiQueue { return &uiQueue{ready: make(chan struct{}, 1)} }

func (q *uiQueue) do(fn func()) {
	q.mu.Lock()
	q.fns = append(q.fns, fn)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// run runs what is queued now.
func (q *uiQueue) run() {
	q.mu.Lock()
	fns := q.fns
	q.fns = nil
	q.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// until runs queued UI work on the test goroutine until cond holds, failing after 10 s.
func (q *uiQueue) until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		q.run()
		if cond() {
			return
		}
		select {
		case <-q.ready:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s within 10 s", what)
		}
	}
}

// testKeys are made once per test binary: RSA key generation takes a while.
var testKeys = sync.OnceValue(func() *protocol.Keys {
	k, err := protocol.GenerateKeys(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// testSession is a session on a real node bound to ip:port, telling only dests about itself, with its
// UI work run by q.
type testSession struct {
	*session
	q    *uiQueue
	base protocol.Config // the names and timings its node runs with
}

func newTestSession(t *testing.T, a fyne.App, ip string, port int, mutate func(*settings), dests ...string) *testSession {
	t.Helper()
	base := protocol.DefaultConfig()
	base.User, base.Host = "u"+ip, "h"+ip
	base.NoBroadcast, base.EntryRepeat = true, 0
	base.AnswerDelayMax = 20 * time.Millisecond
	base.SendInterval, base.ReadInterval = 100*time.Millisecond, 100*time.Millisecond
	base.Keys = testKeys()
	set := loadSettings(a.Preferences())
	set.Nick, set.Port, set.Bind, set.Broadcasts, set.DownloadDir = "n"+ip, strconv.Itoa(port), ip, dests, t.TempDir()
	if mutate != nil {
		mutate(&set)
	}
	q := newUIQueue()
	tune := func(c *protocol.Config) {
		c.User, c.Host, c.NoBroadcast, c.EntryRepeat, c.AnswerDelayMax = base.User, base.Host, base.NoBroadcast, base.EntryRepeat, base.AnswerDelayMax
		c.SendInterval, c.ReadInterval = base.SendInterval, base.ReadInterval
	}
	s, err := newSession(a, messenger.Config{Profile: t.TempDir(), Keys: base.Keys, Tune: tune}, set, q.do)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return &testSession{session: s, q: q, base: base}
}

// testPort is a port number free on loopback for every address the test uses.
func testPort(t *testing.T) int { return netlab.FreePort(t) }

// newTestApp is a headless app with in-memory preferences.
func newTestApp(t *testing.T) fyne.App { return test.NewTempApp(t) }

func mustAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// pair is two sessions on loopback that know each other, tx on 127.0.0.2 and rx on 127.0.0.3, with what
// each was told.
type pair struct {
	tx, rx       *testSession
	peers        []protocol.Host // rx, as tx knows it
	txGot, rxGot []*protocol.Message
	txEvents     []protocol.Event
	txXfer       []transfer.Event
}

// newPair starts both sessions (txSet and rxSet adjust their settings; nil keeps the defaults) and waits
// until each lists the other, rx with tx's nick: a message sent before tx's answer to rx's entry
// would come from a stranger.
func newPair(t *testing.T, txSet, rxSet func(*settings)) *pair {
	t.Helper()
	port := testPort(t)
	p := &pair{
		tx: newTestSession(t, newTestApp(t), "127.0.0.2", port, txSet, "127.0.0.3"),
		rx: newTestSession(t, newTestApp(t), "127.0.0.3", port, rxSet, "127.0.0.2"),
	}
	known := false
	p.rx.onEvent = func(ev protocol.Event) {
		switch ev.Kind {
		case protocol.EventHostJoined, protocol.EventHostUpdated:
			known = known || ev.Host.User == p.tx.base.User && ev.Host.Nick == p.tx.set.Nick
		case protocol.EventMessage:
			p.rxGot = append(p.rxGot, ev.Message)
		}
	}
	p.tx.onEvent = func(ev protocol.Event) {
		switch ev.Kind {
		case protocol.EventHostJoined:
			p.peers = append(p.peers, ev.Host)
		case protocol.EventMessage:
			p.txGot = append(p.txGot, ev.Message)
		}
		p.txEvents = append(p.txEvents, ev)
	}
	p.tx.onTransfer = func(ev transfer.Event) { p.txXfer = append(p.txXfer, ev) }
	p.tx.q.until(t, "rx in tx's host list", func() bool { return len(p.peers) == 1 })
	p.rx.q.until(t, "tx in rx's host list", func() bool { return known })
	return p
}

// send sends from tx and returns the message as rx got it.
func (p *pair) send(t *testing.T, text string, opt protocol.SendOptions, paths ...string) *protocol.Message {
	t.Helper()
	var r *sent
	p.tx.send(p.peers, text, opt, paths, nil, func(s sent) { r = &s })
	p.tx.q.until(t, "the send's outcome", func() bool { return r != nil })
	if r.Err != nil || r.Deliveries[0].Err != nil {
		t.Fatalf("send: %+v", r)
	}
	var m *protocol.Message
	p.rx.q.until(t, "the message at rx", func() bool {
		for _, g := range p.rxGot {
			if g.Packet == r.Packet {
				m = g
			}
		}
		return m != nil
	})
	return m
}
