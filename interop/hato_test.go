//go:build linux

package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hato/internal/netlab"
)

// jsonHost is a host as hato prints it (serve events, list --json).
type jsonHost struct {
	Addr    string `json:"addr"`
	User    string `json:"user"`
	Host    string `json:"host"`
	Nick    string `json:"nick"`
	Group   string `json:"group"`
	Absent  bool   `json:"absent"`
	Version string `json:"version"`
}

// event is one line of `hato serve` output.
type event struct {
	Event  string    `json:"event"`
	Addr   string    `json:"addr"`
	Host   *jsonHost `json:"host"`
	From   *jsonHost `json:"from"`
	Text   *string   `json:"text"`
	Packet uint32    `json:"packet"`
	Sealed bool      `json:"sealed"`
	line   string
}

// identity is what a hato node calls itself.
type identity struct {
	Nick, Group, User, Host string
}

// flags are the command-line flags for id, after any extra common flags from
// HATO_INTEROP_FLAGS (space separated, e.g. "--codepage utf-8"), which let a
// developer rerun the same tests with other settings.
func (id identity) flags() []string {
	f := strings.Fields(os.Getenv("HATO_INTEROP_FLAGS"))
	for _, kv := range [][2]string{{"--nick", id.Nick}, {"--group", id.Group}, {"--user", id.User}, {"--host", id.Host}} {
		if kv[1] != "" {
			f = append(f, kv[0], kv[1])
		}
	}
	return f
}

// server is a running `hato serve` inside a lab host.
type server struct {
	name   string
	host   *netlab.Host
	cmd    *exec.Cmd
	stderr syncBuffer

	mu      sync.Mutex
	events  []event
	bad     []string      // stdout lines that are not JSON objects with "event"
	changed chan struct{} // closed and replaced whenever events grow or stdout ends
	eof     bool
	exited  chan struct{}
	waitErr error
	profile string // its profile folder: hato send --profile there goes through it
	started time.Time
}

// entryRepeated waits until a node started at started has sent its second BR_ENTRY (5 s after start):
// iptux may crash when an entry packet arrives while that pal's chat window is open (IPTUX.md), so a
// test opens one only after this.
func entryRepeated(started time.Time) {
	time.Sleep(time.Until(started.Add(6 * time.Second)))
}

// startServe runs `hato serve` with id's names and extra flags in h and
// waits for its "ready" event.
func startServe(t *testing.T, h *netlab.Host, id identity, extra ...string) *server {
	t.Helper()
	bin := hatoBinary(t)
	profile := t.TempDir()
	args := append([]string{"serve", "--profile", profile}, id.flags()...)
	args = append(args, extra...)
	s := &server{name: fmt.Sprintf("hato serve on %s (%s)", h.IP, id.Nick), host: h, profile: profile}
	s.start(t, h.Command(context.Background(), bin, args...))
	s.wait(t, 10*time.Second, "the ready event", func(e event) bool { return e.Event == "ready" })
	return s
}

// start runs cmd as the server's process: its JSON events are read as they come, and the test's end
// kills its process group and waits for it.
func (s *server) start(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	s.changed, s.exited = make(chan struct{}), make(chan struct{})
	s.cmd = cmd
	s.cmd.Stderr = &s.stderr
	s.started = time.Now()
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", s.name, err)
	}
	go s.read(bufio.NewScanner(stdout))
	go func() {
		err := s.cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(s.exited)
	}()
	t.Cleanup(func() {
		netlab.KillGroup(s.cmd)
		<-s.exited
	})
}

func (s *server) read(sc *bufio.Scanner) {
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var e event
		err := json.Unmarshal([]byte(line), &e)
		s.mu.Lock()
		if err != nil || e.Event == "" {
			s.bad = append(s.bad, line)
		} else {
			e.line = line
			s.events = append(s.events, e)
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.eof = true
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// find returns the first event that matches, scanning everything printed so far.
func (s *server) find(match func(event) bool) (event, bool, chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if match(e) {
			return e, true, nil, false
		}
	}
	return event{}, false, s.changed, s.eof
}

// wait waits for an event that matches and fails the test with everything
// the server printed when none comes within timeout.
func (s *server) wait(t *testing.T, timeout time.Duration, what string, match func(event) bool) event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		e, ok, changed, eof := s.find(match)
		if ok {
			return e
		}
		if eof {
			t.Fatalf("%s ended its output before %s\n%s", s.name, what, s.report())
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s: no %s within %v\n%s", s.name, what, timeout, s.report())
		}
	}
}

// waitHost waits for a host-joined/-updated event for addr whose host matches.
func (s *server) waitHost(t *testing.T, timeout time.Duration, addr, what string, match func(jsonHost) bool) jsonHost {
	t.Helper()
	e := s.wait(t, timeout, what, func(e event) bool {
		return (e.Event == "host-joined" || e.Event == "host-updated") && e.Host != nil && e.Host.Addr == addr && match(*e.Host)
	})
	return *e.Host
}

// report is everything the server printed, for failure messages.
func (s *server) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s stdout (%d events):\n", s.name, len(s.events))
	for _, e := range s.events {
		b.WriteString(e.line + "\n")
	}
	for _, l := range s.bad {
		fmt.Fprintf(&b, "(not an event) %s\n", l)
	}
	fmt.Fprintf(&b, "--- stderr:\n%s", tail(s.stderr.String(), 40))
	return b.String()
}

// stop sends SIGTERM and expects a clean exit (code 0) within 10 s.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.signalStop(t, syscall.SIGTERM, 10*time.Second)
}

// signalStop sends sig to the server's process group and expects a clean exit (code 0) within limit.
func (s *server) signalStop(t *testing.T, sig syscall.Signal, limit time.Duration) {
	t.Helper()
	if err := netlab.SignalGroup(s.cmd, sig); err != nil {
		t.Fatalf("%s: %v: %v", s.name, sig, err)
	}
	select {
	case <-s.exited:
	case <-time.After(limit):
		netlab.KillGroup(s.cmd)
		<-s.exited
		t.Fatalf("%s did not exit within %v of %v\n%s", s.name, limit, sig, s.report())
	}
	s.mu.Lock()
	err := s.waitErr
	s.mu.Unlock()
	if err != nil {
		t.Errorf("%s: exit after %v: %v (want exit status 0)\n%s", s.name, sig, err, s.report())
	}
}

// runHato runs a short hato subcommand in h and returns stdout, stderr and the exit error.
func runHato(t *testing.T, h *netlab.Host, timeout time.Duration, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := h.Command(ctx, hatoBinary(t), args...)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v: %w", timeout, errors.Join(err, ctx.Err()))
	}
	return stdout.String(), stderr.String(), err
}

// listHosts runs `hato list --json` in h.
func listHosts(t *testing.T, h *netlab.Host, id identity, wait time.Duration) []jsonHost {
	t.Helper()
	args := append([]string{"list", "--json", "--wait", wait.String(), "--profile", t.TempDir()}, id.flags()...)
	out, errOut, err := runHato(t, h, wait+15*time.Second, args...)
	if err != nil {
		t.Fatalf("hato %s on %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), h.IP, err, out, errOut)
	}
	var hosts []jsonHost
	if err := json.Unmarshal([]byte(out), &hosts); err != nil {
		t.Fatalf("hato list --json on %s: output is not a JSON array of hosts: %v\n%s", h.IP, err, out)
	}
	return hosts
}
