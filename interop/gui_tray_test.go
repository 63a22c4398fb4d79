//go:build linux

package interop

import (
	"bufio"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// closeWindow asks a window to close as a window manager does (WM_DELETE_WINDOW): Xvfb runs none.
const closeWindow = `
import sys
from Xlib import display, X, protocol
d = display.Display()
w = d.create_resource_object('window', int(sys.argv[1]))
ev = protocol.event.ClientMessage(window=w, client_type=d.intern_atom('WM_PROTOCOLS'),
    data=(32, [d.intern_atom('WM_DELETE_WINDOW'), X.CurrentTime, 0, 0, 0]))
w.send_event(ev, event_mask=X.NoEventMask)
d.flush()
`

// sessionBus runs a dbus-daemon for the app and returns its address.
func sessionBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// watcher is a panel's StatusNotifierWatcher with a host registered: it records the tray items that
// register with it.
type watcher struct {
	mu    sync.Mutex
	items []string
}

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	w.items = append(w.items, string(sender)+" "+service)
	w.mu.Unlock()
	return nil
}

func (w *watcher) registered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.items)
}

func startWatcher(t *testing.T, addr string) *watcher {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &watcher{}
	const path, iface = "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"
	if err := conn.Export(w, path, iface); err != nil {
		t.Fatal(err)
	}
	if _, err := prop.Export(conn, path, prop.Map{iface: {
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
	}}); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(iface, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request %s: %v %v", iface, reply, err)
	}
	return w
}

// mainWindow is the app's main window ("Hato" is also the title of the window saying it could not start).
func mainWindow(app *desktopApp, report func() string) string {
	app.t.Helper()
	main := app.window(report, 30*time.Second, "^Hato$")
	if w, h := app.geometry(report, main); w != 680 || h != 620 {
		app.fail(report, "the window titled Hato is %dx%d, not the main window: %s", w, h, app.log.String())
	}
	return main
}

// TestDesktopAppTray: with no panel showing tray icons, closing the window quits (a hidden window
// could not be brought back); a panel started after the app gets its icon, and then closing hides.
func TestDesktopAppTray(t *testing.T) {
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool", "dbus-daemon": "dbus-daemon"})
	if err := exec.Command("/usr/bin/python3", "-c", "import Xlib").Run(); err != nil {
		skipOrFail(t, "python3-xlib is not installed (scripts/deps.sh test)")
	}
	guiBinary(t)
	lab := newLab(t, 1)

	t.Run("no panel: close quits", func(t *testing.T) {
		bus := sessionBus(t)
		app := startDesktopAppEnv(t, lab.Host(0), []string{"DBUS_SESSION_BUS_ADDRESS=" + bus})
		report := func() string { return "" }
		main := mainWindow(app, report)
		if out, err := app.run(10*time.Second, "/usr/bin/python3", "-c", closeWindow, main); err != nil {
			app.fail(report, "closing the window: %v %s", err, out)
		}
		select {
		case <-app.exited:
		case <-time.After(10 * time.Second):
			app.fail(report, "the app still runs 10 s after its window was closed with no tray icon shown")
		}
	})

	t.Run("--minimized: in the tray when a panel shows it, else the window", func(t *testing.T) {
		bus := sessionBus(t)
		w := startWatcher(t, bus)
		app := startDesktopAppEnv(t, lab.Host(0), []string{"DBUS_SESSION_BUS_ADDRESS=" + bus}, "--minimized")
		report := func() string { return "" }
		deadline := time.Now().Add(20 * time.Second)
		for w.registered() == 0 {
			if time.Now().After(deadline) {
				app.fail(report, "the tray icon never registered: %s", app.log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		if out, err := app.run(3*time.Second, "xdotool", "search", "--onlyvisible", "--name", "^Hato$"); err == nil && strings.TrimSpace(out) != "" {
			app.fail(report, "--minimized with a tray icon showed the window")
		}
		if app.state() != "running" {
			app.fail(report, "the app is not running: %s", app.log.String())
		}

		noPanel := startDesktopAppEnv(t, lab.Host(0), []string{"DBUS_SESSION_BUS_ADDRESS=" + sessionBus(t)}, "--minimized", "--port", "2430")
		mainWindow(noPanel, report) // no tray icon to bring it back: the window shows
	})

	t.Run("a panel started later: the icon, and close hides", func(t *testing.T) {
		bus := sessionBus(t)
		app := startDesktopAppEnv(t, lab.Host(0), []string{"DBUS_SESSION_BUS_ADDRESS=" + bus})
		report := func() string { return "" }
		main := mainWindow(app, report)
		w := startWatcher(t, bus) // the panel comes up after the app
		deadline := time.Now().Add(10 * time.Second)
		for w.registered() == 0 {
			if time.Now().After(deadline) {
				app.fail(report, "the app's tray icon never registered with the panel started after it")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if out, err := app.run(10*time.Second, "/usr/bin/python3", "-c", closeWindow, main); err != nil {
			app.fail(report, "closing the window: %v %s", err, out)
		}
		time.Sleep(2 * time.Second)
		if app.state() != "running" {
			app.fail(report, "the app quit on close although its tray icon is shown")
		}
		if out, err := app.run(3*time.Second, "xdotool", "search", "--onlyvisible", "--name", "^Hato$"); err == nil && strings.TrimSpace(out) != "" {
			app.fail(report, "the window is still shown after close: %s", out)
		}
	})
}
