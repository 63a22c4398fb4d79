package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hato/history"
	"hato/messenger"
	"hato/protocol"
)

// With a profile, serve keeps every message and send keeps what it sent; hato history finds them,
// Japanese and Chinese words too, by peer and by time.
func TestHistoryCommand(t *testing.T) {
	port := freePort(t)
	rxProfile, txProfile := filepath.Join(t.TempDir(), "rx"), filepath.Join(t.TempDir(), "tx")
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--profile", rxProfile)
	for _, text := range []string{"会議の議事録です", "测试消息内容", "plain English minutes"} {
		code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--nick", "送信者",
			"--profile", txProfile, "--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", text)
		if code != 0 {
			t.Fatalf("send %q: exit %d %s %s", text, code, out, errOut)
		}
		m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["text"] == text })
		if id, _ := m["history_id"].(float64); id <= 0 {
			t.Errorf("message %q has no history id: %v", text, m)
		}
	}
	srv.close(t) // the history is read by another process's view of the file: let serve go first

	search := func(profile string, args ...string) []map[string]any {
		t.Helper()
		code, out, errOut := run(t, historyCmd, append([]string{"--profile", profile, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("history %v: exit %d %s", args, code, errOut)
		}
		var recs []map[string]any
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatalf("history %v printed %q: %v", args, out, err)
		}
		return recs
	}
	texts := func(recs []map[string]any) string {
		var out []string
		for _, r := range recs {
			out = append(out, r["dir"].(string)+":"+r["text"].(string))
		}
		return strings.Join(out, " | ")
	}
	if got := texts(search(rxProfile, "議事録")); got != "in:会議の議事録です" {
		t.Errorf("Japanese search: %s", got)
	}
	if got := texts(search(rxProfile, "消息")); got != "in:测试消息内容" {
		t.Errorf("Chinese search: %s", got)
	}
	if got := texts(search(rxProfile, "MINUTES")); got != "in:plain English minutes" {
		t.Errorf("English search: %s", got)
	}
	if got := texts(search(txProfile, "--peer", "rx")); got != "out:plain English minutes | out:测试消息内容 | out:会議の議事録です" {
		t.Errorf("sent, by peer: %s", got)
	}
	if n := len(search(rxProfile, "--since", "1h")); n != 3 {
		t.Errorf("since 1h: %d records", n)
	}
	if n := len(search(rxProfile, "--since", "2999-01-01")); n != 0 {
		t.Errorf("since a future date: %d records", n)
	}
	code, out, _ := run(t, historyCmd, "--profile", rxProfile, "議事録")
	if code != 0 || !strings.Contains(out, "<- 送信者: 会議の議事録です") {
		t.Errorf("table output %q", out)
	}
	if code, out, errOut := run(t, historyCmd, "x"); code != 0 || out != "" {
		t.Errorf("a new profile: exit %d %q %q", code, out, errOut)
	}
}

// A receiving hato serve is killed (SIGKILL) in the middle of a stream of messages: every message it
// acknowledged is in its history when the history is opened again.
func TestKilledServeKeepsAcknowledgedMessages(t *testing.T) {
	port := freePort(t)
	profile := filepath.Join(t.TempDir(), "rx")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rx := exec.CommandContext(ctx, os.Args[0], "serve", "--bind", "127.0.0.2", "--port", port, "--user", "rx",
		"--profile", profile)
	rx.Env = append(os.Environ(), "HATO_TEST_MAIN=1")
	stdout, _ := rx.StdoutPipe()
	if err := rx.Start(); err != nil {
		t.Fatal(err)
	}
	defer rx.Process.Kill()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.OnceFunc(func() { close(ready) })
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"event":"ready"`) {
				once()
			}
		}
	}()
	select {
	case <-ready:
	case <-ctx.Done():
		t.Fatal("serve did not start")
	}

	// The sender: one message after another, as fast as they are acknowledged (a single try each, so
	// that a message counts as acknowledged only by its own RECVMSG).
	node, _ := startNode(t, port, func(c *protocol.Config) {
		c.BindAddr, c.User, c.NoBroadcast, c.SendTries, c.SendInterval = "127.0.0.3", "tx", true, 1, 2*time.Second
	})
	to := []protocol.Host{{Addr: netip.MustParseAddrPort("127.0.0.2:" + port)}}
	var acked []uint32
	killed := make(chan struct{})
	for i := 0; i < 2000; i++ { // bounded: a node that went on answering would be a failure, not a hang
		if i == 30 {
			// Mid-stream: the kill lands while the next messages are on their way, at some point between
			// arrival, recording and acknowledgement.
			go func() {
				time.Sleep(time.Duration(time.Now().UnixNano()%20) * time.Millisecond)
				rx.Process.Signal(syscall.SIGKILL)
				close(killed)
			}()
		}
		no, res, err := node.Send(ctx, to, "message "+string(rune('A'+i%26))+" 議事録", protocol.SendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil {
			if i < 30 {
				t.Fatalf("message %d not acknowledged before the kill: %v", i, res[0].Err)
			}
			break
		}
		acked = append(acked, no)
	}
	<-killed
	rx.Wait()

	st, err := history.Open(messenger.HistoryPath(profile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	have := map[uint32]bool{}
	st.All(func(r history.Record) error { have[r.Packet] = true; return nil })
	for _, no := range acked {
		if !have[no] {
			t.Errorf("packet %d was acknowledged but is not in the history", no)
		}
	}
	if len(acked) < 30 {
		t.Errorf("only %d messages acknowledged", len(acked))
	}
	t.Logf("%d messages acknowledged before the kill, all in the history", len(acked))
}

// A damaged history is reported and serve goes on: messages arrive, each marked not saved.
func TestServeWithDamagedHistory(t *testing.T) {
	port := freePort(t)
	profile := filepath.Join(t.TempDir(), "rx")
	os.MkdirAll(profile, 0o700)
	os.WriteFile(messenger.HistoryPath(profile), []byte("this is not a database, it is a text file"), 0o600)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--profile", profile)
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--broadcast-addr", "127.0.0.2",
		"--to", "127.0.0.2", "still arrives")
	if code != 0 {
		t.Fatalf("send: exit %d %s %s", code, out, errOut)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if e, _ := m["error"].(string); m["text"] != "still arrives" || !strings.Contains(e, "not saved in the history") {
		t.Errorf("message event %v", m)
	}
}
