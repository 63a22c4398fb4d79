// Package ui is Hato's desktop app. It is the only package that imports Fyne; the node it drives lives in
// protocol and knows nothing of windows.
package ui

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"hato/assets"
	"hato/internal/autostart"
	"hato/messenger"
	"hato/messenger/control"
	"hato/protocol"
	"hato/transfer"
)

// AppID names the app to the OS and keys its preferences; its storage folder is the default profile.
const AppID = messenger.AppID

// Options say which Hato the app is: its profile and, for this start, its port and address (as
// Windows' `ipmsg.exe <port> /NIC <addr>`): each profile is its own Hato.
type Options struct {
	Profile   string // "" is the app's own storage folder
	Port      int    // 0 keeps the profile's
	Bind      string // "" keeps the profile's
	Minimized bool   // start hidden in the tray (shown when no panel shows the tray icon), as at login
	// Commands carries out the subcommands (`hato send`, ...) that reach the app's control endpoint.
	Commands func(ctx context.Context, h *messenger.Hato, args []string, cwd string, stdout, stderr io.Writer) int
}

// Run opens the main window on a running Hato and returns when the app quits; the Hato then says
// goodbye to the LAN. A Hato already running for the profile shows its window instead.
func Run(o Options) error {
	if err := loadTranslations(); err != nil {
		slog.Warn("translations", "err", err)
	}
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	profile := cmp.Or(o.Profile, a.Storage().RootURI().Path())
	if activate(profile) {
		return nil
	}
	set, err := loadProfileSettings(a.Preferences(), profile)
	if err != nil {
		return showStartError(a, err)
	}
	if o.Port != 0 || o.Bind != "" {
		if o.Port != 0 {
			set.Port = strconv.Itoa(o.Port)
		}
		set.Bind = cmp.Or(o.Bind, set.Bind)
		if err := set.validate(); err != nil {
			return showStartError(a, err)
		}
		if err := messenger.SaveSettings(profile, set.core()); err != nil {
			return showStartError(a, err)
		}
	}
	applyTheme(a, set.Theme)
	s, err := newSession(a, messenger.Config{Profile: profile, Commands: o.Commands, Logger: slog.Default()}, set, nil)
	if errors.Is(err, messenger.ErrRunning) && activate(profile) {
		return nil // it started a moment ago
	}
	if err != nil {
		// An older Hato on the port answers the loopback activation and shows its window.
		if port, perr := strconv.Atoi(set.Port); perr == nil && protocol.Activate(port, time.Second) == nil {
			return nil
		}
		return showStartError(a, err)
	}
	s.login = loginEntry(o)
	d := newShell(s)
	if o.Minimized && d.tray.shown() {
		a.Run() // in the tray only; its icon brings the window
	} else {
		d.offerAutostart()
		d.main.window.ShowAndRun()
	}
	s.close()
	return nil
}

// loginEntry is what starts at login: this program, minimized, on the same profile.
func loginEntry(o Options) autostart.Entry {
	exe, err := os.Executable()
	if err != nil {
		return autostart.Entry{} // the setting stays off: we would not know what to start
	}
	e := autostart.Entry{Exe: exe, Args: []string{"--minimized"}}
	if o.Profile != "" {
		if abs, err := filepath.Abs(o.Profile); err == nil {
			e.Args = append(e.Args, "--profile", abs)
		}
	}
	return e
}

// offerAutostart asks once, on the first start, whether Hato should start at every login (IP Messenger
// starts with Windows by default, so Yes is the default answer).
func (d *shell) offerAutostart() {
	prefs := d.s.app.Preferences()
	if prefs.Bool(prefAutostartOffered) || d.s.login.Exe == "" {
		return
	}
	prefs.SetBool(prefAutostartOffered, true)
	msg := &widget.Label{Text: lang.L("Start Hato every time you log in, so that people can always reach you? You can change this in Settings."),
		Wrapping: fyne.TextWrapWord}
	ask := dialog.NewCustomConfirm(lang.L("Start Hato when I log in"), lang.L("Yes"), lang.L("No"), msg, func(yes bool) {
		if yes {
			if err := d.s.setStartAtLogin(true); err != nil {
				dialog.ShowError(err, d.main.window)
			}
		}
	}, d.main.window)
	d.autostartDialog = ask
	ask.Show()
}

// activate asks the Hato running for profile, if any, to show its window, and reports whether one did.
func activate(profile string) bool {
	cl, err := control.Dial(profile)
	if err != nil {
		return false
	}
	if err := cl.Activate(); err != nil {
		slog.Error("a Hato already runs for this profile", "profile", profile, "err", err)
		return true // never a second node for one profile
	}
	return true
}

// shell ties the windows to the session: host events to the main window, each message to its own
// receive window and a notification, transfer events to the window of their offer, the tray's unread
// count to the receive windows still open.
type shell struct {
	s       *session
	main    *mainWindow
	tray    *tray
	notify  *notifier
	recv    []*recvWindow
	held    []*recvWindow       // messages not opened yet: pop-ups off, or the user was typing
	unnamed []*protocol.Message // messages whose sender has not announced itself: notified once it has, or soon
	convs   []*convWindow       // open conversations, one per person
	// autostartDialog is the first start's question about starting at login (tests answer it).
	autostartDialog *dialog.ConfirmDialog
	settings        *settingsWindow
	history         *historyWindow
}

func newShell(s *session) *shell {
	d := &shell{s: s, main: newMainWindow(s), notify: newNotifier(s)}
	d.tray = newTray(s, d.onShow, d.onSettings, d.onQuit)
	d.tray.openHistory, d.tray.openUnread = d.onHistory, d.openHeld
	d.tray.absenceChanged = d.main.showAbsence
	d.main.onAbsenceOff = func() { d.tray.onAbsence("") }
	d.main.onSettings = d.onSettings
	d.main.onConversation = d.onConversation
	d.main.onHistory = d.onHistory
	d.main.window.SetMaster()
	if d.tray.available() {
		// With a tray icon seen, a left click on it shows the window and closing the window hides it;
		// Quit is in the tray's menu. Whether a panel shows the icon is asked at each close: panels
		// come and go (the icon registers again by itself when one starts).
		d.tray.desk.SetSystemTrayWindow(d.main.window)
		d.main.window.SetCloseIntercept(d.onCloseMain)
		s.work.Go(func() { keepTrayRegistered(s.ctx, s.log) })
	}
	s.onEvent = d.onEvent
	s.onBatchEnd = d.main.hosts.flush
	s.onTransfer = d.onTransfer
	s.prune()
	return d
}

func (d *shell) onEvent(ev protocol.Event) {
	d.main.onEvent(ev)
	switch ev.Kind {
	case protocol.EventActivate:
		d.onShow()
	case protocol.EventHostJoined, protocol.EventHostUpdated, protocol.EventHostMoved:
		d.onHost(ev.Host)
	case protocol.EventMessage:
		d.onMessage(ev.Message)
		d.refreshConversation(ev.Message.From)
	case protocol.EventDelivered, protocol.EventUndelivered, protocol.EventOpened:
		d.refreshConversation(ev.Host) // our message is in the history now, or its state changed
	}
}

// onConversation opens the conversation with h, or brings the open one to the front.
func (d *shell) onConversation(h protocol.Host) {
	for _, c := range d.convs {
		if c.isWith(h) {
			c.window.Show()
			c.window.RequestFocus()
			return
		}
	}
	c := newConvWindow(d.s, h)
	c.closedHook = func() { d.convs = slices.DeleteFunc(d.convs, func(o *convWindow) bool { return o == c }) }
	d.convs = append(d.convs, c)
	c.window.Show()
}

// refreshConversation brings the conversation with h, if open, up to date with the history.
func (d *shell) refreshConversation(h protocol.Host) {
	for _, c := range d.convs {
		if c.isWith(h) {
			c.reload()
		}
	}
}

// onMessage opens a receive window for m and notifies the user. The window waits while the user types
// in the main window (it would take the keyboard), or until asked for when pop-ups are off.
func (d *shell) onMessage(m *protocol.Message) {
	w := newRecvWindow(d.s, m, d.main.replyTo)
	w.closedHook = func() { d.forget(w) }
	w.onConversation = d.onConversation
	d.recv = append(d.recv, w)
	d.tray.setUnread(len(d.recv))
	if m.From.Entry {
		d.notify.message(m)
	} else {
		// A sender that never announced itself is being asked to (a BR_ENTRY goes to it): name it
		// in the notification by its nickname, if it answers soon.
		d.unnamed = append(d.unnamed, m)
		d.s.after(unnamedWait, func() { d.notifyUnnamed(m) })
	}
	d.held = append(d.held, w)
	d.showHeld()
}

// unnamedWait is how long a notification waits for an unknown sender's entry.
const unnamedWait = time.Second

// notifyUnnamed notifies of m now, if that has not happened yet.
func (d *shell) notifyUnnamed(m *protocol.Message) {
	if i := slices.Index(d.unnamed, m); i >= 0 {
		d.unnamed = slices.Delete(d.unnamed, i, i+1)
		d.notify.message(m)
	}
}

// onHost updates what shows a sender that just announced itself (or changed its names).
func (d *shell) onHost(h protocol.Host) {
	for _, w := range d.recv {
		w.onHost(h)
	}
	for _, m := range slices.Clone(d.unnamed) {
		if sameSender(m.From, h) {
			m.From.Nick, m.From.Group = h.Nick, h.Group
			d.notifyUnnamed(m)
		}
	}
}

// showHeld opens the windows of held messages, unless pop-ups are off or the user is typing: then it
// looks again after a pause.
func (d *shell) showHeld() {
	if len(d.held) == 0 || !d.s.set.PopUp {
		return
	}
	if d.main.typing() {
		d.s.after(typingPause/2, d.showHeld)
		return
	}
	d.openHeld()
}

// openHeld opens every held message's window (the tray's unread item, or showHeld).
func (d *shell) openHeld() {
	for _, w := range d.held {
		w.window.Show()
	}
	if n := len(d.held); n > 0 {
		d.held[n-1].window.RequestFocus()
	}
	d.held = nil
}

// onTransfer hands a fetch's progress to the window of its offer (our own offers' events only matter
// to the sender's status, which the main window does not show yet).
func (d *shell) onTransfer(ev transfer.Event) {
	for _, w := range d.recv {
		if w.m.Packet == ev.Packet && w.m.From.Addr.Addr() == ev.Host.Addr.Addr() {
			w.onTransfer(ev)
		}
	}
}

func (d *shell) forget(w *recvWindow) {
	d.recv = slices.DeleteFunc(d.recv, func(o *recvWindow) bool { return o == w })
	d.held = slices.DeleteFunc(d.held, func(o *recvWindow) bool { return o == w })
	d.tray.setUnread(len(d.recv))
}

func (d *shell) onShow() {
	d.main.window.Show()
	d.main.window.RequestFocus()
}

func (d *shell) onSettings() {
	if d.settings != nil {
		d.settings.window.RequestFocus()
		return
	}
	d.settings = newSettingsWindow(d.s)
	d.settings.onSaved = d.tray.refresh
	d.settings.window.SetOnClosed(func() { d.settings = nil })
	d.settings.window.Show()
}

// onHistory opens the history window, or brings the open one to the front.
func (d *shell) onHistory() {
	if d.history != nil {
		d.history.window.RequestFocus()
		return
	}
	d.history = newHistoryWindow(d.s)
	d.history.closedHook = func() { d.history = nil }
	d.history.window.Show()
}

// onCloseMain hides the main window to the tray when its icon is seen, else quits: a hidden window with
// no icon to bring it back would be lost.
func (d *shell) onCloseMain() {
	if d.tray.shown() {
		d.main.window.Hide()
		return
	}
	d.onQuit()
}

// onQuit closes every window; Run then stops the node, which says goodbye (BR_EXIT).
func (d *shell) onQuit() { d.s.app.Quit() }

// showStartError tells the user why the node could not start (typically: the port is taken by another
// IP Messenger) in a window, and returns the error once it is closed.
func showStartError(a fyne.App, err error) error {
	slog.Error("Hato could not start", "err", err)
	w := a.NewWindow("Hato")
	text := &widget.Label{Text: lang.L("Hato could not start.") + "\n\n" + err.Error(), Wrapping: fyne.TextWrapWord}
	quit := &widget.Button{Text: lang.L("Quit"), OnTapped: a.Quit}
	w.SetContent(container.NewBorder(nil, container.NewCenter(quit), nil, nil, text))
	w.Resize(fyne.NewSize(420, 200))
	w.ShowAndRun()
	return err
}
