package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/internal/netlab"
	"hato/protocol"
)

// Every test binds 127.0.0.x only: a loopback-bound node never broadcasts to the LAN.
// A list waits longer than the 0-1 s random delay a node (like Windows) puts before its ANSENTRY.

func freePort(t *testing.T) string {
	t.Helper()
	return fmt.Sprint(netlab.FreePort(t))
}

// server is `hato serve` running in-process with its output parsed line by line.
type server struct {
	lines chan map[string]any
	stop  context.CancelFunc
	code  chan int
}

func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{lines: make(chan map[string]any, 256), stop: cancel, code: make(chan int, 1)}
	var stderr syncBuffer
	args = withProfile(t, args)
	go func() {
		s.code <- serve(ctx, args, pw, &stderr)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("serve printed a non-JSON line %q: %v", sc.Text(), err)
				continue
			}
			s.lines <- m
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.code:
		case <-time.After(5 * time.Second):
			t.Error("serve did not stop")
		}
		if t.Failed() {
			t.Logf("serve stderr:\n%s", stderr.String())
		}
	})
	s.wait(t, func(m map[string]any) bool { return m["event"] == "ready" })
	return s
}

func (s *server) wait(t *testing.T, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-s.lines:
			if !ok {
				t.Fatal("serve output ended")
			}
			if match(m) {
				return m
			}
		case <-deadline:
			t.Fatal("serve printed no matching event within 10 s")
		}
	}
}

func run(t *testing.T, cmd func(context.Context, []string, io.Writer, io.Writer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cmd(context.Background(), withProfile(t, args), &out, &errOut)
	return code, out.String(), errOut.String()
}

// withProfile gives a command a profile of its own unless it names one: every node of a test is
// another user, and one profile is one Hato.
func withProfile(t *testing.T, args []string) []string {
	for _, a := range args {
		if a == "--profile" || strings.HasPrefix(a, "--profile=") {
			return args
		}
	}
	return append([]string{"--profile", t.TempDir()}, args...)
}

func TestSendToServe(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--nick", "受信者", "--group", "開発部",
		"--user", "rx", "--open-sealed", "--broadcast-addr", "127.0.0.3")
	text := "こんにちは 你好 hello: world"
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--nick", "送信者",
		"--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", text)
	if code != 0 {
		t.Fatalf("send exit %d: %s%s", code, out, errOut)
	}
	if !strings.Contains(out, "delivered to 受信者") {
		t.Errorf("send output %q", out)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	from := m["from"].(map[string]any)
	if m["text"] != text || m["sealed"] != false || from["user"] != "tx" || from["addr"] != "127.0.0.3:"+port {
		t.Errorf("message event %v", m)
	}

	// By nickname, sealed, from a node that stays up: serve opens it and the sender confirms the receipt.
	code, out, errOut = run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx",
		"--broadcast-addr", "127.0.0.2", "--to", "受信者", "plain by nick")
	if code != 0 {
		t.Fatalf("send by nick exit %d: %s%s", code, out, errOut)
	}
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["text"] == "plain by nick" })

	ctx := context.Background()
	node, events := startNode(t, port, func(c *protocol.Config) { c.BindAddr, c.User = "127.0.0.4", "sealer" })
	no, res, err := node.Send(ctx, []protocol.Host{{Addr: netip.MustParseAddrPort("127.0.0.2:" + port)}}, "sealed one", protocol.SendOptions{Sealed: true})
	if err != nil || res[0].Err != nil {
		t.Fatalf("sealed send: %v %v", err, res)
	}
	m = srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["text"] == "sealed one" })
	if m["sealed"] != true {
		t.Errorf("sealed message event %v", m)
	}
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "open-sent" })
	for ev := range events {
		if ev.Kind == protocol.EventOpened && ev.Packet == no {
			break
		}
	}
}

func TestSendUndeliveredNamesRecipient(t *testing.T) {
	port := freePort(t)
	code, _, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--to", "127.0.0.9", "--timeout", "20s", "anyone?")
	if code != 1 || !strings.Contains(errOut, "not delivered to") || !strings.Contains(errOut, "127.0.0.9:"+port) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestSendFallsBackToFreePort(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx")
	// Same address and port as the running serve: send must pick another port and still be answered.
	code, out, errOut := run(t, send, "--bind", "127.0.0.2", "--port", port, "--user", "tx", "--to", "127.0.0.2:"+port, "from a busy port")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if addr := m["from"].(map[string]any)["addr"]; addr == "127.0.0.2:"+port {
		t.Errorf("sender used the taken port: %v", addr)
	}
}

func TestListJSON(t *testing.T) {
	port := freePort(t)
	startServe(t, "--bind", "127.0.0.2", "--port", port, "--nick", "鳩", "--group", "G", "--user", "rx", "--absent", "lunch")
	code, out, errOut := run(t, list, "--bind", "127.0.0.3", "--port", port, "--broadcast-addr", "127.0.0.2", "--wait", "2s", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var hosts []map[string]any
	if err := json.Unmarshal([]byte(out), &hosts); err != nil {
		t.Fatalf("list --json printed %q: %v", out, err)
	}
	if len(hosts) != 1 || hosts[0]["nick"] != "鳩" || hosts[0]["group"] != "G" || hosts[0]["absent"] != true ||
		hosts[0]["addr"] != "127.0.0.2:"+port {
		t.Errorf("hosts %v", hosts)
	}
	code, out, _ = run(t, list, "--bind", "127.0.0.3", "--port", port, "--broadcast-addr", "127.0.0.2", "--wait", "2500ms")
	if code != 0 || !strings.Contains(out, "鳩") || !strings.Contains(out, "absent") {
		t.Errorf("table output %q", out)
	}
}

func TestProfileKeepsSettings(t *testing.T) {
	port := freePort(t)
	dir := filepath.Join(t.TempDir(), "p1")
	startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx")
	code, _, errOut := run(t, list, "--profile", dir, "--bind", "127.0.0.3", "--port", port, "--nick", "Saved",
		"--broadcast-addr", "127.0.0.2", "--wait", "2500ms")
	if code != 0 {
		t.Fatal(errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	if err != nil || !strings.Contains(string(b), `"nick": "Saved"`) {
		t.Fatalf("profile %s: %v", b, err)
	}
	// A later run with only --profile uses the saved bind address, port and destinations.
	code, out, errOut := run(t, list, "--profile", dir, "--wait", "2500ms", "--json")
	if code != 0 || !strings.Contains(out, `"user": "rx"`) {
		t.Errorf("exit %d, out %q, err %q", code, out, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		cmd  func(context.Context, []string, io.Writer, io.Writer) int
		args []string
		want string
	}{
		{send, []string{"hello"}, "--to"},
		{send, []string{"--to", "127.0.0.2"}, "no message text"},
		{send, []string{"--codepage", "latin9", "--to", "127.0.0.2", "x"}, "latin9"},
		{serve, []string{"--port", "70000"}, "70000"},
		{serve, []string{"--broadcast-addr", "10.0.0.1-300"}, "10.0.0.1-300"},
		{list, []string{"--bind", "example"}, "example"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, c.cmd, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q (want it to mention %q)", c.args, code, errOut, c.want)
		}
	}
}

// startNode runs a protocol node in-process on port, set up by mutate, until the test ends.
func startNode(t *testing.T, port string, mutate func(*protocol.Config)) (*protocol.Node, chan protocol.Event) {
	t.Helper()
	cfg := protocol.DefaultConfig()
	cfg.Port, _ = strconv.Atoi(port)
	mutate(&cfg)
	node, err := protocol.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan protocol.Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); node.Run(ctx, events) }()
	t.Cleanup(func() { cancel(); <-done })
	return node, events
}

// syncBuffer is a bytes.Buffer safe for the serve goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeGetList(t *testing.T) {
	port := freePort(t)
	startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "a", "--broadcast-addr", "127.0.0.3")
	startServe(t, "--bind", "127.0.0.3", "--port", port, "--user", "b", "--nick", "ビー", "--broadcast-addr", "127.0.0.2")
	// c reaches only a; a's list tells it about b (a answers once it has been up 3 s, so c's retry gets it).
	c := startServe(t, "--bind", "127.0.0.4", "--port", port, "--user", "c", "--broadcast-addr", "127.0.0.2", "--get-list")
	m := c.wait(t, func(m map[string]any) bool {
		h, _ := m["host"].(map[string]any)
		return m["event"] == "host-joined" && h["user"] == "b"
	})
	if h := m["host"].(map[string]any); h["nick"] != "ビー" || h["addr"] != "127.0.0.3:"+port {
		t.Errorf("b learned from the list as %v", h)
	}
	c.wait(t, func(m map[string]any) bool { return m["event"] == "list-received" })
}
