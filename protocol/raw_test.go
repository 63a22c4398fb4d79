package protocol

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"hato/protocol/wire"
)

// rawPeer is a plain UDP socket that speaks hand-written bytes to a node, like the Windows client or iptux.
type rawPeer struct {
	conn *net.UDPConn
	node netip.AddrPort
}

func newRawPeer(t *testing.T, ip string, port int, node netip.AddrPort) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr(ip, port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{conn: c, node: node}
}

func (r *rawPeer) send(t *testing.T, b string) {
	t.Helper()
	if _, err := r.conn.WriteToUDPAddrPort([]byte(b), r.node); err != nil {
		t.Fatal(err)
	}
}

// expect returns the first packet of the given mode that arrives within d, or fails.
func (r *rawPeer) expect(t *testing.T, mode wire.Command, d time.Duration) (wire.Packet, []byte) {
	t.Helper()
	p, raw, ok := r.next(mode, d)
	if !ok {
		t.Fatalf("no %v within %v", mode, d)
	}
	return p, raw
}

// none checks that no packet of the mode arrives within d.
func (r *rawPeer) none(t *testing.T, mode wire.Command, d time.Duration) {
	t.Helper()
	if p, _, ok := r.next(mode, d); ok {
		t.Fatalf("unexpected %v: %+v", p.Cmd, p)
	}
}

func (r *rawPeer) next(mode wire.Command, d time.Duration) (wire.Packet, []byte, bool) {
	deadline := time.Now().Add(d)
	buf := make([]byte, maxRecv)
	for {
		r.conn.SetReadDeadline(deadline)
		n, _, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return wire.Packet{}, nil, false
		}
		raw := append([]byte(nil), buf[:n]...)
		p, err := wire.Parse(raw)
		if err == nil && p.Cmd.Mode() == mode {
			return p, raw, true
		}
	}
}

// A Windows peer: BR_ENTRY with CAPUTF8OPT and VS line → ANSENTRY in UTF-8, Windows layout.
func TestRawWindowsPeer(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.User, c.Host, c.Nick, c.Group = "hato", "box", "鳩", "開発"
	})
	win := newRawPeer(t, "127.0.0.3", port, n.addr)
	win.send(t, "1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3\x00")
	ev := n.waitEvent(t, "taro", joined("taro"))
	if ev.Host.Nick != "Taro" || ev.Host.Group != "Dev" || ev.Host.Absent || ev.Host.Iptux {
		t.Errorf("windows host %+v", ev.Host)
	}
	p, raw := win.expect(t, wire.AnsEntry, 2*time.Second)
	want := wire.AnsEntry | wire.CapUTF8Opt | wire.UTF8Opt
	if p.Cmd != want || p.User != "hato" || p.Host != "box" || p.Version != "1" {
		t.Errorf("ANSENTRY header %v %q %q, want %v", p.Cmd, p.User, p.Host, want)
	}
	tail := ":鳩\x00開発\x00\nUN:hato\nHN:box\nNN:鳩\nGN:開発\nHATO:1\x00"
	if !bytes.HasSuffix(raw, []byte(tail)) {
		t.Errorf("ANSENTRY %q does not end in %q", raw, tail)
	}

	// A message with SENDCHECKOPT is acknowledged by decimal packet number, also when repeated
	// (Windows pads its last resends with 64 NULs); it is shown once.
	msg := "1:1700000002:taro:PC01:8388896:hello 世界 a:b\x00"
	win.send(t, msg)
	win.send(t, msg+string(make([]byte, 64)))
	for range 2 {
		ack, _ := win.expect(t, wire.RecvMsg, 2*time.Second)
		if string(ack.Msg) != "1700000002" {
			t.Errorf("RECVMSG carries %q", ack.Msg)
		}
	}
	m := n.waitEvent(t, "message", func(ev Event) bool { return ev.Kind == EventMessage }).Message
	if m.Text != "hello 世界 a:b" || m.From.Nick != "Taro" {
		t.Errorf("message %+v", m)
	}
	if count := countKind(n.drain(300*time.Millisecond), EventMessage); count != 1 {
		t.Errorf("duplicate shown %d times", count)
	}

	// Broadcast and auto-reply messages are never acknowledged; RECVMSG is never answered.
	win.send(t, "1:1700000003:taro:PC01:"+strconv.Itoa(int(wire.SendMsg|wire.SendCheckOpt|wire.BroadcastOpt))+":all\x00")
	win.send(t, "1:1700000004:taro:PC01:"+strconv.Itoa(int(wire.SendMsg|wire.SendCheckOpt|wire.AutoRetOpt))+":away\x00")
	win.send(t, "1:1700000005:taro:PC01:289:123\x00")
	win.none(t, wire.RecvMsg, 300*time.Millisecond)

	// GETINFO, GETABSENCEINFO.
	win.send(t, "1:1700000006:taro:PC01:64:\x00")
	info, _ := win.expect(t, wire.SendInfo, time.Second)
	if !bytes.Contains(info.Msg, []byte("Hato")) {
		t.Errorf("SENDINFO %q", info.Msg)
	}
	win.send(t, "1:1700000007:taro:PC01:80:\x00")
	abs, _ := win.expect(t, wire.SendAbsenceInfo, time.Second)
	if string(abs.Msg) != "Not absence mode" {
		t.Errorf("SENDABSENCEINFO %q", abs.Msg)
	}

	// READMSG with READCHECKOPT is answered with ANSREADMSG carrying the READMSG's own number.
	win.send(t, "1:1700000008:taro:PC01:"+strconv.Itoa(int(wire.ReadMsg|wire.ReadCheckOpt))+":99\x00")
	ans, _ := win.expect(t, wire.AnsReadMsg, time.Second)
	if string(ans.Msg) != "1700000008" {
		t.Errorf("ANSREADMSG carries %q", ans.Msg)
	}

	// Unknown commands and garbage are ignored; the node keeps working.
	win.send(t, "1:1700000009:taro:PC01:255:\x00")
	win.send(t, "1:1700000010:taro:PC01:119:\x00")
	win.send(t, "\x02binary")
	win.send(t, "1:x:y")
	win.send(t, "1:1700000011:taro:PC01:288:still alive\x00")
	win.expect(t, wire.RecvMsg, time.Second)

	// BR_EXIT removes the host.
	win.send(t, "1:1700000012:taro:PC01:2:\x00")
	n.waitEvent(t, "host-left", func(ev Event) bool { return ev.Kind == EventHostLeft && ev.Host.User == "taro" })
}

// An iptux peer: ABSENCEOPT on every entry, UTF-8 without UTF8OPT, four entry fields.
func TestRawIptuxPeer(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.Nick, c.Group = "鳩", "開発" })
	ip := newRawPeer(t, "127.0.0.3", port, n.addr)
	ip.send(t, "1_iptux 0.8.3:1:root:iptuxhost:257:イプタックス\x00测试组\x00icon-tux.png\x00utf-8\x00")
	ev := n.waitEvent(t, "iptux", joined("root"))
	h := ev.Host
	if h.Nick != "イプタックス" || h.Group != "测试组" || h.Absent || !h.Iptux || h.Encoding != "utf-8" {
		t.Errorf("iptux host %+v", h)
	}
	p, raw := ip.expect(t, wire.AnsEntry, 2*time.Second)
	if p.Cmd.Has(wire.UTF8Opt) || !bytes.Contains(raw, []byte(":鳩\x00開発\x00")) {
		t.Errorf("ANSENTRY to iptux must be plain UTF-8: %q", raw)
	}

	ip.send(t, "1_iptux 0.8.3:2:root:iptuxhost:288:iptux→probe テスト 中文\x00")
	ack, _ := ip.expect(t, wire.RecvMsg, time.Second)
	if string(ack.Msg) != "2" || ack.Cmd.Has(wire.UTF8Opt) {
		t.Errorf("RECVMSG to iptux %v %q", ack.Cmd, ack.Msg)
	}
	m := n.waitEvent(t, "message", func(ev Event) bool { return ev.Kind == EventMessage }).Message
	if m.Text != "iptux→probe テスト 中文" {
		t.Errorf("text %q", m.Text)
	}

	// Messages to iptux are limited to 8 KB.
	_, _, err := n.Send(t.Context(), []Host{{Addr: addr("127.0.0.3", port)}}, string(bytes.Repeat([]byte("x"), 9000)), SendOptions{})
	if err == nil {
		t.Error("9 KB message to iptux accepted")
	}

	ip.send(t, "1_iptux 0.8.3:41:root:iptuxhost:65538:\x00")
	n.waitEvent(t, "host-left", func(ev Event) bool { return ev.Kind == EventHostLeft })
}

// A SENDMSG from an unknown host adds it and sends it a BR_ENTRY, unless NOADDLISTOPT is set.
func TestUnknownSender(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	peer := newRawPeer(t, "127.0.0.3", port, n.addr)
	peer.send(t, "1:1700000001:ghost:box:"+strconv.Itoa(int(wire.SendMsg|wire.NoAddListOpt))+":once\x00")
	n.waitEvent(t, "message", func(ev Event) bool { return ev.Kind == EventMessage })
	peer.none(t, wire.BrEntry, 300*time.Millisecond)
	if len(n.Hosts()) != 0 {
		t.Errorf("NOADDLISTOPT sender listed: %+v", n.Hosts())
	}
	peer.send(t, "1:1700000002:ghost:box:32:hello\x00")
	n.waitEvent(t, "joined", joined("ghost"))
	peer.expect(t, wire.BrEntry, time.Second)
}

// Legacy peers without UTF-8 get CP932; their CP932 text is decoded.
func TestLegacyCharset(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	peer := newRawPeer(t, "127.0.0.3", port, n.addr)
	sjis := "\x93\xfa\x96\x7b\x8c\xea" // 日本語 in CP932
	peer.send(t, "1:1700000001:old:pc:1:"+sjis+"\x00\x00")
	ev := n.waitEvent(t, "old", joined("old"))
	if ev.Host.Nick != "日本語" {
		t.Errorf("CP932 nick decoded as %q", ev.Host.Nick)
	}
	peer.expect(t, wire.AnsEntry, 2*time.Second)
	go n.Send(t.Context(), []Host{{Addr: addr("127.0.0.3", port)}}, "日本語〜", SendOptions{})
	p, _ := peer.expect(t, wire.SendMsg, 2*time.Second)
	if p.Cmd.Has(wire.UTF8Opt) || string(p.Msg) != sjis+"\x81\x60" {
		t.Errorf("to a legacy peer: %v %q, want CP932 %q", p.Cmd, p.Msg, sjis+"\x81\x60")
	}
}

func countKind(evs []Event, k EventKind) int {
	c := 0
	for _, ev := range evs {
		if ev.Kind == k {
			c++
		}
	}
	return c
}

// Broadcast entries carry UTF-8 names (iptux reads legacy bytes as UTF-16); a legacy peer that answers
// gets our names again in its code page, in a BR_ABSENCE.
func TestEntryCharsets(t *testing.T) {
	port := testPort(t)
	// The peer's socket first: the node's BR_ENTRY goes out as soon as it runs.
	old := newRawPeer(t, "127.0.0.3", port, addr("127.0.0.2", port))
	startNode(t, "127.0.0.2", port, func(c *Config) { c.Nick, c.Group = "鳩", "開発" }, "127.0.0.3")
	p, raw := old.expect(t, wire.BrEntry, 2*time.Second)
	if p.Cmd.Has(wire.UTF8Opt) || !bytes.Contains(raw, []byte(":鳩\x00開発\x00\nUN:")) {
		t.Errorf("broadcast BR_ENTRY %q: want UTF-8 legacy fields, no UTF8OPT", raw)
	}
	old.send(t, "1:1700000001:old:pc:3:Old\x00\x00")
	p, raw = old.expect(t, wire.BrAbsence, 2*time.Second)
	if !bytes.Contains(raw, []byte(":\x94\xb5\x00\x8aJ\x94\xad\x00")) {
		t.Errorf("BR_ABSENCE to a legacy peer %q: want CP932 鳩 and 開発", raw)
	}
}

// recorder is a raw peer that reads on its own goroutine: it keeps every packet in order of arrival and
// writes back what answer returns for it (nothing when answer is nil or returns nil).
type recorder struct {
	*rawPeer
	mu  sync.Mutex
	got []wire.Packet
}

func newRecorder(t *testing.T, ip string, port int, node netip.AddrPort, answer func(wire.Packet) []string) *recorder {
	t.Helper()
	r := &recorder{rawPeer: newRawPeer(t, ip, port, node)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxRecv)
		for {
			n, from, err := r.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			p, err := wire.Parse(buf[:n])
			if err != nil {
				continue
			}
			p.Msg, p.Extra = clone(p.Msg), clone(p.Extra)
			r.mu.Lock()
			r.got = append(r.got, p)
			r.mu.Unlock()
			if answer != nil {
				for _, b := range answer(p) {
					r.conn.WriteToUDPAddrPort([]byte(b), from)
				}
			}
		}
	}()
	t.Cleanup(func() { r.conn.Close(); <-done })
	return r
}

// packets returns what arrived so far.
func (r *recorder) packets() []wire.Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// wait returns the first packet of the mode that arrived (or arrives within 5 s) for which match holds.
func (r *recorder) wait(t *testing.T, mode wire.Command, match func(wire.Packet) bool) wire.Packet {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, p := range r.packets() {
			if p.Cmd.Mode() == mode && (match == nil || match(p)) {
				return p
			}
		}
	}
	t.Fatalf("%s: no %v within 5 s", r.conn.LocalAddr(), mode)
	return wire.Packet{}
}

// modes filters what arrived by mode, in order.
func (r *recorder) modes(modes ...wire.Command) []wire.Packet {
	var out []wire.Packet
	for _, p := range r.packets() {
		if slices.Contains(modes, p.Cmd.Mode()) {
			out = append(out, p)
		}
	}
	return out
}

// recvMsg acknowledges a SENDMSG that asks for it, as user@host (a Windows peer's answer).
func recvMsg(p wire.Packet, user, host string) []string {
	if p.Cmd.Mode() != wire.SendMsg || !p.Cmd.Has(wire.SendCheckOpt) {
		return nil
	}
	return []string{fmt.Sprintf("1:%d:%s:%s:%d:%d\x00", p.No+1_000_000, user, host, wire.RecvMsg, p.No)}
}

// waitCount waits up to 5 s until count packets of the mode arrived.
func (r *recorder) waitCount(t *testing.T, mode wire.Command, count int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(r.modes(mode)) < count; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d %v within 5 s", r.conn.LocalAddr(), len(r.modes(mode)), count, mode)
		}
	}
}
