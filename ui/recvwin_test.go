package ui

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"hato/protocol"
	"hato/transfer"
)

// txHeard waits until tx is told kind about packet.
func (p *pair) txHeard(t *testing.T, kind protocol.EventKind, packet uint32) {
	t.Helper()
	p.tx.q.until(t, string(kind), func() bool {
		for _, ev := range p.txEvents {
			if ev.Kind == kind && ev.Packet == packet {
				return true
			}
		}
		return false
	})
}

func noReply(protocol.Host, string) {}

func TestRecvWindowPlain(t *testing.T) {
	p := newPair(t, nil, nil)
	text := "こんにちは、資料です。\nhttps://example.com/path?q=1 を見てください\n共有: \\\\server\\共有\\資料"
	m := p.send(t, text, protocol.SendOptions{})
	w := newRecvWindow(p.rx.session, m, noReply)
	defer w.window.Close()

	if w.nick.Text != "n127.0.0.2" {
		t.Errorf("nick %q", w.nick.Text)
	}
	if !strings.Contains(w.details.Text, "u127.0.0.2@h127.0.0.2") || !strings.Contains(w.details.Text, "127.0.0.2") {
		t.Errorf("details %q", w.details.Text)
	}
	if w.text.Text != text || !w.text.Selectable {
		t.Errorf("text %q (selectable %v), want %q", w.text.Text, w.text.Selectable, text)
	}
	var links []string
	for _, l := range w.links {
		links = append(links, l.Text+" → "+l.URL.String())
	}
	want := []string{"https://example.com/path?q=1 → https://example.com/path?q=1",
		`\\server\共有\資料 → file://server/%E5%85%B1%E6%9C%89/%E8%B3%87%E6%96%99`}
	if strings.Join(links, "\n") != strings.Join(want, "\n") {
		t.Errorf("links %q, want %q", links, want)
	}
	var badges []string
	for _, b := range w.badges {
		badges = append(badges, b.Text)
	}
	all := strings.Join(badges, " | ")
	if !strings.Contains(all, "Encrypted ("+m.Cipher+")") || m.Cipher == "" || !strings.Contains(all, "Signed and verified") {
		t.Errorf("badges %q (cipher %q)", all, m.Cipher)
	}
	if w.openButton != nil || w.saveAll != nil {
		t.Error("a plain message without files shows an Open or Save all button")
	}
}

func TestRecvWindowSealed(t *testing.T) {
	p := newPair(t, nil, nil)
	m := p.send(t, "秘密のメッセージ", protocol.SendOptions{Sealed: true})
	w := newRecvWindow(p.rx.session, m, noReply)
	if !m.Sealed || w.text.Text != "" || w.opened || w.openButton == nil {
		t.Fatalf("sealed message shows %q (sealed %v)", w.text.Text, m.Sealed)
	}
	test.Tap(w.openButton)
	if w.text.Text != "秘密のメッセージ" {
		t.Errorf("opened text %q", w.text.Text)
	}
	p.txHeard(t, protocol.EventOpened, m.Packet)
	w.window.Close()

	// Closed unopened: the sender is told it was discarded.
	m2 := p.send(t, "読まれない", protocol.SendOptions{Sealed: true})
	w2 := newRecvWindow(p.rx.session, m2, noReply)
	w2.window.Close()
	p.txHeard(t, protocol.EventDiscarded, m2.Packet)
}

func TestRecvWindowLocked(t *testing.T) {
	p := newPair(t, nil, nil)
	p.rx.set.PasswordHash = hashPassword("pw")
	m := p.send(t, "鍵付き", protocol.SendOptions{Sealed: true, Locked: true})
	w := newRecvWindow(p.rx.session, m, noReply)
	defer w.window.Close()
	if !m.Locked {
		t.Fatal("message not locked")
	}

	test.Tap(w.openButton)
	if w.password == nil || w.passwordDialog == nil {
		t.Fatal("no password dialog")
	}
	test.Type(w.password, "wrong")
	w.passwordDialog.Submit()
	if w.opened || w.text.Text != "" {
		t.Fatalf("a wrong password opened the message: %q", w.text.Text)
	}
	if w.window.Canvas().Overlays().Top() == nil {
		t.Error("no error shown for the wrong password")
	}

	test.Tap(w.openButton)
	test.Type(w.password, "pw")
	w.passwordDialog.Submit()
	if !w.opened || w.text.Text != "鍵付き" {
		t.Fatalf("the right password did not open it: %q", w.text.Text)
	}
	p.txHeard(t, protocol.EventOpened, m.Packet)
}

func TestRecvWindowAttachments(t *testing.T) {
	p := newPair(t, nil, nil)
	src := t.TempDir()
	big := make([]byte, 3<<20)
	rand.Read(big)
	write := func(name string, b []byte) string {
		path := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	files := map[string][]byte{
		"big.bin":            big,
		"日本語のメモ.txt":         []byte("小さなファイル\n"),
		"フォルダ/sub/inner.txt": []byte("nested"),
		"フォルダ/top.txt":       []byte("top"),
	}
	for name, b := range files {
		write(name, b)
	}
	paths := []string{filepath.Join(src, "big.bin"), filepath.Join(src, "日本語のメモ.txt"), filepath.Join(src, "フォルダ")}
	m := p.send(t, "ファイルです", protocol.SendOptions{}, paths...)
	w := newRecvWindow(p.rx.session, m, noReply)
	progress := 0
	p.rx.onTransfer = func(ev transfer.Event) {
		if ev.Packet == m.Packet {
			if ev.Kind == transfer.EventProgress {
				progress++
			}
			w.onTransfer(ev)
		}
	}
	if len(w.files) != 3 || w.fileErr != nil {
		t.Fatalf("%d attachment rows, parse error %v", len(w.files), w.fileErr)
	}
	if !w.files[2].file.IsDir() {
		t.Errorf("the third attachment is not a folder: %+v", w.files[2].file)
	}

	test.Tap(w.saveAll)
	for _, r := range w.files {
		if r.state != fetchRunning || !r.save.Disabled() || !w.saveAll.Disabled() {
			t.Errorf("%s: state %v after Save all", r.file.Name, r.state)
		}
	}
	w.onSave(w.files[0]) // already running: nothing happens
	// The last progress event and the fetch's end travel separately: wait for both.
	p.rx.q.until(t, "every attachment saved", func() bool {
		if progress == 0 {
			return false
		}
		for _, r := range w.files {
			if r.state != fetchSaved {
				return false
			}
		}
		return true
	})
	for _, r := range w.files {
		if r.progress.Value != 1 || !strings.HasPrefix(r.status.Text, "Saved to "+p.rx.set.DownloadDir) {
			t.Errorf("%s: progress %v, status %q", r.file.Name, r.progress.Value, r.status.Text)
		}
	}
	if progress == 0 {
		t.Error("no progress event reached the window")
	}
	for name, b := range files {
		got, err := os.ReadFile(filepath.Join(p.rx.set.DownloadDir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if sha256.Sum256(got) != sha256.Sum256(b) || !bytes.Equal(got, b) {
			t.Errorf("%s: %d bytes differ from the %d sent", name, len(got), len(b))
		}
	}
	w.window.Close() // everything fetched: no RELEASEFILES

	// Another offer closed unsaved: tx's server hears RELEASEFILES.
	m2 := p.send(t, "", protocol.SendOptions{}, filepath.Join(src, "日本語のメモ.txt"))
	w2 := newRecvWindow(p.rx.session, m2, noReply)
	w2.window.Close()
	p.tx.q.until(t, "EventReleased", func() bool {
		for _, ev := range p.txXfer {
			if ev.Kind == transfer.EventReleased && ev.Packet == m2.Packet {
				return true
			}
		}
		return false
	})
	for _, ev := range p.txXfer {
		if ev.Kind == transfer.EventReleased && ev.Packet == m.Packet {
			t.Error("the offer whose files were all saved was released")
		}
	}
}

func TestRecvWindowReply(t *testing.T) {
	p := newPair(t, nil, nil)
	m := p.send(t, "一行目\n二行目", protocol.SendOptions{})
	var to protocol.Host
	var quote string
	calls := 0
	w := newRecvWindow(p.rx.session, m, func(h protocol.Host, q string) { to, quote, calls = h, q, calls+1 })
	defer w.window.Close()
	test.Tap(w.replyBtn)
	if calls != 1 || to.User != m.From.User || to.Addr != m.From.Addr || quote != "> 一行目\n> 二行目" {
		t.Errorf("reply(%+v, %q), %d calls", to, quote, calls)
	}

	p.rx.set.QuoteReply = false
	test.Tap(w.replyBtn)
	if calls != 2 || quote != "" {
		t.Errorf("reply without quoting: %q", quote)
	}
}
