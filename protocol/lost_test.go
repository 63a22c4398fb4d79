package protocol

import (
	"strconv"
	"testing"
	"time"

	"hato/protocol/wire"
)

// A peer known to read only CP932 gets CP932, and the sender is told exactly what became '?': in the
// message (Delivery.Lost: text, then attachment names) and in our names (EventLost, once per peer and
// set of characters). A CAPUTF8OPT peer gets everything in UTF-8 and loses nothing.
func TestLostCharacters(t *testing.T) {
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.Nick = "鸽子Hato" })
	old := newRecorder(t, "127.0.0.3", port, n.addr, func(p wire.Packet) []string { return recvMsg(p, "old", "pc") })
	win := newRecorder(t, "127.0.0.4", port, n.addr, func(p wire.Packet) []string { return recvMsg(p, "taro", "PC01") })
	old.send(t, "1:1700000001:old:pc:1:Old\x00\x00")
	win.send(t, "1:1700000001:taro:PC01:"+strconv.Itoa(int(wire.BrEntry|wire.CapUTF8Opt))+":Taro\x00\x00\nUN:taro\nNN:Taro\x00")
	n.waitEvent(t, "old", joined("old"))
	n.waitEvent(t, "taro", joined("taro"))

	// Our nick in old's ANSENTRY: 鸽 is not in CP932.
	ans := old.wait(t, wire.AnsEntry, nil)
	if string(ans.Msg) != "?\x8eqHato" {
		t.Errorf("ANSENTRY nick %q, want CP932 ?子Hato", ans.Msg)
	}
	ev := n.waitEvent(t, "lost-characters", func(ev Event) bool { return ev.Kind == EventLost })
	if ev.Host.User != "old" || ev.Text != "鸽" {
		t.Errorf("EventLost %+v, want old and 鸽", ev)
	}

	text, files := "鳩你好😀", "1:报告.txt:a:5f000000:1:\a"
	to := []Host{{Addr: addr("127.0.0.3", port)}, {Addr: addr("127.0.0.4", port)}}
	no, res, err := n.Send(t.Context(), to, text, SendOptions{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Lost != "你😀报" || res[1].Err != nil || res[1].Lost != "" {
		t.Errorf("deliveries %+v, want 你😀报 lost to old, nothing to taro", res)
	}
	m := old.wait(t, wire.SendMsg, func(p wire.Packet) bool { return p.No == no })
	if m.Cmd.Has(wire.UTF8Opt) || string(m.Msg) != "\x94\xb5?\x8dD?" || string(m.Extra) != "1:?\x8d\x90.txt:a:5f000000:1:\a" {
		t.Errorf("to old: %v %q %q", m.Cmd, m.Msg, m.Extra)
	}
	m = win.wait(t, wire.SendMsg, func(p wire.Packet) bool { return p.No == no })
	if !m.Cmd.Has(wire.UTF8Opt) || string(m.Msg) != text || string(m.Extra) != files {
		t.Errorf("to taro: %v %q %q", m.Cmd, m.Msg, m.Extra)
	}

	// The same nick again loses the same: not reported again. A new nick that loses more is.
	n.SetPresence(Presence{Nick: "鸽子Hato"})
	n.SetPresence(Presence{Nick: "鸽子鸭"})
	n.waitEvent(t, "second lost-characters", func(ev Event) bool { return ev.Kind == EventLost && ev.Text == "鸽鸭" })
	var lost []string
	for _, ev := range n.drain(300 * time.Millisecond) {
		if ev.Kind == EventLost {
			lost = append(lost, ev.Host.User+" "+ev.Text)
		}
	}
	if len(lost) != 2 || lost[0] != "old 鸽" || lost[1] != "old 鸽鸭" {
		t.Errorf("lost-characters events %q, want [old 鸽] [old 鸽鸭]", lost)
	}
}
