//go:build linux

package interop

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// menuItem is one entry of a dbusmenu layout: its id, label and children.
type menuItem struct {
	id       int32
	label    string
	children []menuItem
}

// parseLayout reads a com.canonical.dbusmenu layout (ia{sv}av) as godbus hands it over.
func parseLayout(v any) menuItem {
	s, ok := v.([]any)
	if !ok || len(s) != 3 {
		return menuItem{}
	}
	m := menuItem{}
	m.id, _ = s[0].(int32)
	if props, ok := s[1].(map[string]dbus.Variant); ok {
		if l, ok := props["label"]; ok {
			m.label, _ = l.Value().(string)
		}
	}
	if kids, ok := s[2].([]dbus.Variant); ok {
		for _, k := range kids {
			m.children = append(m.children, parseLayout(k.Value()))
		}
	}
	return m
}

func (m menuItem) find(label string) (menuItem, bool) {
	if m.label == label {
		return m, true
	}
	for _, c := range m.children {
		if f, ok := c.find(label); ok {
			return f, true
		}
	}
	return menuItem{}, false
}

// TestDesktopAppRealTray: a real StatusNotifier tray (gtk-sni-tray-standalone, with its watcher) started
// after the app shows its icon; a message puts the red dot on it; the menu's Absence and Quit work,
// clicked as the tray clicks them (dbusmenu Event).
func TestDesktopAppRealTray(t *testing.T) {
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool", "dbus-daemon": "dbus-daemon",
		"gtk-sni-tray-standalone": "haskell-gtk-sni-tray-utils"})
	guiBinary(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	bus := sessionBus(t)
	app := startDesktopAppEnv(t, lab.Host(0), []string{"DBUS_SESSION_BUS_ADDRESS=" + bus})
	report := func() string { return app.log.String() }
	mainWindow(app, report)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tray := exec.CommandContext(ctx, "gtk-sni-tray-standalone", "--watcher", "--bottom")
	tray.Env = app.env
	var trayOut syncBuffer
	tray.Stdout, tray.Stderr = &trayOut, &trayOut
	if err := tray.Start(); err != nil {
		t.Fatalf("the tray: %v", err)
	}
	t.Cleanup(func() { cancel(); tray.Wait() })
	report = func() string { return app.log.String() + "\n--- tray:\n" + trayOut.String() }

	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The tray's watcher lists the app's icon: "<bus name>/StatusNotifierItem" or a name of its own.
	var item string
	for deadline := time.Now().Add(20 * time.Second); item == ""; {
		v, err := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
			GetProperty("org.kde.StatusNotifierWatcher.RegisteredStatusNotifierItems")
		if items, ok := v.Value().([]string); err == nil && ok && len(items) > 0 {
			item = items[0]
		}
		if time.Now().After(deadline) {
			app.fail(report, "the tray started after the app shows no icon of it (watcher: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	service, path := item, dbus.ObjectPath("/StatusNotifierItem")
	if i := strings.Index(item, "/"); i > 0 {
		service, path = item[:i], dbus.ObjectPath(item[i:])
	}
	icon := func() any {
		v, err := conn.Object(service, path).GetProperty("org.kde.StatusNotifierItem.IconPixmap")
		if err != nil {
			app.fail(report, "the icon's pixmap: %v", err)
		}
		return v.Value()
	}
	before := icon()

	// A message: the icon gets its red dot.
	peer := startServe(t, lab.Host(1), identity{Nick: "相手", User: "peer", Host: "peerhost"})
	if out, errOut, err := runHato(t, lab.Host(1), 30*time.Second, "send", "--profile", peer.profile, "--to", lab.Host(0).IP.String(), "見えますか"); err != nil {
		app.fail(report, "hato send: %v %s %s", err, out, errOut)
	}
	for deadline := time.Now().Add(10 * time.Second); reflect.DeepEqual(icon(), before); {
		if time.Now().After(deadline) {
			app.fail(report, "the tray icon did not change after a message arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}

	menu := conn.Object(service, "/StatusNotifierItem/menu")
	layout := func() menuItem {
		var revision uint32
		var raw []any
		call := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
		if call.Err != nil || call.Store(&revision, &raw) != nil {
			app.fail(report, "the tray menu: %v", call.Err)
		}
		return parseLayout(raw)
	}
	// The app sets a new menu when its state changes (the unread entry after a message, the absence
	// mark after a choice): systray rebuilds it item by item under new ids, so a layout read meanwhile
	// lacks entries or names ids about to go. A user opens the menu once it has settled: so does this.
	click := func(label string) {
		var it menuItem
		last, same := layout(), 0
		for deadline := time.Now().Add(10 * time.Second); ; {
			time.Sleep(100 * time.Millisecond)
			now := layout()
			if same = same + 1; !reflect.DeepEqual(now, last) {
				last, same = now, 0
			}
			var ok bool
			if it, ok = now.find(label); ok && same >= 3 {
				break
			}
			if time.Now().After(deadline) {
				app.fail(report, "no settled tray menu with %q in 10 s: %+v", label, now)
			}
		}
		if call := menu.Call("com.canonical.dbusmenu.Event", 0, it.id, "clicked", dbus.MakeVariant(""), uint32(0)); call.Err != nil {
			app.fail(report, "clicking %q: %v", label, call.Err)
		}
	}

	// Absence from the menu: the peer sees us absent.
	click("At lunch.")
	if _, ok := peer.await(10*time.Second, func(e event) bool {
		return e.Event == "host-updated" && e.Host != nil && strings.HasPrefix(e.Host.Addr, lab.Host(0).IP.String()+":") && e.Host.Absent
	}); !ok {
		app.fail(report, "the peer did not see the app go absent after the tray's Absence → At lunch.")
	}
	// Quit from the menu: the app says goodbye and ends.
	click("Quit")
	select {
	case <-app.exited:
	case <-time.After(10 * time.Second):
		app.fail(report, "the app still runs 10 s after the tray's Quit")
	}
	if _, ok := peer.await(10*time.Second, func(e event) bool { return e.Event == "host-left" }); !ok {
		app.fail(report, "the peer saw no goodbye")
	}
}
