//go:build linux

package ui

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	watcherName = "org.kde.StatusNotifierWatcher"
	watcherPath = "/StatusNotifierWatcher"
)

// keepTrayRegistered registers our tray icon again with every StatusNotifierWatcher that appears (a
// panel started after the app, or restarted). fyne.io/systray tries once, when the watcher's name
// appears, and fails for good when the watcher has not exported its object yet: the icon never showed
// until a restart. Our icon is the item systray exports under org.kde.StatusNotifierItem-<pid>-1.
func keepTrayRegistered(ctx context.Context, log *slog.Logger) {
	conn, err := dbus.SessionBusPrivate(dbus.WithContext(ctx))
	if err != nil {
		return
	}
	defer conn.Close()
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return
	}
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName)); err != nil {
		return
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	item := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", os.Getpid())
	register := func() {
		// The watcher may need a moment after taking its name to export its object.
		for try := 0; try < 25 && ctx.Err() == nil; try++ {
			call := conn.Object(watcherName, watcherPath).CallWithContext(ctx, watcherName+".RegisterStatusNotifierItem", 0, item)
			if call.Err == nil {
				log.Debug("tray icon registered", "watcher", watcherName)
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	register() // systray's own attempt may have come too early
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-signals:
			if sig == nil {
				return
			}
			if len(sig.Body) == 3 {
				if owner, _ := sig.Body[2].(string); owner != "" {
					register()
				}
			}
		}
	}
}
