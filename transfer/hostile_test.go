package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"hato/protocol"
	"hato/protocol/wire"
)

// A hostile sender: a raw UDP+TCP peer that offers files to a real Hato node and answers its requests
// with whatever bytes a test hands it. Whatever it sends, Fetch must fail with a clear error, write
// nothing outside the download folder, leave no final-named file for what failed, and not crash.

// fakeSender listens on UDP and TCP on the same address, like an IPMsg client.
type fakeSender struct {
	t    *testing.T
	addr netip.AddrPort
	udp  *net.UDPConn
	ln   *net.TCPListener
	wg   sync.WaitGroup

	mu       sync.Mutex
	answer   func(c *net.TCPConn, req wire.Packet) // writes the response; the connection is closed after
	requests []wire.Packet
}

func startFakeSender(t *testing.T, ip string, port int) *fakeSender {
	t.Helper()
	ap := netip.MustParseAddrPort(fmt.Sprintf("%s:%d", ip, port))
	udp, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		t.Fatalf("fake sender: %v", err)
	}
	ln, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(ap))
	if err != nil {
		udp.Close()
		t.Fatalf("fake sender: %v", err)
	}
	f := &fakeSender{t: t, addr: ap, udp: udp, ln: ln}
	f.wg.Add(2)
	go func() { // the node's BR_ENTRY and the like: read and dropped
		defer f.wg.Done()
		buf := make([]byte, 65536)
		for {
			if _, _, err := udp.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); udp.Close(); f.wg.Wait() })
	return f
}

func (f *fakeSender) serve(c *net.TCPConn) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := bufio.NewReader(c).ReadBytes(0)
	if err != nil {
		f.t.Errorf("fake sender: read request: %v", err)
		return
	}
	p, err := wire.Parse(b)
	if err != nil {
		f.t.Errorf("fake sender: request %q: %v", b, err)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, p)
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		answer(c, p)
	}
}

// respond sets what the next requests get and forgets the requests seen so far.
func (f *fakeSender) respond(answer func(c *net.TCPConn, req wire.Packet)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer, f.requests = answer, nil
}

func (f *fakeSender) seen() []wire.Packet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wire.Packet(nil), f.requests...)
}

// offer sends SENDMSG|FILEATTACHOPT|UTF8OPT with the attachment list to the node at to and returns the
// message as the node reports it.
func (f *fakeSender) offer(t *testing.T, b *peer, list []byte) *protocol.Message {
	t.Helper()
	cmd := wire.SendMsg | wire.FileAttachOpt | wire.UTF8Opt
	pkt := fmt.Appendf(nil, "1:%d:evil:evilpc:%d:take these\x00", time.Now().Unix(), uint32(cmd))
	pkt = append(append(pkt, list...), 0)
	if _, err := f.udp.WriteToUDPAddrPort(pkt, b.node.Addr()); err != nil {
		t.Fatal(err)
	}
	m := b.message(t)
	if m.From.Addr != f.addr {
		t.Fatalf("offer came from %s, want %s", m.From.Addr, f.addr)
	}
	return m
}

// sendAll writes data and then, like every IPMsg sender, waits for the receiver to close.
func sendAll(data []byte) func(*net.TCPConn, wire.Packet) {
	return func(c *net.TCPConn, _ wire.Packet) {
		c.Write(data)
		c.CloseWrite()
		io.Copy(io.Discard, c)
	}
}

// sendAndClose writes data and closes at once.
func sendAndClose(data []byte) func(*net.TCPConn, wire.Packet) {
	return func(c *net.TCPConn, _ wire.Packet) { c.Write(data) }
}

// hdr is a well-formed folder stream header.
func hdr(t *testing.T, name string, size int64, attr uint32) []byte {
	t.Helper()
	b, ok := AppendDirHeader(nil, DirHeader{Name: name, Size: size, Attr: attr, Ext: []Ext{{ExtMtime, "65937d25"}}})
	if !ok {
		t.Fatalf("header for %q does not fit", name)
	}
	return b
}

// stream concatenates headers and data.
func stream(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func retParent(t *testing.T) []byte { return hdr(t, ".", 0, TypeRetParent) }

// hostileEnv is a real node on 127.0.0.3 and a fake sender on 127.0.0.4 that offered one message.
type hostileEnv struct {
	b    *peer
	fake *fakeSender
	m    *protocol.Message
}

func startHostile(t *testing.T, list []byte) *hostileEnv {
	t.Helper()
	port := testPort(t)
	b := startPeer(t, "127.0.0.3", port, nil)
	fake := startFakeSender(t, "127.0.0.4", port)
	return &hostileEnv{b: b, fake: fake, m: fake.offer(t, b, list)}
}

// downloadDir makes parent/dl, for a fresh Fetcher: whatever escapes dl shows up in parent.
func downloadDir(t *testing.T) (parent, dl string) {
	t.Helper()
	parent = t.TempDir()
	dl = filepath.Join(parent, "dl")
	if err := os.Mkdir(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	return parent, dl
}

// fetch fetches file into a fresh download folder dl under parent and returns Fetch's error.
func (e *hostileEnv) fetch(t *testing.T, file File) (parent, dl string, err error) {
	t.Helper()
	parent, dl = downloadDir(t)
	f := &Fetcher{Node: e.b.node, Dir: dl}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err = f.Fetch(ctx, e.m, file)
	}()
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		t.Fatal("Fetch hangs")
	}
	if ctx.Err() != nil {
		t.Errorf("Fetch ran into its 20 s deadline: %v", err)
	}
	return parent, dl, err
}

// escapes lists what exists in parent besides dl, and anything named x on the way.
func escapes(t *testing.T, parent string) []string {
	t.Helper()
	var out []string
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "dl" {
			out = append(out, filepath.Join(parent, e.Name()))
		}
	}
	filepath.WalkDir(parent, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "x" {
			out = append(out, path)
		}
		return nil
	})
	for _, p := range strayPaths {
		if _, err := os.Lstat(p); err == nil && !strayAtStart[p] {
			out = append(out, p)
		}
	}
	return out
}

// strayPaths are where an escaping name would land; strayAtStart are those that existed before any
// test ran (a developer's own /tmp/x is not an escape).
var (
	strayPaths   = []string{"/etc/x", "x", "../x", "/x", "/tmp/x"}
	strayAtStart = func() map[string]bool {
		m := map[string]bool{}
		for _, p := range strayPaths {
			if _, err := os.Lstat(p); err == nil {
				m[p] = true
			}
		}
		return m
	}()
)

// unexpected lists what dl holds that a failed fetch may not leave: symbolic links and regular files
// other than .part files and those in allowed (slash-separated, relative to dl). Folders may remain.
func unexpected(t *testing.T, dl string, allowed ...string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dl, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", path, err))
			return nil
		}
		rel, _ := filepath.Rel(dl, path)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "." || d.IsDir():
		case d.Type()&fs.ModeSymlink != 0:
			out = append(out, rel+" (symbolic link)")
		case strings.HasSuffix(rel, ".part"):
		default:
			for _, a := range allowed {
				if a == rel {
					return nil
				}
			}
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestHostileOfferedNames(t *testing.T) {
	etcX := existsPath("/etc/x")
	names := []string{"..", ".", "../x", "/etc/x", "a/b", `a\b`, `..\x`, "C:x", "a\x00b", "CON.txt", "nul",
		"com1.log", strings.Repeat("n", 300), "bad\x01", "\xff\xfe"}
	var offered []File
	for i, n := range names {
		offered = append(offered, File{ID: uint64(i), Name: n, Size: 5, Attr: TypeRegular})
	}
	offered = append(offered, File{ID: 100, Name: "../x", Size: 5, Attr: TypeDir})
	e := startHostile(t, AppendFileList(nil, offered))
	files, err := ParseFileList(e.m.Files)
	if err != nil {
		t.Fatalf("the offer list did not parse: %v", err)
	}
	// Fetch each name as it arrived; a name the node's decoding changed (invalid UTF-8 becomes U+FFFD,
	// which is safe) is fetched as offered instead, as if the list had come through unchanged.
	arrived := map[string]bool{}
	for _, f := range files {
		arrived[f.Name] = true
	}
	files = files[:0]
	for _, f := range offered {
		switch {
		case arrived[f.Name]:
		case !utf8.ValidString(f.Name):
			t.Logf("name %q arrived changed; fetching it as offered", f.Name)
		default:
			t.Errorf("name %q did not come through the offer list unchanged", f.Name)
		}
		files = append(files, f)
	}
	e.fake.respond(sendAll([]byte("hello")))
	for _, f := range files {
		parent, dl, err := e.fetch(t, f)
		switch {
		case err == nil:
			t.Errorf("name %q: Fetch succeeded", f.Name)
		case !errors.Is(err, ErrUnsafeName) || !strings.Contains(err.Error(), "unsafe file name"):
			t.Errorf("name %q: error %q does not say unsafe file name", f.Name, err)
		}
		if esc := escapes(t, parent); len(esc) > 0 && !(etcX && len(esc) == 1 && esc[0] == "/etc/x") {
			t.Errorf("name %q: written outside the download folder: %v", f.Name, esc)
		}
		if entries, _ := os.ReadDir(dl); len(entries) > 0 {
			t.Errorf("name %q: the download folder holds %s", f.Name, entries[0].Name())
		}
	}
	if n := len(e.fake.seen()); n != 0 {
		t.Errorf("%d requests reached the sender: unsafe names must be refused before connecting", n)
	}
	if !etcX && existsPath("/etc/x") {
		t.Error("/etc/x was created")
	}
}

func existsPath(p string) bool { _, err := os.Lstat(p); return err == nil }

// hostileCase is one GETDIRFILES or GETFILEDATA answer that Fetch must refuse.
type hostileCase struct {
	name    string
	file    File                                  // what is fetched (ID 1 is the folder "top", ID 0 the file "f.bin")
	answer  func(*net.TCPConn, wire.Packet)       // what the sender answers
	want    string                                // a word the error must contain
	allowed []string                              // complete files that may remain in dl (relative)
	absent  []string                              // final names that must not exist (relative to dl)
	check   func(t *testing.T, parent, dl string) // anything else
}

func TestHostileFolderStreams(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 100, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular}, top}))
	dirTop := hdr(t, "top", 0, TypeDir)
	data := []byte("hello")

	// A file with a hostile name inside the folder, and the same name as a sub-folder.
	var cases []hostileCase
	for _, n := range []string{"..", ".", "../x", "../../x", "/etc/x", "a/b", `a\b`, `..\x`, "C:x", "a\x00b", "CON.txt",
		"lpt1", strings.Repeat("n", 300), "tab\there", "\xff\xfe"} {
		want := "unsafe file name" // also for "." as a file or folder: only type 3 is RETPARENT
		label := fmt.Sprintf("%q", n)
		if len(n) > 40 {
			label = fmt.Sprintf("%d-byte name", len(n))
		}
		cases = append(cases,
			hostileCase{name: "file " + label, file: top, want: want,
				answer: sendAll(stream(dirTop, hdr(t, n, 5, TypeRegular), data, retParent(t))),
				absent: []string{"x", "a", "top/x", "top/a"}},
			hostileCase{name: "folder " + label, file: top, want: want,
				answer: sendAll(stream(dirTop, hdr(t, n, 0, TypeDir), hdr(t, "x", 5, TypeRegular), data,
					retParent(t), retParent(t))),
				absent: []string{"x", "top/x"}})
	}
	// A hostile name deeper down, after a file that arrived whole.
	cases = append(cases, hostileCase{name: "unsafe name after a good file", file: top, want: "unsafe file name",
		answer: sendAll(stream(dirTop, hdr(t, "ok.txt", 5, TypeRegular), data, hdr(t, "sub", 0, TypeDir),
			hdr(t, "../../x", 5, TypeRegular), data, retParent(t), retParent(t))),
		allowed: []string{"top/ok.txt"}})

	long := make([]byte, 0, 1100)
	long = append(long, "ffff:"...)
	long = append(long, bytes.Repeat([]byte("y"), 1095)...)
	dirDeep := func(depth int) []byte {
		var b []byte
		b = append(b, dirTop...)
		for range depth {
			b = append(b, hdr(t, "d", 0, TypeDir)...)
		}
		for range depth + 1 {
			b = append(b, retParent(t)...)
		}
		return b
	}
	cases = append(cases,
		hostileCase{name: "header length ffff", file: top, want: "limit 1024",
			answer: sendAll(stream(dirTop, long))},
		hostileCase{name: "header length 0401", file: top, want: "limit 1024",
			answer: sendAll(stream(dirTop, []byte("0401:"), bytes.Repeat([]byte("z"), 1020)))},
		hostileCase{name: "header length not hex", file: top, want: "bad folder stream header",
			answer: sendAll(stream(dirTop, []byte("zz12:f:5:1:"), data, retParent(t)))},
		hostileCase{name: "header length too short", file: top, want: "bad folder stream header",
			answer: sendAll(stream(dirTop, []byte("0003:f:5:1:"), data, retParent(t)))},
		hostileCase{name: "header length larger than the header", file: top, want: "bad folder stream header",
			answer: sendAll(stream(dirTop, []byte("0020:f.txt:5:1:"), data, retParent(t))),
			absent: []string{"top/f.txt"}},
		hostileCase{name: "header length smaller than the header", file: top, want: "bad folder stream header",
			answer: sendAll(stream(dirTop, []byte("000c:f.txt:5:1:"), data, retParent(t))),
			absent: []string{"top/f.txt"}},
		hostileCase{name: "size not hex", file: top, want: "bad folder stream header",
			answer: sendAll(stream(dirTop, []byte("0010:f.txt:-5:1:"), data, retParent(t))),
			absent: []string{"top/f.txt"}},
		hostileCase{name: "file shorter than announced", file: top, want: "sent 5 of 100 bytes",
			answer: sendAndClose(stream(dirTop, hdr(t, "f.txt", 100, TypeRegular), data)),
			absent: []string{"top/f.txt"}},
		hostileCase{name: "file longer than announced", file: top, want: "bad folder stream header",
			answer: sendAll(stream(dirTop, hdr(t, "f.txt", 5, TypeRegular), data, []byte(" world"), retParent(t))),
			absent: []string{"top/f.txt"}}, // the file is not given its name: the next header does not parse
		// Stopped before anything is written: more than the offer's 100 bytes (see limits_test.go).
		hostileCase{name: "huge size announced", file: top, want: "stopped: the folder sent more than its announced 100 bytes",
			answer: sendAndClose(stream(dirTop, hdr(t, "f.txt", 1<<63-1, TypeRegular), data)),
			absent: []string{"top/f.txt", "top/f.txt.part"}},
		hostileCase{name: "skipped entry shorter than announced", file: top, want: "stream ended early",
			answer: sendAndClose(stream(dirTop, hdr(t, "link", 100, 0x04), data))},
		hostileCase{name: "deeper than 128 folders", file: top, want: "deeper than 128",
			answer: sendAll(dirDeep(200))},
		hostileCase{name: "129 folders deep with the top", file: top, want: "deeper than 128",
			answer: sendAll(dirDeep(128))},
		hostileCase{name: "first header a file", file: top, want: "not a folder",
			answer: sendAll(stream(hdr(t, "top", 5, TypeRegular), data)),
			absent: []string{"top"}},
		hostileCase{name: "first header RETPARENT", file: top, want: "not a folder",
			answer: sendAll(retParent(t)), absent: []string{"top"}},
		hostileCase{name: "first header malformed", file: top, want: "bad folder stream header",
			answer: sendAll([]byte("hello world, not a stream")), absent: []string{"top"}},
		hostileCase{name: "nothing at all", file: top, want: "stream ended early",
			answer: sendAndClose(nil), absent: []string{"top"}},
		hostileCase{name: "ends inside the length", file: top, want: "stream ends inside a header length",
			answer: sendAndClose(stream(dirTop, []byte("00")))},
		hostileCase{name: "ends inside a header", file: top, want: "stream ends inside a 52-byte header",
			answer: sendAndClose(stream(dirTop, []byte("0034:readme.txt:00000000f")))},
		hostileCase{name: "ends after the top header", file: top, want: "stream ended early",
			answer: sendAndClose(dirTop)},
		hostileCase{name: "ends before the last RETPARENT", file: top, want: "stream ended early",
			answer:  sendAndClose(stream(dirTop, hdr(t, "ok.txt", 5, TypeRegular), data)),
			allowed: []string{"top/ok.txt"}},
	)

	// GETFILEDATA answers.
	file := File{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular}
	hundred := bytes.Repeat([]byte("0123456789"), 10)
	cases = append(cases,
		hostileCase{name: "GETFILEDATA: nothing", file: file, want: "sent 0 of 100 bytes",
			answer: sendAndClose(nil), absent: []string{"f.bin"}},
		hostileCase{name: "GETFILEDATA: fewer bytes then close", file: file, want: "sent 50 of 100 bytes",
			answer: sendAndClose(hundred[:50]), absent: []string{"f.bin"}},
		hostileCase{name: "GETFILEDATA: more bytes, waiting for the close", file: file, want: "more than the 100 bytes",
			answer: sendAll(append(hundred, "and some more"...)), absent: []string{"f.bin"}},
		hostileCase{name: "GETFILEDATA: more bytes then close", file: file, want: "more than the 100 bytes",
			answer: sendAndClose(append(hundred, "and some more"...)), absent: []string{"f.bin"}},
		hostileCase{name: "GETFILEDATA: a folder stream instead", file: file, want: "more than the 100 bytes",
			answer: sendAndClose(stream(dirTop, hundred, retParent(t))), absent: []string{"f.bin"}},
	)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			etcX := existsPath("/etc/x")
			e.fake.respond(c.answer)
			parent, dl, err := e.fetch(t, c.file)
			switch {
			case err == nil:
				t.Errorf("Fetch succeeded, want an error containing %q", c.want)
			case !strings.Contains(err.Error(), c.want):
				t.Errorf("error %q does not contain %q", err, c.want)
			default:
				t.Logf("error: %.200s", err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "fetch "+c.file.Name+" from ") {
				t.Errorf("error %q does not say what was fetched from whom", err)
			}
			if esc := escapes(t, parent); len(esc) > 0 && !(etcX && len(esc) == 1 && esc[0] == "/etc/x") {
				t.Errorf("written outside the download folder: %v", esc)
			}
			if !etcX && existsPath("/etc/x") {
				t.Error("/etc/x was created")
			}
			if u := unexpected(t, dl, c.allowed...); len(u) > 0 {
				t.Errorf("the download folder holds %v after the failed fetch", u)
			}
			for _, a := range c.absent {
				if existsPath(filepath.Join(dl, a)) {
					t.Errorf("%s exists after the failed fetch", a)
				}
			}
			for _, a := range c.allowed {
				if b, err := os.ReadFile(filepath.Join(dl, a)); err != nil || !bytes.Equal(b, data) {
					t.Errorf("%s, complete before the failure: %q, %v", a, b, err)
				}
			}
			if c.check != nil {
				c.check(t, parent, dl)
			}
			reqs := e.fake.seen()
			wantCmd := wire.GetFileData
			if c.file.IsDir() {
				wantCmd = wire.GetDirFiles
			}
			if len(reqs) != 1 || reqs[0].Cmd.Mode() != wantCmd {
				t.Errorf("the sender got %d requests (%v), want one %s", len(reqs), reqs, wantCmd)
			}
		})
	}
}

// The same sender, answering well: the harness itself works, and the header's name for the top folder
// is ignored in favour of the offered one, as Windows does.
func TestHostileSenderWellFormed(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 10, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{{ID: 0, Name: "f.bin", Size: 5, Attr: TypeRegular}, top}))

	e.fake.respond(sendAll(stream(hdr(t, "../../evil", 0, TypeDir), hdr(t, "a.txt", 5, TypeRegular), []byte("hello"),
		hdr(t, "sub", 0, TypeDir), hdr(t, "b.txt", 5, TypeRegular), []byte("world"), retParent(t), retParent(t))))
	parent, dl, err := e.fetch(t, top)
	if err != nil {
		t.Fatalf("folder: %v", err)
	}
	if esc := escapes(t, parent); len(esc) > 0 {
		t.Errorf("written outside the download folder: %v", esc)
	}
	got := treeSums(t, dl)
	if len(got) != 4 || got["top"] != "dir" || got["top/sub"] != "dir" || got["top/a.txt"] == "" || got["top/sub/b.txt"] == "" {
		t.Errorf("received %v, want top/a.txt and top/sub/b.txt", keys(got))
	}
	if r := e.fake.seen(); len(r) != 1 || r[0].Cmd.Mode() != wire.GetDirFiles || !r[0].Cmd.Has(wire.UTF8Opt) {
		t.Errorf("requests %v, want one GETDIRFILES|UTF8OPT", r)
	}

	// 127 folders under the top one: 128 deep, the limit.
	var deep []byte
	deep = append(deep, hdr(t, "top", 0, TypeDir)...)
	for range maxDepth - 1 {
		deep = append(deep, hdr(t, "d", 0, TypeDir)...)
	}
	deep = append(deep, hdr(t, "leaf.txt", 5, TypeRegular)...)
	deep = append(deep, "hello"...)
	for range maxDepth {
		deep = append(deep, retParent(t)...)
	}
	e.fake.respond(sendAll(deep))
	if _, dl, err := e.fetch(t, top); err != nil {
		t.Errorf("%d folders deep: %v", maxDepth, err)
	} else if _, err := os.Stat(filepath.Join(dl, "top", strings.Repeat("d/", maxDepth-1)+"leaf.txt")); err != nil {
		t.Errorf("%d folders deep: %v", maxDepth, err)
	}

	e.fake.respond(sendAll([]byte("hello")))
	if _, dl, err := e.fetch(t, File{ID: 0, Name: "f.bin", Size: 5, Attr: TypeRegular}); err != nil {
		t.Errorf("file: %v", err)
	} else if b, _ := os.ReadFile(filepath.Join(dl, "f.bin")); string(b) != "hello" {
		t.Errorf("file: %q", b)
	}
}

// A symbolic link planted where the incoming file's .part goes must not be followed: the file it points
// to, outside the download folder or inside it, stays as it was. One planted as the final name is left
// alone too: the file is saved beside it.
func TestHostileSymlinkPart(t *testing.T) {
	e := startHostile(t, AppendFileList(nil, []File{{ID: 0, Name: "f.bin", Size: 5, Attr: TypeRegular}}))
	e.fake.respond(sendAll([]byte("EVIL!")))
	// The .part's name carries a key of the offer (offerKey), so the planted link takes that name.
	partFile := partName("f.bin", offerKey(e.m, File{ID: 0, Name: "f.bin", Size: 5, Attr: TypeRegular}), 0)
	for _, planted := range []string{partFile, "f.bin"} {
		for _, where := range []string{"outside", "inside"} {
			t.Run(planted+" to "+where, func(t *testing.T) {
				parent, dl := downloadDir(t)
				target, link := filepath.Join(parent, "outside.txt"), filepath.Join(parent, "outside.txt")
				if where == "inside" { // relative: os.Root alone would follow it
					target, link = filepath.Join(dl, "keep.txt"), "keep.txt"
				}
				writeFile(t, target, []byte("original"))
				if err := os.Symlink(link, filepath.Join(dl, planted)); err != nil {
					t.Skipf("symbolic links: %v", err)
				}
				f := &Fetcher{Node: e.b.node, Dir: dl}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				paths, err := f.Fetch(ctx, e.m, File{ID: 0, Name: "f.bin", Size: 5, Attr: TypeRegular})
				if b, _ := os.ReadFile(target); string(b) != "original" {
					t.Errorf("the link's target now holds %q", b)
				}
				if fi, lerr := os.Lstat(filepath.Join(dl, planted)); lerr != nil || fi.Mode()&fs.ModeSymlink == 0 {
					t.Errorf("the planted link was replaced: %v", lerr)
				}
				switch planted {
				case partFile: // refused: the .part cannot be written safely
					if err == nil {
						t.Errorf("Fetch succeeded (%v) through a symbolic link", paths)
					} else if msg := err.Error(); !strings.Contains(msg, "not a regular file") &&
						!strings.Contains(msg, "symbolic link") && !strings.Contains(msg, "escapes") {
						t.Errorf("error %q does not say the .part is a link", err)
					}
					if existsPath(filepath.Join(dl, "f.bin")) {
						t.Error("f.bin exists after the failed fetch")
					}
				case "f.bin": // the final name is taken: the file is saved beside it
					if err != nil {
						t.Fatal(err)
					}
					if b, _ := os.ReadFile(filepath.Join(dl, "f (1).bin")); string(b) != "EVIL!" || len(paths) != 1 ||
						paths[0] != filepath.Join(dl, "f (1).bin") {
						t.Errorf("saved %v with %q, want f (1).bin", paths, b)
					}
				}
			})
		}
	}

	// A planted link named like the folder: the folder is made beside it, nothing lands in the target.
	top := File{ID: 1, Name: "top", Size: 5, Attr: TypeDir}
	e.fake.respond(sendAll(stream(hdr(t, "top", 0, TypeDir), hdr(t, "a.txt", 5, TypeRegular), []byte("EVIL!"),
		retParent(t))))
	parent, dl := downloadDir(t)
	outside := filepath.Join(parent, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dl, "top")); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
	f := &Fetcher{Node: e.b.node, Dir: dl}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	paths, err := f.Fetch(ctx, e.m, top)
	if err != nil {
		t.Fatalf("folder beside a planted link: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written through the link: %s", entries[0].Name())
	}
	if len(paths) != 1 || paths[0] != filepath.Join(dl, "top (1)", "a.txt") {
		t.Errorf("saved %v, want top (1)/a.txt", paths)
	}
}

// A sender that stops sending mid-file and keeps the connection open: Fetch returns once its context
// ends, with the context's error, and leaves no final-named file.
func TestHostileStalledSender(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 100, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular}, top}))
	stall := func(data []byte) func(*net.TCPConn, wire.Packet) {
		return func(c *net.TCPConn, _ wire.Packet) {
			c.Write(data)
			io.Copy(io.Discard, c) // until the receiver gives up and closes
		}
	}
	for _, c := range []struct {
		name   string
		file   File
		data   []byte
		absent string
	}{
		{"folder", top, stream(hdr(t, "top", 0, TypeDir), hdr(t, "f.txt", 100, TypeRegular), []byte("hello")), "top/f.txt"},
		{"file", File{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular}, []byte("hello"), "f.bin"},
		{"no answer", File{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular}, nil, "f.bin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.fake.respond(stall(c.data))
			parent, dl := downloadDir(t)
			f := &Fetcher{Node: e.b.node, Dir: dl}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := f.Fetch(ctx, e.m, c.file)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("Fetch returned %v after its context ended", took-300*time.Millisecond)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want the context's deadline", err)
			}
			if existsPath(filepath.Join(dl, c.absent)) {
				t.Errorf("%s exists after the interrupted fetch", c.absent)
			}
			if esc := escapes(t, parent); len(esc) > 0 {
				t.Errorf("written outside the download folder: %v", esc)
			}
		})
	}
}

// A sender that goes silent without closing fails the fetch after IdleTimeout, with no context deadline.
func TestIdleSenderTimesOut(t *testing.T) {
	e := startHostile(t, AppendFileList(nil, []File{{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular}}))
	e.fake.respond(func(c *net.TCPConn, _ wire.Packet) {
		c.Write([]byte("hello"))
		io.Copy(io.Discard, c)
	})
	_, dl := downloadDir(t)
	f := &Fetcher{Node: e.b.node, Dir: dl, IdleTimeout: 200 * time.Millisecond}
	_, err := f.Fetch(context.Background(), e.m, File{ID: 0, Name: "f.bin", Size: 100, Attr: TypeRegular})
	if err == nil || !strings.Contains(err.Error(), "sent nothing for 200ms") {
		t.Fatalf("fetch from a silent sender: %v, want an idle timeout", err)
	}
	if existsPath(filepath.Join(dl, "f.bin")) {
		t.Error("f.bin exists after the failed fetch")
	}
}
