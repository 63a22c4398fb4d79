//go:build linux

package interop

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDesktopAppNotifies: a real notification daemon (dunst) on the app's private D-Bus receives a
// Notify call naming the sender and the message's first line when a message arrives.
func TestDesktopAppNotifies(t *testing.T) {
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool", "dbus-daemon": "dbus-daemon",
		"dbus-monitor": "dbus-bin", "dunst": "dunst"})
	guiBinary(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	bus := sessionBus(t)
	app := startDesktopAppEnv(t, lab.Host(0), []string{"DBUS_SESSION_BUS_ADDRESS=" + bus})
	report := func() string { return app.log.String() }
	mainWindow(app, report)

	// The daemon shows its popups on the app's display; the monitor records every Notify call.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	daemon := exec.CommandContext(ctx, "dunst")
	daemon.Env = app.env
	if err := daemon.Start(); err != nil {
		t.Fatalf("dunst: %v", err)
	}
	t.Cleanup(func() { cancel(); daemon.Wait() })
	var calls syncBuffer
	monitor := exec.CommandContext(ctx, "dbus-monitor", "--address", bus, "interface='org.freedesktop.Notifications',member='Notify'")
	monitor.Stdout = &calls
	if err := monitor.Start(); err != nil {
		t.Fatalf("dbus-monitor: %v", err)
	}
	t.Cleanup(func() { cancel(); monitor.Wait() })
	time.Sleep(500 * time.Millisecond) // dunst owns its name

	peer := startServe(t, lab.Host(1), identity{Nick: "通知する人", User: "notifier", Host: "nhost"})
	text := "通知のテスト " + uniqueStamp()
	out, errOut, err := runHato(t, lab.Host(1), 30*time.Second, "send", "--profile", peer.profile, "--to", lab.Host(0).IP.String(), text)
	if err != nil {
		app.fail(report, "hato send to the app: %v\n%s%s", err, out, errOut)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !(strings.Contains(calls.String(), "通知する人") && strings.Contains(calls.String(), text)) {
		if time.Now().After(deadline) {
			app.fail(report, "no Notify call with the sender and the text reached the daemon; the calls seen:\n%s", calls.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
