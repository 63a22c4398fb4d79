// Package ui is Hato's desktop app. It is the only package that imports Fyne; the node it drives lives in
// protocol and knows nothing of windows.
package ui

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"hato/assets"
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
	Profile string // "" is the app's own storage folder
	Port    int    // 0 keeps the profile's
	Bind    string // "" keeps the profile's
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
	d := newShell(s)
	d.main.window.ShowAndRun()
	s.close()
	return nil
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
	s        *session
	main     *mainWindow
	tray     *tray
	notify   *notifier
	recv     []*recvWindow
	settings *settingsWindow
	history  *historyWindow
}

func newShell(s *session) *shell {
	d := &shell{s: s, main: newMainWindow(s), notify: newNotifier(s)}
	d.tray = newTray(s, d.onShow, d.onSettings, d.onQuit)
	d.tray.openHistory = d.onHistory
	d.main.onSettings = d.onSettings
	d.main.onHistory = d.onHistory
	d.main.window.SetMaster()
	if d.tray.available() {
		// With a tray, a left click on it shows the window and closing the window hides it; Quit is in
		// the tray's menu.
		d.tray.desk.SetSystemTrayWindow(d.main.window)
		d.main.window.SetCloseIntercept(d.main.window.Hide)
	}
	s.onEvent = d.onEvent
	s.onTransfer = d.onTransfer
	s.prune()
	return d
}

func (d *shell) onEvent(ev protocol.Event) {
	d.main.onEvent(ev)
	switch ev.Kind {
	case protocol.EventActivate:
		d.onShow()
	}
	if ev.Kind != protocol.EventMessage {
		return
	}
	w := newRecvWindow(d.s, ev.Message, d.main.replyTo)
	w.closedHook = func() { d.forget(w) }
	d.recv = append(d.recv, w)
	d.tray.setUnread(len(d.recv))
	d.notify.message(ev.Message)
	w.window.Show()
	w.window.RequestFocus()
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
	for i, o := range d.recv {
		if o == w {
			d.recv = append(d.recv[:i], d.recv[i+1:]...)
			break
		}
	}
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

// onQuit closes every window; Run then stops the node, which says goodbye (BR_EXIT).
func (d *shell) onQuit() { d.s.app.Quit() }

// showStartError tells the user why the node could not start (typically: the port is taken by another
// IP Messenger) in a window, and returns the error once it is closed.
func showStartError(a fyne.App, err error) error {
	w := a.NewWindow("Hato")
	text := &widget.Label{Text: lang.L("Hato could not start.") + "\n\n" + err.Error(), Wrapping: fyne.TextWrapWord}
	quit := &widget.Button{Text: lang.L("Quit"), OnTapped: a.Quit}
	w.SetContent(container.NewBorder(nil, container.NewCenter(quit), nil, nil, text))
	w.Resize(fyne.NewSize(420, 200))
	w.ShowAndRun()
	return err
}
