package ui

import (
	"image"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/history"
	"hato/protocol"
	"hato/transfer"
)

// convLimit is how many of the latest messages a conversation shows.
const convLimit = 200

// convWindow is the running conversation with one person, as iptux keeps it: every message both ways
// from the history, pictures in place, sealed ones shown as such, and a reply box at the bottom. IP
// Messenger's one window per message stays; this is the other view of the same messages.
type convWindow struct {
	s      *session
	window fyne.Window
	peer   protocol.Host

	list   *fyne.Container
	scroll *container.Scroll
	entry  *widget.Entry
	send   *widget.Button
	status *widget.Label

	shown      map[int64]bool // history records already in the list
	loading    bool
	again      bool // a reload was asked for while one ran
	closed     bool
	closedHook func()
}

func newConvWindow(s *session, peer protocol.Host) *convWindow {
	w := &convWindow{s: s, peer: peer, shown: map[int64]bool{},
		window: s.app.NewWindow(lang.L("Conversation with {{.Name}}", map[string]any{"Name": peer.DisplayName()}))}
	w.list = container.NewVBox()
	w.scroll = container.NewVScroll(w.list)
	w.entry = &widget.Entry{MultiLine: true, Wrapping: fyne.TextWrapWord, PlaceHolder: lang.L("Reply")}
	w.entry.ExtendBaseWidget(w.entry)
	w.entry.SetMinRowsVisible(3)
	w.send = &widget.Button{Text: lang.L("Send"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: w.onSend}
	w.send.ExtendBaseWidget(w.send)
	w.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	bottom := container.NewBorder(nil, w.status, nil, w.send, w.entry)
	w.window.SetContent(container.NewBorder(nil, bottom, nil, nil, w.scroll))
	w.window.Resize(fyne.NewSize(480, 560))
	w.window.SetOnClosed(func() {
		w.closed = true
		if w.closedHook != nil {
			w.closedHook()
		}
	})
	w.window.Canvas().AddShortcut(ctrlEnter, func(fyne.Shortcut) { w.onSend() })
	w.reload()
	return w
}

// isWith reports whether h is this conversation's person.
func (w *convWindow) isWith(h protocol.Host) bool {
	return strings.EqualFold(h.User, w.peer.User) && strings.EqualFold(h.Host, w.peer.Host)
}

// reload adds what the history holds that the list does not show yet (new messages both ways).
func (w *convWindow) reload() {
	hist := w.s.hist
	if hist == nil {
		w.status.SetText(lang.L("The history could not be opened: no conversation to show."))
		return
	}
	if w.loading {
		w.again = true
		return
	}
	w.loading = true
	peer := w.peer
	w.s.work.Go(func() {
		recs, err := conversation(hist, peer)
		w.s.do(func() { w.loaded(recs, err) })
	})
}

// conversation is the latest messages with peer, oldest first, pictures included.
func conversation(hist *history.Store, peer protocol.Host) ([]history.Record, error) {
	hits, err := hist.Search(history.Query{Peer: peer.User, Limit: convLimit})
	if err != nil {
		return nil, err
	}
	var out []history.Record
	for _, h := range hits {
		r := h.Record
		if !strings.EqualFold(r.Peer.User, peer.User) || !strings.EqualFold(r.Peer.Host, peer.Host) {
			continue // another user whose name merely contains this one
		}
		if len(r.Images) > 0 {
			if full, err := hist.Get(r.ID); err == nil {
				r = full
			}
		}
		out = append(out, r)
	}
	slices.Reverse(out)
	return out, nil
}

func (w *convWindow) loaded(recs []history.Record, err error) {
	w.loading = false
	if w.closed {
		return
	}
	if err != nil {
		w.status.SetText(err.Error())
		return
	}
	added := false
	for _, r := range recs {
		if !w.shown[r.ID] {
			w.shown[r.ID] = true
			w.list.Add(convBubble(r))
			added = true
		}
	}
	if added {
		w.scroll.ScrollToBottom()
	}
	if w.again {
		w.again = false
		w.reload()
	}
}

// convBubble is one message: who and when, its marks, the text with its pictures. Ours lean right.
func convBubble(r history.Record) fyne.CanvasObject {
	head := arrow(r.Dir) + " " + r.Time.Local().Format("2006-01-02 15:04")
	if marks := rowMarks(r); marks != "" {
		head += "  " + marks
	}
	parts := []fyne.CanvasObject{&widget.Label{Text: head, TextStyle: fyne.TextStyle{Bold: true}, SizeName: theme.SizeNameCaptionText}}
	if r.Sealed && !r.Opened && r.Dir == history.In {
		parts = append(parts, &widget.Label{Text: lang.L("Sealed message: open it in its window."), TextStyle: fyne.TextStyle{Italic: true}})
	} else {
		parts = append(parts, textWithPictures(r)...)
	}
	for _, a := range r.Attachments {
		parts = append(parts, &widget.Label{Text: "📎 " + a.Name, Truncation: fyne.TextTruncateEllipsis})
	}
	box := container.NewVBox(parts...)
	card := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)), container.NewPadded(box))
	if r.Dir == history.Out {
		return container.NewBorder(nil, nil, layout.NewSpacer(), nil, card)
	}
	return card
}

// textWithPictures is the text cut at each picture's place, with the pictures (kept ones) between.
func textWithPictures(r history.Record) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	text := r.Text
	at := 0
	for _, img := range r.Images {
		if img.At < at || img.At > len(text) {
			continue
		}
		if s := strings.TrimSpace(text[at:img.At]); s != "" {
			out = append(out, &widget.Label{Text: s, Wrapping: fyne.TextWrapWord})
		}
		at = img.At
		out = append(out, picture(img))
	}
	if s := strings.TrimSpace(text[at:]); s != "" {
		out = append(out, &widget.Label{Text: s, Wrapping: fyne.TextWrapWord})
	}
	return out
}

// picture is a kept picture at most 240 pixels wide, or its name when only referenced.
func picture(img history.Image) fyne.CanvasObject {
	if len(img.PNG) == 0 {
		return &widget.Label{Text: "🖼 " + img.Name}
	}
	decoded, err := transfer.DecodePNG(img.PNG)
	if err != nil {
		return &widget.Label{Text: "🖼 " + img.Name}
	}
	c := canvas.NewImageFromImage(decoded)
	c.FillMode = canvas.ImageFillContain
	c.SetMinSize(thumbSize(decoded.Bounds(), 240))
	return c
}

// thumbSize fits b into a box max wide, never enlarging it.
func thumbSize(b image.Rectangle, max float32) fyne.Size {
	w, h := float32(b.Dx()), float32(b.Dy())
	if w > max {
		h, w = h*max/w, max
	}
	return fyne.NewSize(w, h)
}

// onSend sends the reply to this person; the conversation shows it once it is in the history.
func (w *convWindow) onSend() {
	text := w.entry.Text
	if strings.TrimSpace(text) == "" {
		return
	}
	w.send.Disable()
	w.status.SetText(lang.L("Sending to {{.Count}}…", map[string]any{"Count": 1}))
	w.s.send([]protocol.Host{w.peer}, text, protocol.SendOptions{}, nil, nil, func(r sent) {
		w.send.Enable()
		switch {
		case r.Err != nil:
			w.status.SetText(r.Err.Error())
		case len(r.Deliveries) == 1 && r.Deliveries[0].Err != nil:
			w.status.SetText(lang.L("Not delivered to:") + " " + r.Deliveries[0].Err.Error())
		default:
			w.status.SetText("")
			w.entry.SetText("")
		}
		w.reload()
	})
}
