package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"hato/protocol"
)

// TestMain lets a test run this binary as the hato command (HATO_TEST_MAIN=1), so that a test can kill
// a real hato process.
func TestMain(m *testing.M) {
	if os.Getenv("HATO_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	// The default profile is the app's folder under the user's config folder: never the real one.
	home, err := os.MkdirTemp("", "hato-cli-home")
	if err != nil {
		panic(err)
	}
	os.Setenv("HOME", home)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

func sum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

func writeRandom(t *testing.T, path string, n int64) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		t.Fatal(err)
	}
}

func TestSendFilesToServe(t *testing.T) {
	port := freePort(t)
	dl := t.TempDir()
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--broadcast-addr", "127.0.0.3",
		"--download", dl)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "報告.bin"), 300_000)
	writeRandom(t, filepath.Join(src, "folder", "sub", "x.bin"), 1000)
	os.MkdirAll(filepath.Join(src, "folder", "empty"), 0o755)

	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx",
		"--broadcast-addr", "127.0.0.2", "--to", "rx@"+hostname(t), "--timeout", "20s",
		"--file", filepath.Join(src, "報告.bin"), "--file", filepath.Join(src, "folder"), "two attachments")
	if code != 0 {
		t.Fatalf("send exit %d:\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "served 報告.bin to") || !strings.Contains(out, "served folder to") {
		t.Errorf("send output %q", out)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	if files, _ := m["files"].([]any); len(files) != 2 || m["text"] != "two attachments" {
		t.Errorf("message event %v", m)
	}
	for _, rel := range []string{"報告.bin", "folder/sub/x.bin"} {
		ev := srv.wait(t, func(m map[string]any) bool {
			return m["event"] == "saved" && strings.HasSuffix(fmt.Sprint(m["path"]), rel)
		})
		if got, want := sum(t, ev["path"].(string)), sum(t, filepath.Join(src, rel)); got != want {
			t.Errorf("%s: sha256 %s, want %s", rel, got, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dl, "folder", "empty")); err != nil || !fi.IsDir() {
		t.Errorf("empty sub-folder not created: %v", err)
	}
}

// A receiver killed in the middle of a 1 GiB download resumes it with `hato fetch`: the second fetch starts
// at the .part's length and the result is whole.
func TestKilledDownloadResumes(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("moves 1 GiB: not in -short or -race runs")
	}
	port := freePort(t)
	src := filepath.Join(t.TempDir(), "big.bin")
	writeRandom(t, src, 1<<30)
	dl := t.TempDir()

	// The receiver is a separate process, so that it can be killed.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rx := exec.CommandContext(ctx, os.Args[0], "serve", "--profile", t.TempDir(), "--bind", "127.0.0.2", "--port", port, "--user", "rx",
		"--broadcast-addr", "127.0.0.3", "--download", dl)
	rx.Env = append(os.Environ(), "HATO_TEST_MAIN=1")
	stdout, _ := rx.StdoutPipe()
	if err := rx.Start(); err != nil {
		t.Fatal(err)
	}
	defer rx.Process.Kill()
	lines := make(chan map[string]any, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		close(lines)
	}()
	waitLine := func(what string, match func(map[string]any) bool) map[string]any {
		t.Helper()
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("serve ended before %s", what)
				}
				if match(m) {
					return m
				}
			case <-ctx.Done():
				t.Fatalf("no %s", what)
			}
		}
	}
	waitLine("ready", func(m map[string]any) bool { return m["event"] == "ready" })

	// The sender stays up, serving, while the receiver dies and comes back.
	sendCtx, stopSend := context.WithCancel(ctx)
	defer stopSend()
	sendDone := make(chan int, 1)
	var sendOut, sendErr syncBuffer
	go func() {
		sendDone <- send(sendCtx, []string{"--profile", t.TempDir(), "--bind", "127.0.0.3", "--port", port, "--user", "tx",
			"--broadcast-addr", "127.0.0.2", "--to", "127.0.0.2", "--timeout", "3m", "--file", src}, &sendOut, &sendErr)
	}()
	msg := waitLine("message", func(m map[string]any) bool { return m["event"] == "message" })
	// Kill once the .part passed 100 MB (polled: loopback may move the whole GiB in a second).
	for {
		parts, _ := filepath.Glob(filepath.Join(dl, "big.bin.*.part"))
		if len(parts) == 1 {
			if fi, err := os.Stat(parts[0]); err == nil && fi.Size() > 100<<20 {
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatal("the download never passed 100 MB")
		}
		time.Sleep(time.Millisecond)
	}
	rx.Process.Signal(syscall.SIGKILL)
	rx.Wait()
	parts, _ := filepath.Glob(filepath.Join(dl, "big.bin.*.part"))
	if len(parts) != 1 {
		t.Fatalf("after the kill: .part files %v, want one big.bin.KEY.part", parts)
	}
	part, err := os.Stat(parts[0])
	if err != nil || part.Size() == 0 || part.Size() >= 1<<30 {
		t.Fatalf("after the kill: %v %v; want a partial %s", part, err, parts[0])
	}

	code, out, errOut := run(t, fetch, "--bind", "127.0.0.2", "--port", port, "--user", "rx",
		"--broadcast-addr", "127.0.0.3", "--from", "127.0.0.3:"+port,
		"--packet", fmt.Sprint(uint64(msg["packet"].(float64))), "--offer", msg["offer"].(string), "--download", dl)
	if code != 0 {
		t.Fatalf("fetch exit %d:\n%s%s\nsend: %s%s", code, out, errOut, sendOut.String(), sendErr.String())
	}
	var saved map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["event"] == "saved" {
			saved = m
		}
	}
	if saved == nil {
		t.Fatalf("fetch printed no saved event:\n%s", out)
	}
	if off, _ := saved["offset"].(float64); int64(off) < part.Size() {
		t.Errorf("resumed from offset %v, want the .part's %d bytes or more", saved["offset"], part.Size())
	}
	if got, want := sum(t, saved["path"].(string)), sum(t, src); got != want {
		t.Errorf("sha256 %s, want %s", got, want)
	}
	select {
	case code := <-sendDone:
		if code != 0 {
			t.Errorf("send exit %d: %s%s", code, sendOut.String(), sendErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("send still serving after the fetch completed")
	}
	if !strings.Contains(sendErr.String(), "failed (it may ask again)") {
		t.Errorf("send did not report the interrupted attempt: %q", sendErr.String())
	}
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Between two Hatos with keys, files go encrypted: send says so per file, serve's saved events too.
func TestSendFilesEncrypted(t *testing.T) {
	port := freePort(t)
	rxProfile, txProfile := t.TempDir(), t.TempDir()
	for _, p := range []string{rxProfile, txProfile} {
		if _, _, err := protocol.LoadOrCreateKeys(p); err != nil {
			t.Fatal(err)
		}
	}
	dl := t.TempDir()
	srv := startServe(t, "--profile", rxProfile, "--bind", "127.0.0.2", "--port", port, "--user", "rx",
		"--broadcast-addr", "127.0.0.3", "--download", dl)
	src := t.TempDir()
	writeRandom(t, filepath.Join(src, "暗号.bin"), 300_000)
	writeRandom(t, filepath.Join(src, "folder", "x.bin"), 1000)

	code, out, errOut := run(t, send, "--profile", txProfile, "--bind", "127.0.0.3", "--port", port, "--user", "tx",
		"--broadcast-addr", "127.0.0.2", "--to", "rx@"+hostname(t), "--timeout", "20s",
		"--file", filepath.Join(src, "暗号.bin"), "--file", filepath.Join(src, "folder"), "encrypted files")
	if code != 0 {
		t.Fatalf("send exit %d:\n%s%s", code, out, errOut)
	}
	for _, name := range []string{"暗号.bin", "folder"} {
		if !regexp.MustCompile(`(?m)^served ` + name + ` to .*, encrypted$`).MatchString(out) {
			t.Errorf("send printed no encrypted serve of %s:\n%s", name, out)
		}
	}
	for _, rel := range []string{"暗号.bin", "folder/x.bin"} {
		ev := srv.wait(t, func(m map[string]any) bool {
			return m["event"] == "saved" && strings.HasSuffix(fmt.Sprint(m["path"]), rel)
		})
		if ev["encrypted"] != true {
			t.Errorf("saved event for %s: %v, want encrypted", rel, ev)
		}
		if got, want := sum(t, ev["path"].(string)), sum(t, filepath.Join(src, rel)); got != want {
			t.Errorf("%s: sha256 %s, want %s", rel, got, want)
		}
	}
}
