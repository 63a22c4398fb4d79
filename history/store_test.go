package history

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the child process of the durability and
	// lock tests (see child_test.go).
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode, os.Getenv(childDBEnv)))
	}
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
	}
	os.Exit(code)
}

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile", "history.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func fullRecord() Record {
	return Record{
		Dir:    In,
		Time:   time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC),
		Packet: 0xfedcba98,
		Peer:   Peer{User: "tanaka", Host: "PC-01", Nick: "田中", Group: "開発", Addr: "192.168.1.20:2425"},
		Text:   "写真です: \ufffc and a file",
		Sealed: true, Opened: true, Locked: true, Encrypted: true, Signed: true,
		Verified: true, AutoReply: true, Broadcast: true, Multicast: true, Delivered: true,
		Attachments: []Attachment{
			{ID: 1, Name: "report.pdf", Size: 123456},
			{ID: 1<<63 + 5, Name: "フォルダ", Size: 0, Dir: true, Saved: "/home/u/Downloads/フォルダ"},
		},
		Images: []Image{
			{At: 15, Name: "image-1.png", Size: 4, PNG: []byte{0x89, 'P', 'N', 'G'}, Saved: "/tmp/a.png"},
			{At: 15, Name: "image-2.png", Size: 99}, // referenced only
		},
	}
}

// sameRecord compares all fields; times by instant (the location differs).
func sameRecord(t *testing.T, got, want Record) {
	t.Helper()
	if !got.Time.Equal(want.Time) {
		t.Errorf("time %v, want %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestAddGetRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	r := fullRecord()
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 {
		t.Fatal("Add did not set ID")
	}
	got, err := s.Get(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameRecord(t, got, r)

	// All flags off and no extras round-trip too.
	plain := Record{Dir: Out, Time: time.Unix(1700000000, 0), Peer: Peer{User: "u"}, Text: "hi"}
	if err := s.Add(&plain); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(plain.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameRecord(t, got, plain)
	if plain.ID <= r.ID {
		t.Errorf("ids not increasing: %d then %d", r.ID, plain.ID)
	}
}

func TestAddRejectsBadDirection(t *testing.T) {
	s, _ := openTemp(t)
	r := Record{Dir: "sideways", Text: "x"}
	if err := s.Add(&r); err == nil || r.ID != 0 {
		t.Fatalf("Add with a bad direction: err %v, id %d", err, r.ID)
	}
}

func TestAddZeroTimeIsNow(t *testing.T) {
	s, _ := openTemp(t)
	r := Record{Dir: In, Text: "x"}
	before := time.Now()
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Time.Before(before.Add(-time.Second)) || got.Time.After(time.Now().Add(time.Second)) {
		t.Errorf("time %v, want about now", got.Time)
	}
}

func TestGetMissing(t *testing.T) {
	s, path := openTemp(t)
	_, err := s.Get(42)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Get(42) = %v, want ErrNotFound naming %s", err, path)
	}
}

func TestSetters(t *testing.T) {
	s, _ := openTemp(t)
	r := fullRecord()
	r.Opened, r.Delivered = false, false
	r.Attachments[0].Saved = ""
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDelivered(r.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOpened(r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSaved(r.ID, 1, "/home/u/Downloads/report.pdf"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.Opened, want.Delivered = true, true
	want.Attachments = append([]Attachment(nil), r.Attachments...)
	want.Attachments[0].Saved = "/home/u/Downloads/report.pdf"
	sameRecord(t, got, want)

	if err := s.SetDelivered(r.ID, false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(r.ID)
	want.Delivered = false
	sameRecord(t, got, want)

	for name, err := range map[string]error{
		"SetDelivered missing record": s.SetDelivered(999, true),
		"SetOpened missing record":    s.SetOpened(999),
		"SetSaved missing record":     s.SetSaved(999, 1, "x"),
		"SetSaved missing attachment": s.SetSaved(r.ID, 77, "x"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	s, path := openTemp(t)
	var want []Record
	for i := range 5 {
		r := fullRecord()
		r.Text = strings.Repeat("再開 ", i+1)
		if err := s.Add(&r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, w := range want {
		got, err := s.Get(w.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameRecord(t, got, w)
	}
	hits, err := s.Search(Query{Text: "再開 再開 再開"})
	if err != nil || len(hits) != 5 {
		t.Fatalf("search after reopen: %d hits, %v", len(hits), err)
	}
}

func TestFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	_, path := openTemp(t)
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateFromEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil { // version 0: an empty database
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r := Record{Dir: In, Text: "after migration"}
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if v := userVersion(t, path); v != schemaVersion {
		t.Fatalf("user_version %d, want %d", v, schemaVersion)
	}
	// Opening again applies nothing and keeps the data.
	reopenHas(t, path, r.ID)
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database from the future")
	}
	if !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), path) {
		t.Fatalf("unclear error: %v", err)
	}
}

func TestCorruptRandomBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	junk := make([]byte, 16384)
	rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("opened random bytes")
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err %v, want ErrCorrupt naming the path", err)
	}
	t.Log(err)
}

func TestCorruptPages(t *testing.T) {
	s, path := openTemp(t)
	var rs []*Record
	for i := range 2000 {
		rs = append(rs, &Record{Dir: In, Text: strings.Repeat("page filler ", 10) + string(rune('a'+i%26))})
	}
	if err := s.addAll(rs); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Scribble over the middle of the file: the header stays valid, b-tree pages do not.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte{0xA5}, len(data)/2)
	copy(data[len(data)/4:], junk)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("opened a damaged database")
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrCorrupt", err)
	}
	t.Log(err)
}

func TestLockedInProcess(t *testing.T) {
	s, path := openTemp(t)
	s.Close()

	// Another connection holds the write lock and does not let go.
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	if _, err := conn.ExecContext(context.Background(), "INSERT INTO messages (dir, time, packet, peer_user, peer_host, peer_nick, peer_group, peer_addr, text, flags) VALUES ('in', 0, 0, '', '', '', '', '', 'held', 0)"); err != nil {
		t.Fatal(err)
	}
	expectLocked(t, path)
}

func expectLocked(t *testing.T, path string) {
	t.Helper()
	start := time.Now()
	s, err := open(path, options{busyTimeoutMS: 200})
	if err == nil {
		s.Close()
		t.Fatal("opened a database another connection holds exclusively")
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err %v, want ErrLocked naming the path", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to report the lock", d)
	}
	t.Logf("%v (after %v)", err, time.Since(start).Round(time.Millisecond))
}

func TestConcurrentUse(t *testing.T) {
	s, _ := openTemp(t)
	done := make(chan error)
	for w := range 4 {
		go func() {
			for i := range 20 {
				r := Record{Dir: Out, Text: "concurrent 並行 " + string(rune('a'+w)) + string(rune('a'+i))}
				if err := s.Add(&r); err != nil {
					done <- err
					return
				}
				if _, err := s.Search(Query{Text: "並行"}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	hits, err := s.Search(Query{Text: "concurrent", Limit: 1000})
	if err != nil || len(hits) != 80 {
		t.Fatalf("%d hits, %v; want 80", len(hits), err)
	}
}

// A damaged full-text index is not caught at Open (see check) but as soon as
// a search reads it.
func TestCorruptIndexOnSearch(t *testing.T) {
	s, _ := openTemp(t)
	corpus(t, s, texts...)
	if _, err := s.db.Exec("UPDATE messages_fts_data SET block = x'ffffffffffffffff' WHERE id > 10"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Search(Query{Text: "議事録"})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("search in a damaged index: %v, want ErrCorrupt", err)
	}
	t.Log(err)
}

func TestOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "we?ird #dir 名前%20&x=1", "history.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r := Record{Dir: In, Text: "x"}
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not where asked: %v", err)
	}
	reopenHas(t, path, r.ID)
}

func TestOpenFolderFails(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open(folder) = %v", err)
	}
}

// reopenHas opens the database at path again and checks that record id is there.
func reopenHas(t *testing.T, path string, id int64) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(id); err != nil {
		t.Fatal(err)
	}
}
