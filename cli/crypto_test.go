package cli

import (
	"context"
	"hato/protocol"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Between two Hato instances messages are encrypted and signed by default: send says so, serve prints
// the message as encrypted and verified. Keys live in the profile (0600) and are the same on restart.
func TestEncryptedByDefault(t *testing.T) {
	port := freePort(t)
	rxProfile, txProfile := filepath.Join(t.TempDir(), "rx"), filepath.Join(t.TempDir(), "tx")
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--profile", rxProfile, "--verbose")
	keys := srv.wait(t, func(m map[string]any) bool { return m["event"] == "keys" })
	fp, _ := keys["fingerprint"].(string)
	if len(fp) != 16 {
		t.Fatalf("keys event %v", keys)
	}
	for _, name := range []string{"key-rsa2048.pem", "key-rsa1024.pem"} {
		fi, err := os.Stat(filepath.Join(rxProfile, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v (mode %v), want mode 0600", name, err, fi)
		}
	}

	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--profile", txProfile,
		"--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", "暗号 secret")
	if code != 0 || !strings.Contains(out, "encrypted RSA2048+AES256, signed") {
		t.Fatalf("send exit %d: %q %q", code, out, errOut)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if m["text"] != "暗号 secret" || m["encrypted"] != true || m["cipher"] != "RSA2048+AES256" || m["signed"] != true ||
		m["verified"] != true {
		t.Errorf("message event %v", m)
	}

	// The same profile gives the same key (and fingerprint) on the next start.
	srv.close(t)
	again := startServe(t, "--bind", "127.0.0.2", "--port", port, "--profile", rxProfile)
	if k := again.wait(t, func(m map[string]any) bool { return m["event"] == "keys" }); k["fingerprint"] != fp {
		t.Errorf("fingerprint after restart %v, want %s", k["fingerprint"], fp)
	}
}

// "Never send unencrypted": a peer that cannot decrypt gets nothing and send names why; a peer that
// can gets the message encrypted.
func TestRequireEncryption(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx")
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "keys" })
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--require-encryption",
		"--to", "127.0.0.2", "must be encrypted")
	if code != 0 || !strings.Contains(out, "encrypted RSA2048+AES256") {
		t.Errorf("to an encrypting peer: exit %d %q %q", code, out, errOut)
	}

	// An old client: a node without keys (no ENCRYPTOPT) that would acknowledge anything.
	cfg := protocol.DefaultConfig()
	cfg.Port, _ = strconv.Atoi(port)
	cfg.BindAddr, cfg.User, cfg.NoBroadcast = "127.0.0.4", "old", true
	cfg.Destinations = []string{"127.0.0.3"}
	node, err := protocol.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan protocol.Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); node.Run(ctx, events) }()
	defer func() { cancel(); <-done }()
	code, out, errOut = run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--require-encryption",
		"--broadcast-addr", "127.0.0.4", "--to", "127.0.0.4", "must be encrypted")
	if code != 1 || !strings.Contains(errOut, "does not advertise encryption") {
		t.Errorf("to a peer without encryption: exit %d %q %q", code, out, errOut)
	}
	for {
		select {
		case ev := <-events:
			if ev.Kind == protocol.EventMessage {
				t.Fatalf("the old client received %q", ev.Message.Text)
			}
			continue
		case <-time.After(300 * time.Millisecond):
		}
		break
	}
}

// A fingerprinted name is ours only with our key: serve shows its own, and a sender that borrows
// another's fingerprinted name is dropped with a reason.
func TestFingerprintNames(t *testing.T) {
	port := freePort(t)
	if code, _, errOut := run(t, serve, "--fingerprint-name", "--port", port); code != 2 || !strings.Contains(errOut, "--profile") {
		t.Errorf("--fingerprint-name without --profile: exit %d, %q", code, errOut)
	}
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "boss", "--fingerprint-name",
		"--profile", filepath.Join(t.TempDir(), "boss"))
	ready := srv.wait(t, func(m map[string]any) bool { return m["event"] == "keys" })
	name := "boss-<" + ready["fingerprint"].(string) + ">"

	// Another Hato claims the boss's name: its key does not match the fingerprint.
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", name,
		"--profile", filepath.Join(t.TempDir(), "impostor"), "--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", "I am the boss")
	if code != 0 {
		t.Logf("impostor send: exit %d %q %q", code, out, errOut)
	}
	rej := srv.wait(t, func(m map[string]any) bool {
		return m["event"] == "rejected" && strings.Contains(m["error"].(string), "spoofed")
	})
	if rej["host"].(map[string]any)["user"] != name {
		t.Errorf("rejected event %v", rej)
	}
	// A genuine sender afterwards is shown; the impostor's message never was.
	run(t, send, "--bind", "127.0.0.4", "--port", port, "--user", "clerk", "--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", "hello boss")
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if m["text"] != "hello boss" {
		t.Errorf("first message shown is %v, want the genuine one", m)
	}
}

// close stops serve and waits until it has let go of its port.
func (s *server) close(t *testing.T) {
	t.Helper()
	s.stop()
	select {
	case code := <-s.code:
		s.code <- code // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop")
	}
}
