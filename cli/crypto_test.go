package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"hato/protocol"
	"hato/protocol/crypt"
	"hato/protocol/wire"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
	_, events := startNode(t, port, func(c *protocol.Config) {
		c.BindAddr, c.User, c.NoBroadcast, c.Destinations = "127.0.0.4", "old", true, []string{"127.0.0.3"}
	})
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

// A peer with its own code path (crypt, a plain UDP socket) sends `hato serve` a message whose body was
// damaged on the way: serve prints a rejection with the reason. One whose signature was damaged is shown,
// signed but not verified.
func TestTamperedMessages(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx")
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "keys" })
	peer := newKeyedPeer(t, netip.MustParseAddrPort("127.0.0.3:"+port), netip.MustParseAddrPort("127.0.0.2:"+port))
	serveKey := peer.askKey(t)

	peer.sendEncrypted(t, serveKey, "damaged on the way, long enough for two blocks", func(m *crypt.Message) {
		m.Body[len(m.Body)-17] ^= 1 // CBC: flips the last padding byte
	})
	rej := srv.wait(t, func(m map[string]any) bool { return m["event"] == "rejected" })
	if e, _ := rej["error"].(string); !strings.Contains(e, "decrypt") || rej["packet"] == nil {
		t.Errorf("rejected event %v, want the decryption error", rej)
	}
	peer.sendEncrypted(t, serveKey, "signature damaged", func(m *crypt.Message) { m.Sign[5] ^= 1 })
	msg := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if msg["text"] != "signature damaged" || msg["signed"] != true || msg["verified"] != nil || msg["encrypted"] != true {
		t.Errorf("message event %v, want signed, encrypted, not verified", msg)
	}
	peer.sendEncrypted(t, serveKey, "intact", nil)
	msg = srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if msg["text"] != "intact" || msg["verified"] != true {
		t.Errorf("message event %v, want verified", msg)
	}
}

// keyedPeer is a minimal Windows-like peer with keys: it answers GETPUBKEY on its own goroutine.
type keyedPeer struct {
	conn *net.UDPConn
	to   netip.AddrPort
	keys *protocol.Keys
	no   atomic.Uint32
	got  chan wire.Packet // everything else it receives
}

func newKeyedPeer(t *testing.T, at, to netip.AddrPort) *keyedPeer {
	t.Helper()
	keys, err := protocol.GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(at))
	if err != nil {
		t.Fatal(err)
	}
	p := &keyedPeer{conn: c, to: to, keys: keys, got: make(chan wire.Packet, 64)}
	p.no.Store(1700000000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pk, err := wire.Parse(append([]byte(nil), buf[:n]...))
			if err != nil {
				continue
			}
			if pk.Cmd.Mode() == wire.GetPubKey {
				p.send(wire.AnsPubKey, crypt.AppendPublicKey(nil, crypt.Supported, &keys.RSA2048.PublicKey))
				continue
			}
			select {
			case p.got <- pk:
			default:
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	// Announce with ENCRYPTOPT so that the node treats it as a peer with keys.
	p.send(wire.BrEntry|wire.EncryptOpt|wire.CapUTF8Opt|wire.UTF8Opt, []byte("Win\x00Dev\x00"))
	return p
}

func (p *keyedPeer) send(cmd wire.Command, msg []byte) uint32 {
	no := p.no.Add(1)
	p.sendAs(no, cmd, msg)
	return no
}

// sendAs sends under a packet number taken before (the reading goroutine sends too).
func (p *keyedPeer) sendAs(no uint32, cmd wire.Command, msg []byte) {
	pk := wire.Packet{No: no, User: "win", Host: "PC01", Cmd: cmd, Msg: msg}
	p.conn.WriteToUDPAddrPort(pk.Bytes(), p.to)
}

// askKey gets the node's 2048-bit key with GETPUBKEY.
func (p *keyedPeer) askKey(t *testing.T) *rsa.PublicKey {
	t.Helper()
	p.send(wire.GetPubKey, []byte("61920006"))
	deadline := time.After(5 * time.Second)
	for {
		select {
		case pk := <-p.got:
			if pk.Cmd.Mode() != wire.AnsPubKey {
				continue
			}
			_, key, err := crypt.ParsePublicKey(pk.Msg)
			if err != nil {
				t.Fatal(err)
			}
			return key
		case <-deadline:
			t.Fatal("no ANSPUBKEY")
		}
	}
}

// sendEncrypted sends text the way WIN does (RSA2048+AES256, SHA-256 signature, base64), after damage.
func (p *keyedPeer) sendEncrypted(t *testing.T, to *rsa.PublicKey, text string, damage func(*crypt.Message)) {
	t.Helper()
	no := p.no.Add(1) // the IV depends on it: taken before encrypting
	m, err := crypt.Encrypt(rand.Reader, 0x41900004, no, to, p.keys.RSA2048, append([]byte(text), 0))
	if err != nil {
		t.Fatal(err)
	}
	if damage != nil {
		damage(&m)
	}
	p.sendAs(no, wire.SendMsg|wire.SendCheckOpt|wire.UTF8Opt|wire.EncryptOpt, crypt.AppendMessage(nil, m))
}
