//go:build linux

package interop

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScriptBesideAppToIptux: the desktop app runs under Xvfb, iptux on another host; a script in the
// app's session runs `hato send --to <iptux>`. It goes out from the app's node (iptux answers to port
// 2425 whatever the source port, so a second node would never hear it), under the app's names, in a
// charset iptux reads, and it lands in the app's history.
func TestScriptBesideAppToIptux(t *testing.T) {
	needIptux(t)
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool"})
	guiBinary(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	guiHost, iptuxHost := lab.Host(0), lab.Host(1)
	app, _ := startAppWindow(t, guiHost)
	ix := startIptux(t, iptuxHost, iptuxConfig{Nick: "イプタックス", Group: "测试组"})
	guiIP := guiHost.IP.String()
	ix.in(t).waitPal(30*time.Second, guiIP, "iptux listing the desktop app", func(iptuxPal) bool { return true })
	report := func() string { return "iptux log:\n" + ix.chatLog() }

	text := "script beside the app 日本語 中文 한국어 ✓ " + strconv.FormatInt(time.Now().UnixNano(), 10)
	out, err := app.run(60*time.Second, hatoBinary(t), "send", "--to", iptuxHost.IP.String(), text)
	if err != nil || !strings.Contains(out, "delivered to イプタックス") {
		app.fail(report, "hato send beside the app: %v (want exit 0, delivered to イプタックス)\n%s", err, out)
	}
	e := ix.in(t).waitChat(10*time.Second, text)
	me, err := app.run(30*time.Second, hatoBinary(t), "list", "--json", "--wait", "100ms")
	if err != nil {
		app.fail(report, "hato list beside the app: %v\n%s", err, me)
	}
	pal := ix.in(t).waitPal(5*time.Second, guiIP, "the app in iptux's list", func(iptuxPal) bool { return true })
	if e.User != pal.User || e.Host != pal.Host {
		t.Errorf("iptux logged the message from %s@%s, want the app %s@%s", e.User, e.Host, pal.User, pal.Host)
	}
	if out, err := app.run(30*time.Second, hatoBinary(t), "history", "--json", "script beside"); err != nil ||
		!strings.Contains(out, `"dir": "out"`) || !strings.Contains(out, text) {
		app.fail(report, "the app's history: %v\n%s", err, out)
	}
}
