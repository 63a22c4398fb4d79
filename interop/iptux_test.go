//go:build linux

package interop

// Running iptux 0.8.3 headless in a lab host: Xvfb, a private session bus
// (which also starts the AT-SPI bus), iptux in a private UTS namespace with
// host name "iptuxhost", a throwaway HOME. Everything runs inside the host's
// network namespace, so netlab's cleanup catches whatever is left.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hato/internal/netlab"
)

const (
	iptuxHostName = "iptuxhost"
	iptuxApp      = "io.github.iptux_src.iptux"
	iptuxPath     = "/io/github/iptux_src/iptux"
	python        = "/usr/bin/python3" // Debian's, where python3-pyatspi lives
)

// iptuxTools are the programs the iptux tests run, with their Debian packages.
var iptuxTools = map[string]string{
	"iptux": "iptux", "Xvfb": "xvfb", "xdotool": "xdotool", "dbus-daemon": "dbus-daemon",
	"gdbus": "libglib2.0-bin", "unshare": "util-linux", "hostname": "hostname", python: "python3-pyatspi",
}

// iptuxConfig is the subset of iptux's config.json the tests set.
type iptuxConfig struct {
	Nick, Group string
}

type iptux struct {
	t      *testing.T
	host   *netlab.Host
	dir    string
	home   string
	env    []string
	cmd    *exec.Cmd
	log    *syncBuffer // iptux's stderr: -l DEBUG hex dumps of every packet
	exited chan struct{}
	xvfb   *exec.Cmd
	bus    *exec.Cmd
}

// needIptux skips (or fails under HATO_INTEROP=require) when iptux cannot run here.
func needIptux(t *testing.T) {
	t.Helper()
	needLab(t)
	needTools(t, iptuxTools)
	if out, err := exec.Command(python, "-c", "import pyatspi").CombinedOutput(); err != nil {
		skipOrFail(t, "%s cannot import pyatspi (Debian package python3-pyatspi): %v %s", python, err, out)
	}
}

// startIptux starts iptux in h and waits until it is on the bus and lists itself.
func startIptux(t *testing.T, h *netlab.Host, cfg iptuxConfig) *iptux {
	t.Helper()
	needIptux(t)
	dir := t.TempDir()
	x := &iptux{t: t, host: h, dir: dir, home: filepath.Join(dir, "home"), log: new(syncBuffer), exited: make(chan struct{})}
	for _, d := range []string{".iptux", ".config/iptux/log", ".cache", "Downloads"} {
		if err := os.MkdirAll(filepath.Join(x.home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf, _ := json.MarshalIndent(map[string]any{
		"nick_name": cfg.Nick, "belong_group": cfg.Group,
		"archive_path": filepath.Join(x.home, "Downloads"), "preference_encode": "utf-8",
		"candidacy_encode": "gb18030,utf-16", "open_chat": false, "use_enter_key": true, "record_log": true,
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(x.home, ".iptux", "config.json"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pals.py"), []byte(palsScript), 0o600); err != nil {
		t.Fatal(err)
	}
	// One cleanup, in order: iptux, the session bus, Xvfb (politely, so it
	// removes its lock file), then anything left in the namespace (AT-SPI).
	t.Cleanup(x.cleanup)

	display := x.startXvfb()
	busPath := filepath.Join(dir, "bus")
	x.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + x.home, "USER=root", "LOGNAME=root",
		"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "DISPLAY=" + display,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + busPath, "GSETTINGS_BACKEND=memory",
		"XDG_CONFIG_HOME=" + filepath.Join(x.home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(x.home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(x.home, ".local/share"), "XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
	}
	x.bus = h.Command(context.Background(), "dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path="+busPath)
	x.bus.Env = x.env
	var busLog syncBuffer
	x.bus.Stdout, x.bus.Stderr = &busLog, &busLog
	if err := x.bus.Start(); err != nil {
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	x.poll(10*time.Second, "the private session bus socket", func() (bool, string) {
		_, err := os.Stat(busPath)
		return err == nil, busLog.String()
	})

	x.cmd = h.Command(context.Background(), "unshare", "--uts", "sh", "-c", "hostname "+iptuxHostName+" && exec iptux -l DEBUG")
	x.cmd.Env = x.env
	x.cmd.Dir = x.home
	x.cmd.Stdout, x.cmd.Stderr = x.log, x.log
	if err := x.cmd.Start(); err != nil {
		t.Fatalf("starting iptux: %v", err)
	}
	go func() {
		x.cmd.Wait()
		close(x.exited)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			state := "still running"
			if !x.running() {
				state = "EXITED: " + x.cmd.ProcessState.String()
			}
			t.Logf("--- iptux (%s) log, packets as Go strings, last 150 lines:\n%s", state, tail(logSummary(x.log.String()), 150))
		}
	})
	x.poll(30*time.Second, "iptux on the session bus", func() (bool, string) {
		out, err := x.run(5*time.Second, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
			"--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.NameHasOwner", iptuxApp)
		return err == nil && strings.Contains(out, "true"), out
	})
	x.waitPal(30*time.Second, h.IP.String(), "iptux listing itself in its pal list (AT-SPI)", func(p iptuxPal) bool { return p.Nick == cfg.Nick })
	return x
}

func (x *iptux) startXvfb() string {
	cmd, display := launchXvfb(x.t, x.host)
	x.xvfb = cmd
	return display
}

func (x *iptux) cleanup() {
	if x.cmd != nil && x.cmd.Process != nil {
		netlab.KillGroup(x.cmd)
		<-x.exited
	}
	if x.bus != nil && x.bus.Process != nil {
		netlab.KillGroup(x.bus)
		x.bus.Wait()
	}
	if x.xvfb != nil && x.xvfb.Process != nil {
		done := make(chan struct{})
		go func() { x.xvfb.Wait(); close(done) }()
		stopXvfb(x.xvfb, done)
	}
	x.host.KillAll()
}

// logSummary shortens iptux's DEBUG log: the hex dump that follows each
// "send udp message" line becomes one quoted Go string (received packets are
// logged quoted already), and each run of the GTK accessibility warnings that
// AT-SPI queries provoke (hundreds at a time) becomes one line.
func logSummary(log string) string {
	var keep []string
	var dump []byte
	noise := 0
	flushNoise := func() {
		if noise > 0 {
			keep = append(keep, fmt.Sprintf("    [%d Atk/GObject CRITICAL warnings from AT-SPI queries left out]", noise))
			noise = 0
		}
	}
	flush := func() {
		if dump != nil {
			keep = append(keep, fmt.Sprintf("    sent %q", dump))
			dump = nil
		}
		flushNoise()
	}
	for _, l := range strings.Split(log, "\n") {
		if m := hexDumpLine.FindStringSubmatch(l); m != nil {
			if dump == nil {
				flushNoise()
				dump = []byte{}
			}
			for _, h := range strings.Fields(m[2]) {
				if b, err := hex.DecodeString(h); err == nil {
					dump = append(dump, b...)
				}
			}
			continue
		}
		if atkNoise.MatchString(l) {
			noise++
			continue
		}
		flush()
		if strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	flush()
	return strings.Join(keep, "\n")
}

// atkNoise matches the warnings iptux's GTK prints when AT-SPI walks its
// tables: "(iptux:N): Atk-CRITICAL **: ...: atk_state_set_contains_state: ..."
// and "GLib-GObject-CRITICAL **: ...: g_object_unref: assertion 'G_IS_OBJECT (object)' failed".
var atkNoise = regexp.MustCompile(`^\(iptux:\d+\): (Atk-CRITICAL|GLib-GObject-CRITICAL \*\*: [0-9:.]+: g_object_unref: assertion 'G_IS_OBJECT \(object\)' failed)`)

// hexDumpLine is "00000010  72 6f ...  |root:...|" or the closing offset line.
var hexDumpLine = regexp.MustCompile(`^([0-9a-f]{8})(?:  ([0-9a-f ]*?)\s*\|.*\|)?$`)

// in returns the same iptux reporting failures to t (a subtest).
func (x *iptux) in(t *testing.T) *iptux {
	y := *x
	y.t = t
	return &y
}

// running reports whether the iptux process is still alive.
func (x *iptux) running() bool {
	select {
	case <-x.exited:
		return false
	default:
		return true
	}
}

// fail ends the test with iptux's log tail and chat log.
func (x *iptux) fail(format string, args ...any) {
	x.t.Helper()
	state := "running"
	if !x.running() {
		state = "EXITED: " + x.cmd.ProcessState.String()
	}
	x.t.Fatalf("%s\n--- iptux (%s) log tail:\n%s\n--- iptux chat log:\n%s", fmt.Sprintf(format, args...), state,
		tail(logSummary(x.log.String()), 60), tail(x.chatLog(), 30))
}

// poll calls check until it reports true, failing after timeout or when iptux exits.
func (x *iptux) poll(timeout time.Duration, what string, check func() (bool, string)) {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, detail := check()
		if ok {
			return
		}
		last = detail
		if x.cmd != nil && x.cmd.Process != nil && !x.running() {
			x.fail("iptux exited while waiting for %s (last check: %s)", what, last)
		}
		if time.Now().After(deadline) {
			x.fail("no %s within %v (last check: %s)", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// run runs a helper program (gdbus, xdotool, python) in iptux's namespace and environment.
func (x *iptux) run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := x.host.Command(ctx, name, args...)
	cmd.Env = x.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// action activates one of iptux's application actions over D-Bus.
func (x *iptux) action(name string, param string) {
	x.t.Helper()
	p := "[]"
	if param != "" {
		p = fmt.Sprintf("[<'%s'>]", param)
	}
	if out, err := x.run(10*time.Second, "gdbus", "call", "--session", "--dest", iptuxApp, "--object-path", iptuxPath,
		"--method", "org.gtk.Actions.Activate", name, p, "{}"); err != nil {
		x.fail("iptux action %s(%s): %v %s", name, param, err, out)
	}
}

// quit asks iptux to quit (it sends BR_EXIT to every pal) and waits for it to exit.
func (x *iptux) quit() {
	x.t.Helper()
	x.action("quit", "")
	select {
	case <-x.exited:
	case <-time.After(10 * time.Second):
		x.fail("iptux did not exit within 10 s of the quit action")
	}
}

// iptuxPal is one entry of iptux's pal list as read through AT-SPI.
type iptuxPal struct {
	IP    string `json:"ip"`
	Nick  string `json:"nick"`
	Group string `json:"group"`
	User  string `json:"user"`
	Host  string `json:"host"`
}

// pals reads iptux's pal list from its main window through AT-SPI.
func (x *iptux) pals() ([]iptuxPal, error) {
	out, err := x.run(20*time.Second, python, filepath.Join(x.dir, "pals.py"))
	if err != nil {
		return nil, err
	}
	var pals []iptuxPal
	if err := json.Unmarshal([]byte(out), &pals); err != nil {
		return nil, fmt.Errorf("pals.py printed %q: %w", out, err)
	}
	return pals, nil
}

// waitPal waits until iptux lists ip with a pal that matches.
func (x *iptux) waitPal(timeout time.Duration, ip, what string, match func(iptuxPal) bool) iptuxPal {
	x.t.Helper()
	var found iptuxPal
	x.poll(timeout, what, func() (bool, string) {
		pals, err := x.pals()
		if err != nil {
			return false, err.Error()
		}
		for _, p := range pals {
			if p.IP == ip && match(p) {
				found = p
				return true, ""
			}
		}
		return false, fmt.Sprintf("pal list %+v", pals)
	})
	return found
}

// waitNoPal waits until ip is gone from iptux's pal list.
func (x *iptux) waitNoPal(timeout time.Duration, ip, what string) {
	x.t.Helper()
	x.poll(timeout, what, func() (bool, string) {
		pals, err := x.pals()
		if err != nil {
			return false, err.Error()
		}
		for _, p := range pals {
			if p.IP == ip {
				return false, fmt.Sprintf("pal list %+v", pals)
			}
		}
		return true, ""
	})
}

func (x *iptux) chatLog() string {
	b, _ := os.ReadFile(filepath.Join(x.home, ".config", "iptux", "log", "communicate.log"))
	return string(b)
}

// chatEntry is one block of iptux's communicate.log.
type chatEntry struct {
	Received bool   // "Recevied-From" (sic) rather than "Send-To"
	Nick     string // as iptux knows the pal
	User     string
	Host     string
	Text     string
}

var chatHead = regexp.MustCompile(`\) (Recevied-From|Send-To): Nickname:(.*) User:(.*) Host:(.*):$`)

// chatEntries parses communicate.log: a line of '=', "(date) Recevied-From:
// Nickname:N User:U Host:H:", then "[STRING]text" (text may span lines), then
// a line of '-'.
func (x *iptux) chatEntries() []chatEntry {
	var out []chatEntry
	var cur *chatEntry
	inText := false
	for _, line := range strings.Split(x.chatLog(), "\n") {
		if m := chatHead.FindStringSubmatch(line); m != nil {
			out = append(out, chatEntry{Received: m[1] == "Recevied-From", Nick: m[2], User: m[3], Host: m[4]})
			cur, inText = &out[len(out)-1], false
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "[STRING]"):
			cur.Text, inText = strings.TrimPrefix(line, "[STRING]"), true
		case inText && strings.Trim(line, "-") == "" && line != "":
			cur, inText = nil, false
		case inText:
			cur.Text += "\n" + line
		}
	}
	return out
}

// waitChat waits for a received chat-log entry with exactly text.
func (x *iptux) waitChat(timeout time.Duration, text string) chatEntry {
	x.t.Helper()
	var found chatEntry
	x.poll(timeout, fmt.Sprintf("chat-log entry with text %q", text), func() (bool, string) {
		for _, e := range x.chatEntries() {
			if e.Received && e.Text == text {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("entries %+v", x.chatEntries())
	})
	return found
}

// chatWindow opens (D-Bus open-chat) the chat window for ip and returns its X window id.
func (x *iptux) chatWindow(ip string) string {
	x.t.Helper()
	x.action("open-chat", ip)
	var win string
	pattern := "IP:" + regexp.QuoteMeta(ip) + "$"
	x.poll(10*time.Second, "a chat window titled ...IP:"+ip, func() (bool, string) {
		out, err := x.run(5*time.Second, "xdotool", "search", "--name", pattern)
		if err != nil {
			return false, err.Error()
		}
		f := strings.Fields(out)
		if len(f) == 0 {
			return false, "no window"
		}
		win = f[0]
		return true, ""
	})
	return win
}

// typeMessage types text into the chat window for ip with xdotool and
// presses Return (use_enter_key sends). xdotool types characters missing from
// the keymap (CJK) by remapping a spare keycode for each one, which can lose
// a character when the machine is busy; so the message box is read back
// through AT-SPI before Return, and cleared and retyped (up to 3 times) when
// it differs.
func (x *iptux) typeMessage(win, ip, text string) {
	x.t.Helper()
	xdo := func(args ...string) {
		x.t.Helper()
		if out, err := x.run(30*time.Second, "xdotool", args...); err != nil {
			x.fail("xdotool: %v %s", err, out)
		}
	}
	var got string
	for try := 1; ; try++ {
		xdo("windowfocus", "--sync", win)
		xdo("key", "ctrl+a", "Delete")
		xdo("type", "--delay", "40", text)
		out, err := x.run(20*time.Second, python, filepath.Join(x.dir, "pals.py"), "--input", ip)
		if err != nil {
			x.fail("reading the chat window's message box: %v", err)
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			x.fail("reading the chat window's message box: %q: %v", out, err)
		}
		if got == text {
			break
		}
		if try == 3 {
			x.fail("xdotool typed %q into iptux's message box, want %q (3 tries)", got, text)
		}
		x.t.Logf("xdotool typed %q instead of %q; retyping", got, text)
	}
	xdo("key", "Return")
}

// closeChat closes a chat window with its "Close" button (AT-SPI), so no
// chat window is open when entry packets arrive (see IPTUX.md: crash race).
func (x *iptux) closeChat(ip string) {
	x.t.Helper()
	out, err := x.run(20*time.Second, python, filepath.Join(x.dir, "pals.py"), "--close-chat", ip)
	if err != nil {
		x.fail("closing the chat window for %s: %v %s", ip, err, out)
	}
	x.poll(10*time.Second, "the chat window for "+ip+" to close", func() (bool, string) {
		out, _ := x.run(5*time.Second, "xdotool", "search", "--name", "IP:"+regexp.QuoteMeta(ip)+"$")
		return strings.TrimSpace(out) == "", out
	})
}
