package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
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

func TestComposerPastesPictures(t *testing.T) {
	m, clip := pasteSetup(t)
	c := m.win.compose
	e := c.entry
	count := func(n int) func() bool { return func() bool { return len(c.images) == n } }

	// A picture at the cursor, between a and b.
	test.Type(e, "ab")
	e.CursorRow, e.CursorColumn = 0, 1
	first := shadePNG(t, 640, 480, 10)
	clip.set(first)
	m.paste(t, "the first picture", count(1))
	if c.images[0].At != 1 || !bytes.Equal(c.images[0].PNG, first) || e.Text != "ab" {
		t.Fatalf("picture at %d, text %q", c.images[0].At, e.Text)
	}
	if !c.thumbScroll.Visible() || len(c.thumbs.Objects) != 1 || c.images[0].marker.Text != "1: a|b" {
		t.Errorf("thumbnail strip: visible %v, %d tiles, marker %q", c.thumbScroll.Visible(), len(c.thumbs.Objects), c.images[0].marker.Text)
	}

	// No picture on the clipboard: its text is pasted, after the picture (the cursor did not move).
	clip.set(nil)
	m.tx.app.Clipboard().SetContent("XY")
	m.paste(t, "the pasted text", func() bool { return e.Text == "aXYb" })
	if c.images[0].At != 1 {
		t.Errorf("after pasting text at the picture: at %d", c.images[0].At)
	}

	// Typing before the picture moves it; Japanese counts in bytes.
	e.CursorRow, e.CursorColumn = 0, 0
	test.Type(e, "日本")
	if want := len("日本a"); e.Text != "日本aXYb" || c.images[0].At != want {
		t.Errorf("text %q, picture at %d, want %d", e.Text, c.images[0].At, want)
	}
	// Typing after it leaves it alone.
	e.CursorRow, e.CursorColumn = 0, 6
	test.Type(e, "!")
	if c.images[0].At != len("日本a") {
		t.Errorf("typing after the picture moved it to %d", c.images[0].At)
	}
	// Deleting text around it brings it to where the text was.
	e.SetText("日本b!")
	if c.images[0].At != len("日本") || c.images[0].marker.Text != "1: 日本|b!" {
		t.Errorf("after deleting around the picture: at %d, marker %q", c.images[0].At, c.images[0].marker.Text)
	}

	// A second picture at the end, a third at the start: kept in text order.
	e.CursorRow, e.CursorColumn = 0, 4
	second := shadePNG(t, 32, 32, 20)
	clip.set(second)
	m.paste(t, "the second picture", count(2))
	e.CursorRow, e.CursorColumn = 0, 0
	third := shadePNG(t, 16, 16, 30)
	clip.set(third)
	m.paste(t, "the third picture", count(3))
	got := c.inlineImages()
	if got[0].At != 0 || !bytes.Equal(got[0].PNG, third) || got[1].At != len("日本") || got[2].At != len(e.Text) ||
		!bytes.Equal(got[2].PNG, second) {
		t.Errorf("three pictures: %v %v %v", got[0].At, got[1].At, got[2].At)
	}
	// The remove button takes one out.
	test.Tap(c.images[0].remove)
	if len(c.images) != 2 || !bytes.Equal(c.images[0].PNG, first) || len(c.thumbs.Objects) != 2 ||
		!strings.HasPrefix(c.images[1].marker.Text, "2: ") {
		t.Errorf("after removing the first: %d pictures, %d tiles", len(c.images), len(c.thumbs.Objects))
	}

	// Not a PNG, and too large: refused with a reason.
	clip.set([]byte("GIF89a not really"))
	m.paste(t, "the refusal of a GIF", func() bool { return c.status.Text != "" })
	if c.status.Text != "That is not a PNG picture." || len(c.images) != 2 {
		t.Errorf("GIF pasted: status %q, %d pictures", c.status.Text, len(c.images))
	}
	c.status.SetText("")
	huge := append(shadePNG(t, 8, 8, 1), make([]byte, transfer.MaxInlineImageSize)...)
	clip.set(huge)
	m.paste(t, "the refusal of a huge picture", func() bool { return c.status.Text != "" })
	if c.status.Text != "The picture is larger than 10 MB." || len(c.images) != 2 {
		t.Errorf("huge picture pasted: status %q, %d pictures", c.status.Text, len(c.images))
	}

	// Ten at most.
	c.status.SetText("")
	clip.set(shadePNG(t, 8, 8, 40))
	for n := 3; n <= transfer.MaxInlineImages; n++ {
		m.paste(t, "another picture", count(n))
	}
	m.paste(t, "the refusal of an 11th picture", func() bool { return c.status.Text != "" })
	if c.status.Text != "A message can hold at most 10 pictures." || len(c.images) != transfer.MaxInlineImages {
		t.Errorf("11th picture: status %q, %d pictures", c.status.Text, len(c.images))
	}

	// A selection is replaced by the picture, as by typed text.
	c.clear()
	test.Type(e, "keep this out")
	e.CursorRow, e.CursorColumn = 0, 5
	e.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	for range 5 {
		e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	}
	e.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if e.SelectedText() != "this " {
		t.Fatalf("selected %q", e.SelectedText())
	}
	clip.set(first)
	m.paste(t, "the picture over the selection", count(1))
	if e.Text != "keep out" || c.images[0].At != 5 {
		t.Errorf("picture over a selection: text %q, at %d", e.Text, c.images[0].At)
	}

	// Typing on while the clipboard is read: the picture goes where Ctrl+V was pressed.
	e.CursorRow, e.CursorColumn = 0, 8
	e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: m.tx.app.Clipboard()})
	test.Type(e, "!!")
	m.tx.q.until(t, "the picture pasted before typing", count(2))
	if e.Text != "keep out!!" || c.images[1].At != 8 || len(c.marks) != 0 {
		t.Errorf("typed during the paste: text %q, at %d, %d marks left", e.Text, c.images[1].At, len(c.marks))
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
	if c.images[0].At != 7 || c.attachments[0] != note || c.attachments[1] != fake ||
		c.status.Text != "fake.png is attached as a file: That is not a PNG picture." {
		t.Errorf("picture at %d, attachments %v, status %q", c.images[0].At, c.attachments, c.status.Text)
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
	cols := []int{4, len([]rune(text))} // after "見て: ", and at the end
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
