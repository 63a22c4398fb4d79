package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Hato runs for the profile (hato serve here, the app in the interop tests): send, list, fetch and
// history typed in a shell go through it. Every packet leaves from its port, the message is in its
// history as sent, and the output is what a standalone run prints.
func TestCommandsGoThroughTheRunningHato(t *testing.T) {
	port := freePort(t)
	txProfile, rxProfile := t.TempDir(), t.TempDir()
	rx := startServe(t, "--profile", rxProfile, "--bind", "127.0.0.2", "--port", port, "--nick", "受信者", "--user", "rx",
		"--broadcast-addr", "127.0.0.3")
	tx := startServe(t, "--profile", txProfile, "--bind", "127.0.0.3", "--port", port, "--nick", "送信者", "--user", "tx",
		"--broadcast-addr", "127.0.0.2")
	tx.wait(t, func(m map[string]any) bool { return m["event"] == "host-joined" })

	// send: the serve node's port and nick, in its history.
	text := "through the running Hato: 日本語 中文 한국어 ✓"
	code, out, errOut := run(t, send, "--profile", txProfile, "--verbose", "--to", "127.0.0.2", text)
	if code != 0 || !strings.Contains(out, "delivered to 受信者") || !strings.Contains(errOut, "goes through it") {
		t.Fatalf("send exit %d: %q %q", code, out, errOut)
	}
	m := rx.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["text"] == text })
	if from := m["from"].(map[string]any); from["addr"] != "127.0.0.3:"+port || from["nick"] != "送信者" {
		t.Errorf("the message came from %v, not from the running Hato", from)
	}
	code, out, errOut = run(t, historyCmd, "--profile", txProfile, "--json", "running Hato")
	var hits []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &hits) != nil || len(hits) != 1 || hits[0]["dir"] != "out" || hits[0]["text"] != text {
		t.Errorf("history through the running Hato: exit %d %q %q", code, out, errOut)
	}

	// list: the running Hato's view of the LAN, printed as a standalone list prints it.
	code, out, errOut = run(t, list, "--profile", txProfile, "--wait", "2s", "--json")
	var hosts []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &hosts) != nil || len(hosts) != 1 || hosts[0]["nick"] != "受信者" ||
		hosts[0]["addr"] != "127.0.0.2:"+port {
		t.Errorf("list through the running Hato: exit %d %q %q", code, out, errOut)
	}

	// send --file (paths relative to the caller's folder) and fetch, each through its own running Hato.
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "報告.txt"), []byte("本文\r\n"), 0o644)
	t.Chdir(src)
	sent := make(chan string, 1)
	go func() {
		code, out, errOut := run(t, send, "--profile", txProfile, "--to", "受信者", "--file", "報告.txt", "--timeout", "30s")
		sent <- fmt.Sprintf("%d\n%s%s", code, out, errOut)
	}()
	m = rx.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["offer"] != nil })
	dl := t.TempDir()
	code, out, errOut = run(t, fetch, "--profile", rxProfile, "--from", "送信者", "--packet", fmt.Sprintf("%.0f", m["packet"]),
		"--offer", m["offer"].(string), "--download", dl)
	if code != 0 || !strings.Contains(out, `"event":"saved"`) {
		t.Errorf("fetch through the running Hato: exit %d %q %q", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dl, "報告.txt")); err != nil || string(b) != "本文\r\n" {
		t.Errorf("fetched %q: %v", b, err)
	}
	if got := <-sent; !strings.HasPrefix(got, "0\n") || !strings.Contains(got, "served 報告.txt to 受信者") {
		t.Errorf("send --file through the running Hato: %q", got)
	}

	// The running Hato keeps its own settings: a different nick is refused, the same port is fine.
	code, _, errOut = run(t, send, "--profile", txProfile, "--nick", "別人", "--to", "127.0.0.2", "x")
	if code != 2 || !strings.Contains(errOut, "--nick") || !strings.Contains(errOut, "running Hato") {
		t.Errorf("a different nick: exit %d %q", code, errOut)
	}
	code, _, errOut = run(t, send, "--profile", txProfile, "--port", port, "--to", "127.0.0.2", "same port")
	if code != 0 {
		t.Errorf("the same port: exit %d %q", code, errOut)
	}

	// 1,000 malformed requests on its control endpoint leave the running Hato working.
	for i := range 1000 {
		c, err := net.Dial("unix", filepath.Join(txProfile, "control.sock"))
		if err != nil {
			t.Fatalf("malformed request %d: %v", i, err)
		}
		c.Write([]byte([]string{"not json\n", `{"v":1,"op":"run","args":[1]}` + "\n", `{"v":2}` + "\n", "{\"v\":1,\"op\":"}[i%4]))
		c.Close()
	}
	code, out, errOut = run(t, send, "--profile", txProfile, "--to", "127.0.0.2", "still here")
	if code != 0 || !strings.Contains(out, "delivered to 受信者") {
		t.Errorf("after 1,000 malformed requests: exit %d %q %q", code, out, errOut)
	}

	// A second serve on the profile hands over instead of binding elsewhere.
	code, _, errOut = run(t, serve, "--profile", txProfile)
	if code != 1 || !strings.Contains(errOut, "already runs") {
		t.Errorf("second serve: exit %d %q", code, errOut)
	}
}
