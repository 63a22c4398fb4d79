//go:build linux

package interop

// Hato's Windows build under Wine against the Linux build (make test-windows).
//
// The Windows host is a lab namespace of its own with its own wineserver: Wine creates and binds every
// socket in the wineserver process, so the server must run inside the namespace that the Windows node
// is to live in. The prefix is private (a temporary folder), made once per test binary with
// `wineboot -i` and reused by each test with a fresh wineserver in that test's Windows namespace.
//
// The programs are the same tree as `make windows` (cgo, mingw-w64, -tags no_animations): hato-cli.exe
// (console subsystem) and hato.exe (-H=windowsgui), built through `go build -overlay` with two
// one-line changes to the standard library that Wine 8.0 (Debian 12) needs and Windows does not, and a
// stand-in bcryptprimitives.dll in the prefix: see scripts/wine/overlay.go and
// scripts/wine/bcryptprimitives.c. Paths handed to the Windows programs are Wine's Z: drive (the Linux
// root), so both sides' files can be compared directly. Wine 8.0 has no AF_UNIX sockets, so the
// control endpoint (a command handed to the running Hato of its profile) cannot be tested here.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hato/internal/netlab"
)

// wineKit is what the Wine tests run: the two Windows programs and a Wine prefix.
type wineKit struct {
	cli    string // hato-cli.exe, console subsystem
	gui    string // hato.exe, GUI subsystem (the one a double click starts)
	prefix string // WINEPREFIX
	wine   string // wine --version
}

var (
	wineOnce  sync.Once
	wineBuilt *wineKit
	wineErr   error
	wineTimes []string // how long each step took, for the log
	wineTags  = "no_animations"
	wineReady = 90 * time.Second // a first start under Wine makes the keys and the prefix's registry
)

// needWine skips (or, under HATO_INTEROP=require, fails) when namespaces, Wine or mingw are missing.
func needWine(t *testing.T) {
	t.Helper()
	needLab(t)
	needTools(t, map[string]string{"wine": "wine", "wineserver": "wine", "wineboot": "wine", "unshare": "util-linux",
		"x86_64-w64-mingw32-gcc": "gcc-mingw-w64-x86-64"})
}

// wineSetup builds the Windows programs and the Wine prefix once per test binary; they live in the
// folder hatoBinary made, which TestMain removes.
func wineSetup(t *testing.T) *wineKit {
	t.Helper()
	hatoBinary(t)
	wineOnce.Do(func() { wineBuilt, wineErr = buildWineKit(filepath.Join(buildDir, "wine")) })
	if wineErr != nil {
		t.Fatalf("preparing the Windows build under Wine: %v", wineErr)
	}
	t.Logf("Windows build under %s; %s", wineBuilt.wine, strings.Join(wineTimes, ", "))
	return wineBuilt
}

func buildWineKit(dir string) (*wineKit, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	k := &wineKit{cli: filepath.Join(dir, "hato-cli.exe"), gui: filepath.Join(dir, "hato.exe"), prefix: filepath.Join(dir, "prefix")}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Output goes through a file: Wine's background processes inherit a pipe and hold it open.
	step := func(what string, env []string, name string, args ...string) error {
		start := time.Now()
		f, err := os.CreateTemp(dir, "output-")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = root, env, f, f
		if err := cmd.Run(); err != nil {
			out, _ := os.ReadFile(f.Name())
			return fmt.Errorf("%s: %s %s: %w\n%s", what, name, strings.Join(args, " "), err, out)
		}
		wineTimes = append(wineTimes, fmt.Sprintf("%s %.1fs", what, time.Since(start).Seconds()))
		return nil
	}
	overlay := filepath.Join(dir, "overlay")
	if err := step("overlay", os.Environ(), goTool, "run", "scripts/wine/overlay.go", overlay); err != nil {
		return nil, err
	}
	cross := append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=1", "CC=x86_64-w64-mingw32-gcc")
	build := []string{"build", "-overlay", filepath.Join(overlay, "overlay.json"), "-tags", wineTags}
	if err := step("build hato-cli.exe", cross, goTool, append(build, "-o", k.cli, ".")...); err != nil {
		return nil, err
	}
	if err := step("build hato.exe", cross, goTool, append(build, "-ldflags", "-H=windowsgui", "-o", k.gui, ".")...); err != nil {
		return nil, err
	}
	// The prefix, made in a network namespace of its own with nothing in it (unshare); each test then
	// starts a wineserver of its own in its Windows namespace. No Mono or Gecko (nothing asks for them).
	env := wineEnv(k.prefix)
	if err := step("wineboot", append(env, "WINEDLLOVERRIDES=mscoree,mshtml="), "unshare", "--net", "wineboot", "-i"); err != nil {
		return nil, err
	}
	if err := step("wineserver -w", env, "wineserver", "-w"); err != nil {
		return nil, err
	}
	out, err := exec.Command("wine", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("wine --version: %w", err)
	}
	k.wine = strings.TrimSpace(string(out))
	// Wine 8.0 has no bcryptprimitives.dll, which Go's runtime loads at start (a newer Wine's prefix has it).
	sys32 := filepath.Join(k.prefix, "drive_c", "windows", "system32")
	if _, err := os.Stat(filepath.Join(sys32, "bcryptprimitives.dll")); errors.Is(err, os.ErrNotExist) {
		if err := step("bcryptprimitives.dll", os.Environ(), "x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s",
			"-o", filepath.Join(sys32, "bcryptprimitives.dll"), "scripts/wine/bcryptprimitives.c", "-ladvapi32"); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// wineEnv is the environment of every Wine process: the private prefix, no debug output (or
// HATO_WINEDEBUG's, e.g. err+all,warn+process, to see what Wine says), no display (the command line
// needs none), and a UTF-8 locale, through which Wine passes arguments and names.
func wineEnv(prefix string) []string {
	debug := os.Getenv("HATO_WINEDEBUG")
	if debug == "" {
		debug = "-all"
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DISPLAY", "WAYLAND_DISPLAY", "WINEPREFIX", "WINEDEBUG", "WINESERVER", "WINELOADER", "LANG", "LC_ALL":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "WINEPREFIX="+prefix, "WINEDEBUG="+debug, "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
}

// winPath is the Windows name of a Linux path: Wine's drive Z: is the Linux root.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// winHost is a lab host that runs Windows programs: a wineserver for the prefix runs in its namespace.
type winHost struct {
	*netlab.Host
	kit *wineKit
	env []string
}

// startWineHost starts a persistent wineserver for the kit's prefix in h; the test's cleanup stops it.
func startWineHost(t *testing.T, kit *wineKit, h *netlab.Host) *winHost {
	t.Helper()
	w := &winHost{Host: h, kit: kit, env: wineEnv(kit.prefix)}
	srv := h.Command(context.Background(), "wineserver", "-f", "-p")
	srv.Env = w.env
	var out syncBuffer
	srv.Stdout, srv.Stderr = &out, &out
	if err := srv.Start(); err != nil {
		t.Fatalf("wineserver in %s: %v", h.NS, err)
	}
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	t.Cleanup(func() {
		// Ends every Windows process of the prefix, then the server.
		k := h.Command(context.Background(), "wineserver", "-k")
		k.Env = w.env
		k.Run()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			netlab.KillGroup(srv)
			<-done
		}
		removeServerDirs(kit.prefix)
	})
	// The server is up once a client gets through: wineboot without arguments only checks the prefix.
	if boot, err := w.run(t, 60*time.Second, "wineboot"); err != nil {
		t.Fatalf("wineboot in %s: %v\n%s\nwineserver: %s", h.NS, err, boot, out.String())
	}
	return w
}

// removeServerDirs removes the socket folders that wineservers of prefix left in the temporary folder:
// server-DEV-INODE (of the prefix) in /tmp/.wine-UID, or in a /tmp/wine-XXXXXX of its own as Debian's
// Wine makes them, with that folder when nothing else is in it.
func removeServerDirs(prefix string) {
	fi, err := os.Stat(prefix)
	if err != nil {
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	name := fmt.Sprintf("server-%x-%x", st.Dev, st.Ino)
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "wine-*", name))
	dirs = append(dirs, filepath.Join(os.TempDir(), fmt.Sprintf(".wine-%d", os.Getuid()), name))
	for _, d := range dirs {
		os.RemoveAll(d)
		if parent := filepath.Dir(d); strings.HasPrefix(filepath.Base(parent), "wine-") {
			os.Remove(parent) // only when empty
		}
	}
}

// command runs a program of the prefix (an .exe or a Wine tool) in the Windows host.
func (w *winHost) command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := w.Host.Command(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = w.env
	return cmd
}

// run runs a Wine tool and returns its combined output. The output goes through a file, not a pipe:
// the first program of a Wine session starts Wine's own background processes (services.exe and the
// like), which inherit its standard handles and keep them open.
func (w *winHost) run(t *testing.T, timeout time.Duration, tool string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	f, err := os.CreateTemp(t.TempDir(), "wine-output-")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := w.Host.Command(ctx, tool, args...)
	cmd.Env = w.env
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

// hato runs a short subcommand of exe (the kit's cli or gui) and returns stdout, stderr and the exit error.
func (w *winHost) hato(t *testing.T, timeout time.Duration, exe string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := w.command(ctx, exe, args...)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v: %w", timeout, errors.Join(err, ctx.Err()))
	}
	return stdout.String(), stderr.String(), err
}

// serve starts `hato-cli.exe serve` on the Windows profile folder profile (a Linux path) and waits for
// its ready event.
func (w *winHost) serve(t *testing.T, profile string, id identity, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--profile", winPath(profile)}, id.flags()...)
	args = append(args, extra...)
	s := &server{name: fmt.Sprintf("hato-cli.exe serve under Wine on %s (%s)", w.IP, id.Nick), host: w.Host, profile: profile}
	s.start(t, w.command(context.Background(), w.kit.cli, args...))
	s.wait(t, wineReady, "the ready event", func(e event) bool { return e.Event == "ready" })
	return s
}

// interrupt stops a Windows serve as Ctrl+C in its console would (Wine turns SIGINT into CTRL_C_EVENT)
// and expects exit code 0 and a last "stopped" event within 20 s.
func interrupt(t *testing.T, s *server) {
	t.Helper()
	s.signalStop(t, syscall.SIGINT, 20*time.Second)
	if _, ok, _, _ := s.find(func(e event) bool { return e.Event == "stopped" }); !ok {
		t.Errorf("%s: no stopped event after Ctrl+C\n%s", s.name, s.report())
	}
}

// TestWineInterop runs the Windows build (hato-cli.exe) under Wine on one lab host and the Linux build on
// another: discovery, messages, files and folders both ways, Windows names, history, the taken port, the
// GUI build's output, and a clean exit.
//
// The Windows host runs a serve (port 2425, profile winProfile) that receives, and sends with commands
// on a second profile (winSendProfile), which beside the serve run a node of their own on a free port:
// Wine 8.0 has no AF_UNIX sockets, so a command cannot be handed to the running serve there (see
// "taken-port").
func TestWineInterop(t *testing.T) {
	needWine(t)
	kit := wineSetup(t)
	lab := newLab(t, 2)
	win := startWineHost(t, kit, lab.Host(0))
	linH := lab.Host(1)
	winAddr, linAddr := win.Addr(2425), linH.Addr(2425)
	winIP, linIP := win.IP.String(), linH.IP.String()
	winID := identity{Nick: "窓の鳩", Group: "開発部", User: "winuser", Host: "WINBOX"}
	sendID := identity{Nick: "窓の送信", Group: "開発部", User: "winsend", Host: "WINBOX"}
	linID := identity{Nick: "ペンギン鳩", Group: "开发组", User: "linuser", Host: "linux-box"}
	same := func(id identity) func(jsonHost) bool {
		return func(h jsonHost) bool {
			return h.Nick == id.Nick && h.Group == id.Group && h.User == id.User && h.Host == id.Host && !h.Absent
		}
	}
	linDL, winDL := mkdir(t, t.TempDir(), "download"), mkdir(t, t.TempDir(), "download")
	winProfile, winSendProfile := t.TempDir(), t.TempDir()
	lin := startServe(t, linH, linID, "--download", linDL)

	// 1. Discovery, Windows → Linux: hato-cli.exe list --json, its own node on port 2425 (nothing else
	// runs on the Windows host yet).
	args := append([]string{"list", "--json", "--wait", "3s", "--profile", winPath(winSendProfile)}, sendID.flags()...)
	out, errOut, err := win.hato(t, 60*time.Second, kit.cli, args...)
	var hosts []jsonHost
	if err == nil {
		err = json.Unmarshal([]byte(out), &hosts)
	}
	if err != nil {
		t.Fatalf("hato-cli.exe %s: %v\nstdout:\n%s\nstderr:\n%s\n%s", strings.Join(args, " "), err, out, errOut, lin.report())
	}
	if i := hostIndex(hosts, linAddr); i < 0 || !same(linID)(hosts[i]) {
		t.Fatalf("hato-cli.exe list --json under Wine: want %s as %+v, got %+v", linAddr, linID, hosts)
	}
	t.Logf("hato-cli.exe list --json lists the Linux serve: %+v", hosts[hostIndex(hosts, linAddr)])

	// Linux → Windows and Windows → Linux: the Windows serve joins, each sees the other, with encryption.
	wsrv := win.serve(t, winProfile, winID, "--download", winPath(winDL))
	lin.waitHost(t, 20*time.Second, winAddr, "host-joined for the Windows node", same(winID))
	wsrv.waitHost(t, 20*time.Second, linAddr, "host-joined for the Linux node", same(linID))
	for _, c := range []struct {
		s    *server
		addr string
		id   identity
	}{{lin, winAddr, winID}, {wsrv, linAddr, linID}} {
		c.s.wait(t, 20*time.Second, "a host event for "+c.addr+" that advertises encryption", func(e event) bool {
			f := e.secure()
			return (e.Event == "host-joined" || e.Event == "host-updated") && e.Host != nil && e.Host.Addr == c.addr &&
				same(c.id)(*e.Host) && f.Host != nil && f.Host.Encrypt
		})
	}

	// sendWin runs hato-cli.exe send on the Windows sending profile; sendLin hato send through the Linux serve.
	sendWin := func(t *testing.T, timeout time.Duration, args ...string) string {
		t.Helper()
		args = append(append([]string{"send", "--profile", winPath(winSendProfile)}, sendID.flags()...), args...)
		out, errOut, err := win.hato(t, timeout, kit.cli, args...)
		if err != nil {
			t.Fatalf("hato-cli.exe %s: %v\nstdout:\n%s\nstderr:\n%s\n%s\n%s", strings.Join(args, " "), err, out, errOut, wsrv.report(), lin.report())
		}
		return out + errOut
	}
	sendLin := func(t *testing.T, timeout time.Duration, args ...string) string {
		t.Helper()
		args = append([]string{"send", "--profile", lin.profile}, args...)
		out, errOut, err := runHato(t, linH, timeout, args...)
		if err != nil {
			t.Fatalf("hato %s: %v\nstdout:\n%s\nstderr:\n%s\n%s\n%s", strings.Join(args, " "), err, out, errOut, lin.report(), wsrv.report())
		}
		return out + errOut
	}
	// message waits for s's message event from ip with text, and checks that it came encrypted and
	// signed, the signature verified.
	message := func(t *testing.T, s *server, ip, text string) event {
		t.Helper()
		e := s.wait(t, 15*time.Second, "the message "+text, func(e event) bool {
			return e.Event == "message" && e.From != nil && addrIP(e.From.Addr) == ip && e.Text != nil && *e.Text == text
		})
		if f := e.secure(); !f.Encrypted || !f.Signed || !f.Verified || f.Cipher == "" {
			t.Errorf("%s: message from %s %+v, want encrypted, signed and verified: %s", s.name, ip, f, e.line)
		}
		return e
	}

	// 2. Messages both ways, CJK, encrypted and verified.
	winWord, linWord := "窓辺"+uniqueStamp(), "鳩笛"+uniqueStamp()
	t.Run("messages", func(t *testing.T) {
		text := "Windows から Linux へ：" + winWord + " 你好，世界 🕊"
		if out := sendWin(t, 30*time.Second, "--to", linIP, text); !strings.Contains(out, "delivered to "+linID.Nick+" ("+linAddr+"), encrypted") {
			t.Errorf("hato-cli.exe send: %q, want delivered encrypted", out)
		}
		message(t, lin, winIP, text)
		text = "Linux から Windows へ：" + linWord + " 中文消息 ✓"
		if out := sendLin(t, 30*time.Second, "--to", winIP, text); !strings.Contains(out, "delivered to "+winID.Nick+" ("+winAddr+"), encrypted") {
			t.Errorf("hato send: %q, want delivered encrypted", out)
		}
		message(t, wsrv, linIP, text)
	})

	// 3. Files and folders both ways: equal sha256, CR LF kept, nested and empty folders, sent and
	// saved encrypted.
	t.Run("files", func(t *testing.T) {
		stamp := uniqueStamp()
		for _, dir := range []struct {
			name      string
			prefix    string
			send      func(t *testing.T, timeout time.Duration, args ...string) string
			path      func(string) string
			to        string
			recv      *server
			downloads string
		}{
			{"Windows → Linux", "w2l-", sendWin, winPath, linIP, lin, linDL},
			{"Linux → Windows", "l2w-", sendLin, func(p string) string { return p }, winIP, wsrv, winDL},
		} {
			file, folder := dir.prefix+stamp+"-報告書.txt", dir.prefix+stamp+"-フォルダ"
			src := filepath.Join(t.TempDir(), "src")
			makeTree(t, src, map[string][]byte{
				file:                               []byte("一行目\r\nsecond line\r\n三行目\r\n"),
				folder + "/readme.txt":             []byte("CR LF kept\r\nacross " + dir.name + "\r\n"),
				folder + "/データ.bin":                randomBytes(t, 1536<<10),
				folder + "/sub/empty.txt":          nil,
				folder + "/sub/深い/ネスト.txt":         []byte("nested\r\n"),
				folder + "/sub/深い/more/random.bin": randomBytes(t, 300<<10),
			})
			mkdir(t, filepath.Join(src, folder), "空のフォルダ")
			want, err := sumTree(src)
			if err != nil {
				t.Fatal(err)
			}
			out := dir.send(t, 2*time.Minute, "--to", dir.to,
				"--file", dir.path(filepath.Join(src, file)), "--file", dir.path(filepath.Join(src, folder)), "files "+dir.name)
			for _, name := range []string{file, folder} {
				if !regexp.MustCompile(`(?m)^served ` + regexp.QuoteMeta(name) + ` to .*, encrypted\r?$`).MatchString(out) {
					t.Errorf("%s: the sender printed no \"served %s to ..., encrypted\":\n%s", dir.name, name, out)
				}
			}
			for rel := range want.files {
				e, ok := dir.recv.await(10*time.Second, func(e event) bool { return e.Event == "saved" && savedPath(e, rel) })
				if !ok {
					t.Errorf("%s: no saved event for %s\n%s", dir.name, rel, dir.recv.report())
				} else if !e.secure().Encrypted {
					t.Errorf("%s: saved event for %s not encrypted: %s", dir.name, rel, e.line)
				}
			}
			if e, ok := dir.recv.await(0, func(e event) bool { return e.Event == "fetch-failed" }); ok {
				t.Errorf("%s: %s", dir.name, e.line)
			}
			got, err := sumTree(dir.downloads)
			if err != nil {
				t.Fatal(err)
			}
			if diff := want.diff(got.only(file, folder)); diff != "" {
				t.Errorf("%s: what was saved in %s differs from what was sent:\n%s", dir.name, dir.downloads, diff)
			}
		}
	})

	// 4. Names Windows cannot hold, from Linux: mapped on the Windows side (fullwidth forms, '_' for a
	// trailing dot), the folder whole.
	t.Run("windows-names", func(t *testing.T) {
		stamp := uniqueStamp()
		folder := "odd-" + stamp
		files := map[string][]byte{
			"what?-" + stamp + ".txt": []byte("question\r\n"),
			"a|b-" + stamp + ".txt":   []byte("pipe\r\n"),
			"dot-" + stamp + ".":      []byte("trailing dot\r\n"),
			folder + "/what?.txt":     []byte("in a folder\r\n"),
			folder + "/a|b.txt":       []byte("pipe in a folder\r\n"),
			folder + "/dot.":          []byte("dot in a folder\r\n"),
			folder + `/x<y>z:*".txt`:  []byte("all of them\r\n"),
			folder + "/sub./ok.txt":   []byte("a folder with a trailing dot\r\n"),
			folder + "/plain/日本語.txt": []byte("plain\r\n"),
		}
		src := filepath.Join(t.TempDir(), "src")
		makeTree(t, src, files)
		sent, err := sumTree(src)
		if err != nil {
			t.Fatal(err)
		}
		winName := func(rel string) string {
			parts := strings.Split(rel, "/")
			for i, p := range parts {
				p = strings.NewReplacer("?", "？", "|", "｜", "<", "＜", ">", "＞", ":", "：", "*", "＊", `"`, "＂").Replace(p)
				if strings.HasSuffix(p, ".") {
					p = strings.TrimSuffix(p, ".") + "_"
				}
				parts[i] = p
			}
			return strings.Join(parts, "/")
		}
		want := tree{files: map[string]fileSum{}}
		for rel, f := range sent.files {
			want.files[winName(rel)] = f
		}
		for _, d := range sent.dirs {
			want.dirs = append(want.dirs, winName(d))
		}
		sort.Strings(want.dirs)
		args := []string{"--to", winIP}
		tops := []string{folder}
		for rel := range files {
			if !strings.Contains(rel, "/") {
				args = append(args, "--file", filepath.Join(src, rel))
				tops = append(tops, winName(rel))
			}
		}
		args = append(args, "--file", filepath.Join(src, folder), "odd names")
		sendLin(t, 2*time.Minute, args...)
		if e, ok := wsrv.await(2*time.Second, func(e event) bool { return e.Event == "fetch-failed" }); ok {
			t.Errorf("the Windows side failed a fetch: %s", e.line)
		}
		got, err := sumTree(winDL)
		if err != nil {
			t.Fatal(err)
		}
		saved := got.only(tops...)
		if diff := want.diff(saved); diff != "" {
			t.Errorf("names Windows cannot hold, as saved by the Windows build in %s:\n%s\n%s", winDL, diff, wsrv.report())
		}
		var names []string
		for p := range saved.files {
			names = append(names, p)
		}
		sort.Strings(names)
		t.Logf("saved by the Windows build: %s", strings.Join(names, ", "))
	})

	// 5. History on the Windows side, found by a CJK word: the message received by the serve (read
	// while the serve runs) and the one sent from the sending profile.
	t.Run("history", func(t *testing.T) {
		for _, c := range []struct{ profile, word, dir string }{{winProfile, linWord, "in"}, {winSendProfile, winWord, "out"}} {
			recs := winHistory(t, win, c.profile, c.word)
			if len(recs) != 1 || !strings.Contains(recs[0].Text, c.word) || recs[0].Dir != c.dir {
				t.Errorf("hato-cli.exe history --json %s on %s: %+v, want the one message with that word, %s", c.word, c.profile, recs, c.dir)
			}
		}
	})

	// 7. The taken port. Beside the running Windows serve, a command on another profile runs a node of
	// its own on a free port (every sendWin above did; checked here once more by the port), never
	// failing with WSAEADDRINUSE (winapi error #10048). A command on the serve's own profile is handed to
	// the serve where the system has AF_UNIX sockets (Windows 10 1803 and later); where it has none
	// (Wine 8.0, Windows Server 2016) it must say that a Hato runs for the profile.
	t.Run("taken-port", func(t *testing.T) {
		text := "別のプロフィール " + uniqueStamp()
		sendWin(t, 30*time.Second, "--to", linIP, text)
		if e := message(t, lin, winIP, text); e.From.Addr == winAddr {
			t.Errorf("a command beside the running serve sent from %s, want a port other than the serve's 2425", e.From.Addr)
		}
		text = "同じプロフィール " + uniqueStamp()
		args := append(append([]string{"send", "--verbose", "--profile", winPath(winProfile)}, winID.flags()...), "--to", linIP, text)
		out, errOut, err := win.hato(t, 30*time.Second, kit.cli, args...)
		switch {
		case strings.Contains(out+errOut, "10048"):
			t.Errorf("hato-cli.exe %s failed on the taken port: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		case err == nil && strings.Contains(errOut, "the command goes through it"):
			message(t, lin, winIP, text)
			t.Logf("the same profile's send was handed to the running serve")
		case err != nil && strings.Contains(errOut, "already running with this profile"):
			t.Logf("no AF_UNIX sockets here: the same profile's send says %q", strings.TrimSpace(errOut))
		default:
			t.Errorf("hato-cli.exe %s beside the running serve: %v\nstdout:\n%s\nstderr:\n%s\nwant it handed to the serve, or (without AF_UNIX) told that a Hato runs for the profile",
				strings.Join(args, " "), err, out, errOut)
		}
	})

	// 8. Issue 18: the GUI-subsystem hato.exe prints a subcommand's output into a file and a pipe, with
	// its exit code.
	t.Run("gui-build-output", func(t *testing.T) {
		profile := winPath(winSendProfile)
		file := filepath.Join(t.TempDir(), "hosts.json")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var errOut syncBuffer
		cmd := win.command(ctx, kit.gui, "list", "--json", "--wait", "3s", "--profile", profile)
		cmd.Stdout, cmd.Stderr = f, &errOut
		err = cmd.Run()
		f.Close()
		b, _ := os.ReadFile(file)
		var hosts []jsonHost
		if err != nil || json.Unmarshal(b, &hosts) != nil || hostIndex(hosts, linAddr) < 0 {
			t.Errorf("hato.exe list --json > %s: %v; the file holds %q (want the hosts, %s among them); stderr %q", file, err, b, linAddr, errOut.String())
		}
		out, errOut2, err := win.hato(t, time.Minute, kit.gui, "list", "--json", "--wait", "3s", "--profile", profile)
		hosts = nil
		if err != nil || json.Unmarshal([]byte(out), &hosts) != nil || hostIndex(hosts, linAddr) < 0 {
			t.Errorf("hato.exe list --json | ...: %v; the pipe got %q (want the hosts, %s among them); stderr %q", err, out, linAddr, errOut2)
		}
		// stderr and the exit code of a usage error.
		out, errOut2, err = win.hato(t, time.Minute, kit.gui, "send", "--profile", profile, "--to", linIP)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(errOut2, "no message text") {
			t.Errorf("hato.exe send with no text: %v, stdout %q, stderr %q; want exit status 2 and \"no message text\" on stderr", err, out, errOut2)
		}
	})

	// 6. A clean exit: Ctrl+C ends the Windows serve with code 0, and the Linux side sees it leave.
	t.Run("clean-exit", func(t *testing.T) {
		interrupt(t, wsrv)
		lin.wait(t, 10*time.Second, "host-left for the Windows node", func(e event) bool {
			return e.Event == "host-left" && e.Host != nil && e.Host.Addr == winAddr
		})
	})
}

// historyRecord is what `hato history --json` prints per message (the fields the test reads).
type historyRecord struct {
	Dir  string `json:"dir"`
	Text string `json:"text"`
	Peer struct {
		User string `json:"user"`
		Addr string `json:"addr"`
	} `json:"peer"`
}

// winHistory runs hato-cli.exe history --json QUERY on the Windows profile.
func winHistory(t *testing.T, w *winHost, profile, query string) []historyRecord {
	t.Helper()
	out, errOut, err := w.hato(t, time.Minute, w.kit.cli, "history", "--json", "--profile", winPath(profile), query)
	var recs []historyRecord
	if err != nil || json.Unmarshal([]byte(out), &recs) != nil {
		t.Errorf("hato-cli.exe history --json %s: %v\nstdout:\n%s\nstderr:\n%s", query, err, out, errOut)
	}
	return recs
}

// savedPath reports whether a saved event's path ends in rel ('/'-separated, the receiver's separators).
func savedPath(e event, rel string) bool {
	var f struct {
		Path string `json:"path"`
	}
	json.Unmarshal([]byte(e.line), &f)
	p := strings.ReplaceAll(f.Path, `\`, "/")
	return strings.HasSuffix(p, "/"+rel)
}

// only is the part of a tree under the top-level names given.
func (tr tree) only(names ...string) tree {
	keep := func(p string) bool {
		for _, n := range names {
			if p == n || strings.HasPrefix(p, n+"/") {
				return true
			}
		}
		return false
	}
	out := tree{files: map[string]fileSum{}}
	for p, f := range tr.files {
		if keep(p) {
			out.files[p] = f
		}
	}
	for _, d := range tr.dirs {
		if keep(d) {
			out.dirs = append(out.dirs, d)
		}
	}
	for _, o := range tr.other {
		if keep(o) {
			out.other = append(out.other, o)
		}
	}
	return out
}

func hostIndex(hosts []jsonHost, addr string) int {
	for i, h := range hosts {
		if h.Addr == addr {
			return i
		}
	}
	return -1
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	p := filepath.Join(parent, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
