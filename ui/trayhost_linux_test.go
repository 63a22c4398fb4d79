//go:build linux

package ui

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// privateSessionBus runs a dbus-daemon of the test's own and points the session bus at it.
func privateSessionBus(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (Debian package dbus-daemon)")
	}
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
}

// A panel's StatusNotifierWatcher that says whether a host registered.
func fakeWatcher(t *testing.T, hostRegistered bool) *prop.Properties {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil ||
		reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", reply, err)
	}
	props, err := prop.Export(conn, "/StatusNotifierWatcher", prop.Map{"org.kde.StatusNotifierWatcher": {
		"IsStatusNotifierHostRegistered": {Value: hostRegistered, Writable: false, Emit: prop.EmitTrue},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return props
}

// Closing the window hides it only when a panel shows the tray icon: no watcher, or a watcher with no
// host registered, means no icon, so close must quit.
func TestTrayHostShown(t *testing.T) {
	privateSessionBus(t)
	if trayHostShown() {
		t.Error("shown with no StatusNotifierWatcher on the bus")
	}
	props := fakeWatcher(t, false)
	if trayHostShown() {
		t.Error("shown with a watcher but no host")
	}
	props.SetMust("org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered", true)
	if !trayHostShown() {
		t.Error("not shown with a host registered")
	}
}
