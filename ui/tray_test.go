package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"hato/protocol"
)

// menuItem finds the item labelled label in m, failing the test without one.
func menuItem(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no %q in menu %q", label, menuLabels(m))
	return nil
}

// menuLabels lists m's labels, "-" for separators and "✓" before checked items.
func menuLabels(m *fyne.Menu) []string {
	var l []string
	for _, it := range m.Items {
		switch {
		case it.IsSeparator:
			l = append(l, "-")
		case it.Checked:
			l = append(l, "✓"+it.Label)
		default:
			l = append(l, it.Label)
		}
	}
	return l
}

// Under the test driver there is no tray: the tray says so, keeps its state and does nothing else; the
// menu still shows the window, opens the settings and quits.
func TestTrayHeadless(t *testing.T) {
	ts := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	var shown, opened, quit, history int
	tr := newTray(ts.session, func() { shown++ }, func() { opened++ }, func() { quit++ })
	tr.openHistory = func() { history++ }
	if tr.available() {
		t.Fatal("a tray under the test driver")
	}
	tr.refresh()

	m := tr.menu()
	if got, want := menuLabels(m), []string{"Show", "Absence", "-", "History…", "Settings…", "-", "Quit"}; !slices.Equal(got, want) {
		t.Errorf("menu %q, want %q", got, want)
	}
	if q := m.Items[len(m.Items)-1]; !q.IsQuit {
		t.Error("Quit is not flagged IsQuit: Fyne would add a second one")
	}
	menuItem(t, m, "Show").Action()
	menuItem(t, m, "History…").Action()
	menuItem(t, m, "Settings…").Action()
	menuItem(t, m, "Quit").Action()
	if shown != 1 || opened != 1 || quit != 1 || history != 1 {
		t.Errorf("show %d, settings %d, quit %d, history %d times", shown, opened, quit, history)
	}

	if tr.icon != trayIcon {
		t.Errorf("icon %s at start", tr.icon.Name())
	}
	tr.setUnread(3)
	if tr.icon != trayUnreadIcon {
		t.Errorf("icon %s with 3 unread", tr.icon.Name())
	}
	m = tr.menu()
	if got := menuLabels(m); got[0] != "3 unread messages" || got[1] != "-" {
		t.Errorf("menu with 3 unread %q", got)
	}
	m.Items[0].Action()
	if shown != 2 {
		t.Error("the unread count does not show the window")
	}
	tr.setUnread(1)
	if got := tr.menu().Items[0].Label; got != "1 unread message" || tr.icon != trayUnreadIcon {
		t.Errorf("1 unread: %q, icon %s", got, tr.icon.Name())
	}
	tr.setUnread(0)
	if got := tr.menu().Items[0].Label; got != "Show" || tr.icon != trayIcon {
		t.Errorf("none unread: first item %q, icon %s", got, tr.icon.Name())
	}
}

// The Absence submenu lists the presets and Off with the current one checked; choosing one puts the
// node into absence mode, which a peer sees, and moves the check.
func TestTrayAbsence(t *testing.T) {
	port := testPort(t)
	long := strings.Repeat("長い不在の説明", 10)
	presets := []string{"会議中です", "At lunch.", long}
	host := newTestSession(t, newTestApp(t), "127.0.0.2", port, func(s *settings) { s.AbsencePresets = presets }, "127.0.0.3")
	peer := newTestSession(t, newTestApp(t), "127.0.0.3", port, nil, "127.0.0.2")
	var seen *protocol.Host // host as peer last heard of it
	peer.onEvent = func(ev protocol.Event) {
		if ev.Kind == protocol.EventHostJoined || ev.Kind == protocol.EventHostUpdated {
			h := ev.Host
			seen = &h
		}
	}
	peer.q.until(t, "the host at the peer", func() bool { return seen != nil })
	if seen.Absent {
		t.Fatal("absent from the start")
	}

	var told []string
	tr := newTray(host.session, func() {}, func() {}, func() {})
	tr.absenceChanged = func(text string) { told = append(told, text) }
	absence := func() *fyne.Menu { return menuItem(t, tr.menu(), "Absence").ChildMenu }
	short := []rune(long)[:trayLabelMax-1]
	want := []string{"会議中です", "At lunch.", string(short) + "…", "-", "✓Off"}
	if got := menuLabels(absence()); !slices.Equal(got, want) {
		t.Fatalf("absence menu %q, want %q", got, want)
	}

	absence().Items[0].Action()
	if got := host.absence(); got != "会議中です" {
		t.Fatalf("absence %q after choosing the first preset", got)
	}
	peer.q.until(t, "the host absent at the peer", func() bool { return seen.Absent })
	if tr.icon != trayAwayIcon {
		t.Errorf("absent: the tray shows %s, want the moon", tr.icon.Name())
	}
	tr.setUnread(1)
	if tr.icon != trayAwayUnread {
		t.Errorf("absent with a message: the tray shows %s", tr.icon.Name())
	}
	tr.setUnread(0)
	want = []string{"✓会議中です", "At lunch.", string(short) + "…", "-", "Off"}
	if got := menuLabels(absence()); !slices.Equal(got, want) {
		t.Errorf("absence menu %q, want %q", got, want)
	}

	absence().Items[2].Action() // the long one: the whole text is set, not the label
	if got := host.absence(); got != long {
		t.Errorf("absence %q after choosing the long preset", got)
	}

	menuItem(t, absence(), "Off").Action()
	if got := host.absence(); got != "" {
		t.Fatalf("absence %q after Off", got)
	}
	peer.q.until(t, "the host back at the peer", func() bool { return !seen.Absent })
	if tr.icon != trayIcon {
		t.Errorf("back: the tray shows %s", tr.icon.Name())
	}
	if got := menuLabels(absence()); got[len(got)-1] != "✓Off" {
		t.Errorf("absence menu after Off %q", got)
	}
	if !slices.Equal(told, []string{"会議中です", long, ""}) {
		t.Errorf("absenceChanged heard %q", told)
	}

	// A text that is no longer a preset (Settings changed them meanwhile) is listed, checked.
	host.setAbsence("外出中")
	if got := menuLabels(absence()); got[0] != "✓外出中" || len(got) != len(presets)+3 {
		t.Errorf("absence menu with a text not in the presets %q", got)
	}
}
