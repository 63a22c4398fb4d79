package ui

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"hato/protocol"
	"hato/transfer"
)

// newNotifyPair is a pair whose sender has a nick and a group, and whose receiver has no nick.
func newNotifyPair(t *testing.T) *pair {
	return newPair(t, func(s *settings) { s.Nick, s.Group = "送信者", "開発部" }, func(s *settings) { s.Nick = "" })
}

// noteRecorder stands in for beeep: it keeps what would have popped up and fails with err.
type noteRecorder struct {
	mu    sync.Mutex
	notes []string // "title|body"
	err   error
}

func (r *noteRecorder) send(title, body string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, title+"|"+body)
	return r.err
}

func (r *noteRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.notes)
}

func (r *noteRecorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.notes[len(r.notes)-1]
}

// Real messages between two sessions notify with the sender's name and group and the start of the text;
// nothing of a sealed one; the number of files; nothing at all when notifications are off.
func TestNotifierMessages(t *testing.T) {
	p := newNotifyPair(t)
	n := newNotifier(p.rx.session)
	rec := &noteRecorder{}
	n.send = rec.send

	src := t.TempDir()
	var paths []string
	for _, name := range []string{"議事録.txt", "図.png"} {
		path := filepath.Join(src, name)
		if err := os.WriteFile(path, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	long := strings.Repeat("とても長い文章", 20)
	for _, c := range []struct {
		name, text string
		opt        protocol.SendOptions
		paths      []string
		want       string
	}{
		{"plain", "\n  こんにちは  \n二行目は出ない", protocol.SendOptions{}, nil, "送信者 (開発部)|こんにちは"},
		{"long", long, protocol.SendOptions{}, nil, "送信者 (開発部)|" + string([]rune(long)[:notifyTextMax-1]) + "…"},
		{"sealed", "秘密の話", protocol.SendOptions{Sealed: true, Locked: true}, nil, "送信者 (開発部)|Sealed message"},
		{"files", "資料です", protocol.SendOptions{}, paths, "送信者 (開発部)|資料です\n2 files"},
		{"one file", "", protocol.SendOptions{}, paths[:1], "送信者 (開発部)|1 file"},
	} {
		m := p.send(t, c.text, c.opt, c.paths...)
		before := rec.count()
		n.message(m)
		p.rx.q.until(t, c.name+" notification", func() bool { return rec.count() > before })
		if got := rec.last(); got != c.want {
			t.Errorf("%s: notified %q, want %q", c.name, got, c.want)
		}
	}

	p.rx.set.Notifications = false
	before := rec.count()
	n.message(p.send(t, "静かに", protocol.SendOptions{}))
	p.rx.work.Wait()
	if rec.count() != before {
		t.Errorf("notified while notifications are off: %q", rec.last())
	}
}

// An absence auto-reply says so, under the absent peer's name (its user name: it has no nick).
func TestNotifierAutoReply(t *testing.T) {
	p := newNotifyPair(t)
	p.rx.setAbsence("外出中です")
	n := newNotifier(p.tx.session)
	rec := &noteRecorder{}
	n.send = rec.send
	p.send(t, "いますか?", protocol.SendOptions{})
	p.tx.q.until(t, "the auto-reply", func() bool { return len(p.txGot) == 1 })
	if !p.txGot[0].AutoReply {
		t.Fatalf("not an auto-reply: %+v", p.txGot[0])
	}
	n.message(p.txGot[0])
	p.tx.q.until(t, "the notification", func() bool { return rec.count() == 1 })
	if got, want := rec.last(), "u127.0.0.3|[automatic reply] 外出中です"; got != want {
		t.Errorf("notified %q, want %q", got, want)
	}
}

// When beeep fails, the notification goes through Fyne instead, and the failure is logged once.
func TestNotifierFallsBackToFyne(t *testing.T) {
	p := newNotifyPair(t)
	var logged bytes.Buffer
	p.rx.log = slog.New(slog.NewTextHandler(&logged, nil))
	n := newNotifier(p.rx.session)
	rec := &noteRecorder{err: errors.New("beeep: no D-Bus here")}
	n.send = rec.send
	fyne.SetCurrentApp(p.rx.app) // AssertNotificationSent looks at the current app

	for _, text := range []string{"一通目", "二通目"} {
		m := p.send(t, text, protocol.SendOptions{})
		test.AssertNotificationSent(t, fyne.NewNotification("送信者 (開発部)", text), func() {
			n.message(m)
			p.rx.work.Wait() // beeep was tried and failed
			p.rx.q.run()     // the fallback, queued for the UI goroutine
		})
	}
	if rec.count() != 2 {
		t.Errorf("beeep tried %d times, want 2", rec.count())
	}
	if k := strings.Count(logged.String(), "no D-Bus here"); k != 1 {
		t.Errorf("beeep's error logged %d times:\n%s", k, logged.String())
	}
}

// The title falls back from the nick to the user name; blank lines and a missing text are skipped.
func TestNotifierText(t *testing.T) {
	for _, c := range []struct {
		m           protocol.Message
		title, body string
	}{
		{protocol.Message{From: protocol.Host{User: "taro"}, Text: "hi"}, "taro", "hi"},
		{protocol.Message{From: protocol.Host{User: "taro", Nick: "太郎", Group: "営業"}, Text: "\r\n\r\nhi\r\nthere"}, "太郎 (営業)", "hi"},
		{protocol.Message{From: protocol.Host{User: "taro"}, Text: strings.Repeat("a ", 50)}, "taro", strings.TrimSpace(strings.Repeat("a ", 40)) + "…"},
		{protocol.Message{From: protocol.Host{User: "taro"}, Files: "garbage"}, "taro", ""},
	} {
		if title, body := messageTitle(&c.m), messageBody(&c.m); title != c.title || body != c.body {
			t.Errorf("%+v: %q / %q, want %q / %q", c.m, title, body, c.title, c.body)
		}
	}
	// A picture inside the text is no file to save: "1 picture", not "1 file".
	png := shadePNG(t, 20, 10, 90)
	pics, err := transfer.ImageSources("look", []transfer.InlineImage{{At: 4, PNG: png}}, 7, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := protocol.Message{From: protocol.Host{User: "taro"}, Text: "look", Files: transfer.FileList(pics)}
	if body := messageBody(&m); body != "look\n1 picture" {
		t.Errorf("a message with a picture: %q", body)
	}
}
