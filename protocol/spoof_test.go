package protocol

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// The attack of issue 0: from another address, bogus encrypted messages under alice's names and the next
// packet numbers, then clear ones. Alice's real messages with the same numbers are shown (from her
// address) and acknowledged; nothing of the attacker's is acknowledged unless it was shown, and then as
// coming from the attacker's address.
func TestCollidingPacketNumbers(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, withKeys(testKeys(t, 0)))
	alice := newWinPeer(t, "127.0.0.3", port, n, "alice", testKeys(t, 1))
	alice.enter(t, wire.EncryptOpt)
	mallory := newWinPeer(t, "127.0.0.9", port, n, "alice", nil)
	mallory.no = alice.no

	bogus := crypt.Message{Caps: 0x41900004, Key: make([]byte, 256), Body: make([]byte, 32), Sign: make([]byte, 256)}
	for range 42 {
		mallory.send(t, mallory.packet(wire.SendMsg|wire.SendCheckOpt|wire.EncryptOpt, string(crypt.AppendMessage(nil, bogus)), ""))
	}
	mallory.none(t, wire.RecvMsg, 300*time.Millisecond)

	// Alice's real messages under the same numbers, clear and encrypted.
	alice.no = mallory.no - 42
	alice.send(t, alice.packet(wire.SendMsg|wire.SendCheckOpt, "real one", ""))
	ack, _ := alice.expect(t, wire.RecvMsg, 2*time.Second)
	m := n.waitEvent(t, "real message", func(ev Event) bool { return message(ev) && ev.Message.Text == "real one" }).Message
	if string(ack.Msg) != strconv.Itoa(int(m.Packet)) || m.From.Addr != addrOf(alice) || m.From.Nick != "Win" {
		t.Errorf("alice's message %+v, ack %q: want it from %v", m, ack.Msg, addrOf(alice))
	}
	_, key := alice.nodeKey(t, "65920006")
	no := alice.sendEncrypted(t, 0x41900004, key, "real encrypted", nil)
	alice.expect(t, wire.GetPubKey, 2*time.Second)
	alice.send(t, alice.packet(wire.AnsPubKey, string(crypt.AppendPublicKey(nil, crypt.Supported, &alice.keys.RSA2048.PublicKey)), ""))
	m = n.waitEvent(t, "real encrypted", func(ev Event) bool { return message(ev) && ev.Message.Packet == no }).Message
	if !m.Encrypted || !m.Verified || m.From.Addr != addrOf(alice) {
		t.Errorf("alice's encrypted message %+v", m)
	}

	// Mallory's clear message with a number alice used: shown, as from mallory's address.
	mallory.no = no - 1
	mallory.send(t, mallory.packet(wire.SendMsg|wire.SendCheckOpt, "fake", ""))
	m = n.waitEvent(t, "fake", func(ev Event) bool { return message(ev) && ev.Message.Text == "fake" }).Message
	if m.From.Addr != addrOf(mallory) || m.From.Nick == "Win" {
		t.Errorf("mallory's message shown as %+v, want from %v and not as alice", m.From, addrOf(mallory))
	}
	mallory.expect(t, wire.RecvMsg, time.Second)
}

// Two senders with the same names, at two addresses, using the same packet number: both messages are
// shown, each with its own address, and each RECVMSG arrives only after its message was handed to the
// front end.
func TestSameNamesTwoSenders(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	a := newRecorder(t, "127.0.0.3", port, n.addr, func(p wire.Packet) []string {
		if p.Cmd.Mode() == wire.BrEntry {
			return []string{ansEntry("taro", "Taro")}
		}
		return nil
	})
	b := newRecorder(t, "127.0.0.4", port, n.addr, nil)
	a.send(t, "1:1700000001:taro:PC01:1:Taro\x00\x00")
	n.waitEvent(t, "taro", joined("taro"))
	a.wait(t, wire.AnsEntry, nil)

	msg := func(text string) string {
		return "1:1700000042:taro:PC01:" + strconv.Itoa(int(wire.SendMsg|wire.SendCheckOpt)) + ":" + text + "\x00"
	}
	a.send(t, msg("from a"))
	b.send(t, msg("from b"))
	for _, c := range []struct {
		r    *recorder
		text string
	}{{a, "from a"}, {b, "from b"}} {
		ack := c.r.wait(t, wire.RecvMsg, nil)
		ev, ok := n.shownAlready(func(ev Event) bool { return message(ev) && ev.Message.Text == c.text })
		if !ok {
			t.Fatalf("RECVMSG %q reached %v before its message was shown", ack.Msg, c.r.conn.LocalAddr())
		}
		if m := ev.Message; m.From.Addr != addrOf(&winPeer{rawPeer: c.r.rawPeer}) || m.From.User != "taro" || m.Packet != 1700000042 {
			t.Errorf("%q shown as from %+v", c.text, m.From)
		}
	}
	if h := n.Hosts(); len(h) != 1 || h[0].Addr != addr("127.0.0.3", port) || len(h[0].Addrs) != 1 {
		t.Errorf("hosts %+v, want taro at 127.0.0.3 only", h)
	}
}

// shownAlready looks for an event that was already emitted, without waiting for more.
func (tn *testNode) shownAlready(match func(Event) bool) (Event, bool) {
	for {
		select {
		case ev := <-tn.events:
			tn.mu.Lock()
			tn.seen = append(tn.seen, ev)
			tn.mu.Unlock()
			continue
		default:
		}
		break
	}
	tn.mu.Lock()
	defer tn.mu.Unlock()
	for _, ev := range tn.seen {
		if match(ev) {
			return ev, true
		}
	}
	return Event{}, false
}

var rawNo atomic.Uint32

func init() { rawNo.Store(1_700_100_000) }

// entryPkt is a Windows-style entry packet (UTF-8 with the name lines).
func entryPkt(cmd wire.Command, user, nick string) string {
	return fmt.Sprintf("1:%d:%s:PC01:%d:%s\x00Dev\x00\nUN:%s\nHN:PC01\nNN:%s\nGN:Dev\x00", rawNo.Add(1), user,
		cmd|wire.CapUTF8Opt|wire.UTF8Opt, nick, user, nick)
}

// rawPkt is any packet from user@PC01.
func rawPkt(cmd wire.Command, user, msg string) string {
	return fmt.Sprintf("1:%d:%s:PC01:%d:%s\x00", rawNo.Add(1), user, cmd, msg)
}

// autoPeer is a Windows-like raw peer that answers by itself: ANSENTRY to BR_ENTRY, SENDINFO to GETINFO,
// RECVMSG to messages, and pub (its key, or a copy of someone else's) to GETPUBKEY.
func autoPeer(t *testing.T, ip string, port int, node netip.AddrPort, user, nick string, pub *rsa.PublicKey, opts wire.Command) *recorder {
	return newRecorder(t, ip, port, node, func(p wire.Packet) []string {
		switch p.Cmd.Mode() {
		case wire.BrEntry:
			return []string{entryPkt(wire.AnsEntry|opts, user, nick)}
		case wire.GetInfo:
			return []string{rawPkt(wire.SendInfo, user, "test peer")}
		case wire.GetPubKey:
			if pub != nil {
				return []string{rawPkt(wire.AnsPubKey, user, string(crypt.AppendPublicKey(nil, 0x65920006, pub)))}
			}
		}
		return recvMsg(p, user, "PC01")
	})
}

// hostNamed returns the listed host with that user name.
func hostNamed(t *testing.T, n *testNode, user string) Host {
	t.Helper()
	for _, h := range n.Hosts() {
		if h.User == user {
			return h
		}
	}
	t.Fatalf("%s not listed: %+v", user, n.Hosts())
	return Host{}
}

// Every way a fingerprinted name was shown unsigned: an entry with ENCRYPTOPT but no key followed by a
// clear message under another header name; a UN: line with the name under another header name; a
// host-list row; for a name known (a genuine host) and one never seen. Each is dropped with
// EventRejected, and no message from a fingerprinted name is ever shown unverified.
func TestFingerprintBypasses(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, withKeys(testKeys(t, 0)), "127.0.0.20")
	known := crypt.FingerprintName("taro", &testKeys(t, 1).RSA2048.PublicKey)
	genuine := autoPeer(t, "127.0.0.3", port, n.addr, known, "Taro", &testKeys(t, 1).RSA2048.PublicKey, wire.EncryptOpt)
	genuine.send(t, entryPkt(wire.BrEntry|wire.EncryptOpt, known, "Taro"))
	n.waitEvent(t, "genuine taro", joined(known))
	fresh := crypt.FingerprintName("jiro", &testKeys(t, 2).RSA2048.PublicKey)

	rejected := func(what string, ip string) {
		t.Helper()
		n.waitEvent(t, "rejected "+what, func(ev Event) bool {
			return ev.Kind == EventRejected && ev.Host.Addr.Addr().String() == ip
		})
	}
	for i, name := range []string{known, fresh} {
		ip := fmt.Sprintf("127.0.0.%d", 10+2*i)
		// 1. An entry with ENCRYPTOPT (no key behind it), then a clear message under another header name.
		p := autoPeer(t, ip, port, n.addr, name, "Fake", nil, wire.EncryptOpt)
		p.send(t, entryPkt(wire.BrEntry|wire.EncryptOpt, name, "Fake"))
		time.Sleep(100 * time.Millisecond)
		p.send(t, rawPkt(wire.SendMsg|wire.SendCheckOpt, "mallory", "clear under another name"))
		if name == fresh { // listed under the name: its clear message is the bypass
			rejected("clear message", ip)
			time.Sleep(50 * time.Millisecond)
			if acks := p.modes(wire.RecvMsg); len(acks) != 0 {
				t.Errorf("the rejected clear message was acknowledged")
			}
		}
		// 2. A header user without a fingerprint and the name in the UN: line, without ENCRYPTOPT.
		ip2 := fmt.Sprintf("127.0.0.%d", 11+2*i)
		q := autoPeer(t, ip2, port, n.addr, "mallory", "Fake", nil, 0)
		q.send(t, fmt.Sprintf("1:%d:mallory:PC01:%d:Fake\x00Dev\x00\nUN:%s\nHN:PC01\nNN:Fake\x00", rawNo.Add(1),
			wire.BrEntry|wire.CapUTF8Opt|wire.UTF8Opt, name))
		rejected("UN: line", ip2)
		q.none(t, wire.AnsEntry, 200*time.Millisecond)
		q.send(t, rawPkt(wire.SendMsg|wire.SendCheckOpt, "mallory", "after a UN: line"))
	}
	// 3. A host-list row with a fingerprinted name and no ENCRYPTOPT.
	n.Node.mu.Lock()
	n.list = listRequest{active: true, from: addr("127.0.0.20", port)}
	n.Node.mu.Unlock()
	lister := newRawPeer(t, "127.0.0.20", port, n.addr)
	row := wire.AppendListRow(nil, wire.ListEntry{User: fresh, Host: "PC09", Status: wire.BrEntry | wire.CapUTF8Opt,
		Addr: "127.0.0.30", Port: port, Nick: "Listed"})
	lister.send(t, rawPkt(wire.AnsList|wire.UTF8Opt, "lister", string(wire.AppendAnsListHeader(nil, 0, 1))+string(row)))
	n.waitEvent(t, "rejected list row", func(ev Event) bool {
		return ev.Kind == EventRejected && strings.Contains(ev.Text, "host list row")
	})

	for _, ev := range n.drain(time.Second) {
		if message(ev) && fingerprinted(ev.Message.From.User) && !ev.Message.Verified {
			t.Errorf("unverified message shown from fingerprinted %q: %+v", ev.Message.From.User, ev.Message)
		}
		if message(ev) && ev.Message.From.User != "mallory" && strings.HasPrefix(ev.Message.Text, "clear") {
			t.Errorf("clear message shown as from %q", ev.Message.From.User)
		}
		if ev.Kind == EventHostJoined && ev.Host.User == fresh && ev.Host.Addr.Addr().String() != "127.0.0.12" {
			t.Errorf("fingerprinted name listed from %v", ev.Host.Addr)
		}
	}
	if h := hostNamed(t, n, known); h.Addr != addr("127.0.0.3", port) {
		t.Errorf("genuine %s moved to %v", known, h.Addr)
	}
}

// A forged BR_ABSENCE, BR_EXIT, SENDMSG, RELEASEFILES and entry with alice's names from another address:
// alice keeps her nick, presence, address and listing; the message shows the forger's address; the file
// server is told the release came from the forger's address; our messages to alice still go to her.
func TestForgedFromAnotherAddress(t *testing.T) {
	port := testPort(t)
	files := &fakeFiles{}
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.Files = files })
	alice := autoPeer(t, "127.0.0.3", port, n.addr, "alice", "Alice", nil, 0)
	alice.send(t, entryPkt(wire.BrEntry, "alice", "Alice"))
	n.waitEvent(t, "alice", joined("alice"))
	mallory := autoPeer(t, "127.0.0.9", port, n.addr, "alice", "Mallory", nil, 0)

	mallory.send(t, entryPkt(wire.BrAbsence|wire.AbsenceOpt, "alice", "Mallory"))
	mallory.send(t, rawPkt(wire.BrExit, "alice", ""))
	mallory.send(t, rawPkt(wire.SendMsg|wire.SendCheckOpt, "alice", "forged"))
	mallory.send(t, rawPkt(wire.ReleaseFiles, "alice", "777"))
	alice.send(t, rawPkt(wire.ReleaseFiles, "alice", "778"))
	mallory.send(t, entryPkt(wire.BrEntry, "alice", "Mallory"))
	m := n.waitEvent(t, "forged message", func(ev Event) bool { return message(ev) && ev.Message.Text == "forged" }).Message
	if m.From.Addr != addrOf(&winPeer{rawPeer: mallory.rawPeer}) || m.From.Nick == "Alice" {
		t.Errorf("forged message shown from %+v", m.From)
	}
	time.Sleep(n.claimWait() + 300*time.Millisecond) // the forged entry's claim is decided

	h := hostNamed(t, n, "alice")
	if h.Addr != addr("127.0.0.3", port) || h.Nick != "Alice" || h.Absent {
		t.Errorf("alice after the forgeries: %+v", h)
	}
	for _, ev := range n.drain(100 * time.Millisecond) {
		if ev.Host.User == "alice" && (ev.Kind == EventHostLeft || ev.Kind == EventHostMoved || ev.Host.Nick == "Mallory" && ev.Kind != EventRejected && ev.Kind != EventMessage) {
			t.Errorf("forgery changed alice: %s %+v", ev.Kind, ev.Host)
		}
	}
	if got := files.releases(); len(got) != 2 || got[0] != "777 127.0.0.9" || got[1] != "778 127.0.0.3" {
		t.Errorf("releases %q, want 777 from 127.0.0.9 and 778 from 127.0.0.3", got)
	}
	if _, res, err := n.Send(t.Context(), []Host{h}, "for alice", SendOptions{}); err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	alice.wait(t, wire.SendMsg, func(p wire.Packet) bool { return string(p.Msg) == "for alice" })
	for _, p := range mallory.modes(wire.SendMsg) {
		t.Errorf("mallory got our message %q", p.Msg)
	}
}

// fakeFiles is a FileServer that records releases as "packet IP".
type fakeFiles struct {
	mu  sync.Mutex
	got []string
}

func (f *fakeFiles) ServeFile(_ context.Context, req FileRequest) { req.Conn.Close() }

func (f *fakeFiles) Release(from Host, packet uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, fmt.Sprint(packet, " ", from.Addr.Addr()))
}

func (f *fakeFiles) releases() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.got)
}

// A host whose key we know moves when the new address answers with that key and the old one is silent
// (EventHostMoved); another key is a rejected claim; its key copied by an address while the host still
// answers at its own only makes a second address, whose signatures do not verify.
func TestKeyConfirmedMove(t *testing.T) {
	port := testPort(t)
	key, other := testKeys(t, 1), testKeys(t, 2)
	n := startNode(t, "127.0.0.2", port, withKeys(testKeys(t, 0)))
	old := autoPeer(t, "127.0.0.3", port, n.addr, "alice", "Alice", &key.RSA2048.PublicKey, wire.EncryptOpt)
	old.send(t, entryPkt(wire.BrEntry|wire.EncryptOpt, "alice", "Alice"))
	n.waitEvent(t, "alice", joined("alice"))
	if _, res, err := n.Send(t.Context(), []Host{{Addr: addr("127.0.0.3", port)}}, "hi", SendOptions{}); err != nil || res[0].Cipher == "" {
		t.Fatalf("send: %v %+v", err, res) // the node has alice's key now
	}
	old.conn.Close()

	start := time.Now()
	moved := autoPeer(t, "127.0.0.5", port, n.addr, "alice", "Alice", &key.RSA2048.PublicKey, wire.EncryptOpt)
	moved.send(t, entryPkt(wire.BrEntry|wire.EncryptOpt, "alice", "Alice"))
	ev := n.waitEvent(t, "host-moved", func(ev Event) bool { return ev.Kind == EventHostMoved })
	t.Logf("moved after %v", time.Since(start).Round(time.Millisecond))
	if ev.Host.Addr != addr("127.0.0.5", port) || ev.Text != addr("127.0.0.3", port).String() || ev.Host.User != "alice" {
		t.Errorf("host-moved %+v", ev)
	}

	impostor := autoPeer(t, "127.0.0.9", port, n.addr, "alice", "Alice", &other.RSA2048.PublicKey, wire.EncryptOpt)
	impostor.send(t, entryPkt(wire.BrEntry|wire.EncryptOpt, "alice", "Alice"))
	n.waitEvent(t, "rejected claim", func(ev Event) bool {
		return ev.Kind == EventRejected && ev.Host.Addr == addr("127.0.0.9", port) && strings.Contains(ev.Text, "key")
	})

	copycat := autoPeer(t, "127.0.0.8", port, n.addr, "alice", "Alice", &key.RSA2048.PublicKey, wire.EncryptOpt)
	copycat.send(t, entryPkt(wire.BrEntry|wire.EncryptOpt, "alice", "Alice"))
	n.waitEvent(t, "second address", func(ev Event) bool {
		return ev.Kind == EventHostUpdated && slices.Contains(ev.Host.Addrs, addr("127.0.0.8", port))
	})
	if h := hostNamed(t, n, "alice"); h.Addr != addr("127.0.0.5", port) {
		t.Errorf("alice at %v after the impostors, want 127.0.0.5", h.Addr)
	}
	// The copycat signs with its own key: shown as from its address, not verified.
	copycat.send(t, rawPkt(wire.GetPubKey, "alice", "65920006"))
	ans := copycat.wait(t, wire.AnsPubKey, nil)
	_, nodeKey, err := crypt.ParsePublicKey(ans.Msg)
	if err != nil {
		t.Fatal(err)
	}
	em, err := crypt.Encrypt(rand.Reader, 0x41900004, rawNo.Load()+1, nodeKey, other.RSA2048, []byte("copycat\x00"))
	if err != nil {
		t.Fatal(err)
	}
	copycat.send(t, rawPkt(wire.SendMsg|wire.SendCheckOpt|wire.EncryptOpt, "alice", string(crypt.AppendMessage(nil, em))))
	m := n.waitEvent(t, "copycat", func(ev Event) bool { return message(ev) && ev.Message.Text == "copycat" }).Message
	if !m.Signed || m.Verified || m.From.Addr != addr("127.0.0.8", port) {
		t.Errorf("copycat's message: signed %v verified %v from %v", m.Signed, m.Verified, m.From.Addr)
	}
}

// A laptop without keys that changed address: its old address is silent, its entry comes from the new
// one; it is followed there within the claim's wait.
func TestLaptopMoves(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	old := autoPeer(t, "127.0.0.3", port, n.addr, "lap", "Laptop", nil, 0)
	old.send(t, entryPkt(wire.BrEntry, "lap", "Laptop"))
	n.waitEvent(t, "lap", joined("lap"))
	old.conn.Close()
	start := time.Now()
	moved := autoPeer(t, "127.0.0.6", port, n.addr, "lap", "Laptop", nil, 0)
	moved.send(t, entryPkt(wire.BrEntry, "lap", "Laptop"))
	ev := n.waitEvent(t, "host-moved", func(ev Event) bool { return ev.Kind == EventHostMoved })
	t.Logf("laptop followed after %v", time.Since(start).Round(time.Millisecond))
	if ev.Host.Addr != addr("127.0.0.6", port) || len(ev.Host.Addrs) != 1 {
		t.Errorf("host-moved %+v", ev.Host)
	}
	if _, res, err := n.Send(t.Context(), []Host{hostNamed(t, n, "lap")}, "found you", SendOptions{}); err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	moved.wait(t, wire.SendMsg, func(p wire.Packet) bool { return string(p.Msg) == "found you" })
}

// A host with two network interfaces: both answer, so the second address is the host's too. Messages
// from it show it, acknowledged; it cannot rename or remove the host; BR_EXIT from it drops only it.
func TestMultiNIC(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	nic1 := autoPeer(t, "127.0.0.3", port, n.addr, "dual", "Dual", nil, 0)
	nic2 := autoPeer(t, "127.0.0.4", port, n.addr, "dual", "Dual", nil, 0)
	nic1.send(t, entryPkt(wire.BrEntry, "dual", "Dual"))
	n.waitEvent(t, "dual", joined("dual"))
	nic2.send(t, entryPkt(wire.BrEntry, "dual", "Dual"))
	ev := n.waitEvent(t, "second NIC", func(ev Event) bool { return ev.Kind == EventHostUpdated && len(ev.Host.Addrs) == 2 })
	if ev.Host.Addr != addr("127.0.0.3", port) {
		t.Errorf("main address %v, want the first", ev.Host.Addr)
	}
	nic2.send(t, rawPkt(wire.SendMsg|wire.SendCheckOpt, "dual", "via nic2"))
	m := n.waitEvent(t, "message", func(ev Event) bool { return message(ev) && ev.Message.Text == "via nic2" }).Message
	if m.From.Addr != addr("127.0.0.4", port) || m.From.Nick != "Dual" || !m.From.Entry {
		t.Errorf("message from the second NIC shown as %+v", m.From)
	}
	nic2.wait(t, wire.RecvMsg, nil)
	nic2.send(t, entryPkt(wire.BrAbsence|wire.AbsenceOpt, "dual", "Renamed"))
	nic2.send(t, rawPkt(wire.BrExit, "dual", ""))
	n.waitEvent(t, "second NIC gone", func(ev Event) bool { return ev.Kind == EventHostUpdated && len(ev.Host.Addrs) == 1 })
	if h := hostNamed(t, n, "dual"); h.Nick != "Dual" || h.Absent || h.Addr != addr("127.0.0.3", port) {
		t.Errorf("after the second NIC's BR_ABSENCE and BR_EXIT: %+v", h)
	}
}

// A peer that never exchanged entries with us but has our key (it learned us from a host list, or we
// restarted and forgot it) sends an encrypted message: it is set aside unacknowledged, before any RSA
// work, and the peer gets our BR_ENTRY; once it answers, its resend is decrypted, shown and
// acknowledged. Its GETPUBKEY goes the same way: our BR_ENTRY first, the key to its resend.
func TestUnknownEncryptedSender(t *testing.T) {
	port := testPort(t)
	nk, pk := testKeys(t, 0), testKeys(t, 1)
	n := startNode(t, "127.0.0.2", port, withKeys(nk))
	peer := autoPeer(t, "127.0.0.3", port, n.addr, "lister", "Lister", &pk.RSA2048.PublicKey, wire.EncryptOpt)

	ask := rawPkt(wire.GetPubKey, "lister", "65920006")
	peer.send(t, ask)
	peer.wait(t, wire.BrEntry, nil) // not our key: we introduce ourselves, it answers ANSENTRY
	n.waitEvent(t, "lister", joined("lister"))
	time.Sleep(50 * time.Millisecond)
	if got := peer.modes(wire.AnsPubKey); len(got) != 0 {
		t.Fatalf("our key went to an unknown address")
	}
	peer.send(t, ask) // WIN's resend: the same packet
	ans := peer.wait(t, wire.AnsPubKey, nil)
	_, nodeKey, err := crypt.ParsePublicKey(ans.Msg)
	if err != nil || !nodeKey.Equal(&nk.RSA2048.PublicKey) {
		t.Fatalf("ANSPUBKEY %q: %v", ans.Msg, err)
	}

	// Another peer with our key and no entry exchange: its first copy is set aside.
	other := autoPeer(t, "127.0.0.4", port, n.addr, "stranger", "Stranger", &pk.RSA2048.PublicKey, wire.EncryptOpt)
	no := rawNo.Add(1)
	em, err := crypt.Encrypt(rand.Reader, 0x41900004, no, nodeKey, pk.RSA2048, []byte("from a stranger\x00"))
	if err != nil {
		t.Fatal(err)
	}
	msg := fmt.Sprintf("1:%d:stranger:PC01:%d:%s\x00", no, wire.SendMsg|wire.SendCheckOpt|wire.EncryptOpt, crypt.AppendMessage(nil, em))
	other.send(t, msg)
	other.wait(t, wire.BrEntry, nil)
	time.Sleep(50 * time.Millisecond)
	if len(other.modes(wire.RecvMsg)) != 0 {
		t.Fatal("acknowledged before it was read")
	}
	other.send(t, msg) // the resend, a second later for WIN
	m := n.waitEvent(t, "stranger's message", func(ev Event) bool { return message(ev) && ev.Message.Packet == no }).Message
	other.wait(t, wire.RecvMsg, nil)
	if m.Text != "from a stranger" || !m.Encrypted || !m.Verified || m.From.Nick != "Stranger" {
		t.Errorf("message %+v", m)
	}
}
