//go:build linux

package interop

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDesktopAppKeepsTheKeyboard: a message arrives while the user types in the main window; its window
// waits for a pause instead of taking the keyboard, so every key typed reaches the message box (it lost
// "e arrives xyz" before).
func TestDesktopAppKeepsTheKeyboard(t *testing.T) {
	lab := startAppAndPeer(t, nil, identity{Nick: "受信者", User: "recv", Host: "recvhost"})
	app, main, srv, guiIP := lab.app, lab.main, lab.srv, lab.guiIP
	report := srv.report
	app.xdo(report, "windowfocus", "--sync", main)
	app.click(report, main, 100, 97)  // check the peer
	app.click(report, main, 300, 420) // the message box
	first, second := "typing while a messag", "e arrives xyz "+uniqueStamp()

	app.xdo(report, "type", "--delay", "40", first)
	// The peer's message arrives in the middle of the typing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	send := lab.peer.Command(ctx, hatoBinary(t), "send", "--profile", srv.profile, "--to", guiIP, "a message while you type")
	if out, err := send.CombinedOutput(); err != nil {
		app.fail(report, "hato send to the app: %v\n%s", err, out)
	}
	app.xdo(report, "type", "--delay", "40", second)
	app.xdo(report, "key", "ctrl+Return")
	typed := first + second
	m, ok := srv.await(15*time.Second, func(e event) bool {
		return e.Event == "message" && e.Text != nil && strings.HasPrefix(*e.Text, "typing")
	})
	if !ok || *m.Text != typed {
		got := "(nothing)"
		if ok {
			got = *m.Text
		}
		app.fail(report, "the app sent %q, want everything typed: %q", got, typed)
	}
	// Once the typing paused, the message's window opened.
	app.window(report, 10*time.Second, "^Message from 受信者$")
}
