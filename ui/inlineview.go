package ui

import (
	"context"
	"image"
	"math"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
	"hato/transfer"
)

// The largest an inline picture is drawn in the message (it fits the receive window's width); a click
// shows it full size. Tiny pictures are drawn at least minInline so that they can be seen and clicked.
const (
	maxInlineWidth  = 360
	maxInlineHeight = 240
	minInline       = 24
	// imageTimeout bounds one picture's fetch: at most 10 MB on a LAN, so a sender that stalls does not
	// keep the placeholder (and the connection) for the fetcher's two-minute idle limit per read.
	imageTimeout = time.Minute
)

// inlineView is a message's text with its pictures in place (the Windows client's pasted screenshots):
// text segments (selectable labels, each followed by its links) and pictures, in text order. The pictures
// are fetched into memory as soon as the view is made.
type inlineView struct {
	s      *session
	m      *protocol.Message
	onLink func(*url.URL)

	box    *fyne.Container // the parts, top to bottom
	parts  []inlinePart
	texts  []*widget.Label
	links  []*widget.Hyperlink
	images []*inlineImage

	cancel context.CancelFunc // stops the fetches when the window closes
	closed bool
}

// inlinePart is a text segment or a picture.
type inlinePart struct {
	text  *widget.Label
	image *inlineImage
}

type imageState int

const (
	imageLoading imageState = iota
	imageShown
	imageFailed
)

// inlineImage is one picture of the message: a placeholder until it arrives, then the picture.
type inlineImage struct {
	place  transfer.Placed
	state  imageState
	slot   *fyne.Container // shows status, then view
	status *widget.Label   // "Loading image…" or why there is no picture
	view   *tapImage
	png    []byte
	err    error
	full   *imageWindow // the full-size window while it is open
}

// newInlineView lays out m's text with the pictures images (from transfer.PlaceImages) and starts
// fetching them.
func newInlineView(s *session, m *protocol.Message, images []transfer.Placed, onLink func(*url.URL)) *inlineView {
	v := &inlineView{s: s, m: m, onLink: onLink, box: container.NewVBox()}
	at := make([]int, len(images))
	for i, p := range images {
		at[i] = p.At
	}
	for i, seg := range splitText(m.Text, at) {
		if len(images) == 0 || strings.TrimSpace(seg) != "" {
			v.addText(seg)
		}
		if i < len(images) {
			v.addImage(images[i])
		}
	}
	v.fetch()
	return v
}

// splitText cuts text at the byte offsets at (ascending, within text) into len(at)+1 segments. A picture
// is a block of its own, so one line break right before or after it is dropped.
func splitText(text string, at []int) []string {
	segs := make([]string, 0, len(at)+1)
	from := 0
	for _, a := range at {
		a = min(max(a, from), len(text))
		segs = append(segs, text[from:a])
		from = a
	}
	segs = append(segs, text[from:])
	for i := range segs {
		if i > 0 {
			segs[i] = trimOneBreak(segs[i], strings.CutPrefix)
		}
		if i < len(segs)-1 {
			segs[i] = trimOneBreak(segs[i], strings.CutSuffix)
		}
	}
	return segs
}

func trimOneBreak(s string, cut func(string, string) (string, bool)) string {
	for _, br := range []string{"\r\n", "\n"} {
		if r, ok := cut(s, br); ok {
			return r
		}
	}
	return s
}

func (v *inlineView) addText(seg string) {
	l := &widget.Label{Text: seg, Selectable: true, Wrapping: fyne.TextWrapWord}
	l.ExtendBaseWidget(l)
	v.texts = append(v.texts, l)
	v.parts = append(v.parts, inlinePart{text: l})
	v.box.Add(l)
	for _, link := range findLinks(seg) {
		u := link.URL
		h := &widget.Hyperlink{Text: link.Text, URL: u, Truncation: fyne.TextTruncateEllipsis, OnTapped: func() { v.onLink(u) }}
		h.ExtendBaseWidget(h)
		v.links = append(v.links, h)
		v.box.Add(h)
	}
}

func (v *inlineView) addImage(p transfer.Placed) {
	img := &inlineImage{place: p}
	img.status = &widget.Label{Text: lang.L("Loading image…"), Importance: widget.LowImportance,
		TextStyle: fyne.TextStyle{Italic: true}, Wrapping: fyne.TextWrapWord}
	img.status.ExtendBaseWidget(img.status)
	img.slot = container.NewStack(img.status)
	v.images = append(v.images, img)
	v.parts = append(v.parts, inlinePart{image: img})
	v.box.Add(img.slot)
}

// fetch gets the pictures one after another on a goroutine, each checked and decoded there; every
// outcome comes back to onImage on the UI goroutine.
func (v *inlineView) fetch() {
	if len(v.images) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(v.s.ctx)
	v.cancel = cancel
	fetcher, m := imageFetcher(v.s.h), v.m
	files := make([]transfer.File, len(v.images))
	for i, img := range v.images {
		files[i] = img.place.File
	}
	v.s.work.Go(func() {
		defer cancel()
		for i, f := range files {
			if ctx.Err() != nil {
				return
			}
			b, decoded, err := fetchInline(ctx, fetcher, m, f)
			v.s.do(func() { v.onImage(v.images[i], b, decoded, err) })
		}
	})
}

// imageFetcher fetches a picture inside a message into memory: the Hato, or a transfer.Fetcher.
type imageFetcher interface {
	FetchImage(ctx context.Context, m *protocol.Message, f transfer.File) ([]byte, error)
}

// fetchInline fetches one picture into memory and decodes it (transfer checks size, signature and canvas).
func fetchInline(ctx context.Context, f imageFetcher, m *protocol.Message, file transfer.File) ([]byte, image.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	b, err := f.FetchImage(ctx, m, file)
	if err != nil {
		return nil, nil, err
	}
	img, err := transfer.DecodePNG(b)
	if err != nil {
		return nil, nil, err
	}
	return b, img, nil
}

// onImage puts a fetched picture, or why it is missing, in its place.
func (v *inlineView) onImage(img *inlineImage, b []byte, decoded image.Image, err error) {
	if v.closed {
		return
	}
	if err != nil {
		img.state, img.err = imageFailed, err
		img.status.Importance = widget.DangerImportance
		img.status.SetText(lang.L("Image not available: {{.Err}}", map[string]any{"Err": err.Error()}))
		return
	}
	img.state, img.png = imageShown, b
	img.view = newTapImage(decoded, func() { v.onShowFull(img) })
	img.slot.Objects = []fyne.CanvasObject{container.NewHBox(img.view)}
	img.slot.Refresh()
}

// onShowFull opens the picture full size, or brings its window forward.
func (v *inlineView) onShowFull(img *inlineImage) {
	if img.full != nil {
		img.full.window.RequestFocus()
		return
	}
	img.full = newImageWindow(v.s, v.m.From.DisplayName(), img.place.File.Name, img.png, img.view.image.Image)
	img.full.window.SetOnClosed(func() { img.full = nil })
	img.full.window.Show()
}

// unfetched reports whether some picture is not shown (still loading, failed, or never asked for).
func (v *inlineView) unfetched() bool {
	for _, img := range v.images {
		if img.state != imageShown {
			return true
		}
	}
	return false
}

// close stops the fetches still running; their outcomes are dropped.
func (v *inlineView) close() {
	v.closed = true
	if v.cancel != nil {
		v.cancel()
	}
}

// inlineSize is the size a w×h picture is drawn at in the message: scaled down to fit
// maxInlineWidth×maxInlineHeight, never up, and never smaller than minInline.
func inlineSize(w, h int) fyne.Size {
	if w <= 0 || h <= 0 {
		return fyne.NewSquareSize(minInline)
	}
	scale := min(1, float32(maxInlineWidth)/float32(w), float32(maxInlineHeight)/float32(h))
	return fyne.NewSize(max(round(float32(w)*scale), minInline), max(round(float32(h)*scale), minInline))
}

func round(f float32) float32 { return float32(math.Round(float64(f))) }

// tapImage is a picture in the message; a click (tap) shows it full size.
type tapImage struct {
	widget.BaseWidget
	image    *canvas.Image
	onTapped func()
}

func newTapImage(img image.Image, tapped func()) *tapImage {
	c := &canvas.Image{Image: img, FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth}
	b := img.Bounds()
	c.SetMinSize(inlineSize(b.Dx(), b.Dy()))
	t := &tapImage{image: c, onTapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tapImage) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.image) }

func (t *tapImage) Tapped(*fyne.PointEvent) {
	if t.onTapped != nil {
		t.onTapped()
	}
}

// Cursor says the picture can be clicked.
func (t *tapImage) Cursor() desktop.Cursor { return desktop.PointerCursor }
