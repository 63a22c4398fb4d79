package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"

	"hato/assets"
)

// The tray's two faces: the pigeon, and the pigeon with a red dot while messages wait unread.
var (
	trayIcon       = fyne.NewStaticResource("tray.png", assets.Tray)
	trayUnreadIcon = fyne.NewStaticResource("tray-unread.png", assets.TrayUnread)
	trayAwayIcon   = fyne.NewStaticResource("tray-away.png", assets.TrayAway)
	trayAwayUnread = fyne.NewStaticResource("tray-away-unread.png", assets.TrayAwayUnread)
)

// trayLabelMax keeps absence texts in the menu short; the full text is still what gets set.
const trayLabelMax = 40

// tray is the system tray icon and its menu: show the window, absence mode, settings, quit. Without a
// tray (the headless test driver) it keeps its state but shows nothing. UI goroutine only.
type tray struct {
	s    *session
	desk desktop.App // nil when the app has no tray
	// hostShown says whether a panel shows the icon now (trayHostShown; tests replace it).
	hostShown func() bool

	show, openSettings, quit func()
	// openHistory, when set, opens the history window; openUnread the messages not opened yet.
	openHistory, openUnread func()
	// absenceChanged, when set, hears that the tray changed absence mode (text, or "" for off), so that
	// other windows can show it.
	absenceChanged func(text string)

	unread int
	icon   fyne.Resource // what the tray shows: trayIcon, or with a red dot (unread), a moon (absent) or both
}

// newTray puts Hato in the system tray when the app has one. show raises the main window,
// openSettings opens the settings window, quit ends the app.
func newTray(s *session, show, openSettings, quit func()) *tray {
	t := &tray{s: s, show: show, openSettings: openSettings, quit: quit, icon: trayIcon, hostShown: trayHostShown}
	if d, ok := s.app.(desktop.App); ok {
		t.desk = d
		d.SetSystemTrayMenu(t.menu())
		d.SetSystemTrayIcon(t.icon)
	}
	return t
}

// available reports whether the app has a tray at all (the desktop driver).
func (t *tray) available() bool { return t.desk != nil }

// shown reports whether the tray icon is really seen now, so that a hidden window can come back.
func (t *tray) shown() bool { return t.desk != nil && t.hostShown() }

// refresh rebuilds the menu: the absence presets changed, or absence mode did.
func (t *tray) refresh() {
	if t.desk != nil {
		t.desk.SetSystemTrayMenu(t.menu())
	}
}

// setUnread shows whether n messages wait unread: the icon gets a red dot and the menu a count.
func (t *tray) setUnread(n int) {
	if n == t.unread {
		return
	}
	t.unread = n
	t.updateIcon()
	t.refresh() // the count in the menu
}

// updateIcon shows unread messages (a red dot) and absence mode (a moon), as IP Messenger swaps its icon.
func (t *tray) updateIcon() {
	icon := trayIcon
	switch away := t.s.absence() != ""; {
	case away && t.unread > 0:
		icon = trayAwayUnread
	case away:
		icon = trayAwayIcon
	case t.unread > 0:
		icon = trayUnreadIcon
	}
	if icon != t.icon {
		t.icon = icon
		if t.desk != nil {
			t.desk.SetSystemTrayIcon(icon)
		}
	}
}

// menu builds the tray menu from the current state. Fyne's tray has no tooltip, so the unread count
// heads the menu instead.
func (t *tray) menu() *fyne.Menu {
	var items []*fyne.MenuItem
	if t.unread > 0 {
		label := lang.L("1 unread message")
		if t.unread > 1 {
			label = lang.N("{{.Count}} unread messages", t.unread, map[string]any{"Count": t.unread})
		}
		items = append(items, &fyne.MenuItem{Label: label, Action: t.onUnread}, fyne.NewMenuItemSeparator())
	}
	quit := &fyne.MenuItem{Label: lang.L("Quit"), Action: t.onQuit, IsQuit: true}
	items = append(items,
		&fyne.MenuItem{Label: lang.L("Show"), Action: t.onShow},
		&fyne.MenuItem{Label: lang.L("Absence"), ChildMenu: t.absenceMenu()},
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: lang.L("History…"), Action: t.onHistory},
		&fyne.MenuItem{Label: lang.L("Settings…"), Action: t.onSettings},
		fyne.NewMenuItemSeparator(),
		quit, // last, flagged IsQuit, so that Fyne adds no second Quit
	)
	return fyne.NewMenu("Hato", items...)
}

// absenceMenu lists the presets and Off, the current choice checked. An absence text that is not a
// preset (set before the presets changed) is listed too, so that something is always checked.
func (t *tray) absenceMenu() *fyne.Menu {
	current := t.s.absence()
	presets := t.s.set.AbsencePresets
	if current != "" && !slices.Contains(presets, current) {
		presets = append([]string{current}, presets...)
	}
	var items []*fyne.MenuItem
	for _, p := range presets {
		items = append(items, &fyne.MenuItem{Label: ellipsize(p, trayLabelMax), Checked: p == current, Action: func() { t.onAbsence(p) }})
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: lang.L("Off"), Checked: current == "", Action: func() { t.onAbsence("") }})
	return fyne.NewMenu(lang.L("Absence"), items...)
}

func (t *tray) onShow() { t.show() }

// onUnread opens the messages not opened yet (pop-ups off, or held while the user typed).
func (t *tray) onUnread() {
	t.show()
	if t.openUnread != nil {
		t.openUnread()
	}
}
func (t *tray) onSettings() { t.openSettings() }
func (t *tray) onQuit()     { t.quit() }

func (t *tray) onHistory() {
	if t.openHistory != nil {
		t.openHistory()
	}
}

// onAbsence turns absence mode on with text, or off with "", and moves the check.
func (t *tray) onAbsence(text string) {
	t.s.setAbsence(text)
	t.updateIcon()
	t.refresh()
	if t.absenceChanged != nil {
		t.absenceChanged(text)
	}
}
