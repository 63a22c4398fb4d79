package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/protocol/wire"
)

// legacyPeer is a raw IPMsg peer that reads only CP932, as old Windows clients do: it answers BR_ENTRY
// with an ANSENTRY without CAPUTF8OPT and acknowledges every SENDMSG; it keeps each message it got.
type legacyPeer struct {
	conn *net.UDPConn
	mu   sync.Mutex
	msgs []wire.Packet
}

func startLegacyPeer(t *testing.T, addr string) *legacyPeer {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatal(err)
	}
	p := &legacyPeer{conn: c}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		no := uint32(time.Now().Unix())
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			in, err := wire.Parse(buf[:n])
			if err != nil {
				continue
			}
			no++
			out := wire.Packet{No: no, User: "old", Host: "oldpc"}
			switch in.Cmd.Mode() {
			case wire.BrEntry:
				out.Cmd = wire.AnsEntry
				out.Msg, out.Extra = wire.AppendEntry([]byte("old"), nil, wire.EntryText{User: "old", Host: "oldpc", Nick: "old"})
			case wire.SendMsg:
				p.mu.Lock()
				in.Msg = append([]byte(nil), in.Msg...) // Parse keeps slices into buf
				p.msgs = append(p.msgs, in)
				p.mu.Unlock()
				out.Cmd, out.Msg = wire.RecvMsg, []byte(strconv.FormatUint(uint64(in.No), 10))
			default:
				continue
			}
			c.WriteToUDPAddrPort(out.Bytes(), from)
		}
	}()
	return p
}

func (p *legacyPeer) messages() []wire.Packet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]wire.Packet(nil), p.msgs...)
}

// To a peer that reads only CP932, what CP932 cannot hold goes as '?', and send says which characters,
// naming the peer; nothing is lost silently.
func TestSendWarnsOfLostCharacters(t *testing.T) {
	port := freePort(t)
	peer := startLegacyPeer(t, "127.0.0.5:"+port)
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--to", "127.0.0.5", "日本語と中文: 你好")
	if code != 0 || !strings.Contains(out, "delivered to old") {
		t.Fatalf("send exit %d: %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "warning: old (127.0.0.5:"+port+")") || !strings.Contains(errOut, `"你"`) ||
		strings.Contains(errOut, `"好"`) || strings.Contains(errOut, `"日"`) {
		t.Errorf("send's warning %q: want it to name old and exactly 你", errOut)
	}
	msgs := peer.messages()
	if len(msgs) == 0 {
		t.Fatal("the peer got no message")
	}
	m := msgs[0]
	if m.Cmd.Has(wire.UTF8Opt) || wire.Decode(m.Msg, wire.CP932) != "日本語と中文: ?好" {
		t.Errorf("the peer got %q (UTF8OPT %v), want CP932 with ? for 你", m.Msg, m.Cmd.Has(wire.UTF8Opt))
	}
}

// A bare address that our broadcasts never reach (loopback, no --broadcast-addr) is introduced to
// before the message: the receiver lists the sender with its nickname first, and text that CP932
// cannot hold arrives whole.
func TestSendIntroducesToBareAddress(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--nick", "受信者", "--user", "rx")
	text := "こんにちは 你好 한국어"
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--nick", "送信者", "--user", "tx",
		"--to", "127.0.0.2", text)
	if code != 0 || !strings.Contains(out, "delivered to 受信者") || strings.Contains(errOut, "warning") {
		t.Fatalf("send exit %d: %q %q", code, out, errOut)
	}
	first := srv.wait(t, func(m map[string]any) bool { return m["event"] == "host-joined" || m["event"] == "message" })
	if first["event"] != "host-joined" || first["host"].(map[string]any)["nick"] != "送信者" {
		t.Errorf("before the message serve printed %v, want the sender listed as 送信者", first)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if m["text"] != text {
		t.Errorf("the text arrived as %q, want %q", m["text"], text)
	}
}

// Two standalone sends of one profile, back to back: both delivered, both encrypted, and the second's
// packet numbers come after the first's (a peer that drops repeats, as Windows does, takes neither for
// the other).
func TestBackToBackSendsOfOneProfile(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--broadcast-addr", "127.0.0.3")
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "keys" })
	profile := t.TempDir()
	var packets []float64
	for _, text := range []string{"first", "second"} {
		code, out, errOut := run(t, send, "--profile", profile, "--bind", "127.0.0.3", "--port", port, "--user", "tx",
			"--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", text)
		if code != 0 || !strings.Contains(out, "encrypted") {
			t.Fatalf("send %s: exit %d %q %q", text, code, out, errOut)
		}
		m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["text"] == text })
		if m["encrypted"] != true {
			t.Errorf("%s arrived in the clear: %v", text, m)
		}
		packets = append(packets, m["packet"].(float64))
	}
	if packets[1] <= packets[0] {
		t.Errorf("the second send's message has packet %.0f, not after the first's %.0f", packets[1], packets[0])
	}
}

// hato info asks a peer (GETINFO, GETABSENCEINFO) and shows what its entry said it can do.
func TestInfo(t *testing.T) {
	port := freePort(t)
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--nick", "鳩", "--user", "rx", "--absent", "昼食中")
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "keys" })
	code, out, errOut := run(t, info, "--bind", "127.0.0.3", "--port", port, "--to", "127.0.0.2", "--json")
	var got map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("info exit %d: %q %q", code, out, errOut)
	}
	caps := fmt.Sprint(got["capabilities"])
	if got["version"] != "Hato IP Messenger compatible client" || got["absence"] != "昼食中" || got["charset"] != "utf-8" ||
		!strings.Contains(caps, "encryption") || !strings.Contains(caps, "files") || got["host"].(map[string]any)["nick"] != "鳩" {
		t.Errorf("info %s", out)
	}
	code, out, errOut = run(t, info, "--bind", "127.0.0.3", "--port", port, "--broadcast-addr", "127.0.0.2", "--to", "鳩")
	if code != 0 || !strings.Contains(out, "absence:      昼食中") {
		t.Errorf("by nick: exit %d %q %q", code, out, errOut)
	}
}

// hato doctor: every check on its line; nobody answering fails (exit 1) and says what to do; with a
// peer and --to, the GETINFO round trip is timed; through a running Hato the port is its own.
func TestDoctor(t *testing.T) {
	port := freePort(t)
	code, out, errOut := run(t, doctor, "--bind", "127.0.0.3", "--port", port, "--wait", "500ms")
	if code != 1 || !strings.Contains(out, "FAIL peers:") || !strings.Contains(out, "ok   port:") ||
		!strings.Contains(out, "FAIL broadcasts:") {
		t.Errorf("alone: exit %d\n%s%s", code, out, errOut)
	}
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--nick", "相手", "--broadcast-addr", "127.0.0.3")
	profile := t.TempDir()
	busy := startServe(t, "--profile", profile, "--bind", "127.0.0.3", "--port", port, "--broadcast-addr", "127.0.0.2")
	srv.wait(t, func(m map[string]any) bool { return m["event"] == "host-joined" })
	busy.wait(t, func(m map[string]any) bool { return m["event"] == "host-joined" })
	code, out, errOut = run(t, doctor, "--profile", profile, "--to", "127.0.0.2", "--wait", "1500ms")
	if !strings.Contains(out, "this Hato listens on them") || !strings.Contains(out, "ok   peers:") ||
		!strings.Contains(out, "ok   answer:") || !strings.Contains(out, "answered GETINFO in") {
		t.Errorf("through the running Hato: exit %d\n%s%s", code, out, errOut)
	}
}
