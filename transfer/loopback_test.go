package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hato/protocol"
	"hato/protocol/wire"
)

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// offerAndFetch sends paths from a to b and fetches every attachment on b, returning what b saved.
func offerAndFetch(t *testing.T, a, b *peer, paths ...string) (*protocol.Message, [][]string) {
	t.Helper()
	sources, err := Sources(paths)
	if err != nil {
		t.Fatal(err)
	}
	to := a.waitHost(t, b.node.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, dels, err := SendFiles(ctx, a.node, a.srv, []protocol.Host{to}, "files for you", sources, protocol.SendOptions{})
	if err != nil || dels[0].Err != nil {
		t.Fatalf("send: %v %v", err, dels)
	}
	m := b.message(t)
	files, err := ParseFileList(m.Files)
	if err != nil || len(files) != len(paths) {
		t.Fatalf("offer %q: %d files, err %v", m.Files, len(files), err)
	}
	var saved [][]string
	for _, f := range files {
		p, err := b.fetcher.Fetch(ctx, m, f)
		if err != nil {
			t.Fatalf("fetch %s: %v", f.Name, err)
		}
		saved = append(saved, p)
	}
	return m, saved
}

func TestFilesAndFolders(t *testing.T) {
	a, b := pair(t)
	src := t.TempDir()
	top := filepath.Join(src, "プロジェクト 项目")
	writeFile(t, filepath.Join(top, "readme.txt"), []byte("top-level file\n"))
	writeFile(t, filepath.Join(top, "empty.txt"), nil)
	writeFile(t, filepath.Join(top, "ab:c 中文.txt"), []byte("colon"))
	writeFile(t, filepath.Join(top, "sub", "深い", "data.bin"), randomBytes(t, 3<<20+7)) // by sendfile
	writeFile(t, filepath.Join(top, "sub", "small.bin"), randomBytes(t, 1000))
	if err := os.MkdirAll(filepath.Join(top, "empty-dir", "empty-too"), 0o755); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(src, "日本語.txt")
	writeFile(t, single, randomBytes(t, 1<<20))
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(single, mtime, mtime)
	empty := filepath.Join(src, "zero.dat")
	writeFile(t, empty, nil)

	m, saved := offerAndFetch(t, a, b, top, single, empty)
	if !m.Cmd.Has(wire.FileAttachOpt) || !m.Cmd.Has(wire.UTF8Opt) {
		t.Errorf("offer command %s: want FILEATTACHOPT and UTF8OPT", m.Cmd)
	}
	want := treeSums(t, src)
	got := treeSums(t, b.fetcher.Dir)
	if len(got) != len(want) {
		t.Errorf("received %v\nwant %v", keys(got), keys(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %.12s, want %.12s", k, got[k], v)
		}
	}
	if len(saved[0]) != 5 || len(saved[1]) != 1 || len(saved[2]) != 1 {
		t.Errorf("saved paths %v", saved)
	}
	fi, err := os.Stat(filepath.Join(b.fetcher.Dir, "日本語.txt"))
	if err != nil || !fi.ModTime().Equal(mtime) {
		t.Errorf("mtime of the received file: %v (%v), want %v", fi.ModTime(), err, mtime)
	}
	if parts, _ := filepath.Glob(filepath.Join(b.fetcher.Dir, "*.part")); len(parts) > 0 {
		t.Errorf(".part files left: %v", parts)
	}
	// The server counts each file as fetched once the receiver closed.
	if n := len(a.waitTransferN(t, EventServed, 3)); n != 3 {
		t.Errorf("%d served events, want 3", n)
	}
}

// waitTransferN waits until at least n events of kind arrived.
func (p *peer) waitTransferN(t *testing.T, kind EventKind, n int) []Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if evs := p.transferEvents(kind); len(evs) >= n {
			return evs
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p.transferEvents(kind)
}

func TestNameClash(t *testing.T) {
	a, b := pair(t)
	src := t.TempDir()
	f := filepath.Join(src, "report.txt")
	writeFile(t, f, []byte("new"))
	writeFile(t, filepath.Join(b.fetcher.Dir, "report.txt"), []byte("old"))
	_, saved := offerAndFetch(t, a, b, f)
	if want := filepath.Join(b.fetcher.Dir, "report (1).txt"); saved[0][0] != want {
		t.Errorf("saved as %s, want %s", saved[0][0], want)
	}
	if old, _ := os.ReadFile(filepath.Join(b.fetcher.Dir, "report.txt")); !bytes.Equal(old, []byte("old")) {
		t.Errorf("the existing file changed to %q", old)
	}
}
