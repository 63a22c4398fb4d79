package history

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Exported as IP Messenger's log and imported into a fresh history, the messages come back with their
// peers, times (to the second), texts, flags WIN logs and attachment names; CJK stays searchable.
func TestExportImportRoundTrip(t *testing.T) {
	src, err := Open(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	at := time.Date(2026, 11, 3, 9, 8, 7, 0, time.Local)
	recs := []Record{
		{Dir: In, Time: at, Peer: Peer{User: "taro", Host: "PC01", Nick: "太郎", Group: "開発", Addr: "192.168.0.10:2425"},
			Text: "会議の議事録です\n二行目", Sealed: true, Encrypted: true, Signed: true, Verified: true, Delivered: true,
			Attachments: []Attachment{{ID: 0, Name: "議事録.pdf", Size: 10}}},
		{Dir: Out, Time: at.Add(time.Minute), Peer: Peer{User: "li", Host: "PC02", Nick: "李明", Addr: "192.168.0.11:2425"},
			Text: "测试消息内容", Locked: true, Sealed: true, Delivered: true},
		{Dir: In, Time: at.Add(2 * time.Minute), Peer: Peer{User: "anna", Host: "PC03", Addr: "192.168.0.12:2425"},
			Text: "out of office", AutoReply: true, Delivered: true},
	}
	for i := range recs {
		if err := src.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	if err := src.Export(&log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), " From: 太郎 (開発/PC01/192.168.0.10/taro)\r\n") ||
		!strings.Contains(log.String(), "  (files) 議事録.pdf\r\n") {
		t.Errorf("log:\n%s", log.String())
	}

	dst, err := Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	n, err := dst.Import(bytes.NewReader(log.Bytes()))
	if err != nil || n != len(recs) {
		t.Fatalf("imported %d, %v", n, err)
	}
	var got []Record
	dst.All(func(r Record) error { got = append(got, r); return nil })
	for i, want := range recs {
		g := got[i]
		want.Peer.Addr = strings.TrimSuffix(want.Peer.Addr, ":2425") // the log has no port
		if g.Dir != want.Dir || !g.Time.Equal(want.Time) || g.Peer != want.Peer && !(want.Peer.Nick == "" && g.Peer.Nick == want.Peer.User) ||
			g.Text != want.Text || g.Sealed != want.Sealed || g.Locked != want.Locked || g.AutoReply != want.AutoReply ||
			g.Encrypted != want.Encrypted || g.Verified != want.Verified || len(g.Attachments) != len(want.Attachments) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
	hits, err := dst.Search(Query{Text: "消息"})
	if err != nil || len(hits) != 1 {
		t.Errorf("search after import: %v %v", hits, err)
	}
}

// A recipient's READMSG marks our sent record opened, found by packet and address.
func TestSetSentOpened(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := Record{Dir: Out, Packet: 42, Peer: Peer{User: "u", Host: "h", Addr: "192.0.2.1:2425"}, Text: "sealed", Sealed: true}
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SetSentOpened(42, "192.0.2.9:2425"); ok || err != nil {
		t.Errorf("another address: %v %v", ok, err)
	}
	if ok, err := s.SetSentOpened(42, "192.0.2.1:2425"); !ok || err != nil {
		t.Fatalf("SetSentOpened: %v %v", ok, err)
	}
	if g, _ := s.Get(r.ID); !g.Opened {
		t.Error("not marked opened")
	}
}
