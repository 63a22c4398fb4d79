package control

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testHandler counts its calls; run, when set, does the work of Run.
type testHandler struct {
	runs, activates atomic.Int32
	run             func(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int
	activateErr     error
}

func (h *testHandler) Run(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
	h.runs.Add(1)
	if h.run == nil {
		io.WriteString(stdout, strings.Join(args, " ")+"\n")
		return 0
	}
	return h.run(ctx, args, cwd, stdout, stderr)
}

func (h *testHandler) Activate() error {
	h.activates.Add(1)
	return h.activateErr
}

// shortDir is a fresh folder with a short path (t.TempDir's names can be too long for a socket on
// macOS), removed after the test.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve listens on dir and serves until the test ends; then it checks that Serve returned nil.
func serve(t *testing.T, dir string, h Handler) *Server {
	t.Helper()
	s, err := Listen(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	startServe(t, s)
	return s
}

// startServe serves s until the test ends, as serve does.
func startServe(t *testing.T, s *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// noLeaks checks, when the test and its cleanups (servers stopping) are over, that no goroutine
// is left beyond those there were when it was called: call it first.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// waitFor fails the test when ch is not closed within a minute (a hang, not a timing check).
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// recorder keeps what a client wrote to its stdout and stderr, in order.
type recorder struct {
	mu    sync.Mutex
	lines []string
	first chan struct{} // closed at the first write
}

func newRecorder() *recorder { return &recorder{first: make(chan struct{})} }

func (r *recorder) writer(name string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.lines) == 0 {
			close(r.first)
		}
		r.lines = append(r.lines, name+":"+string(p))
		return len(p), nil
	})
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func isNotRunning(err error) bool { return errors.Is(err, ErrNotRunning) }
