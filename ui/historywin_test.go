package ui

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"hato/history"
	"hato/protocol"
)

// historyRow renders row i of w's list as the list would and returns its widgets.
func historyRow(w *historyWindow, i int) (when, dir, who, marks *widget.Label, text *widget.RichText) {
	o := w.list.CreateItem()
	w.list.UpdateItem(i, o)
	return historyRowParts(o)
}

// richText is the text of segs and the texts of its bold segments.
func richText(segs []widget.RichTextSegment) (all string, bold []string) {
	for _, s := range segs {
		t := s.(*widget.TextSegment)
		all += t.Text
		if t.Style.TextStyle.Bold {
			bold = append(bold, t.Text)
		}
	}
	return all, bold
}

// searched waits until w's newest search has answered and cond holds.
func searched(t *testing.T, ts *testSession, w *historyWindow, what string, cond func() bool) {
	t.Helper()
	ts.q.until(t, what, func() bool { return !w.loading && cond() })
}

func hitTexts(w *historyWindow) []string {
	var l []string
	for _, h := range w.hits {
		l = append(l, h.Text)
	}
	return l
}

// Messages in three languages are listed newest first on both sides (← received, → sent); a Japanese
// word finds its message with the word highlighted; the peer filter narrows; a hit shows in full.
func TestHistoryWindowSearch(t *testing.T) {
	p := newPair(t, nil, nil)
	ja := "明日の議事録を共有します。\n二行目もあります。"
	zh := "我们明天开会讨论预算"
	en := "Lunch at noon?"
	for _, text := range []string{ja, zh, en} {
		p.send(t, text, protocol.SendOptions{})
	}

	w := newHistoryWindow(p.rx.session)
	searched(t, p.rx, w, "three hits", func() bool { return len(w.hits) == 3 })
	if got := hitTexts(w); !slices.Equal(got, []string{en, zh, ja}) {
		t.Fatalf("hits %q, want newest first", got)
	}
	for i := range w.hits {
		_, dir, who, _, text := historyRow(w, i)
		all, bold := richText(text.Segments)
		if dir.Text != "←" || who.Text != p.tx.set.Nick || len(bold) != 0 {
			t.Errorf("row %d: %q %q %q, bold %q", i, dir.Text, who.Text, all, bold)
		}
	}
	_, _, _, _, text := historyRow(w, 2)
	if all, _ := richText(text.Segments); all != "明日の議事録を共有します。" {
		t.Errorf("row of the Japanese message shows %q, not its first line", all)
	}

	test.Type(w.search, "議事録")
	searched(t, p.rx, w, "the Japanese hit", func() bool { return len(w.hits) == 1 && w.query.Text == "議事録" })
	h := w.hits[0]
	if h.Text != ja || len(h.Matches) != 1 || ja[h.Matches[0][0]:h.Matches[0][1]] != "議事録" {
		t.Fatalf("hit %q matches %v", h.Text, h.Matches)
	}
	_, _, _, _, text = historyRow(w, 0)
	if all, bold := richText(text.Segments); all != "明日の議事録を共有します。" || !slices.Equal(bold, []string{"議事録"}) {
		t.Errorf("row %q with %q highlighted", all, bold)
	}

	// Chinese and English too; a word nobody wrote finds nothing.
	w.search.SetText("预算")
	searched(t, p.rx, w, "the Chinese hit", func() bool { return w.query.Text == "预算" })
	if got := hitTexts(w); !slices.Equal(got, []string{zh}) {
		t.Errorf("预算 finds %q", got)
	}
	w.search.SetText("noon")
	searched(t, p.rx, w, "the English hit", func() bool { return w.query.Text == "noon" })
	if got := hitTexts(w); !slices.Equal(got, []string{en}) {
		t.Errorf("noon finds %q", got)
	}
	w.search.SetText("会議室")
	searched(t, p.rx, w, "no hit", func() bool { return w.query.Text == "会議室" })
	if len(w.hits) != 0 || w.status.Text != "No messages found." {
		t.Errorf("会議室 finds %q, status %q", hitTexts(w), w.status.Text)
	}

	// The peer filter.
	w.search.SetText("")
	w.peer.SetText(p.tx.base.User)
	searched(t, p.rx, w, "tx's messages", func() bool { return w.query.Peer == p.tx.base.User && w.query.Text == "" })
	if len(w.hits) != 3 {
		t.Errorf("peer %q finds %q", p.tx.base.User, hitTexts(w))
	}
	w.peer.SetText("someone-else")
	searched(t, p.rx, w, "nobody's messages", func() bool { return w.query.Peer == "someone-else" })
	if len(w.hits) != 0 {
		t.Errorf("peer someone-else finds %q", hitTexts(w))
	}
	w.peer.SetText("")
	searched(t, p.rx, w, "all again", func() bool { return w.query.Peer == "" && len(w.hits) == 3 })

	// Selecting shows the whole message.
	w.list.Select(2)
	p.rx.q.until(t, "the message in full", func() bool { return w.text.Text == ja })
	if !w.detail.Visible() || !strings.Contains(w.header.Text, p.tx.set.Nick) || !strings.Contains(w.header.Text, p.tx.base.User) {
		t.Errorf("detail shown %v, header %q", w.detail.Visible(), w.header.Text)
	}

	// An older search that answers after a newer one is not shown.
	w.search.Text = "Lunch"
	w.load(0)
	w.search.Text = "議事録"
	w.load(0)
	searched(t, p.rx, w, "the newer search", func() bool { return w.query.Text == "議事録" })
	p.rx.work.Wait()
	p.rx.q.run()
	if got := hitTexts(w); w.query.Text != "議事録" || !slices.Equal(got, []string{ja}) {
		t.Errorf("after a stale answer: query %q, hits %q", w.query.Text, got)
	}
	w.window.Close()

	// The sender's history has them as sent.
	tw := newHistoryWindow(p.tx.session)
	searched(t, p.tx, tw, "three sent", func() bool { return len(tw.hits) == 3 })
	if got := hitTexts(tw); !slices.Equal(got, []string{en, zh, ja}) {
		t.Errorf("sent %q", got)
	}
	for i := range tw.hits {
		if _, dir, who, _, _ := historyRow(tw, i); dir.Text != "→" || who.Text != p.rx.set.Nick {
			t.Errorf("sent row %d: %q %q", i, dir.Text, who.Text)
		}
	}
}

// More brings the next page, older than the last hit.
func TestHistoryWindowMore(t *testing.T) {
	ts := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	start := time.Now().Add(-time.Hour)
	for i := range historyPage + 5 {
		r := history.Record{Dir: history.In, Time: start.Add(time.Duration(i) * time.Second), Peer: history.Peer{User: "bob", Nick: "Bob"},
			Text: "page test " + string(rune('A'+i%26))}
		if err := ts.hist.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	w := newHistoryWindow(ts.session)
	searched(t, ts, w, "the first page", func() bool { return len(w.hits) == historyPage })
	if w.more.Disabled() {
		t.Fatal("More disabled after a full page")
	}
	test.Tap(w.more)
	searched(t, ts, w, "the second page", func() bool { return len(w.hits) == historyPage+5 })
	if !w.more.Disabled() {
		t.Error("More enabled after the last page")
	}
	for i := 1; i < len(w.hits); i++ {
		if w.hits[i].ID >= w.hits[i-1].ID {
			t.Fatalf("hit %d (id %d) not older than the one before (id %d)", i, w.hits[i].ID, w.hits[i-1].ID)
		}
	}
}

// A saved attachment shows where it went, and Open folder opens its folder.
func TestHistoryWindowAttachment(t *testing.T) {
	p := newPair(t, nil, nil)
	src := filepath.Join(t.TempDir(), "報告書.txt")
	if err := os.WriteFile(src, []byte("内容"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := p.send(t, "ファイルを送ります", protocol.SendOptions{}, src)
	if m.RecordID == 0 {
		t.Fatal("the message was not recorded")
	}
	rw := newRecvWindow(p.rx.session, m, noReply)
	rw.onSave(rw.files[0])
	p.rx.q.until(t, "the attachment saved", func() bool { return rw.files[0].state == fetchSaved })
	saved := rw.files[0].saved
	p.rx.q.until(t, "the saved path in the history", func() bool {
		r, err := p.rx.hist.Get(m.RecordID)
		return err == nil && len(r.Attachments) == 1 && r.Attachments[0].Saved == saved
	})

	w := newHistoryWindow(p.rx.session)
	var opened []*url.URL
	w.openURL = func(u *url.URL) error { opened = append(opened, u); return nil }
	searched(t, p.rx, w, "the message", func() bool { return len(w.hits) == 1 })
	w.list.Select(0)
	p.rx.q.until(t, "the attachment row", func() bool { return len(w.files.Objects) == 1 })
	row := w.files.Objects[0].(*fyne.Container)
	label := row.Objects[0].(*widget.Label)
	open := row.Objects[1].(*widget.Button)
	if !strings.Contains(label.Text, "報告書.txt") || !strings.Contains(label.Text, saved) {
		t.Errorf("attachment row %q, saved to %q", label.Text, saved)
	}
	test.Tap(open)
	if len(opened) != 1 || opened[0].Scheme != "file" || filepath.Clean(opened[0].Path) != filepath.Dir(saved) {
		t.Errorf("opened %v, want the folder %s", opened, filepath.Dir(saved))
	}

	// The sender's record lists the attachment by name, with nothing to open.
	tw := newHistoryWindow(p.tx.session)
	searched(t, p.tx, tw, "the sent message", func() bool { return len(tw.hits) == 1 })
	tw.list.Select(0)
	p.tx.q.until(t, "the sent attachment", func() bool { return len(tw.files.Objects) == 1 })
	if l, ok := tw.files.Objects[0].(*widget.Label); !ok || !strings.HasPrefix(l.Text, "報告書.txt") {
		t.Errorf("sent attachment row %#v", tw.files.Objects[0])
	}
}

// Keeping 30 days, saved in the settings window, deletes older records at once; Keep all keeps them.
func TestHistoryRetention(t *testing.T) {
	a := newTestApp(t)
	ts := newTestSession(t, a, "127.0.0.2", testPort(t), nil)
	old := history.Record{Dir: history.In, Time: time.Now().AddDate(0, 0, -400), Peer: history.Peer{User: "old", Nick: "Old"}, Text: "long ago"}
	recent := history.Record{Dir: history.In, Time: time.Now().AddDate(0, 0, -1), Peer: history.Peer{User: "new", Nick: "New"}, Text: "yesterday"}
	for _, r := range []*history.Record{&old, &recent} {
		if err := ts.hist.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	ts.prune() // keeps all by default
	ts.work.Wait()
	if _, err := ts.hist.Get(old.ID); err != nil {
		t.Fatalf("Keep all deleted: %v", err)
	}

	sw := newSettingsWindow(ts.session)
	if got := sw.keep.Options; !slices.Equal(got, []string{"Keep all", "30 days", "90 days", "365 days"}) || sw.keep.Selected != "Keep all" {
		t.Fatalf("keep options %q, selected %q", got, sw.keep.Selected)
	}
	sw.keep.SetSelected("30 days")
	test.Tap(sw.save)
	if ts.set.KeepDays != 30 || a.Preferences().Int(prefKeepDays) != 30 {
		t.Fatalf("kept days %d, preference %d", ts.set.KeepDays, a.Preferences().Int(prefKeepDays))
	}
	ts.q.until(t, "the old record gone", func() bool {
		_, err := ts.hist.Get(old.ID)
		return errors.Is(err, history.ErrNotFound)
	})
	w := newHistoryWindow(ts.session)
	searched(t, ts, w, "the recent record", func() bool { return len(w.hits) == 1 })
	if w.hits[0].Text != "yesterday" {
		t.Errorf("left %q", hitTexts(w))
	}

	// An old record added now goes at the next prune (the app prunes when it starts).
	old.ID = 0
	if err := ts.hist.Add(&old); err != nil {
		t.Fatal(err)
	}
	ts.prune()
	ts.q.until(t, "the old record gone again", func() bool {
		_, err := ts.hist.Get(old.ID)
		return errors.Is(err, history.ErrNotFound)
	})
	if loadSettings(a.Preferences()).KeepDays != 30 {
		t.Error("the kept days are not loaded back")
	}
	bad := ts.set
	bad.KeepDays = -1
	if se, ok := errors.AsType[*settingError](bad.validate()); !ok || se.Field != "history" {
		t.Errorf("-1 days: %v", bad.validate())
	}
}

// Without a history the window says so.
func TestHistoryWindowNoStore(t *testing.T) {
	ts := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	ts.hist = nil
	w := newHistoryWindow(ts.session)
	if !strings.Contains(w.status.Text, "could not be opened") || !w.search.Disabled() || len(w.hits) != 0 {
		t.Errorf("status %q, search disabled %v", w.status.Text, w.search.Disabled())
	}
	ts.prune() // nothing to do, and no panic
}

// The main window's button and the tray's item open one history window at a time.
func TestShellOpensOneHistoryWindow(t *testing.T) {
	ts := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	d := newShell(ts.session)
	test.Tap(d.main.history)
	w := d.history
	if w == nil {
		t.Fatal("no history window")
	}
	menuItem(t, d.tray.menu(), "History…").Action()
	if d.history != w {
		t.Error("a second history window")
	}
	searched(t, ts, w, "the first search", func() bool { return w.query.Limit != 0 })
	w.window.Close()
	if d.history != nil {
		t.Error("the closed window is still the shell's")
	}
	menuItem(t, d.tray.menu(), "History…").Action()
	if d.history == nil || d.history == w {
		t.Error("the tray does not open a new window")
	}
}

// Opening a sealed message marks it opened in the receiver's history, and the sender's record of it too.
func TestHistoryKeepsOpened(t *testing.T) {
	p := newPair(t, nil, nil)
	m := p.send(t, "封書です", protocol.SendOptions{Sealed: true})
	p.rx.open(m)
	var opened bool
	prev := p.tx.onEvent
	p.tx.onEvent = func(ev protocol.Event) {
		prev(ev)
		if ev.Kind == protocol.EventOpened {
			opened = true // the Hato marked its record already
		}
	}
	p.tx.q.until(t, "the open receipt", func() bool { return opened })
	for _, s := range []*testSession{p.rx, p.tx} {
		s.q.until(t, "the record marked opened", func() bool {
			hits, err := s.hist.Search(history.Query{Text: "封書"})
			return err == nil && len(hits) == 1 && hits[0].Opened && hits[0].Sealed
		})
		// The history window's row says so.
		w := newHistoryWindow(s.session)
		s.q.until(t, "the row", func() bool { return len(w.hits) == 1 })
		if _, _, _, marks, _ := historyRow(w, 0); marks.Text != "sealed, opened" {
			t.Errorf("the row's marks: %q", marks.Text)
		}
		w.window.Close()
	}
}
