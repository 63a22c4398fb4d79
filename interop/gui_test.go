//go:build linux

package interop

// The real desktop app (the GUI binary, built with cgo and without the ci
// tag) under Xvfb in a lab host, driven with xdotool, against `hato serve`
// and `hato send` in a second host.
//
// Under Xvfb there is no window manager: every window sits at 0,0 at the size
// the app asks for, the last one mapped on top. Clicks are given relative to
// a window (xdotool mousemove --window), at positions read off screenshots of
// the app at its default sizes and theme:
//   - main window "Hato", 680x620: the host table's first data row spans
//     y≈80..115 and its nickname cell x≈40..170 (a tap there toggles the
//     row's check box; tapped at (100, 97)); the message box spans
//     x≈5..675, y≈345..535 (tapped at (300, 420)); with a picture pasted, the
//     strip of thumbnails takes y≈425..535 and the box ends at y≈422 (so the
//     paste test taps it at (300, 380)).
//   - receive window "Message from <nick>", 480x480: "Save all" spans
//     x≈383..475, y≈400..435, tapped at 51 px left of the right edge and 63 px
//     above the bottom edge, (429, 417).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hato/internal/netlab"
)

var (
	guiOnce sync.Once
	guiBin  string
	guiErr  error
)

// guiBinary builds the desktop app once per package run (CGO_ENABLED=1, no ci
// tag: the real GLFW driver) next to hatoBinary's, and returns its path.
func guiBinary(t *testing.T) string {
	t.Helper()
	hatoBinary(t) // makes buildDir, which TestMain removes
	guiOnce.Do(func() {
		root, err := filepath.Abs("..")
		if err != nil {
			guiErr = err
			return
		}
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			goTool = "go"
		}
		bin := filepath.Join(buildDir, "hato-gui")
		cmd := exec.Command(goTool, "build", "-tags", "no_animations", "-o", bin, "hato") // as make build
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			guiErr = fmt.Errorf("CGO_ENABLED=1 go build -o %s hato (in %s): %w\n%s", bin, root, err, out)
			return
		}
		guiBin = bin
	})
	if guiErr != nil {
		t.Fatalf("building the desktop app: %v", guiErr)
	}
	return guiBin
}

// startXvfbIn starts Xvfb in h (see launchXvfb) and returns the display (":N"). Cleanup stops it
// politely, so that it removes its lock file.
func startXvfbIn(t *testing.T, h *netlab.Host) string {
	t.Helper()
	cmd, display := launchXvfb(t, h)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { stopXvfb(cmd, done) })
	return display
}

// launchXvfb starts Xvfb (1280x1024x24) in h with the display number chosen by Xvfb itself (-displayfd)
// and returns it with the display (":N"); stopping it is the caller's.
func launchXvfb(t *testing.T, h *netlab.Host) (*exec.Cmd, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := h.Command(context.Background(), "Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x1024x24")
	cmd.ExtraFiles = []*os.File{w}
	xlog := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = xlog, xlog
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatalf("starting Xvfb: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatalf("Xvfb exited without a display number:\n%s", xlog.String())
		}
		return cmd, ":" + n
	case <-time.After(15 * time.Second):
		t.Fatalf("Xvfb gave no display number within 15 s:\n%s", xlog.String())
	}
	return cmd, ""
}

// stopXvfb asks Xvfb to end (it then removes its lock file), and kills it after 5 s; done is closed
// when it has exited.
func stopXvfb(cmd *exec.Cmd, done <-chan struct{}) {
	netlab.SignalGroup(cmd, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		netlab.KillGroup(cmd)
		<-done
	}
}

// desktopApp is the GUI binary running under Xvfb in a lab host.
type desktopApp struct {
	t      *testing.T
	host   *netlab.Host
	home   string
	env    []string // the app's environment; xdotool and import run with it too
	cmd    *exec.Cmd
	log    syncBuffer // stdout and stderr
	exited chan struct{}
}

// startDesktopApp starts Xvfb and the desktop app in h, with a fresh HOME
// (preferences, keys, and the download folder $HOME/Downloads).
func startDesktopApp(t *testing.T, h *netlab.Host, args ...string) *desktopApp {
	t.Helper()
	return startDesktopAppEnv(t, h, nil, args...)
}

// startDesktopAppEnv is startDesktopApp with env added to (and overriding) the app's environment.
func startDesktopAppEnv(t *testing.T, h *netlab.Host, env []string, args ...string) *desktopApp {
	t.Helper()
	bin := guiBinary(t)
	a := &desktopApp{t: t, host: h, home: t.TempDir(), exited: make(chan struct{})}
	for _, d := range []string{"Downloads", ".config", ".cache", ".local/share"} {
		if err := os.MkdirAll(filepath.Join(a.home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The first start's question about starting at login would cover the window the tests click in.
	prefs := filepath.Join(a.home, ".config", "fyne", "io.github.hato.messenger")
	if err := os.MkdirAll(prefs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefs, "preferences.json"), []byte(`{"autostart_offered":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	display := startXvfbIn(t, h)
	a.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + a.home, "DISPLAY=" + display,
		"XDG_CONFIG_HOME=" + filepath.Join(a.home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(a.home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(a.home, ".local/share"),
		"FYNE_PLATFORM=x11", "DBUS_SESSION_BUS_ADDRESS=disabled:", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
		"HATO_LOG=debug", // the host list's counts and refreshes, for the tests to follow
	}
	a.env = append(a.env, env...) // later entries win
	a.cmd = h.Command(context.Background(), bin, args...)
	a.cmd.Env = a.env
	a.cmd.Dir = a.home
	a.cmd.Stdout, a.cmd.Stderr = &a.log, &a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("starting the desktop app: %v", err)
	}
	go func() {
		a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		netlab.KillGroup(a.cmd)
		<-a.exited
	})
	// Runs first (cleanups are last in, first out): the app and Xvfb still run.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- desktop app (%s), output tail:\n%s", a.state(), tail(a.log.String(), 40))
			a.screenshot()
		}
	})
	return a
}

func (a *desktopApp) state() string {
	select {
	case <-a.exited:
		return "EXITED: " + a.cmd.ProcessState.String()
	default:
		return "running"
	}
}

// screenshot saves the screen to a folder that outlives the test, when ImageMagick's import is installed.
func (a *desktopApp) screenshot() {
	if _, err := exec.LookPath("import"); err != nil {
		a.t.Logf("no screenshot: ImageMagick's import is not installed")
		return
	}
	dir, err := os.MkdirTemp("", "hato-gui-failure-")
	if err != nil {
		a.t.Logf("no screenshot: %v", err)
		return
	}
	png := filepath.Join(dir, "screen.png")
	if out, err := a.run(15*time.Second, "import", "-window", "root", png); err != nil {
		a.t.Logf("no screenshot: %v %s", err, out)
		return
	}
	a.t.Logf("screenshot of the Xvfb screen: %s", png)
}

// run runs a helper program (xdotool, import) in the app's host and
// environment; it is killed after timeout or as soon as the app exits.
func (a *desktopApp) run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-a.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	cmd := a.host.Command(ctx, name, args...)
	cmd.Env = a.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		why := ""
		if ctx.Err() != nil {
			why = fmt.Sprintf(" (killed: %v, desktop app %s)", ctx.Err(), a.state())
		}
		return string(out), fmt.Errorf("%s %s: %w%s", name, strings.Join(args, " "), err, why)
	}
	return string(out), nil
}

// fail ends the test; the cleanup adds the app's output and a screenshot.
func (a *desktopApp) fail(report func() string, format string, args ...any) {
	a.t.Helper()
	a.t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), report())
}

// xdo runs xdotool and fails the test when it fails.
func (a *desktopApp) xdo(report func() string, args ...string) string {
	a.t.Helper()
	out, err := a.run(15*time.Second, "xdotool", args...)
	if err != nil {
		a.fail(report, "%v", err)
	}
	return out
}

// window waits for a visible window whose title matches pattern and returns its id.
func (a *desktopApp) window(report func() string, timeout time.Duration, pattern string) string {
	a.t.Helper()
	out, err := a.run(timeout, "xdotool", "search", "--sync", "--onlyvisible", "--name", pattern)
	if err != nil {
		a.fail(report, "no window titled %q within %v: %v", pattern, timeout, err)
	}
	return strings.Fields(out)[0]
}

// geometry is a window's size.
func (a *desktopApp) geometry(report func() string, win string) (w, h int) {
	a.t.Helper()
	out := a.xdo(report, "getwindowgeometry", "--shell", win)
	vals := map[string]int{}
	for _, l := range strings.Fields(out) {
		if k, v, ok := strings.Cut(l, "="); ok {
			vals[k], _ = strconv.Atoi(v)
		}
	}
	if vals["WIDTH"] == 0 || vals["HEIGHT"] == 0 {
		a.fail(report, "xdotool getwindowgeometry --shell %s printed %q", win, out)
	}
	return vals["WIDTH"], vals["HEIGHT"]
}

// click presses the left button at x,y relative to the window's top left corner.
func (a *desktopApp) click(report func() string, win string, x, y int) {
	a.t.Helper()
	a.xdo(report, "mousemove", "--window", win, strconv.Itoa(x), strconv.Itoa(y), "click", "1")
}

// await is wait without failing: the first event that matches, or false after timeout (or the end of
// the server's output).
func (s *server) await(timeout time.Duration, match func(event) bool) (event, bool) {
	deadline := time.After(timeout)
	for {
		e, ok, changed, eof := s.find(match)
		if ok || eof {
			return e, ok
		}
		select {
		case <-changed:
		case <-deadline:
			return event{}, false
		}
	}
}

// secureFields are the serve event fields that the shared event type leaves out.
type secureFields struct {
	Host *struct {
		Encrypt bool `json:"encrypt"`
	} `json:"host"`
	Encrypted bool   `json:"encrypted"`
	Cipher    string `json:"cipher"`
	Signed    bool   `json:"signed"`
	Verified  bool   `json:"verified"`
}

func (e event) secure() secureFields {
	var f secureFields
	json.Unmarshal([]byte(e.line), &f)
	return f
}

// addrIP is the IP of "ip:port".
func addrIP(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// startAppWindow starts the app in h and waits for its main window. The app starts before any peer, so
// that it learns of hato serve from serve's BR_ENTRY, before it answers with an ANSENTRY that makes serve
// report it. (The other way round, the app would learn of serve from serve's ANSENTRY, which IP Messenger
// sends after a random delay of up to 1 s: its row would show up at a moment the test cannot see, and a
// tap before that would be lost.)
func startAppWindow(t *testing.T, h *netlab.Host) (*desktopApp, string) {
	t.Helper()
	app := startDesktopApp(t, h)
	report := func() string { return "(hato serve not started yet)" }
	main := app.window(report, 30*time.Second, "^Hato$")
	// "Hato" is also the title of the window that says the app could not start.
	if w, h := app.geometry(report, main); w != 680 || h != 620 {
		app.fail(report, "the window titled Hato is %dx%d, want the main window's 680x620", w, h)
	}
	return app, main
}

// appLab is the desktop app under Xvfb in lab host 0 and `hato serve` in host 1, serve having listed the app.
type appLab struct {
	app   *desktopApp
	main  string // the main window's X id
	srv   *server
	guiIP string
	peer  *netlab.Host // serve's host
}

// startAppAndPeer starts the app, then serve as peer with serveArgs, and waits until serve lists the app.
// tools are what the test needs besides Xvfb and xdotool.
func startAppAndPeer(t *testing.T, tools map[string]string, peer identity, serveArgs ...string) appLab {
	t.Helper()
	needLab(t)
	need := map[string]string{"Xvfb": "xvfb", "xdotool": "xdotool"}
	maps.Copy(need, tools)
	needTools(t, need)
	guiBinary(t) // before the lab: a cold cgo build takes minutes
	lab := newLab(t, 2)
	guiHost, peerHost := lab.Host(0), lab.Host(1)
	l := appLab{guiIP: guiHost.IP.String(), peer: peerHost}
	l.app, l.main = startAppWindow(t, guiHost)
	l.srv = startServe(t, peerHost, peer, serveArgs...)
	l.srv.wait(t, 30*time.Second, "host-joined for the desktop app at "+l.guiIP, l.fromGUI)
	return l
}

// fromGUI matches serve's events that list the app.
func (l appLab) fromGUI(e event) bool {
	return (e.Event == "host-joined" || e.Event == "host-updated") && e.Host != nil && addrIP(e.Host.Addr) == l.guiIP
}

// TestDesktopAppEndToEnd runs the desktop app under Xvfb in host 0 and
// `hato serve` in host 1: the app sends an encrypted, signed message typed
// into its main window, then receives a file offer from `hato send` and saves
// it with the receive window's "Save all".
func TestDesktopAppEndToEnd(t *testing.T) {
	lab := startAppAndPeer(t, nil, identity{Nick: "受信者", Group: "検証", User: "recv", Host: "recvhost"},
		"--download", t.TempDir(), "--open-sealed")
	app, main, srv, guiIP, stamp := lab.app, lab.main, lab.srv, lab.guiIP, uniqueStamp()
	report := srv.report
	fromGUI := lab.fromGUI
	// A first start makes the keys in the background; then the app announces encryption.
	srv.wait(t, 60*time.Second, "the desktop app advertising encryption (\"encrypt\": true)", func(e event) bool {
		f := e.secure()
		return fromGUI(e) && f.Host != nil && f.Host.Encrypt
	})

	// The main window: check the only peer (a tap on its nickname cell toggles its check box), type in
	// the message box, Ctrl+Enter. Should a tap or key still get lost, the app sends nothing (it says
	// "Choose at least one recipient." or "Nothing to send."): when no message comes within 3 s, the
	// gesture is repeated (the tap toggles the check again, the text is typed afresh), up to 4 times.
	// A slow message is still found: every wait looks at everything serve printed.
	text := "hello from the desktop app " + stamp
	fromGUIMessage := func(e event) bool { return e.Event == "message" && e.From != nil && addrIP(e.From.Addr) == guiIP }
	var msg event
	for try := 1; ; try++ {
		app.xdo(report, "windowfocus", "--sync", main)
		app.click(report, main, 100, 97)
		app.click(report, main, 300, 420)
		app.xdo(report, "key", "ctrl+a", "Delete")
		app.xdo(report, "type", "--delay", "15", text)
		app.xdo(report, "key", "ctrl+Return")
		var ok bool
		if msg, ok = srv.await(3*time.Second, fromGUIMessage); ok {
			if try > 1 {
				t.Logf("the message went out on try %d of the tap, type, Ctrl+Enter gesture", try)
			}
			break
		}
		if try == 4 {
			app.fail(report, "no message from the desktop app within 3 s of each of 4 tries (tap on the peer's row at (100, 97), tap on the message box at (300, 420), type, Ctrl+Enter)")
		}
	}
	if f := msg.secure(); msg.Text == nil || *msg.Text != text || !f.Encrypted || !f.Verified {
		app.fail(report, "hato serve got %s\nwant text %q, \"encrypted\": true and \"verified\": true", msg.line, text)
	}

	// A script beside the app: `hato send` in the app's environment (its profile by default) goes
	// through the running app: from its address and port, under its names, and into its history.
	viaApp := "from a script beside the app 日本語 中文 " + stamp
	if out, err := app.run(60*time.Second, hatoBinary(t), "send", "--to", lab.peer.IP.String(), viaApp); err != nil ||
		!strings.Contains(out, "delivered to 受信者") {
		app.fail(report, "hato send beside the app: %v\n%s", err, out)
	}
	script := srv.wait(t, 15*time.Second, "the script's message", func(e event) bool {
		return e.Event == "message" && e.Text != nil && *e.Text == viaApp
	})
	if script.From == nil || script.From.Addr != msg.From.Addr || script.From.User != msg.From.User || script.From.Nick != msg.From.Nick {
		app.fail(report, "the script's message came from %+v, not from the app (%+v)", script.From, msg.From)
	}
	if out, err := app.run(30*time.Second, hatoBinary(t), "history", "--json", "script beside"); err != nil ||
		!strings.Contains(out, `"dir": "out"`) || !strings.Contains(out, viaApp) {
		app.fail(report, "the app's history through hato history: %v\n%s", err, out)
	}

	// A file from hato send: its receive window, "Save all", the file in $HOME/Downloads.
	payload := randomBytes(t, 48<<10)
	name := "gui-" + stamp + ".bin"
	src := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(src, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	sender := identity{Nick: "hato-send", User: "sender", Host: "sendhost"}
	args := append([]string{"send", "--profile", t.TempDir(), "--timeout", "60s", "--to", guiIP, "--file", src}, sender.flags()...)
	send := startHato(t, lab.peer, append(args, "a file for the desktop app "+stamp)...)
	report = func() string { return srv.report() + "\n--- " + send.report() }

	recv := app.window(report, 20*time.Second, "^Message from "+regexp.QuoteMeta(sender.Nick)+"$")
	w, h := app.geometry(report, recv)
	app.xdo(report, "windowraise", recv)
	app.xdo(report, "windowfocus", "--sync", recv)
	downloads := filepath.Join(app.home, "Downloads")
	saved := filepath.Join(downloads, name)
	// Save all is idempotent (a second tap finds it disabled), so a tap that
	// came before the window took input is repeated; the file must be there
	// within 10 s of the first.
	app.click(report, recv, w-51, h-63)
	start, lastClick, clicks := time.Now(), time.Now(), 1
	for {
		got, err := os.ReadFile(saved)
		if err == nil && bytes.Equal(got, payload) {
			break
		}
		if time.Since(start) > 10*time.Second {
			entries, _ := os.ReadDir(downloads)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			app.fail(report, "%s not saved with the %d bytes offered within 10 s of tapping Save all at (%d, %d) of the %dx%d receive window (%d taps; read: %d bytes, %v; folder holds %q)",
				saved, len(payload), w-51, h-63, w, h, clicks, len(got), err, names)
		}
		if entries, _ := os.ReadDir(downloads); len(entries) == 0 && time.Since(lastClick) > 2*time.Second {
			t.Logf("nothing in %s 2 s after tapping Save all: tapping again", downloads)
			app.click(report, recv, w-51, h-63)
			lastClick, clicks = time.Now(), clicks+1
		}
		time.Sleep(50 * time.Millisecond)
	}

	err, done := send.wait(15 * time.Second)
	if !done {
		app.fail(report, "hato send still runs 15 s after the file was saved (it exits once every recipient fetched it)")
	}
	if err != nil {
		app.fail(report, "hato send: %v (want exit status 0: the desktop app fetched the file)", err)
	}
	if !strings.Contains(send.stdout.String(), "served "+name+" to ") {
		app.fail(report, "hato send printed no \"served %s to ...\" line", name)
	}
	t.Logf("desktop app: message %q delivered encrypted (%s) and verified; %s saved (%d bytes) after %d tap(s) on Save all",
		text, msg.secure().Cipher, name, len(payload), clicks)
}

// startClipboardPNG puts the PNG file at path on the X clipboard of the app's display: xclip stays
// in the foreground (-quiet) serving it until the test ends. It returns once the clipboard offers
// image/png.
func (a *desktopApp) startClipboardPNG(report func() string, path string) {
	a.t.Helper()
	cmd := a.host.Command(context.Background(), "xclip", "-quiet", "-selection", "clipboard", "-t", "image/png", "-i", path)
	cmd.Env = a.env
	out := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		a.fail(report, "starting xclip: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	a.t.Cleanup(func() {
		netlab.KillGroup(cmd)
		<-done
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		targets, err := a.run(5*time.Second, "xclip", "-o", "-selection", "clipboard", "-t", "TARGETS")
		if err == nil && strings.Contains(targets, "image/png") {
			return
		}
		select {
		case <-done:
			a.fail(report, "xclip exited: %v\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			a.fail(report, "the clipboard offers no image/png 10 s after starting xclip (TARGETS: %q, %v)\nxclip: %s", targets, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshotPNG is a picture like a small screenshot (a title bar, a few bars of a chart), with a
// stripe of noise that makes it unique.
func screenshotPNG(t *testing.T) []byte {
	t.Helper()
	const w, h = 360, 220
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(r image.Rectangle, c color.RGBA) { draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src) }
	fill(img.Bounds(), color.RGBA{245, 246, 248, 255})
	fill(image.Rect(0, 0, w, 26), color.RGBA{52, 101, 164, 255})
	for i, v := range []int{120, 80, 150, 60, 170, 100} {
		fill(image.Rect(30+i*52, h-20-v, 66+i*52, h-20), color.RGBA{uint8(200 - i*25), uint8(90 + i*20), 60, 255})
	}
	noise := randomBytes(t, w*4)
	copy(img.Pix[(h-6)*img.Stride:], noise)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// imageFields are the fields of serve's "image" event (a picture inside a message, fetched).
type imageFields struct {
	At     *int   `json:"at"`
	SHA256 string `json:"sha256"`
	Path   string `json:"path"`
	Error  string `json:"error"`
}

// TestDesktopAppPastesScreenshot runs the desktop app under Xvfb in host 0 with
// a PNG on the X clipboard (served by xclip), and `hato serve --download` in
// host 1: Ctrl+V in the message box puts the picture into the message, Ctrl+Enter
// sends it, and serve (which shows pictures: CLIPBOARDOPT) fetches the very
// bytes, at their place in the text. With HATO_GUI_SHOTS=dir (and ImageMagick)
// it saves the main window with the pasted picture as dir/paste-composer.png.
func TestDesktopAppPastesScreenshot(t *testing.T) {
	downloads := t.TempDir()
	lab := startAppAndPeer(t, map[string]string{"xclip": "xclip"},
		identity{Nick: "画像係", Group: "検証", User: "pics", Host: "picshost"}, "--download", downloads)
	app, main, srv, guiIP, stamp := lab.app, lab.main, lab.srv, lab.guiIP, uniqueStamp()
	report := srv.report

	shot := screenshotPNG(t)
	want := sha256.Sum256(shot)
	shotPath := filepath.Join(t.TempDir(), "shot.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	app.startClipboardPNG(report, shotPath)

	// Check the peer, type, Ctrl+V, type on, Ctrl+Enter; repeated as in TestDesktopAppEndToEnd when
	// no message comes (a lost tap). The picture goes where Ctrl+V was pressed even if the typing
	// after it is quicker than the clipboard.
	before, after := "Here is the screenshot ", "of build "+stamp
	fromGUIMessage := func(e event) bool { return e.Event == "message" && e.From != nil && addrIP(e.From.Addr) == guiIP }
	var msg event
	var tries int
	for tries = 1; ; tries++ {
		app.xdo(report, "windowfocus", "--sync", main)
		app.click(report, main, 100, 97)
		app.click(report, main, 300, 380)
		app.xdo(report, "key", "ctrl+a", "Delete")
		app.xdo(report, "type", "--delay", "15", before)
		app.xdo(report, "key", "ctrl+v")
		app.xdo(report, "type", "--delay", "15", after)
		if dir := os.Getenv("HATO_GUI_SHOTS"); dir != "" && tries == 1 {
			time.Sleep(time.Second) // the thumbnail drawn
			if out, err := app.run(15*time.Second, "import", "-window", main, filepath.Join(dir, "paste-composer.png")); err != nil {
				t.Logf("no screenshot: %v %s", err, out)
			}
		}
		app.xdo(report, "key", "ctrl+Return")
		var ok bool
		if msg, ok = srv.await(3*time.Second, fromGUIMessage); ok {
			break
		}
		if tries == 4 {
			app.fail(report, "no message from the desktop app within 3 s of each of 4 tries (tap on the peer's row at (100, 97), tap on the message box at (300, 380), type, Ctrl+V, type, Ctrl+Enter)")
		}
	}
	if msg.Text == nil || *msg.Text != before+after {
		app.fail(report, "hato serve got %s\nwant the text %q", msg.line, before+after)
	}
	got := srv.wait(t, 20*time.Second, "the picture of the message fetched (an image or image-failed event)", func(e event) bool {
		return (e.Event == "image" || e.Event == "image-failed") && e.Packet == msg.Packet
	})
	var img imageFields
	if err := json.Unmarshal([]byte(got.line), &img); err != nil || got.Event != "image" {
		app.fail(report, "the picture was not fetched: %s (%v)", got.line, err)
	}
	if img.SHA256 != hex.EncodeToString(want[:]) {
		app.fail(report, "hato serve fetched a picture with sha256 %s, want %x (the PNG on the clipboard)", img.SHA256, want)
	}
	if b, err := os.ReadFile(img.Path); err != nil || !bytes.Equal(b, shot) {
		app.fail(report, "the saved picture %s: %d bytes, %v; want the %d bytes on the clipboard", img.Path, len(b), err, len(shot))
	}
	// Ctrl+A and Delete before a retry clear the text and its picture markers: every try sends one
	// picture, where Ctrl+V was pressed.
	if img.At == nil || *img.At != len(before) {
		app.fail(report, "the picture is placed at character %v, want %d (where Ctrl+V was pressed)", img.At, len(before))
	}

	// Text still pastes as text, also when the clipboard's owner is the app itself (Ctrl+C in the
	// message box; xclip then exits): the app answers the clipboard's questions on its UI thread, so
	// the picture read must not hold that thread, or the paste would wait for the read's timeout (3 s).
	copied := "copy me, "
	app.click(report, main, 300, 380)
	app.xdo(report, "key", "ctrl+a", "Delete")
	app.xdo(report, "type", "--delay", "15", copied)
	app.xdo(report, "key", "ctrl+a", "ctrl+c", "End")
	start := time.Now()
	app.xdo(report, "key", "ctrl+v", "ctrl+Return")
	text, ok := srv.await(10*time.Second, func(e event) bool { return fromGUIMessage(e) && e.Packet != msg.Packet })
	if !ok || text.Text == nil || *text.Text != copied+copied {
		app.fail(report, "after typing %q, Ctrl+A, Ctrl+C, End, Ctrl+V, Ctrl+Enter: got %q, want the message %q", copied, text.line, copied+copied)
	}
	took := time.Since(start)
	if took > 2500*time.Millisecond {
		app.fail(report, "the text paste and send took %v: the clipboard read stalled", took)
	}

	t.Logf("desktop app: pasted a %d-byte PNG from the X clipboard; hato serve fetched it (sha256 %.16s…, placed at character %d of the text) after %d tries; text copied and pasted in the app, sent in %v",
		len(shot), img.SHA256, deref(img.At, -1), tries, took.Round(time.Millisecond))
}

func deref[T any](p *T, none T) T {
	if p == nil {
		return none
	}
	return *p
}
