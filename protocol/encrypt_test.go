package protocol

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// testKeys returns key set i, made once per test binary (RSA key generation takes a while).
var testKeys = func() func(t testing.TB, i int) *Keys {
	var mu sync.Mutex
	made := map[int]*Keys{}
	return func(t testing.TB, i int) *Keys {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if k, ok := made[i]; ok {
			return k
		}
		k, err := GenerateKeys(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		made[i] = k
		return k
	}
}()

func withKeys(k *Keys) func(*Config) { return func(c *Config) { c.Keys = k } }

func message(ev Event) bool { return ev.Kind == EventMessage }

// Two Hato nodes with keys: the message goes encrypted with WIN's first pair, signed, and the receiver
// decrypts and verifies it. Several recipients with attachments: the list and the TO: list travel inside
// the ciphertext (ENCEXTMSGOPT).
func TestEncryptedBetweenNodes(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, withKeys(testKeys(t, 0)), "127.0.0.3", "127.0.0.4")
	b := startNode(t, "127.0.0.3", port, withKeys(testKeys(t, 1)), "127.0.0.2")
	c := startNode(t, "127.0.0.4", port, withKeys(testKeys(t, 2)), "127.0.0.2")
	for _, u := range []string{"u127.0.0.3", "u127.0.0.4"} {
		if h := a.waitEvent(t, u, joined(u)).Host; !h.Caps.Has(wire.EncryptOpt | wire.EncExtMsgOpt) {
			t.Fatalf("%s advertises %v, want ENCRYPTOPT|ENCEXTMSGOPT", u, h.Caps)
		}
	}

	text := "秘密の話 secret 机密"
	_, res, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, text, SendOptions{Sealed: true})
	if err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	if res[0].Cipher != "RSA2048+AES256" || !res[0].Signed {
		t.Errorf("delivery %+v, want RSA2048+AES256 signed", res[0])
	}
	m := b.waitEvent(t, "message", message).Message
	if m.Text != text || !m.Encrypted || m.Cipher != "RSA2048+AES256" || !m.Signed || !m.Verified || !m.Sealed {
		t.Errorf("received %+v", m)
	}

	files := "0:報告書.txt:a:5f000000:1:\a1:中文.bin:10:5f000000:1:\a"
	to := []Host{{Addr: addr("127.0.0.3", port)}, {Addr: addr("127.0.0.4", port)}}
	no, res, err := a.Send(context.Background(), to, "two of you", SendOptions{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res {
		if d.Err != nil || d.Cipher == "" {
			t.Errorf("delivery %+v", d)
		}
	}
	for _, rx := range []*testNode{b, c} {
		m := rx.waitEvent(t, "message with files", func(ev Event) bool { return message(ev) && ev.Message.Packet == no }).Message
		want := []crypt.Recipient{{User: "u127.0.0.3", Host: "h127.0.0.3"}, {User: "u127.0.0.4", Host: "h127.0.0.4"}}
		if m.Text != "two of you" || m.Files != files || !m.Verified || fmt.Sprint(m.To) != fmt.Sprint(want) {
			t.Errorf("%s received %+v, want files %q and TO %v", rx.addr, m, files, want)
		}
	}
}

// winPeer is a raw socket acting as the Windows client with keys: it answers GETPUBKEY, and builds,
// sends and reads encrypted messages with its own code path.
type winPeer struct {
	*rawPeer
	user, host string
	keys       *Keys
	no         uint32
}

func newWinPeer(t *testing.T, ip string, port int, node *testNode, user string, k *Keys) *winPeer {
	return &winPeer{rawPeer: newRawPeer(t, ip, port, node.addr), user: user, host: "PC01", keys: k, no: 1700000000}
}

func addrOf(w *winPeer) netip.AddrPort { return w.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (w *winPeer) packet(cmd wire.Command, msg, extra string) string {
	w.no++
	p := wire.Packet{No: w.no, User: w.user, Host: w.host, Cmd: cmd, Msg: []byte(msg), Extra: []byte(extra)}
	return string(p.Bytes())
}

// enter announces the peer with opts and waits until the node answers.
func (w *winPeer) enter(t *testing.T, opts wire.Command) {
	t.Helper()
	w.send(t, w.packet(wire.BrEntry|wire.CapUTF8Opt|wire.UTF8Opt|opts, "Win\x00Dev", "\nUN:"+w.user+"\nHN:"+w.host+"\nNN:Win\nGN:Dev"))
	w.expect(t, wire.AnsEntry, 2*time.Second)
}

// answerKey waits for the node's GETPUBKEY and answers with key and caps, as WIN does.
func (w *winPeer) answerKey(t *testing.T, caps string, key *rsa.PublicKey) {
	t.Helper()
	p, _ := w.expect(t, wire.GetPubKey, 3*time.Second)
	if string(p.Msg) != "61920006" {
		t.Errorf("GETPUBKEY carries %q, want our capability 61920006", p.Msg)
	}
	c, _ := crypt.ParseCaps([]byte(caps))
	w.send(t, w.packet(wire.AnsPubKey, string(crypt.AppendPublicKey(nil, c, key)), ""))
}

// nodeKey asks the node for its key with caps and returns the answer.
func (w *winPeer) nodeKey(t *testing.T, caps string) (crypt.Caps, *rsa.PublicKey) {
	t.Helper()
	w.send(t, w.packet(wire.GetPubKey, caps, ""))
	p, _ := w.expect(t, wire.AnsPubKey, 2*time.Second)
	c, key, err := crypt.ParsePublicKey(p.Msg)
	if err != nil {
		t.Fatalf("ANSPUBKEY %q: %v", p.Msg, err)
	}
	return c, key
}

// sendEncrypted sends text encrypted to key with alg, signed with our 2048-bit key when alg says so;
// tamper may change the wire text.
func (w *winPeer) sendEncrypted(t *testing.T, alg crypt.Caps, key *rsa.PublicKey, text string, tamper func(crypt.Message) crypt.Message) uint32 {
	t.Helper()
	m, err := crypt.Encrypt(rand.Reader, alg, w.no+1, key, w.keys.RSA2048, append([]byte(text), 0))
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		m = tamper(m)
	}
	w.send(t, w.packet(wire.SendMsg|wire.SendCheckOpt|wire.UTF8Opt|wire.EncryptOpt, string(crypt.AppendMessage(nil, m)), ""))
	return w.no
}

// The Windows client's exchange, byte by byte: our GETPUBKEY and ANSPUBKEY carry the capability WIN
// expects, our message to it is WIN's "41900004:" form that its key opens and its copy of our key
// verifies, and what it sends us (either pair) is read; a tampered body is rejected with a reason and a
// tampered signature shows as unverified.
func TestWindowsEncryptedExchange(t *testing.T) {
	port := testPort(t)
	nk := testKeys(t, 0)
	n := startNode(t, "127.0.0.2", port, withKeys(nk))
	win := newWinPeer(t, "127.0.0.3", port, n, "taro", testKeys(t, 1))
	win.enter(t, wire.EncryptOpt|wire.EncExtMsgOpt)

	caps, key := win.nodeKey(t, "65920006")
	if caps != crypt.Supported || !key.Equal(&nk.RSA2048.PublicKey) {
		t.Errorf("ANSPUBKEY to a 2048-bit peer: caps %x, key of %d bits", caps, key.N.BitLen())
	}
	if _, key1 := win.nodeKey(t, "21003"); !key1.Equal(&nk.RSA1024.PublicKey) {
		t.Errorf("ANSPUBKEY to FeiQ (21003) is not our 1024-bit key")
	}

	// Hato -> WIN.
	sent := make(chan []Delivery, 1)
	go func() {
		_, res, _ := n.Send(context.Background(), []Host{{Addr: addrOf(win)}}, "to windows", SendOptions{})
		sent <- res
	}()
	win.answerKey(t, "65920006", &win.keys.RSA2048.PublicKey)
	p, _ := win.expect(t, wire.SendMsg, 3*time.Second)
	if !p.Cmd.Has(wire.EncryptOpt|wire.EncExtMsgOpt|wire.UTF8Opt) || !bytes.HasPrefix(p.Msg, []byte("41900004:")) {
		t.Fatalf("SENDMSG %v %q, want ENCRYPTOPT|ENCEXTMSGOPT and 41900004:", p.Cmd, p.Msg)
	}
	em, err := crypt.ParseMessage(p.Msg)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := em.Decrypt(win.keys.RSA2048, p.No)
	if err != nil || string(plain) != "to windows\x00" {
		t.Fatalf("WIN decrypts %q, %v", plain, err)
	}
	if err := em.Verify(&nk.RSA2048.PublicKey, plain); err != nil {
		t.Errorf("WIN cannot verify our signature: %v", err)
	}
	win.send(t, win.packet(wire.RecvMsg, strconv.FormatUint(uint64(p.No), 10), ""))
	if res := <-sent; res[0].Err != nil {
		t.Errorf("delivery: %v", res[0].Err)
	}

	// WIN -> Hato, both pairs; the node already has WIN's key (cached from the exchange above).
	for _, alg := range []crypt.Caps{0x41900004, 0x20100004, 0x00020002, 0x01820002} {
		to := &nk.RSA2048.PublicKey
		if alg.Has(crypt.RSA1024) {
			to = &nk.RSA1024.PublicKey
		}
		text := fmt.Sprintf("from windows %X 日本語", uint32(alg))
		no := win.sendEncrypted(t, alg, to, text, nil)
		m := n.waitEvent(t, "message", func(ev Event) bool { return message(ev) && ev.Message.Packet == no }).Message
		signed := alg&(crypt.SignSHA1|crypt.SignSHA256) != 0
		if m.Text != text || !m.Encrypted || m.Signed != signed || m.Verified != signed {
			t.Errorf("%X: received %+v", uint32(alg), m)
		}
	}

	// Tampering.
	no := win.sendEncrypted(t, 0x41900004, &nk.RSA2048.PublicKey, "body flipped: the padding it ends with no longer checks out", func(m crypt.Message) crypt.Message {
		m.Body[len(m.Body)-17] ^= 1 // CBC: flips the last padding byte
		return m
	})
	ev := n.waitEvent(t, "rejected", func(ev Event) bool { return ev.Kind == EventRejected && ev.Packet == no })
	if !strings.Contains(ev.Text, "encrypted message") {
		t.Errorf("rejection reason %q", ev.Text)
	}
	no = win.sendEncrypted(t, 0x41900004, &nk.RSA2048.PublicKey, "signature flipped", func(m crypt.Message) crypt.Message {
		m.Sign[10] ^= 1
		return m
	})
	m := n.waitEvent(t, "message", func(ev Event) bool { return message(ev) && ev.Message.Packet == no }).Message
	if m.Text != "signature flipped" || !m.Signed || m.Verified {
		t.Errorf("tampered signature: %+v, want signed and not verified", m)
	}
}

// A fingerprinted user name is taken only from its key's owner: without ENCRYPTOPT the entry is
// dropped, a key that does not match is refused, and a message not signed by the matching key is dropped.
func TestFingerprintNameSpoofing(t *testing.T) {
	port := testPort(t)
	nk, real, other := testKeys(t, 0), testKeys(t, 1), testKeys(t, 2)
	n := startNode(t, "127.0.0.2", port, withKeys(nk))
	name := crypt.FingerprintName("taro", &real.RSA2048.PublicKey)
	spoof := newWinPeer(t, "127.0.0.3", port, n, name, other)

	spoof.send(t, spoof.packet(wire.BrEntry|wire.UTF8Opt, "Taro\x00Dev", ""))
	ev := n.waitEvent(t, "rejected entry", func(ev Event) bool { return ev.Kind == EventRejected })
	if !strings.Contains(ev.Text, "without ENCRYPTOPT") {
		t.Errorf("reason %q", ev.Text)
	}
	spoof.none(t, wire.AnsEntry, 300*time.Millisecond)
	spoof.send(t, spoof.packet(wire.SendMsg|wire.SendCheckOpt|wire.UTF8Opt, "clear text from a spoofer", ""))
	spoof.none(t, wire.RecvMsg, 300*time.Millisecond)

	// With ENCRYPTOPT it is listed, but its key (not the one the name was made from) is refused, and so
	// is a message it signs with that key.
	spoof.enter(t, wire.EncryptOpt)
	_, nodeKey := spoof.nodeKey(t, "65920006")
	spoof.send(t, spoof.packet(wire.AnsPubKey, string(crypt.AppendPublicKey(nil, 0x65920006, &other.RSA2048.PublicKey)), ""))
	ev = n.waitEvent(t, "rejected key", func(ev Event) bool {
		return ev.Kind == EventRejected && strings.Contains(ev.Text, "does not match the fingerprint")
	})
	no := spoof.sendEncrypted(t, 0x41900004, nodeKey, "signed by the wrong key", nil)
	n.waitEvent(t, "rejected message", func(ev Event) bool {
		return ev.Kind == EventRejected && ev.Packet == no && strings.Contains(ev.Text, "spoofed")
	})
	for _, ev := range n.drain(200 * time.Millisecond) {
		if message(ev) {
			t.Errorf("spoofed message shown: %+v", ev.Message)
		}
	}
	// Our messages to the spoofed name are never sent in the clear.
	_, res, _ := n.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, "for taro only", SendOptions{})
	if !errors.Is(res[0].Err, ErrNotEncrypted) {
		t.Errorf("send to a name whose key does not match: %v, want ErrNotEncrypted", res[0].Err)
	}
}

// Two nodes, one with a fingerprinted name: the other verifies its key and its signatures.
func TestFingerprintNameGenuine(t *testing.T) {
	port := testPort(t)
	a := startNode(t, "127.0.0.2", port, func(c *Config) { c.Keys, c.FingerprintName, c.User = testKeys(t, 0), true, "taro" }, "127.0.0.3")
	b := startNode(t, "127.0.0.3", port, withKeys(testKeys(t, 1)), "127.0.0.2")
	want := "taro-<" + crypt.Fingerprint(&testKeys(t, 0).RSA2048.PublicKey) + ">"
	if a.Config().User != want {
		t.Fatalf("user %q, want %q", a.Config().User, want)
	}
	b.waitEvent(t, "taro", joined(want))
	a.waitEvent(t, "b", joined("u127.0.0.3"))
	if _, res, err := a.Send(context.Background(), []Host{{Addr: addr("127.0.0.3", port)}}, "it is me", SendOptions{}); err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	m := b.waitEvent(t, "message", message).Message
	if m.Text != "it is me" || !m.Verified || m.From.User != want {
		t.Errorf("received %+v", m)
	}
}

// Policy: a peer without ENCRYPTOPT gets clear text, unless encryption is required; a peer that
// advertises it but never answers GETPUBKEY gets clear text after KeyTries requests (WIN), or an error.
func TestEncryptionPolicy(t *testing.T) {
	port := testPort(t)
	for _, require := range []bool{false, true} {
		t.Run(fmt.Sprint("require=", require), func(t *testing.T) {
			n := startNode(t, "127.0.0.2", port, func(c *Config) {
				c.Keys, c.RequireEncryption, c.KeyInterval = testKeys(t, 0), require, 100*time.Millisecond
			})
			plain := newWinPeer(t, "127.0.0.3", port, n, "plain", nil)
			plain.enter(t, 0)
			silent := newWinPeer(t, "127.0.0.4", port, n, "silent", nil)
			silent.enter(t, wire.EncryptOpt)
			for _, peer := range []*winPeer{plain, silent} {
				res := make(chan Delivery, 1)
				go func() {
					_, r, _ := n.Send(context.Background(), []Host{{Addr: addrOf(peer)}}, "hello", SendOptions{})
					res <- r[0]
				}()
				if peer == silent {
					for range 3 {
						peer.expect(t, wire.GetPubKey, time.Second)
					}
				}
				if require {
					peer.none(t, wire.SendMsg, 500*time.Millisecond)
					if d := <-res; !errors.Is(d.Err, ErrNotEncrypted) {
						t.Errorf("%s: %v, want ErrNotEncrypted", peer.user, d.Err)
					}
					continue
				}
				p, _ := peer.expect(t, wire.SendMsg, 2*time.Second)
				if p.Cmd.Has(wire.EncryptOpt) || string(p.Msg) != "hello" {
					t.Errorf("%s got %v %q, want clear text", peer.user, p.Cmd, p.Msg)
				}
				peer.send(t, peer.packet(wire.RecvMsg, strconv.FormatUint(uint64(p.No), 10), ""))
				if d := <-res; d.Err != nil || d.Cipher != "" {
					t.Errorf("%s: delivery %+v", peer.user, d)
				}
			}
		})
	}
}

// Keys made in the background: until SetKeys the node advertises no encryption, then a BR_ABSENCE does.
func TestSetKeysAnnounces(t *testing.T) {
	port := testPort(t)
	// The peer's socket first: the node's BR_ENTRY goes out as soon as it runs.
	peer := &winPeer{rawPeer: newRawPeer(t, "127.0.0.3", port, addr("127.0.0.2", port)), user: "peer", host: "PC01"}
	n := startNode(t, "127.0.0.2", port, nil, "127.0.0.3")
	if p, _ := peer.expect(t, wire.BrEntry, 2*time.Second); p.Cmd.Has(wire.EncryptOpt) {
		t.Errorf("BR_ENTRY without keys has ENCRYPTOPT: %v", p.Cmd)
	}
	n.SetKeys(testKeys(t, 0))
	if p, _ := peer.expect(t, wire.BrAbsence, 2*time.Second); !p.Cmd.Has(wire.EncryptOpt | wire.EncExtMsgOpt) {
		t.Errorf("BR_ABSENCE after SetKeys: %v", p.Cmd)
	}
}

// A signer that leaves at once: its key arrives just before its BR_EXIT (which drops it from the cache),
// and the message it signed still verifies.
func TestSignatureVerifiedWhenSenderLeaves(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, withKeys(testKeys(t, 0)))
	for i := range 5 {
		win := newWinPeer(t, fmt.Sprintf("127.0.0.%d", 3+i), port, n, fmt.Sprintf("leaver%d", i), testKeys(t, 1))
		win.enter(t, wire.EncryptOpt)
		_, key := win.nodeKey(t, "65920006")
		no := win.sendEncrypted(t, 0x41900004, key, "goodbye", nil)
		win.expect(t, wire.GetPubKey, 2*time.Second)
		win.send(t, win.packet(wire.AnsPubKey, string(crypt.AppendPublicKey(nil, crypt.Supported, &win.keys.RSA2048.PublicKey)), ""))
		win.send(t, win.packet(wire.BrExit, "", ""))
		m := n.waitEvent(t, "message", func(ev Event) bool { return message(ev) && ev.Message.Packet == no }).Message
		if !m.Signed || !m.Verified {
			t.Fatalf("try %d: signed %v, verified %v", i, m.Signed, m.Verified)
		}
	}
}
