// Package ui is Hato's desktop app. It is the only package that imports Fyne; the node it drives lives in
// protocol and knows nothing of windows.
package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"hato/assets"
	"hato/history"
	"hato/protocol"
	"hato/transfer"
)

// AppID names the app to the OS and keys its preferences.
const AppID = "io.github.hato.messenger"

// Run opens the main window on a running node and returns when the app quits; the node then says
// goodbye to the LAN.
func Run(base protocol.Config) error {
	if err := loadTranslations(); err != nil {
		slog.Warn("translations", "err", err)
	}
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	keyDir := a.Storage().RootURI().Path()
	k, err := protocol.LoadKeys(keyDir)
	firstStart := errors.Is(err, fs.ErrNotExist)
	switch {
	case err == nil:
		base.Keys = k
	case !firstStart:
		// Damaged keys are kept for the user to look at; messages go in the clear meanwhile.
		slog.Error("keys unusable, encryption off", "err", err)
	}
	set := loadSettings(a.Preferences())
	applyTheme(a, set.Theme)
	if firstStart && set.FingerprintName {
		// The user name carries the key's fingerprint: the node cannot start without keys.
		if base.Keys, _, err = protocol.LoadOrCreateKeys(keyDir); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		firstStart = false
	}
	// The history lives next to the keys. A damaged or locked one is reported, and the app runs on:
	// messages are shown, marked not saved.
	hist, histErr := history.Open(filepath.Join(keyDir, "history.db"))
	if histErr != nil {
		slog.Error("history unusable, messages will not be saved", "err", histErr)
		hist = nil
	} else {
		defer hist.Close()
	}
	s, err := newSession(a, base, set, sessionHistory{hist, histErr}, nil)
	if err != nil {
		// Started a second time (the window may be hidden in a tray the desktop does not show): the
		// running Hato shows its window instead.
		if port, perr := strconv.Atoi(set.Port); perr == nil && protocol.Activate(port, time.Second) == nil {
			return nil
		}
		return showStartError(a, err)
	}
	if firstStart {
		s.makeKeys(keyDir)
	}
	d := newShell(s)
	d.main.window.ShowAndRun()
	s.close()
	return nil
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
	case protocol.EventOpened:
		d.s.markSentOpened(ev)
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

// makeKeys makes our keys on a first start without holding up the window, keeps them in dir and gives
// them to the node.
func (s *session) makeKeys(dir string) {
	s.work.Go(func() {
		k, _, err := protocol.LoadOrCreateKeys(dir)
		if err != nil {
			s.log.Error("keys", "err", err)
			return
		}
		s.do(func() {
			s.base.Keys = k
			s.node.SetKeys(k)
		})
	})
}
