//go:build linux

package interop

// File and folder transfer between Hato and iptux 0.8.3, both ways, driven
// through iptux's GUI (xdotool for keys, AT-SPI for buttons and tables).
//
// What iptux 0.8.3 does here (seen in these tests, see also IPTUX.md):
//   - Receiving: "Accept" in the chat window's "Files to be received" pane
//     opens a folder chooser ("Please select a folder to save files.", current
//     folder = archive_path); "Save" requests every pending offer of that pal,
//     each saved as <folder>/<offered name>. There is no renaming: a file of
//     the same name is truncated and rewritten, and a folder that already
//     exists is written into (RecvDirFiles does mkdir+chdir for every folder
//     header, top folder included, and takes the names from the stream). So
//     the tests pre-create the folder tree under that very name (which avoids
//     the AnalogFS::mkdir crash) and expect the files inside it.
//   - Sending: ctrl+s / ctrl+d in a chat window open "Choose enclosure
//     files" / "Choose enclosure folders"; the chosen entries appear in the
//     "File to send." table (icon, Name, Size, Path); "Send" offers them
//     (SENDMSG|FILEATTACHOPT, ids from 10000, a folder's size is its total)
//     and iptux serves them without any further click.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"hato/internal/netlab"
)

// Window titles of iptux's file choosers (English UI).
const (
	iptuxSaveChooser   = "Please select a folder to save files."
	iptuxFileChooser   = "Choose enclosure files"
	iptuxFolderChooser = "Choose enclosure folders"
)

// TestIptuxFilesHatoToIptux offers a file and a folder (nested folders, a
// Japanese name, an empty file, a file above the 256 KiB sendfile threshold)
// with `hato send --file`, accepts them in iptux (Accept + Save), and checks
// that iptux saved exactly those bytes and that hato send exits 0.
func TestIptuxFilesHatoToIptux(t *testing.T) {
	needIptux(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	iptuxHost, hatoHost := lab.Host(0), lab.Host(1)
	ix := startIptux(t, iptuxHost, iptuxConfig{Nick: "イプタックス", Group: "测试组"})
	hatoIP := hatoHost.IP.String()

	stamp := uniqueStamp()
	fileName := "報告書-" + stamp + ".bin"
	folderName := "hato-folder-" + stamp
	src := filepath.Join(t.TempDir(), "src")
	makeTree(t, src, map[string][]byte{
		fileName:                            randomBytes(t, 1536<<10),
		folderName + "/readme.txt":          []byte("Hato → iptux, folder transfer " + stamp + "\n"),
		folderName + "/日本語メモ.txt":           []byte("日本語のファイル名と中身 " + stamp + "\n"),
		folderName + "/sub/データ.bin":         randomBytes(t, 400<<10),
		folderName + "/sub/深い/empty.txt":    nil,
		folderName + "/sub/深い/ネスト-" + stamp: []byte("nested\n"),
	})
	want, err := sumTree(src)
	if err != nil {
		t.Fatal(err)
	}

	// iptux 0.8.3 crashes when it has to create a folder (IPTUX.md): give it
	// the whole tree, under the offered name, before it receives anything.
	downloads := filepath.Join(ix.home, "Downloads")
	for _, d := range want.dirs {
		if err := os.MkdirAll(filepath.Join(downloads, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	me := identity{Nick: "鳩の送信", Group: "開発部", User: "hatosend", Host: "hatohost"}
	args := append([]string{"send", "--profile", t.TempDir(), "--timeout", "60s", "--to", iptuxHost.IP.String(),
		"--file", filepath.Join(src, fileName), "--file", filepath.Join(src, folderName)}, me.flags()...)
	args = append(args, "files for iptux "+stamp)
	sendStarted := time.Now()
	send := startHato(t, hatoHost, args...)
	fail := func(format string, a ...any) {
		t.Helper()
		ix.fail("%s\n--- %s", fmt.Sprintf(format, a...), send.report())
	}

	ix.waitPal(20*time.Second, hatoIP, "iptux listing hato send", func(p iptuxPal) bool { return p.User == me.User })
	entryRepeated(sendStarted)
	ix.chatWindow(hatoIP)
	ix.acceptFiles(hatoIP, []string{fileName, folderName}, send.report)

	// Fails at once if iptux exits (crashes) meanwhile.
	ix.poll(45*time.Second, "hato send to exit after iptux fetched everything (Save pressed)", func() (bool, string) {
		_, done := send.wait(0)
		return done, send.report()
	})
	if err, _ := send.wait(0); err != nil {
		fail("hato send: %v (want exit status 0: every recipient fetched every file)", err)
	}
	for _, name := range []string{fileName, folderName} {
		if !regexp.MustCompile(`(?m)^served ` + regexp.QuoteMeta(name) + ` to `).MatchString(send.stdout.String()) {
			fail("hato send printed no \"served %s to ...\" line", name)
		}
	}
	// iptux's own verdict: RecvFileData logs "Receive the file|directory
	// "<path>" from <nick> successfully!" once a transfer ended whole. (The
	// chat window's "File received." table is not used: iptux refreshes it
	// only on some later event, and in CI it once stayed stale for 10 s.)
	ix.poll(10*time.Second, "iptux to log both transfers as received successfully", func() (bool, string) {
		log := ix.log.String()
		for _, want := range []string{
			fmt.Sprintf("Receive the file %q from %s successfully!", filepath.Join(downloads, fileName), me.Nick),
			fmt.Sprintf("Receive the directory %q from %s successfully!", filepath.Join(downloads, folderName), me.Nick),
		} {
			if !strings.Contains(log, want) {
				return false, "no log line " + want
			}
		}
		return true, ""
	})
	// iptux saves as <archive folder>/<offered name>: Downloads holds
	// exactly the source tree, no "name(1)" and no second copy.
	got, err := sumTree(downloads)
	if err != nil {
		t.Fatal(err)
	}
	if diff := want.diff(got); diff != "" {
		fail("what iptux saved in %s differs from what hato sent:\n%s", downloads, diff)
	}
	ix.closeChat(hatoIP)
}

// TestIptuxFilesIptuxToHato attaches a file (ctrl+s) and a folder (ctrl+d)
// in iptux's chat window, sends them, and checks that `hato serve --download`
// reports the offer and saves every file byte for byte.
func TestIptuxFilesIptuxToHato(t *testing.T) {
	needIptux(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	iptuxHost, hatoHost := lab.Host(0), lab.Host(1)
	ix := startIptux(t, iptuxHost, iptuxConfig{Nick: "イプタックス", Group: "测试组"})
	hatoIP, iptuxAddr := hatoHost.IP.String(), iptuxHost.Addr(2425)

	// Top-level names are ASCII: xdotool types them into the chooser, and it
	// can lose characters it has to remap (CJK). The folder's contents are not typed.
	stamp := uniqueStamp()
	fileName := "iptux-file-" + stamp + ".bin"
	folderName := "iptux-folder-" + stamp
	src := filepath.Join(ix.dir, "outbox")
	makeTree(t, src, map[string][]byte{
		fileName:                             randomBytes(t, 1<<20),
		folderName + "/alpha.txt":            []byte("iptux → Hato " + stamp + "\n"),
		folderName + "/日本語.txt":              []byte("中身も日本語 " + stamp + "\n"),
		folderName + "/empty.txt":            nil,
		folderName + "/内側/ベータ.bin":           randomBytes(t, 300<<10),
		folderName + "/内側/深い/gamma-" + stamp: []byte("deep\n"),
	})
	if err := os.Mkdir(filepath.Join(src, folderName, "空のフォルダ"), 0o755); err != nil {
		t.Fatal(err)
	}
	want, err := sumTree(src)
	if err != nil {
		t.Fatal(err)
	}

	download := filepath.Join(t.TempDir(), "download")
	if err := os.Mkdir(download, 0o755); err != nil {
		t.Fatal(err)
	}
	me := identity{Nick: "鳩の受信", Group: "開発部", User: "hatorecv", Host: "hatohost"}
	srv := startServe(t, hatoHost, me, "--download", download)
	srv.waitHost(t, 15*time.Second, iptuxAddr, "host-joined for iptux", func(jsonHost) bool { return true })
	ix.waitPal(20*time.Second, hatoIP, "iptux listing hato serve", func(p iptuxPal) bool { return p.User == me.User })
	entryRepeated(srv.started)

	win := ix.chatWindow(hatoIP)
	ix.attach(win, hatoIP, "ctrl+s", iptuxFileChooser, filepath.Join(src, fileName), filepath.Join(src, fileName))
	ix.attach(win, hatoIP, "ctrl+d", iptuxFolderChooser, filepath.Join(src, folderName)+"/", filepath.Join(src, folderName))
	ix.press("IP:"+hatoIP, "Send")

	msg := srv.wait(t, 15*time.Second, "a message event with iptux's offer", func(e event) bool {
		return e.Event == "message" && e.From != nil && e.From.Addr == iptuxAddr && strings.Contains(e.line, `"files"`)
	})
	var offer struct {
		Files []struct {
			ID   uint64 `json:"id"`
			Name string `json:"name"`
			Size int64  `json:"size"`
			Type string `json:"type"`
		} `json:"files"`
		Offer string `json:"offer"`
	}
	if err := json.Unmarshal([]byte(msg.line), &offer); err != nil {
		t.Fatalf("message event %s: %v", msg.line, err)
	}
	wantOffer := fmt.Sprintf("[{%s %d file} {%s %d folder}]", fileName, want.size(fileName), folderName, want.size(folderName))
	gotOffer := "["
	for i, f := range offer.Files {
		if i > 0 {
			gotOffer += " "
		}
		gotOffer += fmt.Sprintf("{%s %d %s}", f.Name, f.Size, f.Type)
	}
	if gotOffer += "]"; gotOffer != wantOffer {
		t.Errorf("hato serve shows iptux's offer as %s (offer %q), want %s", gotOffer, offer.Offer, wantOffer)
	}

	// Every file of the source tree must be reported saved at its path.
	pending := map[string]bool{}
	for rel := range want.files {
		pending[filepath.Join(download, filepath.FromSlash(rel))] = true
	}
	var failed []string
	srv.wait(t, 30*time.Second, fmt.Sprintf("saved events for all %d files", len(pending)), func(e event) bool {
		var fe struct {
			Path  string `json:"path"`
			Error string `json:"error"`
		}
		switch e.Event {
		case "saved":
			json.Unmarshal([]byte(e.line), &fe)
			delete(pending, fe.Path)
		case "fetch-failed":
			failed = append(failed, e.line)
			return true
		}
		return len(pending) == 0
	})
	if len(failed) > 0 {
		t.Fatalf("hato serve could not fetch from iptux:\n%s\n%s", strings.Join(failed, "\n"), srv.report())
	}
	got, err := sumTree(download)
	if err != nil {
		t.Fatal(err)
	}
	if diff := want.diff(got); diff != "" {
		t.Fatalf("what hato saved in %s differs from what iptux sent:\n%s\n%s", download, diff, srv.report())
	}
	ix.closeChat(hatoIP)
}

// acceptFiles waits until the chat window for ip lists every name under
// "Files to be received", presses Accept, then Save in the folder chooser
// (its current folder is iptux's archive_path), and waits for the chooser to
// close. extra adds the other side's output to failure messages.
func (x *iptux) acceptFiles(ip string, names []string, extra func() string) {
	x.t.Helper()
	suffix := "IP:" + ip
	x.poll(15*time.Second, fmt.Sprintf("%q under \"Files to be received\"", names), func() (bool, string) {
		tb, err := x.chatTables(ip)
		if err != nil {
			return false, err.Error() + "\n" + extra()
		}
		listed := map[string]bool{}
		for _, row := range tb.ToReceive {
			if len(row) >= 3 {
				listed[row[2]] = true // icon, Source, SaveAs, Size
			}
		}
		for _, n := range names {
			if !listed[n] {
				return false, fmt.Sprintf("to receive %q, received %q\n%s", tb.ToReceive, tb.Received, extra())
			}
		}
		return true, ""
	})
	x.press(suffix, "Accept")
	x.waitWindow(10*time.Second, iptuxSaveChooser)
	x.press(iptuxSaveChooser, "Save")
	x.waitNoWindow(10*time.Second, iptuxSaveChooser)
}

// attach opens a chooser with key (ctrl+s: files, ctrl+d: folders) in chat
// window win, types path into its location bar and chooses it, then waits
// until the chooser is gone and "File to send." lists want. The key is
// pressed again when no chooser shows up, and the path is read back through
// AT-SPI and retyped when xdotool lost a character.
func (x *iptux) attach(win, ip, key, chooser, path, want string) {
	x.t.Helper()
	xdo := func(args ...string) {
		x.t.Helper()
		if out, err := x.run(30*time.Second, "xdotool", args...); err != nil {
			x.fail("xdotool: %v %s", err, out)
		}
	}
	var c string
	for try := 1; c == ""; try++ {
		xdo("windowfocus", "--sync", win)
		xdo("key", key)
		if c = x.findWindow(5*time.Second, chooser); c == "" && x.windowOpen(chooser) {
			c = x.waitWindow(10*time.Second, chooser) // there, but not mapped yet
		}
		if c == "" && try == 3 {
			names, _ := x.filesPy("windows")
			x.fail("no %q chooser after pressing %s in the chat window 3 times; iptux windows: %s", chooser, key, names)
		}
		if c == "" {
			x.t.Logf("no %q chooser 5 s after %s; pressing it again", chooser, key)
		}
	}
	for try := 1; ; try++ {
		xdo("windowfocus", "--sync", c)
		xdo("key", "ctrl+l", "ctrl+a")
		xdo("type", "--delay", "20", path)
		xdo("key", "Delete") // drops the inline completion
		out, err := x.filesPy("entry", chooser)
		var got string
		if err == nil {
			err = json.Unmarshal([]byte(out), &got)
		}
		if err == nil && got == path {
			break
		}
		if try == 3 {
			x.press(chooser, "Cancel") // a forgotten modal chooser blocks every iptux window
			x.fail("could not type %q into the %q chooser's location bar (3 tries; last read %q %v)", path, chooser, got, err)
		}
		x.t.Logf("the %q location bar reads %q (%v), want %q; retyping", chooser, got, err, path)
	}
	xdo("key", "Return")
	deadline := time.Now().Add(10 * time.Second)
	for x.windowOpen(chooser) {
		if time.Now().After(deadline) {
			x.press(chooser, "Cancel")
			x.fail("the %q chooser is still open 10 s after choosing %q", chooser, path)
		}
		time.Sleep(250 * time.Millisecond)
	}
	x.poll(10*time.Second, fmt.Sprintf("%s under \"File to send.\"", want), func() (bool, string) {
		tb, err := x.chatTables(ip)
		if err != nil {
			return false, err.Error()
		}
		for _, row := range tb.ToSend {
			if len(row) >= 4 && row[3] == want { // icon, Name, Size, Path
				return true, ""
			}
		}
		return false, fmt.Sprintf("file to send: %q", tb.ToSend)
	})
}

// iptuxChatTables are the rows of a chat window's file tables, cell texts.
type iptuxChatTables struct {
	ToReceive [][]string `json:"to_receive"` // icon, Source, SaveAs, Size
	Received  [][]string `json:"received"`   // icon, Source, Name, Size
	ToSend    [][]string `json:"to_send"`    // icon, Name, Size, Path
}

func (x *iptux) chatTables(ip string) (iptuxChatTables, error) {
	var tb iptuxChatTables
	out, err := x.filesPy("tables", "IP:"+ip)
	if err != nil {
		return tb, err
	}
	if err := json.Unmarshal([]byte(out), &tb); err != nil {
		return tb, fmt.Errorf("files.py tables printed %q: %w", out, err)
	}
	return tb, nil
}

// press presses the button named button in the iptux window whose title ends with suffix.
func (x *iptux) press(suffix, button string) {
	x.t.Helper()
	if out, err := x.filesPy("press", suffix, button); err != nil {
		x.fail("pressing %q in the window %q: %v %s", button, suffix, err, out)
	}
}

// windowOpen reports whether iptux has a window titled exactly title (AT-SPI).
func (x *iptux) windowOpen(title string) bool {
	out, err := x.filesPy("windows")
	if err != nil {
		return false
	}
	var names []string
	json.Unmarshal([]byte(out), &names)
	for _, n := range names {
		if n == title {
			return true
		}
	}
	return false
}

// findWindow waits up to timeout for a visible X window titled exactly
// title and returns its id, or "" when there is none.
func (x *iptux) findWindow(timeout time.Duration, title string) string {
	deadline := time.Now().Add(timeout)
	for {
		out, err := x.run(5*time.Second, "xdotool", "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(title)+"$")
		if f := strings.Fields(out); err == nil && len(f) > 0 {
			return f[0]
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitWindow waits for a visible X window titled exactly title and returns its id.
func (x *iptux) waitWindow(timeout time.Duration, title string) string {
	x.t.Helper()
	var id string
	x.poll(timeout, fmt.Sprintf("a window titled %q", title), func() (bool, string) {
		id = x.findWindow(0, title)
		names, _ := x.filesPy("windows")
		return id != "", "iptux windows: " + names
	})
	return id
}

// waitNoWindow waits until iptux has no window titled title.
func (x *iptux) waitNoWindow(timeout time.Duration, title string) {
	x.t.Helper()
	x.poll(timeout, fmt.Sprintf("the window %q to close", title), func() (bool, string) {
		return !x.windowOpen(title), ""
	})
}

// filesPy runs filesScript with args in iptux's namespace.
func (x *iptux) filesPy(args ...string) (string, error) {
	script := filepath.Join(x.dir, "files.py")
	if _, err := os.Stat(script); err != nil {
		if err := os.WriteFile(script, []byte(filesScript), 0o600); err != nil {
			return "", err
		}
	}
	return x.run(20*time.Second, python, append([]string{script}, args...)...)
}

// filesScript reads and presses things in iptux's windows through AT-SPI
// (a fresh process per query: libatspi caches window lists):
//
//	windows                 JSON list of the titles of iptux's windows
//	tables SUFFIX           JSON object of the file tables of the chat window whose title ends with SUFFIX
//	press SUFFIX BUTTON     press the (last) push button BUTTON in the window whose title ends with SUFFIX
//	entry SUFFIX            JSON string: the focused editable text (a chooser's location bar) of that window
const filesScript = `
import json, sys
import pyatspi
` + atspiWalk + `
def iptux():
    for a in pyatspi.Registry.getDesktop(0):
        if a is not None and a.name == "iptux":
            return a
    print("iptux is not on the accessibility bus", file=sys.stderr)
    sys.exit(1)

def windows(app):
    out = []
    for i in range(app.childCount):
        w = app.getChildAtIndex(i)
        if w is not None:
            out.append(w)
    return out

def window(app, suffix):
    for w in windows(app):
        if (w.name or "").endswith(suffix):
            return w
    print("no window titled ...%s; windows: %s" % (suffix, [w.name for w in windows(app)]), file=sys.stderr)
    sys.exit(1)

def rows(win, panel):
    nodes = []
    walk(win, nodes)
    for n in nodes:
        if n.getRoleName() == "panel" and n.name == panel:
            sub = []
            walk(n, sub)
            for s in sub:
                if s.getRoleName() == "table":
                    t = s.queryTable()
                    return [[t.getAccessibleAt(r, c).name for c in range(t.nColumns)] for r in range(t.nRows)]
    return []

app = iptux()
cmd = sys.argv[1]
if cmd == "windows":
    print(json.dumps([w.name for w in windows(app)], ensure_ascii=False))
elif cmd == "tables":
    w = window(app, sys.argv[2])
    print(json.dumps({"to_receive": rows(w, "Files to be received"), "received": rows(w, "File received."),
                      "to_send": rows(w, "File to send.")}, ensure_ascii=False))
elif cmd == "press":
    w = window(app, sys.argv[2])
    nodes = []
    walk(w, nodes)
    buttons = [n for n in nodes if n.getRoleName() == "push button" and n.name == sys.argv[3]]
    if not buttons:
        print("no button %r in %r" % (sys.argv[3], w.name), file=sys.stderr)
        sys.exit(1)
    buttons[-1].queryAction().doAction(0)
    print("pressed")
elif cmd == "entry":
    nodes = []
    walk(window(app, sys.argv[2]), nodes)
    for n in nodes:
        st = n.getState()
        if n.getRoleName() == "text" and st.contains(pyatspi.STATE_EDITABLE) and st.contains(pyatspi.STATE_FOCUSED):
            t = n.queryText()
            print(json.dumps(t.getText(0, t.characterCount), ensure_ascii=False))
            sys.exit(0)
    print("no focused editable text", file=sys.stderr)
    sys.exit(1)
else:
    print("unknown command " + cmd, file=sys.stderr)
    sys.exit(2)
`

// hatoRun is a hato command running in the background in a lab host.
type hatoRun struct {
	args           []string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	err            error
}

// startHato starts a hato subcommand in h; the test's cleanup kills it if it is still running.
func startHato(t *testing.T, h *netlab.Host, args ...string) *hatoRun {
	t.Helper()
	r := &hatoRun{args: args, done: make(chan struct{})}
	r.cmd = h.Command(context.Background(), hatoBinary(t), args...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("hato %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		netlab.KillGroup(r.cmd)
		<-r.done
	})
	return r
}

// wait waits up to timeout for the command to exit; done is false when it is still running.
func (r *hatoRun) wait(timeout time.Duration) (err error, done bool) {
	select {
	case <-r.done:
		return r.err, true
	case <-time.After(timeout):
		return nil, false
	}
}

// report is the command line and everything the command printed so far.
func (r *hatoRun) report() string {
	state := "running"
	select {
	case <-r.done:
		state = "exited"
		if r.err != nil {
			state += ": " + r.err.Error()
		}
	default:
	}
	return fmt.Sprintf("hato %s (%s)\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), state,
		tail(r.stdout.String(), 30), tail(r.stderr.String(), 30))
}

// uniqueStamp makes file names fresh per run (iptux's Accept takes every
// pending offer of a pal, stale ones included).
func uniqueStamp() string {
	return strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36*36*36*36), 36)
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// makeTree writes files (paths relative to root, '/'-separated) and their folders.
func makeTree(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree is what a folder holds: regular files with size and SHA-256, and folders.
type tree struct {
	files map[string]fileSum // by '/'-separated path relative to the root
	dirs  []string
	other []string // symbolic links, sockets, ...
}

type fileSum struct {
	size int64
	sum  string
}

func sumTree(root string) (tree, error) {
	tr := tree{files: map[string]fileSum{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			tr.dirs = append(tr.dirs, rel)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			tr.files[rel] = fileSum{int64(len(b)), hex.EncodeToString(h[:])}
		default:
			tr.other = append(tr.other, rel+" ("+d.Type().String()+")")
		}
		return nil
	})
	if err != nil {
		return tr, fmt.Errorf("reading %s: %w", root, err)
	}
	sort.Strings(tr.dirs)
	return tr, nil
}

// size is the size of a file, or the total of the files under a folder.
func (tr tree) size(rel string) int64 {
	var n int64
	for p, f := range tr.files {
		if p == rel || strings.HasPrefix(p, rel+"/") {
			n += f.size
		}
	}
	return n
}

// diff describes how got differs from tr ("" when it holds the same folders
// and files with the same bytes).
func (tr tree) diff(got tree) string {
	var out []string
	for p, w := range tr.files {
		g, ok := got.files[p]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("missing file %s (%d bytes)", p, w.size))
		case g != w:
			out = append(out, fmt.Sprintf("file %s: %d bytes sha256 %s, want %d bytes sha256 %s", p, g.size, g.sum[:16], w.size, w.sum[:16]))
		}
	}
	for p, g := range got.files {
		if _, ok := tr.files[p]; !ok {
			out = append(out, fmt.Sprintf("unexpected file %s (%d bytes)", p, g.size))
		}
	}
	wantDirs := map[string]bool{}
	for _, d := range tr.dirs {
		wantDirs[d] = true
	}
	gotDirs := map[string]bool{}
	for _, d := range got.dirs {
		gotDirs[d] = true
		if !wantDirs[d] {
			out = append(out, "unexpected folder "+d)
		}
	}
	for _, d := range tr.dirs {
		if !gotDirs[d] {
			out = append(out, "missing folder "+d)
		}
	}
	for _, o := range got.other {
		out = append(out, "unexpected "+o)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
