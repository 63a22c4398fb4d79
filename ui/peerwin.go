package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"hato/messenger"
	"hato/protocol"
)

// peerWindow shows what we know of one peer and what it says of itself when asked: its version
// (GETINFO) and its absence text (GETABSENCEINFO), as IP Messenger's "info" and "absence" menu items.
type peerWindow struct {
	s      *session
	window fyne.Window
	host   protocol.Host

	version, absence *widget.Label
	closed           bool
}

func newPeerWindow(s *session, h protocol.Host) *peerWindow {
	w := &peerWindow{s: s, host: h, window: s.app.NewWindow(lang.L("About {{.Name}}", map[string]any{"Name": h.DisplayName()}))}
	w.version = &widget.Label{Text: lang.L("Asking…"), Wrapping: fyne.TextWrapWord}
	w.absence = &widget.Label{Text: lang.L("Asking…"), Wrapping: fyne.TextWrapWord}
	addrs := make([]string, 0, len(h.Addrs))
	for _, a := range h.Addrs {
		addrs = append(addrs, a.String())
	}
	if len(addrs) == 0 {
		addrs = append(addrs, h.Addr.String())
	}
	value := func(s string) *widget.Label { return &widget.Label{Text: s, Wrapping: fyne.TextWrapWord} }
	form := &widget.Form{Items: []*widget.FormItem{
		{Text: lang.L("Nickname"), Widget: value(h.DisplayName())},
		{Text: lang.L("Group"), Widget: value(h.Group)},
		{Text: lang.L("User"), Widget: value(h.User + "@" + h.Host)},
		{Text: lang.L("Addresses"), Widget: value(strings.Join(addrs, "\n"))},
		{Text: lang.L("Charset"), Widget: value(messenger.Charset(h, s.set.Codepage))},
		{Text: lang.L("Can do"), Widget: value(strings.Join(messenger.Capabilities(h), ", "))},
		{Text: lang.L("Version"), Widget: w.version},
		{Text: lang.L("Absence text"), Widget: w.absence},
	}}
	w.window.SetContent(container.NewPadded(form))
	w.window.Resize(fyne.NewSize(420, 320))
	w.window.SetOnClosed(func() { w.closed = true })
	w.ask()
	return w
}

// ask asks the peer on a goroutine; its answers fill the window.
func (w *peerWindow) ask() {
	w.s.work.Go(func() {
		pi, err := w.s.h.AskPeer(w.s.ctx, w.host)
		w.s.do(func() { w.onAnswer(pi, err) })
	})
}

func (w *peerWindow) onAnswer(pi messenger.PeerInfo, err error) {
	if w.closed {
		return
	}
	noAnswer := lang.L("(no answer)")
	w.version.SetText(pi.Version)
	w.absence.SetText(pi.Absence)
	for _, m := range pi.Missing {
		switch m {
		case "version":
			w.version.SetText(noAnswer)
		case "absence":
			w.absence.SetText(noAnswer)
		}
	}
	if err != nil {
		w.version.SetText(err.Error())
	}
}
