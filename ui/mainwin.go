package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
)

// mainWindow is IP Messenger's send window: everyone on the LAN above, the message below.
type mainWindow struct {
	s       *session
	window  fyne.Window
	hosts   *hostTable
	compose *composer
	refresh *widget.Button
	gear    *widget.Button
	sending bool

	onSettings func() // opens the settings window (the app sets it)

	// chooseFiles and chooseFolder open the file dialogs; tests replace them.
	chooseFiles  func(func(paths []string))
	chooseFolder func(func(paths []string))
}

func newMainWindow(s *session) *mainWindow {
	w := &mainWindow{s: s, window: s.app.NewWindow("Hato"), hosts: newHostTable()}
	w.compose = newComposer(w.onSend, w.onAttachFile, w.onAttachFolder)
	w.refresh = &widget.Button{Icon: theme.ViewRefreshIcon(), Importance: widget.LowImportance, OnTapped: w.onRefresh}
	w.refresh.ExtendBaseWidget(w.refresh)
	w.gear = &widget.Button{Icon: theme.SettingsIcon(), Importance: widget.LowImportance, OnTapped: func() {
		if w.onSettings != nil {
			w.onSettings()
		}
	}}
	w.gear.ExtendBaseWidget(w.gear)
	w.hosts.onSelectionChanged = w.onSelectionChanged
	w.chooseFiles, w.chooseFolder = w.fileDialog, w.folderDialog

	top := container.NewBorder(nil, nil, nil, container.NewVBox(w.refresh, w.gear), w.hosts.content)
	split := container.NewVSplit(top, w.compose.content)
	split.SetOffset(0.55)
	w.window.SetContent(split)
	w.window.Resize(fyne.NewSize(680, 620))
	w.window.SetOnDropped(w.onDropped)
	w.window.Canvas().AddShortcut(ctrlEnter, func(fyne.Shortcut) { w.onSend() })
	return w
}

// onEvent keeps the host table current.
func (w *mainWindow) onEvent(ev protocol.Event) { w.hosts.apply(ev) }

func (w *mainWindow) onRefresh() {
	w.hosts.clearHosts()
	w.s.refresh()
}

func (w *mainWindow) onSelectionChanged() {
	if n := len(w.hosts.selectedHosts()); n > 0 && !w.sending {
		w.compose.status.SetText("")
	}
}

// onSend sends the message to every checked host, with the attachments.
func (w *mainWindow) onSend() {
	if w.sending {
		return
	}
	to := w.hosts.selectedHosts()
	text := w.compose.entry.Text
	switch {
	case len(to) == 0:
		w.compose.status.SetText(lang.L("Choose at least one recipient."))
		return
	case strings.TrimSpace(text) == "" && len(w.compose.attachments) == 0:
		w.compose.status.SetText(lang.L("Nothing to send."))
		return
	}
	opt := protocol.SendOptions{Sealed: w.compose.sealed.Checked, Locked: w.compose.locked.Checked}
	w.deliver(to, text, opt, append([]string(nil), w.compose.attachments...))
}

// deliver sends and reports: the message box is cleared once everyone got it; who did not gets a
// "Not delivered" dialog with Retry.
func (w *mainWindow) deliver(to []protocol.Host, text string, opt protocol.SendOptions, paths []string) {
	w.sending = true
	w.compose.send.Disable()
	w.compose.status.SetText(lang.L("Sending to {{.Count}}…", map[string]any{"Count": len(to)}))
	w.s.send(to, text, opt, paths, nil, func(r sent) {
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
		w.compose.status.SetText(lang.L("Delivered to {{.Count}} of {{.Total}}.", map[string]any{"Count": ok, "Total": len(r.Deliveries)}))
		if len(failed) == 0 {
			w.compose.clear()
			return
		}
		w.showUndelivered(failed, text, opt, paths)
	})
}

// showUndelivered asks whether to send again to those who never acknowledged.
func (w *mainWindow) showUndelivered(failed []protocol.Delivery, text string, opt protocol.SendOptions, paths []string) {
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
			w.deliver(again, text, opt, paths)
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
func (w *mainWindow) onDropped(pos fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	if h, ok := w.hosts.hostAt(pos); ok {
		w.hosts.setSelected(h, true)
	}
	w.attach(paths)
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
