package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
	"hato/transfer"
)

// testClipboard stands in for the system clipboard's pictures. The window reads it on a goroutine.
type testClipboard struct {
	mu  sync.Mutex
	png []byte
}

func (c *testClipboard) ReadPNG(context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.png, nil
}

func (c *testClipboard) set(b []byte) {
	c.mu.Lock()
	c.png = b
	c.mu.Unlock()
}

// shadePNG is a w×h PNG in one colour (shade tells pictures apart).
func shadePNG(t *testing.T, w, h int, shade uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: shade, G: uint8(x), B: uint8(y), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pasteSetup is a main window with a test clipboard.
func pasteSetup(t *testing.T) (*mainSetup, *testClipboard) {
	m := newMainSetup(t)
	clip := &testClipboard{}
	m.win.clip = clip
	return m, clip
}

// paste presses Ctrl+V in the message box and waits until it took effect (cond).
func (m *mainSetup) paste(t *testing.T, what string, cond func() bool) {
	t.Helper()
	m.win.compose.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: m.tx.app.Clipboard()})
	m.tx.q.until(t, what, cond)
}

// M is a picture's marker in the message box's text.
const M = string(objectMarker)

func TestComposerPastesPictures(t *testing.T) {
	m, clip := pasteSetup(t)
	c := m.win.compose
	e := c.entry
	count := func(n int) func() bool { return func() bool { return len(c.images) == n } }
	// sent checks what would go out: the text without markers, and the pictures' byte offsets.
	sent := func(what, text string, at ...int) []transfer.InlineImage {
		t.Helper()
		got, images := c.message()
		var gotAt []int
		for _, p := range images {
			gotAt = append(gotAt, p.At)
		}
		if got != text || !slices.Equal(gotAt, at) || len(images) != len(c.images) {
			t.Errorf("%s: would send %q with pictures at %v (%d in the strip); want %q at %v", what, got, gotAt, len(c.images), text, at)
		}
		return images
	}

	// A picture at the cursor, between a and b: a marker in the text, the cursor after it.
	test.Type(e, "ab")
	e.CursorRow, e.CursorColumn = 0, 1
	first := shadePNG(t, 640, 480, 10)
	clip.set(first)
	m.paste(t, "the first picture", count(1))
	if e.Text != "a"+M+"b" || e.CursorTextOffset() != 2 {
		t.Fatalf("text %q, cursor at %d", e.Text, e.CursorTextOffset())
	}
	if got := sent("one picture", "ab", 1); !bytes.Equal(got[0].PNG, first) {
		t.Error("not the pasted picture")
	}
	if !c.thumbScroll.Visible() || len(c.thumbs.Objects) != 1 || c.images[0].number.Text != "1" {
		t.Errorf("thumbnail strip: visible %v, %d tiles, number %q", c.thumbScroll.Visible(), len(c.thumbs.Objects), c.images[0].number.Text)
	}

	// No picture on the clipboard: its text is pasted, after the picture.
	clip.set(nil)
	m.tx.app.Clipboard().SetContent("XY")
	m.paste(t, "the pasted text", func() bool { return e.Text == "a"+M+"XYb" })
	sent("text pasted after the picture", "aXYb", 1)

	// Typing before the picture moves it; Japanese counts in bytes. Typing after it leaves it alone.
	e.CursorRow, e.CursorColumn = 0, 0
	test.Type(e, "日本")
	sent("typed before", "日本aXYb", len("日本a"))
	e.CursorRow, e.CursorColumn = 0, 7
	test.Type(e, "!")
	sent("typed after", "日本aXYb!", len("日本a"))

	// Backspace over the marker deletes the picture; undo does not bring back a marker without one.
	e.CursorRow, e.CursorColumn = 0, 4
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	sent("marker deleted", "日本aXYb!")
	if c.thumbScroll.Visible() || len(c.thumbs.Objects) != 0 {
		t.Errorf("strip after the marker went: visible %v, %d tiles", c.thumbScroll.Visible(), len(c.thumbs.Objects))
	}
	e.Undo()
	if e.Text != "日本aXYb!" || len(c.images) != 0 {
		t.Errorf("undo: text %q, %d pictures", e.Text, len(c.images))
	}
	// Nor does text with markers pasted as text (from a copy of the message box).
	m.tx.app.Clipboard().SetContent("<" + M + ">")
	e.CursorRow, e.CursorColumn = 0, 3
	m.paste(t, "text with a marker pasted", func() bool { return strings.Contains(e.Text, "<>") })
	if e.Text != "日本a<>XYb!" || e.CursorTextOffset() != 5 || len(c.images) != 0 {
		t.Errorf("pasted a marker as text: text %q, cursor %d, %d pictures", e.Text, e.CursorTextOffset(), len(c.images))
	}

	// Three pictures: in the middle, at the end, at the start; kept in text order.
	e.SetText("日本b!")
	e.CursorRow, e.CursorColumn = 0, 2
	clip.set(first)
	m.paste(t, "the picture in the middle", count(1))
	e.CursorRow, e.CursorColumn = 0, 5
	second := shadePNG(t, 32, 32, 20)
	clip.set(second)
	m.paste(t, "the picture at the end", count(2))
	e.CursorRow, e.CursorColumn = 0, 0
	third := shadePNG(t, 16, 16, 30)
	clip.set(third)
	m.paste(t, "the picture at the start", count(3))
	if e.Text != M+"日本"+M+"b!"+M {
		t.Errorf("three markers: %q", e.Text)
	}
	got := sent("three pictures", "日本b!", 0, len("日本"), len("日本b!"))
	if !bytes.Equal(got[0].PNG, third) || !bytes.Equal(got[1].PNG, first) || !bytes.Equal(got[2].PNG, second) {
		t.Error("three pictures out of order")
	}
	// The remove button takes one out, with its marker; the others are numbered anew.
	test.Tap(c.images[0].remove)
	if got := sent("the first removed", "日本b!", len("日本"), len("日本b!")); !bytes.Equal(got[0].PNG, first) ||
		e.Text != "日本"+M+"b!"+M || len(c.thumbs.Objects) != 2 || c.images[1].number.Text != "2" {
		t.Errorf("after removing the first: text %q, %d tiles", e.Text, len(c.thumbs.Objects))
	}

	// Two pasted in a row sit side by side in paste order; Delete on the first takes that one.
	e.CursorRow, e.CursorColumn = 0, 0
	m.paste(t, "a picture", count(3))
	clip.set(first)
	m.paste(t, "another picture", count(4))
	if got := sent("side by side", "日本b!", 0, 0, len("日本"), len("日本b!")); !bytes.Equal(got[0].PNG, third) || !bytes.Equal(got[1].PNG, first) {
		t.Error("side by side: out of order")
	}
	e.CursorRow, e.CursorColumn = 0, 0
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if got := sent("the first of two deleted", "日本b!", 0, len("日本"), len("日本b!")); !bytes.Equal(got[0].PNG, first) {
		t.Error("Delete took the second of two pictures side by side")
	}

	// Not a PNG, and too large: refused with a reason.
	clip.set([]byte("GIF89a not really"))
	m.paste(t, "the refusal of a GIF", func() bool { return c.status.Text != "" })
	if c.status.Text != "That is not a PNG picture." || len(c.images) != 3 || strings.Count(e.Text, M) != 3 {
		t.Errorf("GIF pasted: status %q, %d pictures, text %q", c.status.Text, len(c.images), e.Text)
	}
	c.status.SetText("")
	huge := append(shadePNG(t, 8, 8, 1), make([]byte, transfer.MaxInlineImageSize)...)
	clip.set(huge)
	m.paste(t, "the refusal of a huge picture", func() bool { return c.status.Text != "" })
	if c.status.Text != "The picture is larger than 10 MB." || len(c.images) != 3 {
		t.Errorf("huge picture pasted: status %q, %d pictures", c.status.Text, len(c.images))
	}

	// Ten at most.
	c.status.SetText("")
	clip.set(shadePNG(t, 8, 8, 40))
	for n := 4; n <= transfer.MaxInlineImages; n++ {
		m.paste(t, "another picture", count(n))
	}
	m.paste(t, "the refusal of an 11th picture", func() bool { return c.status.Text != "" })
	if c.status.Text != "A message can hold at most 10 pictures." || len(c.images) != transfer.MaxInlineImages ||
		strings.Count(e.Text, M) != transfer.MaxInlineImages {
		t.Errorf("11th picture: status %q, %d pictures", c.status.Text, len(c.images))
	}

	// A selection is replaced by the picture, as by typed text; cutting a marker takes its picture.
	c.clear()
	if e.Text != "" || len(c.images) != 0 || c.thumbScroll.Visible() {
		t.Errorf("not cleared: text %q, %d pictures", e.Text, len(c.images))
	}
	test.Type(e, "keep this out")
	selectRight := func(col, n int) {
		e.CursorRow, e.CursorColumn = 0, col
		e.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
		for range n {
			e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
		}
		e.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	}
	selectRight(5, 5)
	if e.SelectedText() != "this " {
		t.Fatalf("selected %q", e.SelectedText())
	}
	clip.set(first)
	m.paste(t, "the picture over the selection", count(1))
	sent("picture over a selection", "keep out", 5)

	// Typing on while the clipboard is read: the picture goes where Ctrl+V was pressed, the cursor
	// stays after the typing.
	e.CursorRow, e.CursorColumn = 0, 9
	e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: m.tx.app.Clipboard()})
	test.Type(e, "!!")
	m.tx.q.until(t, "the picture pasted before typing", count(2))
	sent("typed during the paste", "keep out!!", 5, 8)
	if e.Text != "keep "+M+"out"+M+"!!" || e.CursorTextOffset() != 12 || len(c.marks) != 0 {
		t.Errorf("typed during the paste: text %q, cursor %d, %d marks left", e.Text, e.CursorTextOffset(), len(c.marks))
	}

	selectRight(4, 3) // " ￼o"
	e.TypedShortcut(&fyne.ShortcutCut{Clipboard: m.tx.app.Clipboard()})
	if got := sent("cut a marker", "keeput!!", 6); !bytes.Equal(got[0].PNG, first) || len(c.thumbs.Objects) != 1 {
		t.Errorf("cut: %d tiles", len(c.thumbs.Objects))
	}
}

// PNGs dropped on the message box go into the text; elsewhere, or other files, are attachments; a
// PNG too large to go inline is attached.
func TestComposerDropPictures(t *testing.T) {
	m, _ := pasteSetup(t)
	c := m.win.compose
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shot := write("スクリーンショット.PNG", shadePNG(t, 100, 60, 5))
	note := write("note.txt", []byte("not a picture"))
	fake := write("fake.png", []byte("no PNG inside"))
	test.Type(c.entry, "before after")
	c.entry.CursorRow, c.entry.CursorColumn = 0, 7
	d := fyne.CurrentApp().Driver()
	onBox := d.AbsolutePositionForObject(c.entry).Add(fyne.NewPos(c.entry.Size().Width/2, c.entry.Size().Height/2))

	m.win.onDropped(onBox, []fyne.URI{storage.NewFileURI(shot), storage.NewFileURI(note), storage.NewFileURI(fake)})
	m.tx.q.until(t, "the dropped picture in the text", func() bool { return len(c.images) == 1 && len(c.attachments) == 2 })
	if _, got := c.message(); got[0].At != 7 || c.attachments[0] != note || c.attachments[1] != fake ||
		c.status.Text != "fake.png is attached as a file: That is not a PNG picture." {
		t.Errorf("picture at %d, attachments %v, status %q", got[0].At, c.attachments, c.status.Text)
	}
	// The picture strip is part of the box.
	strip := d.AbsolutePositionForObject(c.thumbScroll).Add(fyne.NewPos(5, 5))
	m.win.onDropped(strip, []fyne.URI{storage.NewFileURI(shot)})
	m.tx.q.until(t, "the second dropped picture", func() bool { return len(c.images) == 2 })

	// Dropped elsewhere: an attachment like any file.
	c.detach(shot)
	m.win.onDropped(fyne.NewPos(-50, -50), []fyne.URI{storage.NewFileURI(shot)})
	if len(c.images) != 2 || len(c.attachments) != 3 || c.attachments[2] != shot {
		t.Errorf("dropped outside the box: %d pictures, attachments %v", len(c.images), c.attachments)
	}
	// Over 10 MB: attached, with the reason.
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(big, shadePNG(t, 4, 4, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, transfer.MaxInlineImageSize+1); err != nil {
		t.Fatal(err)
	}
	m.win.onDropped(onBox, []fyne.URI{storage.NewFileURI(big)})
	m.tx.q.until(t, "the big picture attached", func() bool { return len(c.attachments) == 4 })
	if len(c.images) != 2 || c.status.Text != "big.png is attached as a file: The picture is larger than 10 MB." {
		t.Errorf("big picture: %d pictures, status %q", len(c.images), c.status.Text)
	}
}

// rawPeer is a bare node (no session) on ip that tells dest about itself and records messages; with
// inline it advertises CLIPBOARDOPT, as a client that shows pictures in messages.
type rawPeer struct {
	node    *protocol.Node
	fetcher *transfer.Fetcher
	got     chan *protocol.Message
}

func startRawPeer(t *testing.T, ip string, port int, nick string, inline bool, dest string) *rawPeer {
	t.Helper()
	cfg := protocol.DefaultConfig()
	cfg.User, cfg.Host, cfg.Nick = "raw"+ip, "h"+ip, nick
	cfg.Port, cfg.BindAddr = port, ip
	cfg.NoBroadcast, cfg.Destinations, cfg.EntryRepeat = true, []string{dest}, 0
	cfg.AnswerDelayMax = 20 * time.Millisecond
	cfg.SendInterval, cfg.ReadInterval = 100*time.Millisecond, 100*time.Millisecond
	cfg.Keys = testKeys()
	cfg.Files, cfg.InlineImages = transfer.NewServer(transfer.ServerConfig{}), inline
	node, err := protocol.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPeer{node: node, fetcher: &transfer.Fetcher{Node: node, Dir: t.TempDir()}, got: make(chan *protocol.Message, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan protocol.Event, 64)
	var wg sync.WaitGroup
	wg.Go(func() { node.Run(ctx, events) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-events:
				if ev.Kind == protocol.EventMessage {
					p.got <- ev.Message
				}
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return p
}

func (p *rawPeer) message(t *testing.T) *protocol.Message {
	t.Helper()
	select {
	case m := <-p.got:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10 s")
		return nil
	}
}

// Pictures go out in place: to a peer that shows them (CLIPBOARDOPT) as clipboard attachments at their
// offsets, to one that does not as image-1.png, image-2.png; both fetch the very bytes pasted.
func TestMainWindowSendsPictures(t *testing.T) {
	m, clip := pasteSetup(t)
	w, c := m.win, m.win.compose
	inline := startRawPeer(t, "127.0.0.4", m.port, "inline", true, "127.0.0.2")
	plain := startRawPeer(t, "127.0.0.5", m.port, "plain", false, "127.0.0.2")
	m.tx.q.until(t, "both raw peers in the table", func() bool { return m.rowOf("inline") >= 0 && m.rowOf("plain") >= 0 })
	w.hosts.table.Select(widget.TableCellID{Row: m.rowOf("inline"), Col: colNick})
	w.hosts.table.Select(widget.TableCellID{Row: m.rowOf("plain"), Col: colNick})

	text := "見て: the chart, then the table"
	test.Type(c.entry, text)
	pngs := [][]byte{shadePNG(t, 300, 200, 50), shadePNG(t, 120, 90, 60)}
	cols := []int{4, len([]rune(text)) + 1} // after "見て: ", and at the end (after the first marker)
	for i, col := range cols {
		c.entry.CursorRow, c.entry.CursorColumn = 0, col
		clip.set(pngs[i])
		m.paste(t, "a picture", func() bool { return len(c.images) == i+1 })
	}
	wantAt := []int{len("見て: "), len(text)}
	w.onSend()
	m.tx.q.until(t, "the delivery report", func() bool { return strings.HasPrefix(c.status.Text, "Delivered to 2 of 2") })
	if len(c.images) != 0 || c.thumbScroll.Visible() || c.entry.Text != "" {
		t.Errorf("not cleared after delivery: %d pictures, text %q", len(c.images), c.entry.Text)
	}

	ctx := context.Background()
	msg := inline.message(t)
	files, err := transfer.ParseFileList(msg.Files)
	placed := transfer.PlaceImages(msg.Text, files)
	if err != nil || msg.Text != text || len(placed) != 2 {
		t.Fatalf("at the CLIPBOARDOPT peer: text %q, files %q (%v), %d placed", msg.Text, msg.Files, err, len(placed))
	}
	for i, p := range placed {
		b, err := inline.fetcher.FetchImage(ctx, msg, p.File)
		if p.At != wantAt[i] || err != nil || !bytes.Equal(b, pngs[i]) {
			t.Errorf("picture %d placed at %d (want %d), fetched %d bytes: %v", i+1, p.At, wantAt[i], len(b), err)
		}
	}

	msg = plain.message(t)
	files, err = transfer.ParseFileList(msg.Files)
	if err != nil || msg.Text != text || len(files) != 2 || len(transfer.PlaceImages(msg.Text, files)) != 0 {
		t.Fatalf("at the plain peer: text %q, files %q (%v)", msg.Text, msg.Files, err)
	}
	for i, f := range files {
		b, err := plain.fetcher.FetchImage(ctx, msg, f)
		if want := "image-" + itoa(i+1) + ".png"; f.Name != want || f.Type() != transfer.TypeRegular || err != nil || !bytes.Equal(b, pngs[i]) {
			t.Errorf("file %d: %q type %v, want %s; fetched %d bytes: %v", i+1, f.Name, f.Type(), want, len(b), err)
		}
	}
}

// Only a picture, no text: that is something to send. Ctrl+Enter pressed while the clipboard is
// still being read sends once the picture is in.
func TestMainWindowSendsPictureAlone(t *testing.T) {
	m, clip := pasteSetup(t)
	w := m.win
	w.hosts.table.Select(widget.TableCellID{Row: m.rowOf("受信者"), Col: colNick})
	clip.set(shadePNG(t, 10, 10, 70))
	w.compose.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: m.tx.app.Clipboard()})
	w.compose.entry.TypedShortcut(ctrlEnter)
	if w.sending || w.compose.status.Text != "" {
		t.Errorf("sent before the paste was done: status %q", w.compose.status.Text)
	}
	m.tx.q.until(t, "the delivery report", func() bool { return strings.HasPrefix(w.compose.status.Text, "Delivered") })
	m.rx.q.until(t, "the message at the peer", func() bool { return len(m.got) == 1 })
	files, err := transfer.ParseFileList(m.got[0].Files)
	if err != nil || m.got[0].Text != "" || len(files) != 1 || !strings.HasSuffix(files[0].Name, ".png") {
		t.Errorf("peer got text %q, files %q", m.got[0].Text, m.got[0].Files)
	}
}

func TestEditSpan(t *testing.T) {
	for _, c := range []struct {
		old, now              string
		start, oldEnd, newEnd int
	}{
		{"ab", "aXb", 1, 1, 2},
		{"ab", "b", 0, 1, 0},
		{"", "abc", 0, 0, 3},
		{"aaa", "aa", 2, 3, 2},
		{"あい", "あう", 3, 6, 6}, // い and う share their first two bytes: the edit starts at the rune
		{"日本", "日本", 6, 6, 6},
	} {
		s, o, n := editSpan(c.old, c.now)
		if s != c.start || o != c.oldEnd || n != c.newEnd {
			t.Errorf("editSpan(%q, %q) = %d, %d, %d; want %d, %d, %d", c.old, c.now, s, o, n, c.start, c.oldEnd, c.newEnd)
		}
	}
}
