package ui

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"hato/protocol"
	"hato/protocol/wire"
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

// shownText is the text the window shows, its segments joined; "" while sealed.
func shownText(w *recvWindow) string {
	if w.view == nil {
		return ""
	}
	var b strings.Builder
	for _, l := range w.view.texts {
		b.WriteString(l.Text)
	}
	return b.String()
}

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
	if len(w.view.texts) != 1 || w.view.texts[0].Text != text || !w.view.texts[0].Selectable || len(w.view.images) != 0 {
		t.Errorf("text %q, want %q in one selectable label", shownText(w), text)
	}
	var links []string
	for _, l := range w.view.links {
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
	if !m.Sealed || shownText(w) != "" || w.opened || w.openButton == nil {
		t.Fatalf("sealed message shows %q (sealed %v)", shownText(w), m.Sealed)
	}
	test.Tap(w.openButton)
	if shownText(w) != "秘密のメッセージ" {
		t.Errorf("opened text %q", shownText(w))
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
	if w.opened || shownText(w) != "" {
		t.Fatalf("a wrong password opened the message: %q", shownText(w))
	}
	if w.window.Canvas().Overlays().Top() == nil {
		t.Error("no error shown for the wrong password")
	}

	test.Tap(w.openButton)
	test.Type(w.password, "pw")
	w.passwordDialog.Submit()
	if !w.opened || shownText(w) != "鍵付き" {
		t.Fatalf("the right password did not open it: %q", shownText(w))
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
	// The window says how the data came once an event tells it, which may be after the fetch's result.
	p.rx.q.until(t, "every attachment saved", func() bool {
		if progress == 0 {
			return false
		}
		for _, r := range w.files {
			if r.state != fetchSaved || !r.told {
				return false
			}
		}
		return true
	})
	for _, r := range w.files {
		// Both test sessions have keys: the files come encrypted, and the window says so.
		if r.progress.Value != 1 || !strings.HasPrefix(r.status.Text, "Saved to "+p.rx.set.DownloadDir) ||
			!strings.HasSuffix(r.status.Text, ", sent encrypted") {
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

// newImagePair is a pair whose receiver shows inline images (the app's sessions advertise CLIPBOARDOPT).
func newImagePair(t *testing.T) *pair {
	t.Helper()
	p := newPair(t, nil, nil)
	if !p.tx.h.Node().Lookup(p.peers[0]).Caps.Has(wire.ClipboardOpt) {
		t.Fatal("the receiving session does not advertise CLIPBOARDOPT")
	}
	return p
}

// sendImages sends text with pictures (and files) from tx and returns the message as rx got it.
func (p *pair) sendImages(t *testing.T, text string, opt protocol.SendOptions, paths []string, images []transfer.InlineImage) *protocol.Message {
	t.Helper()
	var r *sent
	p.tx.send(p.peers, text, opt, paths, images, func(s sent) { r = &s })
	p.tx.q.until(t, "the send's outcome", func() bool { return r != nil })
	if r.Err != nil || r.Deliveries[0].Err != nil {
		t.Fatalf("send: %+v", r)
	}
	return p.rxMessage(t, r.Packet)
}

// offerRaw offers sources from tx's file server as they are, unchecked, as a hostile sender would, and
// returns the message as rx got it.
func (p *pair) offerRaw(t *testing.T, packet uint32, text string, sources []transfer.Source) *protocol.Message {
	t.Helper()
	p.tx.h.Files().Offer(packet, p.peers, sources)
	_, deliveries, err := p.tx.h.Node().Send(t.Context(), p.peers, text, protocol.SendOptions{Packet: packet, Files: transfer.FileList(sources)})
	if err != nil || deliveries[0].Err != nil {
		t.Fatalf("send: %v %+v", err, deliveries)
	}
	return p.rxMessage(t, packet)
}

func (p *pair) rxMessage(t *testing.T, packet uint32) *protocol.Message {
	t.Helper()
	var m *protocol.Message
	p.rx.q.until(t, "the message at rx", func() bool {
		for _, g := range p.rxGot {
			if g.Packet == packet {
				m = g
			}
		}
		return m != nil
	})
	return m
}

// txCount is how many transfer events of kind tx's server reported for packet.
func (p *pair) txCount(kind transfer.EventKind, packet uint32) int {
	n := 0
	for _, ev := range p.txXfer {
		if ev.Kind == kind && ev.Packet == packet {
			n++
		}
	}
	return n
}

// testPNG is a w×h PNG of noise (so that it does not compress to nothing).
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rand.Read(img.Pix)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// settled waits until no picture of w is loading.
func settled(t *testing.T, p *pair, w *recvWindow) {
	t.Helper()
	p.rx.q.until(t, "every picture fetched or failed", func() bool {
		for _, img := range w.view.images {
			if img.state == imageLoading {
				return false
			}
		}
		return true
	})
}

// describeParts is the window's text and pictures in order: "text ...", "image WxH", "failed: ...".
func describeParts(w *recvWindow) []string {
	var out []string
	for _, part := range w.view.parts {
		switch {
		case part.text != nil:
			out = append(out, "text "+part.text.Text)
		case part.image.state == imageShown:
			b := part.image.view.image.Image.Bounds()
			out = append(out, fmt.Sprintf("image %dx%d", b.Dx(), b.Dy()))
		case part.image.state == imageFailed:
			out = append(out, "failed: "+part.image.status.Text)
		default:
			out = append(out, "loading: "+part.image.status.Text)
		}
	}
	return out
}

func TestRecvWindowInlineImages(t *testing.T) {
	p := newImagePair(t)
	png1, png2 := testPNG(t, 40, 30), testPNG(t, 500, 300)
	memo := filepath.Join(t.TempDir(), "メモ.txt")
	os.WriteFile(memo, []byte("memo"), 0o644)
	text := "見てそれから以上"
	m := p.sendImages(t, text, protocol.SendOptions{}, []string{memo},
		[]transfer.InlineImage{{At: len("見て"), PNG: png1}, {At: len("見てそれから"), PNG: png2}})
	var quote string
	w := newRecvWindow(p.rx.session, m, func(_ protocol.Host, q string) { quote = q })

	// Nothing has come back yet: placeholders.
	want := []string{"text 見て", "loading: Loading image…", "text それから", "loading: Loading image…", "text 以上"}
	if got := describeParts(w); !slices.Equal(got, want) {
		t.Fatalf("before the fetches: %q, want %q", got, want)
	}
	settled(t, p, w)
	want = []string{"text 見て", "image 40x30", "text それから", "image 500x300", "text 以上"}
	if got := describeParts(w); !slices.Equal(got, want) {
		t.Fatalf("parts %q, want %q", got, want)
	}
	if got := w.view.images[1].view.MinSize(); got != fyne.NewSize(360, 216) {
		t.Errorf("the 500x300 picture is drawn %v, want it scaled into 360x240", got)
	}
	if got := w.view.images[0].view.MinSize(); got != fyne.NewSize(40, 30) {
		t.Errorf("the 40x30 picture is drawn %v, want its own size", got)
	}
	if len(w.files) != 1 || w.files[0].file.Name != "メモ.txt" || w.skipped != 0 {
		t.Errorf("%d attachment rows (%d skipped), want only メモ.txt", len(w.files), w.skipped)
	}
	if n := p.txCount(transfer.EventServed, m.Packet); n > 2 {
		t.Errorf("tx served %d files, want the 2 pictures at most", n)
	}

	// A click shows the picture full size; its save writes the bytes as fetched.
	first := w.view.images[0]
	test.Tap(first.view)
	full := first.full
	if full == nil || full.image.Image.Bounds().Dx() != 40 || full.window.Title() != "Image from n127.0.0.2" {
		t.Fatalf("no full-size window after a click: %+v", full)
	}
	test.Tap(first.view)
	if first.full != full {
		t.Error("a second click opened another window")
	}
	copyPath := filepath.Join(t.TempDir(), "copy.png")
	if err := full.saveTo(copyPath); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(copyPath); sha256.Sum256(b) != sha256.Sum256(png1) {
		t.Errorf("saved %d bytes that differ from the %d sent", len(b), len(png1))
	}
	// The dialog's answer goes the same way, on a goroutine.
	picked := filepath.Join(t.TempDir(), "picked.png")
	wc, err := storage.Writer(storage.NewFileURI(picked))
	if err != nil {
		t.Fatal(err)
	}
	full.onSavePicked(wc, nil)
	p.rx.q.until(t, "the picked file saved", func() bool { return strings.HasPrefix(full.status.Text, "Saved to ") })
	if b, _ := os.ReadFile(picked); !bytes.Equal(b, png1) {
		t.Errorf("the dialog's file holds %d bytes, not the %d sent", len(b), len(png1))
	}
	test.Tap(full.save)
	p.rx.q.until(t, "the picture in the download folder", func() bool {
		return full.status.Text == "Saved to "+filepath.Join(p.rx.set.DownloadDir, first.place.File.Name)
	})
	if b, _ := os.ReadFile(filepath.Join(p.rx.set.DownloadDir, first.place.File.Name)); !bytes.Equal(b, png1) {
		t.Errorf("the downloaded picture holds %d bytes, not the %d sent", len(b), len(png1))
	}
	test.Tap(full.saveAs)
	if full.window.Canvas().Overlays().Top() == nil {
		t.Error("Save image… shows no dialog")
	}
	full.window.Close()
	if first.full != nil {
		t.Error("the closed full-size window is still remembered")
	}

	// The reply quotes the text only.
	test.Tap(w.replyBtn)
	if quote != "> "+text {
		t.Errorf("quote %q", quote)
	}

	// Save all fetches only the plain file; with it saved and the pictures shown, closing releases nothing.
	test.Tap(w.saveAll)
	p.rx.q.until(t, "メモ.txt saved", func() bool { return w.files[0].state == fetchSaved })
	if _, err := os.Stat(filepath.Join(p.rx.set.DownloadDir, "メモ.txt")); err != nil {
		t.Error(err)
	}
	w.window.Close()

	// Pictures only, all shown: no RELEASEFILES either. A later offer closed unsaved is released, so by
	// the time tx hears that one, it would have heard the others.
	m2 := p.sendImages(t, "画像だけ", protocol.SendOptions{}, nil, []transfer.InlineImage{{At: 0, PNG: png2}})
	w2 := newRecvWindow(p.rx.session, m2, noReply)
	settled(t, p, w2)
	if got := describeParts(w2); !slices.Equal(got, []string{"image 500x300", "text 画像だけ"}) || w2.saveAll != nil {
		t.Errorf("pictures only: %q (Save all %v)", got, w2.saveAll != nil)
	}
	w2.window.Close()
	m3 := p.send(t, "", protocol.SendOptions{}, memo)
	w3 := newRecvWindow(p.rx.session, m3, noReply)
	w3.window.Close()
	p.tx.q.until(t, "EventReleased", func() bool { return p.txCount(transfer.EventReleased, m3.Packet) == 1 })
	for _, packet := range []uint32{m.Packet, m2.Packet} {
		if p.txCount(transfer.EventReleased, packet) != 0 {
			t.Errorf("offer %d released though everything in it was fetched", packet)
		}
	}
}

// A sealed message's pictures are fetched when it is opened, not before.
func TestRecvWindowInlineImagesSealed(t *testing.T) {
	p := newImagePair(t)
	m := p.sendImages(t, "封書", protocol.SendOptions{Sealed: true}, nil, []transfer.InlineImage{{At: len("封書"), PNG: testPNG(t, 8, 8)}})
	w := newRecvWindow(p.rx.session, m, noReply)
	defer w.window.Close()
	if w.view != nil {
		t.Fatal("a sealed message shows its text")
	}
	test.Tap(w.openButton)
	settled(t, p, w)
	if got := describeParts(w); !slices.Equal(got, []string{"text 封書", "image 8x8"}) {
		t.Errorf("opened: %q", got)
	}
	if got := w.view.images[0].view.MinSize(); got != fyne.NewSquareSize(minInline) {
		t.Errorf("an 8x8 picture is drawn %v, want at least %v", got, minInline)
	}
}

// hugeCanvas is a valid PNG whose header claims 100000×100000 pixels.
func hugeCanvas(t *testing.T) []byte {
	b := testPNG(t, 1, 1)
	binary.BigEndian.PutUint32(b[16:], 100000)
	binary.BigEndian.PutUint32(b[20:], 100000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// corruptData is a PNG with a sane header whose image data is broken: it passes the checks before
// decoding, and fails in it.
func corruptData(t *testing.T) []byte {
	b := testPNG(t, 64, 64)
	i := bytes.Index(b, []byte("IDAT"))
	for j := i + 20; j < i+60; j++ {
		b[j] ^= 0x5a
	}
	return b
}

// A hostile sender: pictures that are not PNGs, cut short, huge or broken, and a hundred of them.
// Each gets a placeholder with the reason, at most ten are fetched, and nothing hangs.
func TestRecvWindowHostileImages(t *testing.T) {
	p := newImagePair(t)
	start := time.Now()
	packet := p.tx.h.Node().NextPacketNo()
	clip := func(id uint64, size int64, data []byte) transfer.Source {
		return transfer.Source{File: transfer.File{ID: id, Name: transfer.ClipboardName(packet, int(id)), Size: size,
			Attr: transfer.TypeClipboard, Ext: []transfer.Ext{{Code: transfer.ExtClipboardPos, Value: strconv.FormatUint(id, 16)}}},
			Data: data}
	}
	good := testPNG(t, 20, 10)
	notPNG := []byte("GIF89a, not a PNG at all")
	canvas, corrupt := hugeCanvas(t), corruptData(t)
	if _, err := transfer.CheckPNG(corrupt); err != nil {
		t.Fatalf("the corrupt PNG fails the header check already: %v", err)
	}
	sources := []transfer.Source{
		clip(0, int64(len(notPNG)), notPNG),
		clip(1, int64(len(good)), good[:20]),  // cut short
		clip(2, 11<<20, good),                 // offered as too big
		clip(3, int64(len(canvas)), canvas),   // a huge canvas
		clip(4, int64(len(corrupt)), corrupt), // fails to decode
		clip(5, int64(len(good)), good),
	}
	m := p.offerRaw(t, packet, "壊れた画像", sources)
	w := newRecvWindow(p.rx.session, m, noReply)
	settled(t, p, w)
	got := describeParts(w)
	wantIn := []string{"no PNG signature", "of " + strconv.Itoa(len(good)) + " bytes arrived", "offered with 11534336 bytes",
		"100000x100000 pixels", "not a PNG image"}
	// Every position is 0 once the earlier pictures are counted (WIN's rule): all go before the text.
	if len(got) != 7 || got[5] != "image 20x10" || got[6] != "text 壊れた画像" {
		t.Fatalf("parts %q", got)
	}
	for i, want := range wantIn {
		if !strings.HasPrefix(got[i], "failed: Image not available: ") || !strings.Contains(got[i], want) {
			t.Errorf("picture %d: %q, want the reason %q", i, got[i], want)
		}
	}
	if len(w.files) != 0 || w.saveAll != nil {
		t.Errorf("%d attachment rows for pictures", len(w.files))
	}
	w.window.Close() // some pictures failed: the offer is released
	p.tx.q.until(t, "EventReleased", func() bool { return p.txCount(transfer.EventReleased, packet) == 1 })

	// A hundred pictures: ten are fetched and shown, the rest neither listed nor fetched.
	packet = p.tx.h.Node().NextPacketNo()
	sources = sources[:0]
	for id := range uint64(100) {
		sources = append(sources, clip(id, int64(len(good)), good))
	}
	m = p.offerRaw(t, packet, "たくさん", sources)
	w = newRecvWindow(p.rx.session, m, noReply)
	settled(t, p, w)
	shown := 0
	for _, part := range describeParts(w) {
		if part == "image 20x10" {
			shown++
		}
	}
	if len(w.view.images) != transfer.MaxInlineImages || shown != transfer.MaxInlineImages || w.skipped != 90 || len(w.files) != 0 {
		t.Errorf("%d pictures placed, %d shown, %d skipped, %d rows", len(w.view.images), shown, w.skipped, len(w.files))
	}
	p.tx.q.until(t, "ten pictures served", func() bool { return p.txCount(transfer.EventServed, packet) == transfer.MaxInlineImages })
	w.window.Close() // ninety never fetched: released
	p.tx.q.until(t, "EventReleased", func() bool { return p.txCount(transfer.EventReleased, packet) == 1 })
	if n := p.txCount(transfer.EventServed, packet); n != transfer.MaxInlineImages {
		t.Errorf("tx served %d pictures, want %d", n, transfer.MaxInlineImages)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("the hostile offers took %v", d)
	}
}

// With no download folder yet (no ~/Downloads), Save all asks for one once, keeps it, and saves there:
// nothing lands in the home folder unasked.
func TestReceiveWindowAsksForADownloadFolder(t *testing.T) {
	p := newPair(t, nil, func(s *settings) { s.DownloadDir = "" })
	src := filepath.Join(t.TempDir(), "a.txt")
	os.WriteFile(src, []byte("one"), 0o644)
	src2 := filepath.Join(filepath.Dir(src), "b.txt")
	os.WriteFile(src2, []byte("two"), 0o644)
	m := p.send(t, "files", protocol.SendOptions{}, src, src2)
	w := newRecvWindow(p.rx.session, m, noReply)
	t.Cleanup(w.window.Close)
	chosen, asked := t.TempDir(), 0
	w.chooseFolder = func(done func(string)) { asked++; done(chosen) }
	test.Tap(w.saveAll)
	p.rx.q.until(t, "both saved", func() bool { return w.files[0].state == fetchSaved && w.files[1].state == fetchSaved })
	if asked != 1 || p.rx.set.DownloadDir != chosen || p.rx.h.Settings().DownloadDir != chosen {
		t.Errorf("asked %d times; folder %q (Hato %q), want %q", asked, p.rx.set.DownloadDir, p.rx.h.Settings().DownloadDir, chosen)
	}
	for _, name := range []string{"a.txt", "b.txt"} {
		if _, err := os.Stat(filepath.Join(chosen, name)); err != nil {
			t.Errorf("%s not in the chosen folder: %v", name, err)
		}
	}
}
