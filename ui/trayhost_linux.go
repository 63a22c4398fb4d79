//go:build linux

package ui

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// trayHostShown reports whether a panel shows tray icons: on Linux the StatusNotifierWatcher must
// exist and say that a host registered. Without one Fyne's tray icon is never seen (GNOME without the
// AppIndicator extension, a bare window manager), so closing the window must quit, not hide.
func trayHostShown() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := dbus.SessionBusPrivate(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	v, err := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		GetProperty("org.kde.StatusNotifierWatcher.IsStatusNotifierHostRegistered")
	if err != nil {
		return false
	}
	shown, _ := v.Value().(bool)
	return shown
}
