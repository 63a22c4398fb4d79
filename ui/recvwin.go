package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
	"hato/transfer"
)

// recvWindow shows one received message; as in IP Messenger, every message gets its own window.
type recvWindow struct {
	s      *session
	m      *protocol.Message
	reply  func(to protocol.Host, quote string)
	window fyne.Window

	// Header.
	nick    *widget.Label
	details *widget.Label // group, user@host, address, time
	badges  []*widget.Label
	to      *widget.Label // everyone a multicast went to, when the sender listed them

	// Body: the envelope of a sealed message until it is opened, then the text with its pictures and links,
	// and the other attachments.
	center     *fyne.Container
	openButton *widget.Button
	view       *inlineView   // the text and pictures, once opened
	files      []*recvFile   // attachments other than the pictures
	fileErr    *widget.Label // attachment entries that did not parse
	skipped    int           // clipboard entries that are not shown: past the tenth picture, or not PNG
	saveAll    *widget.Button
	replyBtn   *widget.Button
	talkBtn    *widget.Button // the conversation with the sender
	closeBtn   *widget.Button
	// onConversation opens the conversation with the sender (the app sets it; nil hides the button).
	onConversation func(protocol.Host)

	// The password dialog of a locked message, while it is up.
	password       *widget.Entry
	passwordDialog *dialog.FormDialog

	// chooseFolder asks where downloads go when no folder is set yet; tests replace it.
	chooseFolder func(done func(dir string))

	opened     bool // the text is shown: at once for a message that was not sealed
	released   bool // RELEASEFILES went out
	closedHook func()
}

// recvFile is one attachment row.
type recvFile struct {
	file     transfer.File
	name     *widget.Label
	save     *widget.Button
	cancel   *widget.Button
	progress *widget.ProgressBar
	status   *widget.Label

	state     fetchState
	stop      func() // cancels the running fetch
	saved     string // where it was saved
	encrypted bool   // its data came encrypted (the fetcher's events say so)
	told      bool   // an event of this fetch said whether: until then the status says nothing of it
}

// savedText says where a fetched file went and whether it crossed the network encrypted, once an event
// said so (the fetch's result can overtake its events).
func (r *recvFile) savedText() string {
	switch {
	case !r.told:
		return lang.L("Saved to {{.Path}}", map[string]any{"Path": r.saved})
	case r.encrypted:
		return lang.L("Saved to {{.Path}}, sent encrypted", map[string]any{"Path": r.saved})
	}
	return lang.L("Saved to {{.Path}}, sent unencrypted", map[string]any{"Path": r.saved})
}

type fetchState int

const (
	fetchIdle    fetchState = iota // never fetched, cancelled or failed: Save starts it
	fetchRunning                   // being fetched
	fetchSaved                     // complete
)

// newRecvWindow makes the window for m (not shown). reply is called with the sender and the quoted text
// (or "") when the user taps Reply.
func newRecvWindow(s *session, m *protocol.Message, reply func(to protocol.Host, quote string)) *recvWindow {
	w := &recvWindow{s: s, m: m, reply: reply, opened: !m.Sealed}
	w.chooseFolder = w.folderDialog
	w.window = s.app.NewWindow(lang.L("Message from {{.Name}}", map[string]any{"Name": m.From.DisplayName()}))

	w.nick = &widget.Label{Text: m.From.DisplayName(), TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	w.details = &widget.Label{Text: w.detailText(), Wrapping: fyne.TextWrapWord}
	w.badges = w.makeBadges()
	header := container.NewVBox(w.nick, w.details)
	if len(w.badges) > 0 {
		row := container.New(layout.NewRowWrapLayout())
		for _, b := range w.badges {
			row.Add(b)
		}
		header.Add(row)
	}
	if len(m.To) > 0 {
		names := make([]string, len(m.To))
		for i, r := range m.To {
			names[i] = r.User + "@" + r.Host
		}
		w.to = &widget.Label{Text: lang.L("To: {{.Names}}", map[string]any{"Names": strings.Join(names, ", ")}), Wrapping: fyne.TextWrapWord}
		header.Add(w.to)
	}

	w.replyBtn = &widget.Button{Text: lang.L("Reply"), Icon: theme.MailReplyIcon(), Importance: widget.HighImportance, OnTapped: w.onReply}
	w.closeBtn = &widget.Button{Text: lang.L("Close"), Icon: theme.CancelIcon(), OnTapped: w.onClose}
	w.talkBtn = &widget.Button{Text: lang.L("Conversation"), Icon: theme.MailComposeIcon(), OnTapped: func() {
		if w.onConversation != nil {
			w.onConversation(w.m.From)
		}
	}}
	for _, b := range []*widget.Button{w.replyBtn, w.talkBtn, w.closeBtn} {
		b.ExtendBaseWidget(b)
	}
	if m.Sealed {
		w.center = container.NewStack(w.envelope())
	} else {
		w.center = container.NewStack(w.body())
	}
	buttons := container.NewHBox(w.talkBtn, layout.NewSpacer(), w.replyBtn, w.closeBtn)
	w.window.SetContent(container.NewBorder(container.NewVBox(header, widget.NewSeparator()), buttons, nil, nil, w.center))
	w.window.Resize(fyne.NewSize(480, 480))
	w.window.SetOnClosed(w.onClosed)
	return w
}

// folderDialog asks for a download folder.
func (w *recvWindow) folderDialog(done func(string)) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			done(u.Path())
		}
	}, w.window)
	d.Show()
}

// sameSender reports whether h is the host that sent from: the same names at the same address.
func sameSender(from, h protocol.Host) bool {
	return from.Addr == h.Addr && strings.EqualFold(from.User, h.User) && strings.EqualFold(from.Host, h.Host)
}

// onHost shows the sender's nickname and group once it announces itself (a message may come first).
func (w *recvWindow) onHost(h protocol.Host) {
	if !sameSender(w.m.From, h) || (w.m.From.Nick == h.Nick && w.m.From.Group == h.Group) {
		return
	}
	w.m.From.Nick, w.m.From.Group, w.m.From.Entry = h.Nick, h.Group, h.Entry
	w.window.SetTitle(lang.L("Message from {{.Name}}", map[string]any{"Name": w.m.From.DisplayName()}))
	w.nick.SetText(w.m.From.DisplayName())
	w.details.SetText(w.detailText())
}

// detailText is the header's second line: group, user@host, address and when it arrived.
func (w *recvWindow) detailText() string {
	f := w.m.From
	var parts []string
	if f.Group != "" {
		parts = append(parts, f.Group)
	}
	parts = append(parts, f.User+"@"+f.Host)
	if f.Addr.IsValid() {
		parts = append(parts, f.Addr.Addr().String())
	}
	if !w.m.Received.IsZero() {
		parts = append(parts, receivedTime(w.m.Received, time.Now()))
	}
	return strings.Join(parts, "  ")
}

// receivedTime is the time of day for a message of today, the date too for an older one.
func receivedTime(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// makeBadges says how the message came: encryption, signature, auto-reply, broadcast, multicast.
func (w *recvWindow) makeBadges() []*widget.Label {
	m := w.m
	var b []*widget.Label
	add := func(text string, imp widget.Importance) {
		b = append(b, &widget.Label{Text: text, Importance: imp, TextStyle: fyne.TextStyle{Italic: true}})
	}
	if m.Encrypted {
		add(strings.TrimSpace(lang.L("Encrypted")+" "+parenthesized(m.Cipher)), widget.SuccessImportance)
	} else {
		add(lang.L("Not encrypted"), widget.LowImportance)
	}
	switch {
	case m.Signed && m.Verified:
		add(lang.L("Signed and verified"), widget.SuccessImportance)
	case m.Signed:
		add(lang.L("Signature NOT verified"), widget.WarningImportance)
	}
	if m.AutoReply {
		add(lang.L("Automatic reply"), widget.MediumImportance)
	}
	if m.Broadcast {
		add(lang.L("Broadcast"), widget.MediumImportance)
	}
	if m.Multicast {
		add(lang.L("Multicast"), widget.MediumImportance)
	}
	if m.RecordErr != nil {
		add(lang.L("Not saved in the history: {{.Err}}", map[string]any{"Err": m.RecordErr.Error()}), widget.DangerImportance)
	}
	return b
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// envelope is what a sealed message shows until it is opened.
func (w *recvWindow) envelope() fyne.CanvasObject {
	w.openButton = &widget.Button{Text: lang.L("Open"), Icon: theme.MailComposeIcon(), Importance: widget.HighImportance, OnTapped: w.onOpen}
	w.openButton.ExtendBaseWidget(w.openButton)
	icon := &widget.Icon{Resource: theme.MailComposeIcon()}
	icon.ExtendBaseWidget(icon)
	note := lang.L("Sealed message")
	if w.m.Locked {
		note = lang.L("Sealed message, locked with your password")
	}
	big := container.NewGridWrap(fyne.NewSquareSize(64), icon)
	return container.NewCenter(container.NewVBox(container.NewCenter(big), widget.NewLabel(note), container.NewCenter(w.openButton)))
}

// body is the text with its pictures (which start loading now) and links, and the other attachments.
func (w *recvWindow) body() fyne.CanvasObject {
	var files []transfer.File
	var err error
	if w.m.Files != "" {
		files, err = transfer.ParseFileList(w.m.Files)
	}
	images := transfer.PlaceImages(w.m.Text, files)
	w.view = newInlineView(w.s, w.m, images, w.onLink)
	text := container.NewVScroll(w.view.box)
	list := container.NewVBox()
	if err != nil {
		w.fileErr = &widget.Label{Text: lang.L("Some attachments could not be read: {{.Err}}", map[string]any{"Err": err.Error()}),
			Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
		list.Add(w.fileErr)
	}
	w.skipped = -len(images)
	for _, f := range files {
		if f.Type() == transfer.TypeClipboard { // a picture: shown in the text, or not at all
			w.skipped++
			continue
		}
		r := w.newFileRow(f)
		w.files = append(w.files, r)
		list.Add(r.row(f))
	}
	if len(w.files) == 0 && w.fileErr == nil {
		return text
	}
	w.saveAll = &widget.Button{Text: lang.L("Save all"), Icon: theme.DownloadIcon(), OnTapped: w.onSaveAll}
	w.saveAll.ExtendBaseWidget(w.saveAll)
	if len(w.files) == 0 {
		w.saveAll.Disable()
	}
	attach := container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), w.saveAll), nil, nil, container.NewVScroll(list))
	split := container.NewVSplit(text, attach)
	split.Offset = 0.4
	return split
}

func (w *recvWindow) newFileRow(f transfer.File) *recvFile {
	r := &recvFile{file: f}
	r.name = &widget.Label{Text: fmt.Sprintf("%s  (%s)", f.Name, humanBytes(f.Size)), Truncation: fyne.TextTruncateEllipsis}
	r.save = &widget.Button{Text: lang.L("Save"), Icon: theme.DownloadIcon(), OnTapped: func() { w.onSave(r) }}
	r.cancel = &widget.Button{Text: lang.L("Cancel"), Icon: theme.CancelIcon(), OnTapped: func() { w.onCancel(r) }}
	for _, b := range []*widget.Button{r.save, r.cancel} {
		b.ExtendBaseWidget(b)
	}
	r.cancel.Hide()
	r.progress = &widget.ProgressBar{Max: 1}
	r.progress.ExtendBaseWidget(r.progress)
	r.status = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	return r
}

// row lays one attachment out: icon, name and size, progress, status, buttons.
func (r *recvFile) row(f transfer.File) fyne.CanvasObject {
	res := theme.FileIcon()
	if f.IsDir() {
		res = theme.FolderIcon()
	}
	icon := &widget.Icon{Resource: res}
	icon.ExtendBaseWidget(icon)
	return container.NewBorder(nil, nil, icon, container.NewHBox(r.save, r.cancel),
		container.NewVBox(r.name, r.progress, r.status))
}

// onOpen opens a sealed message, asking for the password first when it is locked and one is set.
func (w *recvWindow) onOpen() {
	if w.opened {
		return
	}
	if !w.m.Locked || w.s.set.PasswordHash == "" {
		w.reveal()
		return
	}
	w.password = &widget.Entry{Password: true}
	w.password.ExtendBaseWidget(w.password)
	items := []*widget.FormItem{{Text: lang.L("Password"), Widget: w.password}}
	d := dialog.NewForm(lang.L("Locked message"), lang.L("Open"), lang.L("Cancel"), items, w.onPasswordForm, w.window)
	w.password.OnSubmitted = func(string) { d.Submit() }
	w.passwordDialog = d
	d.Show()
	w.window.Canvas().Focus(w.password)
}

// onPasswordForm is the password dialog's answer.
func (w *recvWindow) onPasswordForm(ok bool) {
	pw := w.password.Text
	w.password, w.passwordDialog = nil, nil
	if ok {
		w.onOpenWithPassword(pw)
	}
}

// onOpenWithPassword opens a locked message if pw is the user's password; a wrong one keeps it sealed.
func (w *recvWindow) onOpenWithPassword(pw string) {
	if err := w.s.set.checkPassword(pw); err != nil {
		dialog.ShowError(errors.New(lang.L("Wrong password: the message stays sealed.")), w.window)
		return
	}
	w.reveal()
}

// reveal shows a sealed message and tells the sender it was opened.
func (w *recvWindow) reveal() {
	if w.opened {
		return
	}
	w.opened = true
	w.s.open(w.m)
	w.center.Objects = []fyne.CanvasObject{w.body()}
	w.center.Refresh()
}

func (w *recvWindow) onLink(u *url.URL) {
	if err := w.s.app.OpenURL(u); err != nil {
		dialog.ShowError(err, w.window)
	}
}

// onSave starts fetching one attachment into the download folder, unless it is saved or on its way.
// Without a download folder (no ~/Downloads on a first start) it asks for one first, and keeps it.
func (w *recvWindow) onSave(r *recvFile) {
	if r.state != fetchIdle {
		return
	}
	if w.s.set.DownloadDir == "" {
		w.chooseFolder(func(dir string) {
			t := w.s.set
			t.DownloadDir = dir
			if err := w.s.applySettings(t); err != nil {
				r.status.Importance = widget.DangerImportance
				r.status.SetText(err.Error())
				return
			}
			w.onSave(r)
		})
		return
	}
	r.state, r.told = fetchRunning, false
	r.save.Disable()
	r.cancel.Show()
	r.progress.SetValue(0)
	r.status.Importance = widget.MediumImportance
	r.status.SetText(lang.L("Starting…"))
	r.stop = w.s.fetch(w.m, r.file, func(saved string, err error) { w.onFetched(r, saved, err) })
	w.updateSaveAll()
}

func (w *recvWindow) onSaveAll() {
	if w.s.set.DownloadDir == "" && len(w.files) > 0 {
		w.onSave(w.files[0]) // asks for the folder once; the rest follow when it is set
		if w.s.set.DownloadDir == "" {
			return
		}
	}
	for _, r := range w.files {
		w.onSave(r)
	}
}

// onCancel stops a running fetch; its .part stays, so Save resumes from another Hato.
func (w *recvWindow) onCancel(r *recvFile) {
	if r.state == fetchRunning && r.stop != nil {
		r.stop()
	}
}

// onFetched is a fetch's outcome, which is final: transfer events that come after it change nothing.
func (w *recvWindow) onFetched(r *recvFile, saved string, err error) {
	r.stop = nil
	r.cancel.Hide()
	switch {
	case err == nil:
		r.state = fetchSaved
		r.saved = saved
		r.progress.SetValue(1)
		r.status.SetText(r.savedText())
		r.status.Importance = widget.SuccessImportance
		r.status.Refresh()
	case errors.Is(err, context.Canceled):
		r.state = fetchIdle
		r.save.Enable()
		r.status.SetText(lang.L("Cancelled"))
	default:
		r.state = fetchIdle
		r.save.Enable()
		r.status.Importance = widget.DangerImportance
		r.status.SetText(err.Error())
	}
	w.updateSaveAll()
}

func (w *recvWindow) updateSaveAll() {
	if w.saveAll == nil {
		return
	}
	for _, r := range w.files {
		if r.state == fetchIdle {
			w.saveAll.Enable()
			return
		}
	}
	w.saveAll.Disable()
}

// onTransfer takes the fetcher's events for this message (the app routes them by packet and sender).
func (w *recvWindow) onTransfer(ev transfer.Event) {
	if ev.Packet != w.m.Packet {
		return
	}
	var r *recvFile
	for _, f := range w.files {
		if f.file.ID == ev.File.ID {
			r = f
			break
		}
	}
	if r == nil {
		return
	}
	if r.state == fetchSaved && ev.Kind == transfer.EventSaved && (!r.told || ev.Encrypted != r.encrypted) {
		// The fetch's result overtook its last event: the status line learns how it came only now.
		r.encrypted, r.told = ev.Encrypted, true
		r.status.SetText(r.savedText())
	}
	if r.state != fetchRunning {
		return
	}
	r.encrypted, r.told = ev.Encrypted, true
	switch ev.Kind {
	case transfer.EventProgress:
		if ev.Total > 0 {
			r.progress.SetValue(min(1, float64(ev.Bytes)/float64(ev.Total)))
		}
		r.status.SetText(progressText(ev))
	case transfer.EventSaved:
		if r.file.IsDir() { // one file of the folder; the folder is done when the fetch returns
			r.status.SetText(lang.L("Saved {{.Name}}", map[string]any{"Name": ev.File.Name}))
		}
	case transfer.EventFetchFailed:
		if ev.Err != nil {
			r.status.SetText(ev.Err.Error())
		}
	}
}

// progressText is a running fetch's speed and time left.
func progressText(ev transfer.Event) string {
	done := humanBytes(ev.Bytes) + " / " + humanBytes(ev.Total)
	if ev.Rate <= 0 {
		return done
	}
	return lang.L("{{.Done}}, {{.Rate}}/s, {{.ETA}} left", map[string]any{
		"Done": done, "Rate": humanBytes(int64(ev.Rate)), "ETA": ev.ETA.Round(time.Second).String()})
}

// humanBytes is a size as people read it: 512 B, 3.0 MB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KB", "MB", "GB", "TB"}[i])
}

// onReply answers the sender, quoting the text when the settings say so and the user has seen it. The
// pictures are not quoted: the text holds no trace of them.
func (w *recvWindow) onReply() {
	quote := ""
	if w.s.set.QuoteReply && w.opened && w.m.Text != "" {
		quote = quoteText(w.m.Text)
	}
	w.reply(w.m.From, quote)
}

// quoteText prefixes every line with "> ".
func quoteText(text string) string {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

func (w *recvWindow) onClose() { w.window.Close() }

// onClosed tells the sender what became of the message: a sealed one thrown away unopened (DELMSG),
// attachments that will not be fetched (RELEASEFILES). Pictures still loading are given up; fetches of
// attachments still running go on.
func (w *recvWindow) onClosed() {
	if w.view != nil {
		w.view.close()
	}
	if !w.opened {
		w.s.discard(w.m)
	}
	if w.m.Files != "" && !w.released && w.unfetched() {
		w.released = true
		w.s.release(w.m)
	}
	if w.closedHook != nil {
		w.closedHook()
	}
}

// unfetched reports whether some attachment was neither fetched nor is being fetched, or some picture
// is not shown.
func (w *recvWindow) unfetched() bool {
	if !w.opened || w.fileErr != nil || w.skipped > 0 || w.view.unfetched() {
		return true
	}
	for _, r := range w.files {
		if r.state == fetchIdle {
			return true
		}
	}
	return false
}
