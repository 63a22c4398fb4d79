package ui

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"hato/protocol"
	"hato/protocol/wire"
)

// testShell is the whole app on a session, its notifications recorded.
func testShell(t *testing.T, me *testSession) (*shell, *[]string) {
	d := newShell(me.session)
	notes := &[]string{}
	d.notify.send = func(title, body string) error {
		me.q.do(func() { *notes = append(*notes, title+": "+body) })
		return nil
	}
	t.Cleanup(func() {
		for _, w := range append([]*recvWindow(nil), d.recv...) {
			w.window.Close()
		}
		d.main.window.Close()
	})
	return d, notes
}

// A message that arrives while the user types in the message box waits for a pause: its window would
// take the keyboard. With pop-ups off it waits until asked for (the tray's unread item).
func TestMessageWindowWaitsWhileTyping(t *testing.T) {
	port := testPort(t)
	me := newTestSession(t, newTestApp(t), "127.0.0.2", port, nil, "127.0.0.3")
	peer := newTestSession(t, newTestApp(t), "127.0.0.3", port, func(s *settings) { s.Nick = "同僚" }, "127.0.0.2")
	d, _ := testShell(t, me)
	var to []protocol.Host
	peer.onEvent = func(ev protocol.Event) {
		if ev.Kind == protocol.EventHostJoined {
			to = append(to, ev.Host)
		}
	}
	peer.q.until(t, "me in the peer's list", func() bool { return len(to) == 1 })

	test.Type(d.main.compose.entry, "typing while a messag")
	peer.send(to, "hello", protocol.SendOptions{}, nil, nil, func(sent) {})
	me.q.until(t, "the message", func() bool { return len(d.recv) == 1 })
	if len(d.held) != 1 {
		t.Fatalf("the window opened while the user typed (held %d)", len(d.held))
	}
	test.Type(d.main.compose.entry, "e arrives")
	me.q.until(t, "the window to open after the typing pause", func() bool { return len(d.held) == 0 })
	if got := d.main.compose.entry.Text; got != "typing while a message arrives" {
		t.Errorf("the message box holds %q", got)
	}

	d.s.set.PopUp = false
	peer.send(to, "second", protocol.SendOptions{}, nil, nil, func(sent) {})
	me.q.until(t, "the second message", func() bool { return len(d.recv) == 2 })
	time.Sleep(typingPause + 200*time.Millisecond)
	me.q.run()
	if len(d.held) != 1 {
		t.Fatalf("pop-ups off: %d held, want the second message waiting", len(d.held))
	}
	d.tray.onUnread()
	if len(d.held) != 0 {
		t.Error("the tray's unread item did not open the waiting message")
	}
}

// A message from a sender that never announced itself names it by its login at first; once its entry
// answers our BR_ENTRY, the window and the notification show its nickname.
func TestMessageBeforeEntryGetsTheNickname(t *testing.T) {
	port := testPort(t)
	me := newTestSession(t, newTestApp(t), "127.0.0.2", port, nil)
	d, notes := testShell(t, me)
	peer, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.5:"+strconv.Itoa(port))))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	no := uint32(time.Now().Unix())
	msg := wire.Packet{No: no, User: "kato", Host: "pc5", Cmd: wire.SendMsg | wire.SendCheckOpt | wire.UTF8Opt, Msg: []byte("先に届いた")}
	peer.WriteToUDPAddrPort(msg.Bytes(), netip.MustParseAddrPort("127.0.0.2:"+strconv.Itoa(port)))
	// Our node asks the stranger who it is (BR_ENTRY); it answers a moment later.
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	for {
		n, from, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no BR_ENTRY for the unknown sender: %v", err)
		}
		p, err := wire.Parse(buf[:n])
		if err != nil || p.Cmd.Mode() != wire.BrEntry {
			continue
		}
		ans := wire.Packet{No: no + 1, User: "kato", Host: "pc5", Cmd: wire.AnsEntry | wire.CapUTF8Opt}
		ans.Msg, ans.Extra = wire.AppendEntry([]byte("加藤"), []byte("営業"), wire.EntryText{User: "kato", Host: "pc5", Nick: "加藤", Group: "営業"})
		time.Sleep(200 * time.Millisecond)
		peer.WriteToUDPAddrPort(ans.Bytes(), from)
		break
	}
	me.q.until(t, "the window named by the nickname", func() bool {
		return len(d.recv) == 1 && d.recv[0].nick.Text == "加藤" && strings.Contains(d.recv[0].window.Title(), "加藤")
	})
	me.q.until(t, "the notification", func() bool { return len(*notes) == 1 })
	if !strings.HasPrefix((*notes)[0], "加藤 (営業): 先に届いた") {
		t.Errorf("notification %q, want the nickname", (*notes)[0])
	}
}
