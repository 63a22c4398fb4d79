package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"hato/protocol"
)

// The whole app on one session: a message from a peer opens its own receive window and a notification,
// the tray counts it unread until the window closes, and a fetch's progress reaches that window.
func TestShellRoutesMessages(t *testing.T) {
	port := testPort(t)
	me := newTestSession(t, newTestApp(t), "127.0.0.2", port, nil, "127.0.0.3")
	peer := newTestSession(t, newTestApp(t), "127.0.0.3", port, func(s *settings) { s.Nick = "同僚" }, "127.0.0.2")
	d := newShell(me.session)
	var notes []string
	d.notify.send = func(title, body string) error { // on a goroutine: record on the UI queue
		me.q.do(func() { notes = append(notes, title+": "+body) })
		return nil
	}
	t.Cleanup(func() {
		for _, w := range append([]*recvWindow(nil), d.recv...) {
			w.window.Close()
		}
		d.main.window.Close()
	})

	var hosts []protocol.Host
	peer.onEvent = func(ev protocol.Event) {
		if ev.Kind == protocol.EventHostJoined {
			hosts = append(hosts, ev.Host)
		}
	}
	peer.q.until(t, "me in the peer's list", func() bool { return len(hosts) == 1 })
	me.q.until(t, "the peer's nick in my table", func() bool { return len(d.main.hosts.rows) == 1 && d.main.hosts.rows[0].host.Nick == "同僚" })

	file := filepath.Join(t.TempDir(), "議事録.txt")
	os.WriteFile(file, []byte(strings.Repeat("minutes ", 4096)), 0o644)
	var r *sent
	peer.send(hosts, "会議の議事録です", protocol.SendOptions{}, []string{file}, nil, func(s sent) { r = &s })
	me.q.until(t, "a receive window", func() bool { return len(d.recv) == 1 })
	peer.q.until(t, "the delivery", func() bool { return r != nil })
	w := d.recv[0]
	if w.m.Text != "会議の議事録です" || d.tray.unread != 1 {
		t.Errorf("window for %q, unread %d", w.m.Text, d.tray.unread)
	}
	me.q.until(t, "the notification", func() bool { return len(notes) == 1 })
	if !strings.HasPrefix(notes[0], "同僚: 会議の議事録です") {
		t.Errorf("notification %q", notes[0])
	}

	w.onSaveAll()
	me.q.until(t, "the file saved through the window", func() bool { return strings.HasPrefix(w.files[0].status.Text, "Saved") })
	if b, err := os.ReadFile(filepath.Join(me.set.DownloadDir, "議事録.txt")); err != nil || len(b) != 8*4096 {
		t.Errorf("saved file: %d bytes, %v", len(b), err)
	}
	w.window.Close()
	if len(d.recv) != 0 || d.tray.unread != 0 {
		t.Errorf("after closing: %d windows, unread %d", len(d.recv), d.tray.unread)
	}
}

// Starting Hato a second time shows the running one's window (it may be hidden in a tray the desktop
// does not show).
func TestShellShowsOnSecondStart(t *testing.T) {
	port := testPort(t)
	me := newTestSession(t, newTestApp(t), "127.0.0.1", port, nil)
	d := newShell(me.session)
	t.Cleanup(d.main.window.Close)
	d.main.window.Hide()
	rec := &showRecorder{Window: d.main.window}
	d.main.window = rec
	if err := protocol.Activate(port, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	me.q.until(t, "the window shown", func() bool { return rec.shown })

	// Today's way: the profile's control endpoint (an older Hato answers only the loopback packet).
	rec.shown = false
	d.main.window.Hide()
	if !activate(me.h.Profile()) {
		t.Fatal("no Hato answered on the profile's control endpoint")
	}
	me.q.until(t, "the window shown through the control endpoint", func() bool { return rec.shown })
	if activate(t.TempDir()) {
		t.Error("activate reports a Hato on an empty profile")
	}
}

// showRecorder is a window that remembers being shown (the test driver's windows do not say).
type showRecorder struct {
	fyne.Window
	shown bool
}

func (r *showRecorder) Show() { r.shown = true; r.Window.Show() }
