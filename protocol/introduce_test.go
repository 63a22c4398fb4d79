package protocol

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"hato/protocol/wire"
)

// ansEntry is a Windows peer's answer to BR_ENTRY: CAPUTF8OPT and the UTF-8 name lines.
func ansEntry(user, nick string) string {
	return fmt.Sprintf("1:1700000001:%s:PC01:%d:%s\x00\x00\nUN:%s\nHN:PC01\nNN:%s\x00", user,
		wire.AnsEntry|wire.CapUTF8Opt, nick, user, nick)
}

// A message to a bare address goes after our BR_ENTRY and the peer's ANSENTRY, so it is written in the
// charset the answer asked for: "日本語" fits CP932, yet goes as UTF-8 with UTF8OPT to a CAPUTF8OPT peer.
func TestSendIntroducesFirst(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, nil)
	win := newRecorder(t, "127.0.0.3", port, n.addr, func(p wire.Packet) []string {
		if p.Cmd.Mode() == wire.BrEntry {
			return []string{ansEntry("taro", "Taro")}
		}
		return recvMsg(p, "taro", "PC01")
	})
	_, res, err := n.Send(t.Context(), []Host{{Addr: addr("127.0.0.3", port)}}, "日本語", SendOptions{})
	if err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	if h := res[0].Host; !h.Entry || h.Nick != "Taro" || !h.Caps.Has(wire.CapUTF8Opt) {
		t.Errorf("delivery host %+v, want Taro known from its entry", h)
	}
	got := win.modes(wire.BrEntry, wire.SendMsg)
	if len(got) < 2 || got[0].Cmd.Mode() != wire.BrEntry || got[1].Cmd.Mode() != wire.SendMsg {
		t.Fatalf("peer got %v, want BR_ENTRY then SENDMSG", got)
	}
	if m := got[1]; !m.Cmd.Has(wire.UTF8Opt) || string(m.Msg) != "日本語" {
		t.Errorf("SENDMSG %v %q, want UTF-8 with UTF8OPT", m.Cmd, m.Msg)
	}
	// Known now: the next message goes without another introduction.
	if _, res, err := n.Send(t.Context(), []Host{{Addr: addr("127.0.0.3", port)}}, "again", SendOptions{}); err != nil || res[0].Err != nil {
		t.Fatalf("second send: %v %+v", err, res)
	}
	if c := len(win.modes(wire.BrEntry)); c != 1 {
		t.Errorf("%d BR_ENTRY for two messages, want 1", c)
	}
}

// A silent address gets the message after the wait: in the legacy code page when that holds the text
// and our names, otherwise in UTF-8 with UTF8OPT (which Windows and iptux read), never with '?'.
func TestSendToSilentAddress(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.IntroduceWait = 200 * time.Millisecond })
	silent := newRecorder(t, "127.0.0.3", port, n.addr, func(p wire.Packet) []string {
		return recvMsg(p, "quiet", "PC02")
	})
	to := []Host{{Addr: addr("127.0.0.3", port)}}
	for _, c := range []struct {
		text, wire string
		flag       bool
	}{
		{"日本語", "\x93\xfa\x96\x7b\x8c\xea", false},
		{"你好😀", "你好😀", true},
	} {
		no, res, err := n.Send(t.Context(), to, c.text, SendOptions{})
		if err != nil || res[0].Err != nil || res[0].Lost != "" {
			t.Fatalf("send %q: %v %+v", c.text, err, res)
		}
		m := silent.wait(t, wire.SendMsg, func(p wire.Packet) bool { return p.No == no })
		if string(m.Msg) != c.wire || m.Cmd.Has(wire.UTF8Opt) != c.flag {
			t.Errorf("%q went as %v %q, want %q with UTF8OPT %v", c.text, m.Cmd, m.Msg, c.wire, c.flag)
		}
	}
	got := silent.modes(wire.BrEntry, wire.SendMsg)
	if len(got) == 0 || got[0].Cmd.Mode() != wire.BrEntry {
		t.Errorf("the silent peer got %v, want our BR_ENTRY first", got)
	}
}

// Introduce sends to every address before waiting for any: a peer that answers only once the other
// has heard from us is known at the end, and the whole takes one wait (the silent address's), where
// one address after the other would take at least two (the first peer's and the silent one's).
func TestIntroduceInParallel(t *testing.T) {
	port := testPort(t)
	const wait = 1500 * time.Millisecond
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.IntroduceWait = wait })
	bHeard := make(chan struct{})
	newRecorder(t, "127.0.0.3", port, n.addr, func(p wire.Packet) []string {
		if p.Cmd.Mode() != wire.BrEntry {
			return nil
		}
		select {
		case <-bHeard:
			return []string{ansEntry("alice", "Alice")}
		case <-time.After(5 * time.Second):
			return nil
		}
	})
	newRecorder(t, "127.0.0.4", port, n.addr, func(p wire.Packet) []string {
		if p.Cmd.Mode() != wire.BrEntry {
			return nil
		}
		close(bHeard)
		return []string{ansEntry("bob", "Bob")}
	})
	newRecorder(t, "127.0.0.5", port, n.addr, nil)
	addrs := []netip.AddrPort{addr("127.0.0.3", port), addr("127.0.0.4", port), addr("127.0.0.5", port)}
	start := time.Now()
	hosts := n.Introduce(t.Context(), addrs)
	if took := time.Since(start); took < wait || took > 2*wait-300*time.Millisecond {
		t.Errorf("Introduce took %v, want one wait of %v", took, wait)
	}
	if len(hosts) != 3 || hosts[0].User != "alice" || !hosts[0].Entry || hosts[1].User != "bob" || !hosts[1].Entry {
		t.Fatalf("introduced %+v", hosts)
	}
	if h := hosts[2]; h.Entry || h.User != "" || h.Addr != addrs[2] {
		t.Errorf("silent address came back as %+v", h)
	}
}

// A reply to a sender that never announced itself (listed with Entry false) introduces us again first.
func TestReplyToUnknownSenderIntroduces(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.IntroduceWait = 200 * time.Millisecond })
	ghost := newRecorder(t, "127.0.0.3", port, n.addr, func(p wire.Packet) []string { return recvMsg(p, "ghost", "box") })
	ghost.send(t, "1:1700000001:ghost:box:32:hello\x00")
	m := n.waitEvent(t, "message", message).Message
	if m.From.Entry {
		t.Errorf("sender known from an entry: %+v", m.From)
	}
	ghost.waitCount(t, wire.BrEntry, 1) // addUnknown's
	no, res, err := n.Send(t.Context(), []Host{m.From}, "reply", SendOptions{})
	if err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	got := ghost.modes(wire.BrEntry, wire.SendMsg)
	if len(got) != 3 || got[1].Cmd.Mode() != wire.BrEntry || got[2].No != no {
		t.Errorf("ghost got %v, want BR_ENTRY, BR_ENTRY, SENDMSG", got)
	}
}
