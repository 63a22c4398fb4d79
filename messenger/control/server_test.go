package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// A run streams stdout and stderr in the order written, partial lines included, then the exit code;
// the handler gets the args and cwd.
func TestRunStreamsOutputInOrder(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	var gotArgs []string
	var gotCwd string
	h := &testHandler{run: func(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
		gotArgs, gotCwd = args, cwd
		io.WriteString(stdout, "out 1\n")
		io.WriteString(stderr, "err 1\nerr 2\n")
		io.WriteString(stdout, "partial")
		io.WriteString(stdout, " line, ünïcode\n")
		return 3
	}}
	serve(t, dir, h)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	args := []string{"send", "--to", "x", "hi there"}
	code, err := c.Run(context.Background(), args, "/home/u", rec.writer("out"), rec.writer("err"))
	if err != nil || code != 3 {
		t.Fatalf("Run = %d, %v; want 3, nil", code, err)
	}
	want := []string{"out:out 1\n", "err:err 1\nerr 2\n", "out:partial", "out: line, ünïcode\n"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Errorf("output %q, want %q", got, want)
	}
	if !slices.Equal(gotArgs, args) || gotCwd != "/home/u" {
		t.Errorf("handler got %q in %q", gotArgs, gotCwd)
	}
}

// A long write arrives whole, cut into lines at UTF-8 boundaries.
func TestRunLongWrite(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	long := strings.Repeat("日本語", 50000) // 450,000 bytes
	serve(t, dir, &testHandler{run: func(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
		if n, err := io.WriteString(stdout, long); n != len(long) || err != nil {
			t.Errorf("Write = %d, %v", n, err)
		}
		return 0
	}})
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	lines := 0
	code, err := c.Run(context.Background(), []string{"x"}, "", writerFunc(func(p []byte) (int, error) {
		lines++
		return out.Write(p)
	}), nil)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if out.String() != long {
		t.Errorf("got %d bytes, want the %d written", out.Len(), len(long))
	}
	if lines < len(long)/maxChunk {
		t.Errorf("%d lines: the write was not cut", lines)
	}
}

// The client sees a run's first output while the run still goes on.
func TestRunOutputArrivesBeforeTheEnd(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	release := make(chan struct{})
	serve(t, dir, &testHandler{run: func(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
		io.WriteString(stdout, "started\n")
		select {
		case <-release:
		case <-ctx.Done():
			return 9
		}
		io.WriteString(stdout, "done\n")
		return 0
	}})
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := c.Run(context.Background(), []string{"send", "--file", "big"}, "", rec.writer("out"), rec.writer("err"))
		done <- result{code, err}
	}()
	waitFor(t, rec.first, "the first output")
	if got := rec.got(); !slices.Equal(got, []string{"out:started\n"}) {
		t.Errorf("before the end: %q", got)
	}
	close(release) // the handler cannot end before this
	r := <-done
	if r.err != nil || r.code != 0 {
		t.Fatalf("Run = %d, %v", r.code, r.err)
	}
	if got := rec.got(); !slices.Equal(got, []string{"out:started\n", "out:done\n"}) {
		t.Errorf("output %q", got)
	}
}

// Cancelling the client's ctx hangs up, which cancels the handler's ctx.
func TestClientCancelCancelsRun(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	started, cancelled := make(chan struct{}), make(chan struct{})
	wrote := make(chan error, 1)
	serve(t, dir, &testHandler{run: func(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
		close(started)
		<-ctx.Done()
		close(cancelled)
		// The client has gone: writing fails (sooner or later) instead of blocking.
		var err error
		for range 1000 {
			if _, err = io.WriteString(stdout, "anyone?\n"); err != nil {
				break
			}
		}
		wrote <- err
		return 1
	}})
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, []string{"send"}, "", io.Discard, io.Discard)
		done <- err
	}()
	waitFor(t, started, "the run to start")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	waitFor(t, cancelled, "the handler's ctx to end")
	if err := <-wrote; err == nil {
		t.Error("writing to a client that hung up went well")
	}
}

// Stopping the server cancels a run under way, and Serve waits for it.
func TestServeStopCancelsRun(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	started := make(chan struct{})
	var ended sync.WaitGroup
	ended.Add(1)
	h := &testHandler{run: func(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
		defer ended.Done()
		close(started)
		<-ctx.Done()
		return 1
	}}
	s, err := Listen(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		code int
		err  error
	}
	ran := make(chan result, 1)
	go func() {
		code, err := c.Run(context.Background(), []string{"send"}, "", io.Discard, io.Discard)
		ran <- result{code, err}
	}()
	waitFor(t, started, "the run to start")
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	ended.Wait() // returns at once: Serve waited for the run
	// The client gets the cancelled run's exit code, or an error when the server hung up first.
	if r := <-ran; r.err == nil && r.code != 1 {
		t.Errorf("Run = %d, nil; want the cancelled run's 1 or an error", r.code)
	}
	if _, err := os.Lstat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Serve: %v", err)
	}
	if _, err := Dial(dir); !isNotRunning(err) {
		t.Errorf("Dial after Serve: %v, want ErrNotRunning", err)
	}
}

func TestPingAndActivate(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	h := &testHandler{}
	serve(t, dir, h)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pid, err := c.Ping(); err != nil || pid != os.Getpid() {
		t.Errorf("Ping = %d, %v; want %d", pid, err, os.Getpid())
	}
	if err := c.Activate(); err != nil || h.activates.Load() != 1 {
		t.Errorf("Activate: %v, %d calls", err, h.activates.Load())
	}
	h.activateErr = errors.New("this Hato has no window")
	if err := c.Activate(); err == nil || !strings.Contains(err.Error(), "this Hato has no window") {
		t.Errorf("Activate: %v, want the handler's error", err)
	}
	if h.runs.Load() != 0 {
		t.Errorf("%d runs", h.runs.Load())
	}
}

// One profile, one owner: a second Listen gets ErrRunning with the owner's pid, until the first closes.
func TestSecondListenGetsErrRunning(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	first, err := Listen(dir, &testHandler{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Listen(dir, &testHandler{})
	if !errors.Is(err, ErrRunning) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Fatalf("second Listen: %v, want ErrRunning naming pid %d", err, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	h := &testHandler{}
	serve(t, dir, h)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := c.Run(context.Background(), []string{"list"}, "", io.Discard, io.Discard); err != nil || code != 0 || h.runs.Load() != 1 {
		t.Errorf("Run = %d, %v; %d runs", code, err, h.runs.Load())
	}
}

// Listens started together: exactly one wins each time.
func TestConcurrentListenOneWins(t *testing.T) {
	noLeaks(t)
	for range 20 {
		dir := shortDir(t)
		var wg sync.WaitGroup
		servers := make([]*Server, 4)
		errs := make([]error, 4)
		for i := range servers {
			wg.Go(func() { servers[i], errs[i] = Listen(dir, &testHandler{}) })
		}
		wg.Wait()
		won := 0
		for i, s := range servers {
			if s != nil {
				won++
				s.Close()
			} else if !errors.Is(errs[i], ErrRunning) {
				t.Errorf("Listen: %v", errs[i])
			}
		}
		if won != 1 {
			t.Fatalf("%d Listens won", won)
		}
	}
}

// A socket file left by a crash, or any file in its place, means nobody runs, and is replaced.
func TestStaleSocket(t *testing.T) {
	noLeaks(t)
	leftovers := map[string]func(t *testing.T, path string){
		"socket": func(t *testing.T, path string) {
			ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			ln.SetUnlinkOnClose(false)
			ln.Close()
		},
		"plain file": func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, leave := range leftovers {
		t.Run(name, func(t *testing.T) {
			dir := shortDir(t)
			path := filepath.Join(dir, socketName)
			leave(t, path)
			if _, err := os.Lstat(path); err != nil {
				t.Fatal(err)
			}
			if _, err := Dial(dir); !isNotRunning(err) {
				t.Fatalf("Dial: %v, want ErrNotRunning", err)
			}
			serve(t, dir, &testHandler{})
			c, err := Dial(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Ping(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDialNothing(t *testing.T) {
	if _, err := Dial(filepath.Join(shortDir(t), "missing")); !isNotRunning(err) {
		t.Errorf("Dial on a missing folder: %v, want ErrNotRunning", err)
	}
	if _, err := Dial(shortDir(t)); !isNotRunning(err) {
		t.Errorf("Dial on an empty folder: %v, want ErrNotRunning", err)
	}
}

// A path too long for a socket is an error naming it, on both sides; nothing is created.
// A profile folder too deep for a socket path beside it gets its socket in the user's runtime folder,
// named after the folder: the same for the server and its clients, another for another folder.
func TestDeepProfileFolder(t *testing.T) {
	noLeaks(t)
	t.Setenv("XDG_RUNTIME_DIR", shortDir(t))
	dir := filepath.Join(shortDir(t), strings.Repeat("a", 120))
	s := serve(t, dir, &testHandler{})
	if filepath.Dir(s.Path()) != os.Getenv("XDG_RUNTIME_DIR") {
		t.Errorf("the socket is at %s", s.Path())
	}
	if _, err := os.Stat(filepath.Join(dir, lockName)); err != nil {
		t.Errorf("the lock is not in the profile folder: %v", err)
	}
	c, err := Dial(dir)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if _, err := c.Ping(); err != nil {
		t.Errorf("Ping: %v", err)
	}
	other := filepath.Join(shortDir(t), strings.Repeat("b", 120))
	if _, err := Dial(other); !isNotRunning(err) {
		t.Errorf("another deep folder: %v, want ErrNotRunning", err)
	}
}

func TestServeTwice(t *testing.T) {
	noLeaks(t)
	s, err := Listen(shortDir(t), &testHandler{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Serve(ctx); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := s.Serve(context.Background()); err == nil {
		t.Error("second Serve went on")
	}
}
