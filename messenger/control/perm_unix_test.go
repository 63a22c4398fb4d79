//go:build unix

package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (fs.ModeType | fs.ModePerm); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

// The folder Listen makes is 0700; the socket and the lock file are 0600; an existing folder keeps
// its mode.
func TestModes(t *testing.T) {
	noLeaks(t)
	base := shortDir(t)
	made := filepath.Join(base, "made", "profile")
	serve(t, made, &testHandler{})
	checkMode(t, made, fs.ModeDir|0o700)
	checkMode(t, filepath.Join(made, socketName), fs.ModeSocket|0o600)
	checkMode(t, filepath.Join(made, lockName), 0o600)

	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o755) // whatever the umask
	serve(t, open, &testHandler{})
	checkMode(t, open, fs.ModeDir|0o755)
	checkMode(t, filepath.Join(open, socketName), fs.ModeSocket|0o600)
}

// A folder that other users may write to, or a file, is refused, and left as it was.
func TestUnsafeFolderRefused(t *testing.T) {
	noLeaks(t)
	base := shortDir(t)
	for _, mode := range []fs.FileMode{0o777, 0o770, 0o702, 0o1777} {
		dir := filepath.Join(base, fmt.Sprintf("%o", mode))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, mode)
		_, err := Listen(dir, &testHandler{})
		if err == nil || !strings.Contains(err.Error(), "writable by other users") || !strings.Contains(err.Error(), dir) {
			t.Errorf("mode %o: %v, want a refusal naming %s", mode, err, dir)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("mode %o: Listen left %d files", mode, len(entries))
		}
	}
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Listen(file, &testHandler{}); err == nil {
		t.Error("Listen in a file went on")
	}
}

const (
	helperEnv    = "HATO_CONTROL_HELPER" // the helper's mode: dial or raw
	helperDirEnv = "HATO_CONTROL_DIR"    // the profile folder it tries
)

// helperReport is what TestHelperClient found, as another user.
type helperReport struct {
	Err        string   // Dial's error (dial), or the connect's (raw)
	Permission bool     // Err wraps fs.ErrPermission
	NotRunning bool     // Err wraps ErrNotRunning
	Ran        bool     // dial: Dial and Run went through
	Lines      []string // raw: the answer lines to a run request
}

// TestHelperClient is not a test: the other-user tests run the test binary as nobody with
// helperEnv set, and this is what it does then.
func TestHelperClient(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("the other-user tests run this as another user")
	}
	dir := os.Getenv(helperDirEnv)
	var rep helperReport
	var err error
	switch mode {
	case "dial":
		var c *Client
		if c, err = Dial(dir); err == nil {
			_, err = c.Run(context.Background(), []string{"send", "--to", "x", "hi"}, "/", io.Discard, io.Discard)
			rep.Ran = err == nil
		}
	case "raw":
		var conn *net.UnixConn
		conn, err = net.DialUnix("unix", nil, &net.UnixAddr{Name: filepath.Join(dir, socketName), Net: "unix"})
		if err == nil {
			defer conn.Close()
			fmt.Fprintf(conn, `{"v":1,"op":"run","args":["send","--to","x","hi"],"cwd":"/"}`+"\n")
			r := bufio.NewReader(conn)
			for {
				line, err := readLine(r)
				if err != nil {
					break
				}
				rep.Lines = append(rep.Lines, string(line))
			}
		}
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	if err != nil {
		rep.Err = err.Error()
		rep.Permission = errors.Is(err, fs.ErrPermission)
		rep.NotRunning = errors.Is(err, ErrNotRunning)
	}
	b, _ := json.Marshal(rep)
	fmt.Printf("HELPER %s\n", b)
}

// otherUser is nobody's uid and gid; it skips the test unless we are root and nobody exists.
func otherUser(t *testing.T) (uid, gid uint32) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a client as another user (nobody)")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	id, err1 := strconv.ParseUint(u.Uid, 10, 32)
	group, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		t.Skipf("nobody is %s:%s", u.Uid, u.Gid)
	}
	return uint32(id), uint32(group)
}

// sharedDir is a short folder that everyone may enter, but only we write to, holding a copy of the
// test binary that everyone may run.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "control.test"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// asOtherUser runs TestHelperClient as nobody, in mode, against the profile folder dir.
func asOtherUser(t *testing.T, shared, mode, dir string) helperReport {
	t.Helper()
	uid, gid := otherUser(t)
	cmd := exec.Command(filepath.Join(shared, "control.test"), "-test.run=^TestHelperClient$", "-test.count=1")
	cmd.Dir = shared
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	out, err := cmd.CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if report, ok := strings.CutPrefix(line, "HELPER "); ok {
			var rep helperReport
			if err := json.Unmarshal([]byte(report), &rep); err != nil {
				t.Fatal(err)
			}
			return rep
		}
	}
	t.Fatalf("the helper reported nothing: %v\n%s", err, out)
	return helperReport{}
}

// Another user cannot reach the endpoint in the 0700 folder Listen makes: Dial says so plainly,
// and the handler is never called.
func TestOtherUserRefusedByFolder(t *testing.T) {
	noLeaks(t)
	otherUser(t)
	shared := sharedDir(t)
	dir := filepath.Join(shared, "profile")
	h := &testHandler{}
	serve(t, dir, h)
	rep := asOtherUser(t, shared, "dial", dir)
	want := "control endpoint " + filepath.Join(dir, socketName) + ": permission denied: it belongs to another user"
	if !rep.Permission || rep.NotRunning || rep.Ran || rep.Err != want {
		t.Errorf("as nobody: %+v; want the error %q", rep, want)
	}
	if h.runs.Load() != 0 || h.activates.Load() != 0 {
		t.Error("the handler was called")
	}
}

// In a folder everyone may enter (but not write), the socket's 0600 keeps another user out.
func TestOtherUserRefusedBySocketMode(t *testing.T) {
	noLeaks(t)
	otherUser(t)
	shared := sharedDir(t)
	dir := filepath.Join(shared, "profile")
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o711)
	h := &testHandler{}
	serve(t, dir, h)
	rep := asOtherUser(t, shared, "dial", dir)
	if !rep.Permission || rep.NotRunning || rep.Ran || !strings.HasSuffix(rep.Err, ": permission denied: it belongs to another user") {
		t.Errorf("as nobody: %+v", rep)
	}
	if h.runs.Load() != 0 || h.activates.Load() != 0 {
		t.Error("the handler was called")
	}
}

// With the folder and the socket opened to everyone, the SO_PEERCRED check still refuses another
// user: the only answer is an error naming why, and the handler is never called.
func TestOtherUserRefusedByPeerCred(t *testing.T) {
	noLeaks(t)
	if runtime.GOOS != "linux" {
		t.Skip("SO_PEERCRED is checked on Linux only")
	}
	uid, _ := otherUser(t)
	shared := sharedDir(t)
	dir := filepath.Join(shared, "profile")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	h := &testHandler{}
	s := serve(t, dir, h)
	if err := os.Chmod(s.Path(), 0o666); err != nil {
		t.Fatal(err)
	}

	rep := asOtherUser(t, shared, "raw", dir)
	want := fmt.Sprintf(`{"error":"permission denied: this Hato belongs to uid 0, the connection comes from uid %d"}`, uid)
	if rep.Err != "" || len(rep.Lines) != 1 || rep.Lines[0] != want {
		t.Errorf("raw run as nobody: %+v; want the one line %s", rep, want)
	}
	rep = asOtherUser(t, shared, "dial", dir)
	if rep.Ran || rep.NotRunning || !strings.Contains(rep.Err, "permission denied: this Hato belongs to uid 0") {
		t.Errorf("Dial as nobody: %+v", rep)
	}
	if h.runs.Load() != 0 || h.activates.Load() != 0 {
		t.Error("the handler was called")
	}
	// The owner still gets in.
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ping(); err != nil {
		t.Fatal(err)
	}
}

// A folder that belongs to another user is refused: they could replace the socket.
func TestFolderOfAnotherUserRefused(t *testing.T) {
	noLeaks(t)
	uid, gid := otherUser(t)
	dir := filepath.Join(shortDir(t), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(dir, &testHandler{})
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Errorf("Listen: %v", err)
	}
}
