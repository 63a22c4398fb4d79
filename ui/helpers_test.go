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
	"hato/protocol"
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
	q *uiQueue
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
	s, err := newSession(a, base, set, q.do)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return &testSession{session: s, q: q}
}

// testPort is a port number free on loopback for every address the test uses.
func testPort(t *testing.T) int { return netlab.FreePort(t) }

// newTestApp is a headless app with in-memory preferences.
func newTestApp(t *testing.T) fyne.App { return test.NewTempApp(t) }

func mustAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
