//go:build linux

package interop

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDesktopAppOnAProfile: `hato --profile DIR --port N` is a Hato of its own, as Windows' `ipmsg.exe
// <port>`: peers see it on that port, commands on that profile go through it, and starting it again
// hands over to the running one instead of opening a second node.
func TestDesktopAppOnAProfile(t *testing.T) {
	needLab(t)
	needTools(t, map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool"})
	guiBinary(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	guiHost, peerHost := lab.Host(0), lab.Host(1)
	profile := t.TempDir()
	const port = "2430"
	app := startDesktopApp(t, guiHost, "--profile", profile, "--port", port)
	report := func() string { return "" }
	app.window(report, 30*time.Second, "^Hato$")
	srv := startServe(t, peerHost, identity{Nick: "相手", User: "peer", Host: "peerhost"}, "--port", port)
	guiAddr := guiHost.IP.String() + ":" + port
	srv.wait(t, 30*time.Second, "the app listed at "+guiAddr, func(e event) bool {
		return (e.Event == "host-joined" || e.Event == "host-updated") && e.Host != nil && e.Host.Addr == guiAddr
	})

	// A command on the profile goes through the app on its port.
	text := "through the app on port " + port + " " + uniqueStamp()
	if out, err := app.run(60*time.Second, hatoBinary(t), "send", "--profile", profile, "--to", peerHost.IP.String()+":"+port, text); err != nil ||
		!strings.Contains(out, "delivered to 相手") {
		app.fail(report, "hato send --profile on the app's profile: %v\n%s", err, out)
	}
	srv.wait(t, 15*time.Second, "the message from the app's port", func(e event) bool {
		return e.Event == "message" && e.Text != nil && *e.Text == text && e.From != nil && e.From.Addr == guiAddr
	})

	// A second start on the profile hands over: it exits 0 at once, and no second node appears.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := guiHost.Command(ctx, guiBinary(t), "--profile", profile)
	second.Env = app.env
	if out, err := second.CombinedOutput(); err != nil {
		app.fail(report, "second start on the profile: %v\n%s", err, out)
	}
	if app.state() != "running" {
		app.fail(report, "the first app quit when started again")
	}
}
