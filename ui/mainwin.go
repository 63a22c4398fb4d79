package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
	"hato/transfer"
)

// mainWindow is IP Messenger's send window: everyone on the LAN above, the message below.
type mainWindow struct {
	s       *session
	window  fyne.Window
	hosts   *hostTable
	compose *composer
	refresh *widget.Button
	info    *widget.Button
	talk    *widget.Button  // the conversation with the checked person
	away    *fyne.Container // says absence mode is on, with a button to end it
	alone   *alonePanel     // explains an empty list
	awayMsg *widget.Label
	// onAbsenceOff ends absence mode (the app sets it: the tray's menu must follow).
	onAbsenceOff func()
	gear         *widget.Button
	history      *widget.Button
	sending      bool
	// sendAfterPaste is a send asked for while a paste was still reading the clipboard: it goes when
	// the paste is done, so that Ctrl+V then Ctrl+Enter sends what was pasted.
	sendAfterPaste bool

	onSettings func() // opens the settings window (the app sets it)
	// onConversation opens the conversation with a person (the app sets it).
	onConversation func(protocol.Host)
	onHistory      func() // opens the history window (the app sets it)

	// chooseFiles and chooseFolder open the file dialogs; tests replace them.
	chooseFiles  func(func(paths []string))
	chooseFolder func(func(paths []string))
	// clip is where pasted pictures come from (Fyne's clipboard holds text only); tests replace it.
	clip imageSource
}

func newMainWindow(s *session) *mainWindow {
	w := &mainWindow{s: s, window: s.app.NewWindow("Hato"), hosts: newHostTable(), clip: theClipboard}
	w.compose = newComposer(w.onSend, w.onAttachFile, w.onAttachFolder)
	w.compose.entry.onPaste = w.onPaste
	w.refresh = &widget.Button{Icon: theme.ViewRefreshIcon(), Importance: widget.LowImportance, OnTapped: w.onRefresh}
	w.refresh.ExtendBaseWidget(w.refresh)
	w.info = &widget.Button{Icon: theme.InfoIcon(), Importance: widget.LowImportance, OnTapped: w.onInfo}
	w.info.ExtendBaseWidget(w.info)
	w.talk = &widget.Button{Icon: theme.MailComposeIcon(), Importance: widget.LowImportance, OnTapped: w.onTalk}
	w.talk.ExtendBaseWidget(w.talk)
	w.gear = &widget.Button{Icon: theme.SettingsIcon(), Importance: widget.LowImportance, OnTapped: func() {
		if w.onSettings != nil {
			w.onSettings()
		}
	}}
	w.gear.ExtendBaseWidget(w.gear)
	w.history = &widget.Button{Icon: theme.HistoryIcon(), Importance: widget.LowImportance, OnTapped: func() {
		if w.onHistory != nil {
			w.onHistory()
		}
	}}
	w.history.ExtendBaseWidget(w.history)
	w.hosts.onSelectionChanged = w.onSelectionChanged
	prefs := s.app.Preferences()
	w.hosts.setView(prefs.IntWithFallback(prefSortColumn, colNick), prefs.Bool(prefSortDesc), prefs.Bool(prefByGroup))
	var widths []float32
	for _, v := range prefs.FloatList(prefColumnWidths) {
		widths = append(widths, float32(v))
	}
	w.hosts.setUserWidths(widths)
	w.hosts.onViewChanged = func() {
		prefs.SetInt(prefSortColumn, w.hosts.sortCol)
		prefs.SetBool(prefSortDesc, w.hosts.sortDesc)
		prefs.SetBool(prefByGroup, w.hosts.grouped)
		if w.hosts.userWidths[colNick] > 0 {
			widths := make([]float64, numCols)
			for i, v := range w.hosts.userWidths {
				widths[i] = float64(v)
			}
			prefs.SetFloatList(prefColumnWidths, widths)
		}
	}
	w.chooseFiles, w.chooseFolder = w.fileDialog, w.folderDialog

	w.awayMsg = &widget.Label{Importance: widget.WarningImportance, Truncation: fyne.TextTruncateEllipsis}
	off := &widget.Button{Text: lang.L("I'm back"), Importance: widget.LowImportance, OnTapped: func() {
		if w.onAbsenceOff != nil {
			w.onAbsenceOff()
		}
	}}
	w.away = container.NewBorder(nil, nil, nil, off, w.awayMsg)
	w.showAbsence(s.absence())
	w.alone = newAlonePanel(s)
	w.alone.relayout = w.relayout
	w.hosts.onCount = w.alone.onHosts
	w.alone.onHosts(len(w.hosts.hosts))
	top := container.NewBorder(w.away, w.alone.content, nil, container.NewVBox(w.refresh, w.talk, w.info, w.gear, w.history), w.hosts.content)
	split := container.NewVSplit(top, w.compose.content)
	split.SetOffset(0.55)
	w.window.SetContent(split)
	w.window.Resize(fyne.NewSize(680, 620))
	w.window.SetOnDropped(w.onDropped)
	w.window.Canvas().AddShortcut(ctrlEnter, func(fyne.Shortcut) { w.onSend() })
	return w
}

// onEvent keeps the host table current.
func (w *mainWindow) onEvent(ev protocol.Event) {
	if ev.Kind == protocol.EventLost {
		// Our own names did not fit a legacy peer's code page: say so, never silently.
		w.compose.status.SetText(lang.L("{{.Name}} cannot show {{.Chars}}: sent as ?.", map[string]any{"Name": ev.Host.DisplayName(), "Chars": ev.Text}))
		return
	}
	w.hosts.update(ev) // drawn at the end of the batch (session.onBatchEnd)
}

// typingPause is how long after the last keystroke the user counts as typing: a message that arrives
// meanwhile waits for the pause before its window opens, so that it takes no keystroke away.
const typingPause = 2 * time.Second

// typing reports whether the user is typing in this window now.
func (w *mainWindow) typing() bool {
	return time.Since(w.compose.lastTyped) < typingPause || time.Since(w.hosts.lastTyped) < typingPause
}

// showAbsence says whether absence mode is on (text) or off ("").
func (w *mainWindow) showAbsence(text string) {
	if text == "" {
		w.away.Hide()
	} else {
		w.awayMsg.SetText(lang.L("Absent: {{.Text}}", map[string]any{"Text": text}))
		w.away.Show()
	}
	w.relayout()
}

// relayout lays the window out again: a line or panel came or went.
func (w *mainWindow) relayout() {
	if c := w.window.Content(); c != nil {
		c.Refresh()
	}
}

// onTalk opens the conversation with each checked person (a few at most).
func (w *mainWindow) onTalk() {
	hosts := w.hosts.selectedHosts()
	if len(hosts) == 0 {
		w.compose.status.SetText(lang.L("Check a person first."))
		return
	}
	for _, h := range hosts[:min(len(hosts), 5)] {
		if w.onConversation != nil {
			w.onConversation(h)
		}
	}
}

// onInfo shows what the checked peers say of themselves (one window each, at most a few).
func (w *mainWindow) onInfo() {
	hosts := w.hosts.selectedHosts()
	if len(hosts) == 0 {
		w.compose.status.SetText(lang.L("Check a person first."))
		return
	}
	for _, h := range hosts[:min(len(hosts), 5)] {
		newPeerWindow(w.s, h).window.Show()
	}
}

// onRefresh asks the LAN again. The list stays as it is while the answers come (nobody who answers
// disappears even for a moment), then it keeps exactly those who answered.
func (w *mainWindow) onRefresh() {
	w.refresh.Disable()
	slog.Debug("refresh")
	w.s.refresh(func(answered []protocol.Host, err error) {
		w.refresh.Enable()
		slog.Debug("refreshed", "answered", len(answered), "err", err)
		if err != nil {
			w.compose.status.SetText(err.Error())
			return
		}
		w.hosts.setHosts(answered)
	})
}

func (w *mainWindow) onSelectionChanged() {
	if n := len(w.hosts.selectedHosts()); n > 0 && !w.sending {
		w.compose.status.SetText("")
	}
}

// onSend sends the message to every checked host, with its pictures and the attachments.
func (w *mainWindow) onSend() {
	if w.sending {
		return
	}
	if len(w.compose.marks) > 0 {
		w.sendAfterPaste = true
		return
	}
	to := w.hosts.selectedHosts()
	text, images := w.compose.message()
	switch {
	case len(to) == 0:
		w.compose.status.SetText(lang.L("Choose at least one recipient."))
		return
	case strings.TrimSpace(text) == "" && len(w.compose.attachments) == 0 && len(images) == 0:
		w.compose.status.SetText(lang.L("Nothing to send."))
		return
	}
	opt := protocol.SendOptions{Sealed: w.compose.sealed.Checked, Locked: w.compose.locked.Checked}
	w.deliver(to, text, opt, append([]string(nil), w.compose.attachments...), images)
}

// deliver sends and reports: the message box is cleared once everyone got it; who did not gets a
// "Not delivered" dialog with Retry.
func (w *mainWindow) deliver(to []protocol.Host, text string, opt protocol.SendOptions, paths []string, images []transfer.InlineImage) {
	w.sending = true
	w.compose.send.Disable()
	w.compose.status.SetText(lang.L("Sending to {{.Count}}…", map[string]any{"Count": len(to)}))
	w.s.send(to, text, opt, paths, images, func(r sent) {
		w.sending = false
		w.compose.send.Enable()
		if r.Err != nil {
			w.compose.status.SetText(r.Err.Error())
			dialog.ShowError(r.Err, w.window)
			return
		}
		var failed []protocol.Delivery
		for _, d := range r.Deliveries {
			if d.Err != nil {
				failed = append(failed, d)
			}
		}
		ok := len(r.Deliveries) - len(failed)
		status := lang.L("Delivered to {{.Count}} of {{.Total}}.", map[string]any{"Count": ok, "Total": len(r.Deliveries)})
		for _, d := range r.Deliveries {
			if d.Lost != "" {
				// A peer that reads only a legacy code page got '?' for these: say so, never silently.
				status += " " + lang.L("{{.Name}} cannot show {{.Chars}}: sent as ?.", map[string]any{"Name": d.Host.DisplayName(), "Chars": d.Lost})
			}
		}
		w.compose.status.SetText(status)
		if len(failed) == 0 {
			w.compose.clear()
			return
		}
		w.showUndelivered(failed, text, opt, paths, images)
	})
}

// showUndelivered asks whether to send again to those who never acknowledged.
func (w *mainWindow) showUndelivered(failed []protocol.Delivery, text string, opt protocol.SendOptions, paths []string,
	images []transfer.InlineImage) {
	var names []string
	var again []protocol.Host
	for _, d := range failed {
		names = append(names, fmt.Sprintf("%s (%s): %v", d.Host.DisplayName(), d.Host.Addr.Addr(), d.Err))
		again = append(again, d.Host)
	}
	msg := widget.NewLabel(lang.L("Not delivered to:") + "\n" + strings.Join(names, "\n"))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Not delivered"), lang.L("Retry"), lang.L("Cancel"), msg, func(retry bool) {
		if retry {
			w.deliver(again, text, opt, paths, images)
		}
	}, w.window)
	d.Resize(fyne.NewSize(420, 220))
	d.Show()
}

// replyTo selects h alone and starts a message, quoting when asked; the window comes to the front.
func (w *mainWindow) replyTo(h protocol.Host, quote string) {
	if !containsHost(w.hosts.hosts, h) {
		w.hosts.apply(protocol.Event{Kind: protocol.EventHostJoined, Host: h})
	}
	w.hosts.selectOnly(h)
	if quote != "" {
		w.compose.entry.SetText(quote + "\n")
	}
	w.window.Show()
	w.window.RequestFocus()
	w.window.Canvas().Focus(w.compose.entry)
}

func containsHost(hosts []protocol.Host, h protocol.Host) bool {
	for _, o := range hosts {
		if hostID(o) == hostID(h) {
			return true
		}
	}
	return false
}

// onDropped attaches dropped files and folders; dropped on a host's row, it also selects that person.
// PNG files dropped on the message box go into the text at the cursor instead.
func (w *mainWindow) onDropped(pos fyne.Position, uris []fyne.URI) {
	var paths, pictures []string
	inBox := w.compose.onTarget(pos)
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		if inBox && strings.EqualFold(filepath.Ext(u.Path()), ".png") {
			pictures = append(pictures, u.Path())
		} else {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 && len(pictures) == 0 {
		return
	}
	if h, ok := w.hosts.hostAt(pos); ok {
		w.hosts.setSelected(h, true)
	}
	if len(paths) > 0 {
		w.attach(paths)
	}
	if len(pictures) > 0 {
		w.inlineFiles(pictures)
	}
}

// onPaste pastes the clipboard's picture at the cursor, or else its text (as Windows' IP Messenger,
// a picture wins when the clipboard holds both). The clipboard is read off the UI goroutine: on X11
// its owner may be this very window, which answers only while the UI goroutine runs (read from the UI
// goroutine, the read timed out, and GLFW's late answer to the reader's window then made Xlib end the
// app with BadWindow: TestDesktopAppPastesScreenshot).
func (w *mainWindow) onPaste(p *fyne.ShortcutPaste) {
	clip, ctx := w.clip, w.s.ctx
	// The picture goes where Ctrl+V was pressed, even if more was typed while the clipboard was read.
	at := w.compose.markCursor()
	w.s.work.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		b, err := clip.ReadPNG(ctx)
		w.s.do(func() {
			defer w.pasted(at)
			if err != nil || b == nil {
				if err != nil {
					w.s.log.Debug("no picture from the clipboard", "err", err)
				}
				w.compose.entry.pasteText(p)
				return
			}
			if err := w.compose.inline(b, at); err != nil {
				w.compose.status.SetText(pictureProblem(err))
			}
		})
	})
}

// inlineFiles reads dropped PNG files (off the UI goroutine) into the message at the cursor; one that
// cannot go inline (too large, not a PNG, one too many) is attached as a file instead.
func (w *mainWindow) inlineFiles(paths []string) {
	at := w.compose.markCursor()
	w.s.work.Go(func() {
		data := make([][]byte, len(paths))
		errs := make([]error, len(paths))
		for i, p := range paths {
			data[i], errs[i] = readPicture(p)
		}
		w.s.do(func() {
			defer w.pasted(at)
			var asFiles []string
			for i, p := range paths {
				err := errs[i]
				if err == nil {
					err = w.compose.inline(data[i], at)
				}
				if err != nil {
					w.compose.status.SetText(lang.L("{{.Name}} is attached as a file: {{.Reason}}",
						map[string]any{"Name": filepath.Base(p), "Reason": pictureProblem(err)}))
					asFiles = append(asFiles, p)
				}
			}
			if len(asFiles) > 0 {
				w.attach(asFiles)
			}
		})
	})
}

// pasted ends a paste (or a drop) that was reading; a send asked for meanwhile goes now.
func (w *mainWindow) pasted(at *mark) {
	w.compose.unmark(at)
	if w.sendAfterPaste && len(w.compose.marks) == 0 {
		w.sendAfterPaste = false
		w.onSend()
	}
}

// readPicture reads a dropped picture, refusing one over the inline size limit without reading it all.
func readPicture(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.Join(transfer.ErrNotPNG, err)
	} else if fi.Size() > transfer.MaxInlineImageSize {
		return nil, errPictureTooBig
	}
	b, err := io.ReadAll(io.LimitReader(f, transfer.MaxInlineImageSize+1))
	if err == nil && len(b) > transfer.MaxInlineImageSize {
		err = errPictureTooBig
	}
	return b, err
}

func (w *mainWindow) attach(paths []string) {
	if err := w.compose.attach(paths...); err != nil {
		dialog.ShowError(err, w.window)
	}
}

func (w *mainWindow) onAttachFile()   { w.chooseFiles(w.attach) }
func (w *mainWindow) onAttachFolder() { w.chooseFolder(w.attach) }

// fileDialog picks one file (Fyne's dialog has no multi-select; dropping is the way to add many).
func (w *mainWindow) fileDialog(done func([]string)) {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		done([]string{r.URI().Path()})
	}, w.window)
}

func (w *mainWindow) folderDialog(done func([]string)) {
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		done([]string{u.Path()})
	}, w.window)
}
