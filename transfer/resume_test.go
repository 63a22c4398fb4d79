package transfer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hato/protocol"
)

// fetchUntil fetches file and cancels once more than stopAt bytes arrived; it returns the fetch error.
func fetchUntil(t *testing.T, b *peer, m *protocol.Message, file File, stopAt int64) error {
	t.Helper()
	events := make(chan Event)
	f := &Fetcher{Node: b.node, Dir: b.fetcher.Dir, Events: events, ProgressEvery: time.Nanosecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := f.Fetch(ctx, m, file)
		errc <- err
	}()
	for {
		select {
		case ev := <-events:
			if ev.Kind == EventProgress && ev.Bytes > stopAt {
				cancel()
			}
		case err := <-errc:
			return err
		}
	}
}

// offerOne sends one file from a to b and returns the message b received and its single attachment.
func offerOne(t *testing.T, a, b *peer, path string) (*protocol.Message, File) {
	t.Helper()
	sources, err := Sources([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	to := a.waitHost(t, b.node.Addr().String())
	if _, dels, err := SendFiles(context.Background(), a.node, a.srv, []protocol.Host{to}, "", sources, protocol.SendOptions{}); err != nil || dels[0].Err != nil {
		t.Fatalf("send: %v %v", err, dels)
	}
	m := b.message(t)
	files, err := ParseFileList(m.Files)
	if err != nil || len(files) != 1 {
		t.Fatalf("offer %q: %v", m.Files, err)
	}
	return m, files[0]
}

func TestResumeFromPart(t *testing.T) {
	a, b := pair(t)
	src := filepath.Join(t.TempDir(), "big.bin")
	writeFile(t, src, randomBytes(t, 64<<20+123))
	m, file := offerOne(t, a, b, src)
	if !m.From.Hato {
		t.Fatal("the sender is not recognised as Hato: no HATO: line in its entry?")
	}

	err := fetchUntil(t, b, m, file, 20<<20)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted fetch: %v, want context.Canceled", err)
	}
	// A .part of another offer of the same name is never continued.
	other := filepath.Join(b.fetcher.Dir, partName("big.bin", "00000000", 0))
	writeFile(t, other, []byte("stale bytes of another file"))
	part := filepath.Join(b.fetcher.Dir, partName("big.bin", offerKey(m, file), 0))
	fi, err := os.Stat(part)
	if err != nil || fi.Size() < 20<<20 || fi.Size() >= file.Size {
		t.Fatalf("after the interruption: %v %v, want a .part of 20 MiB or more", fi, err)
	}
	kept := fi.Size()

	paths, err := b.fetcher.Fetch(context.Background(), m, file)
	if err != nil {
		t.Fatalf("resumed fetch: %v", err)
	}
	if got, want := fileSum(t, paths[0]), fileSum(t, src); got != want {
		t.Fatalf("sha256 %s, want %s", got, want)
	}
	saved := b.waitTransfer(t, EventSaved, nil)
	if saved.Offset != kept {
		t.Errorf("saved event offset %d, want the .part's %d bytes", saved.Offset, kept)
	}
	served := a.waitTransfer(t, EventServed, nil)
	if served.Offset != kept || served.Bytes != file.Size {
		t.Errorf("server: offset %d, bytes %d; want %d, %d", served.Offset, served.Bytes, kept, file.Size)
	}
	if failed := a.transferEvents(EventServeFailed); len(failed) != 1 {
		t.Errorf("%d serve-failed events for the interrupted attempt, want 1", len(failed))
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf(".part still there: %v", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "stale bytes of another file" {
		t.Errorf("the other offer's .part changed: %q", b)
	}
}

// A peer that is not Hato never gets a non-zero offset: Windows would send from byte 0 anyway.
func TestNoResumeFromOtherClients(t *testing.T) {
	a, b := pair(t)
	src := filepath.Join(t.TempDir(), "f.bin")
	writeFile(t, src, randomBytes(t, 8<<20))
	m, file := offerOne(t, a, b, src)
	// A stale .part from an earlier attempt.
	writeFile(t, filepath.Join(b.fetcher.Dir, partName("f.bin", offerKey(m, file), 0)), randomBytes(t, 3<<20))
	m.From.Hato = false
	paths, err := b.fetcher.Fetch(context.Background(), m, file)
	if err != nil {
		t.Fatal(err)
	}
	if fileSum(t, paths[0]) != fileSum(t, src) {
		t.Error("content differs")
	}
	if ev := a.waitTransfer(t, EventServed, nil); ev.Offset != 0 {
		t.Errorf("requested offset %d from a non-Hato peer, want 0", ev.Offset)
	}
}

// Files beyond 4 GiB: sizes and offsets pass 32 bits. The source is sparse; the received copy is not
// (4 GiB in a temporary folder, removed after the test).
func TestLargerThan4GiB(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("moves 4 GiB over loopback: not in -short or -race runs")
	}
	a, b := pair(t)
	src := filepath.Join(t.TempDir(), "huge.img")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(4<<30 + 5)
	f.WriteAt([]byte("head"), 0)
	f.WriteAt([]byte("middle"), 2<<30)
	f.WriteAt([]byte("tail!"), size-5)
	f.Close()
	m, file := offerOne(t, a, b, src)
	if file.Size != size {
		t.Fatalf("offered size %d, want %d", file.Size, size)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	paths, err := b.fetcher.Fetch(ctx, m, file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fileSum(t, paths[0]), fileSum(t, src); got != want {
		t.Fatalf("sha256 %s, want %s", got, want)
	}
}

func TestSeveralRecipients(t *testing.T) {
	port := testPort(t)
	addrs := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
	var dests []string
	for _, ip := range addrs {
		dests = append(dests, ip+":"+itoa(port))
	}
	a := startPeer(t, addrs[0], port, nil, dests[1:]...)
	var rs []*peer
	var to []protocol.Host
	for i := 1; i < len(addrs); i++ {
		rs = append(rs, startPeer(t, addrs[i], port, nil, dests[0]))
		to = append(to, a.waitHost(t, dests[i]))
	}
	dir := filepath.Join(t.TempDir(), "shared")
	writeFile(t, filepath.Join(dir, "one.txt"), []byte("one"))
	writeFile(t, filepath.Join(dir, "two", "2.bin"), randomBytes(t, 2<<20))
	sources, err := Sources([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	no, dels, err := SendFiles(context.Background(), a.node, a.srv, to, "for all", sources, protocol.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dels {
		if d.Err != nil {
			t.Fatalf("%s: %v", d.Host.Addr, d.Err)
		}
	}
	errc := make(chan error, len(rs))
	for _, r := range rs {
		m := r.message(t)
		files, _ := ParseFileList(m.Files)
		go func() {
			_, err := r.fetcher.Fetch(context.Background(), m, files[0])
			errc <- err
		}()
	}
	for range rs {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.srv.Wait(ctx, no); err != nil {
		t.Errorf("Wait: %v", err)
	}
	want := treeSums(t, filepath.Dir(dir))
	for _, r := range rs {
		got := treeSums(t, r.fetcher.Dir)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s differs", r.node.Addr(), k)
			}
		}
	}
}

// the sender learns it arrived.
func TestCompletePartIsFinished(t *testing.T) {
	a, b := pair(t)
	src := filepath.Join(t.TempDir(), "done.bin")
	content := randomBytes(t, 100_000)
	writeFile(t, src, content)
	m, file := offerOne(t, a, b, src)
	writeFile(t, filepath.Join(b.fetcher.Dir, partName("done.bin", offerKey(m, file), 0)), content)
	paths, err := b.fetcher.Fetch(context.Background(), m, file)
	if err != nil {
		t.Fatal(err)
	}
	if fileSum(t, paths[0]) != fileSum(t, src) {
		t.Error("content differs")
	}
	if ev := a.waitTransfer(t, EventServed, nil); ev.Offset != file.Size {
		t.Errorf("served from offset %d, want %d (nothing left to send)", ev.Offset, file.Size)
	}
}
