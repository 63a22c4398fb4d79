package ui

import (
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/history"
)

// historyPage is how many hits a search or More brings.
const historyPage = 50

// searchDelay lets a few more letters be typed before the search runs.
const searchDelay = 200 * time.Millisecond

// historyWindow searches the message history: words and a peer above, the hits newest first, the chosen
// message in full below. Searches run on the session's goroutines; only the newest one's answer is shown.
type historyWindow struct {
	s          *session
	window     fyne.Window
	closedHook func() // optional: told when the window closes

	search, peer *widget.Entry
	list         *widget.List
	more         *widget.Button
	status       *widget.Label

	header  *widget.Label
	text    *widget.Label
	files   *fyne.Container // the shown message's attachments
	detail  fyne.CanvasObject
	openURL func(*url.URL) error // opens folders; tests replace it

	hits    []history.Hit
	query   history.Query // what the listed hits answer
	gen     int           // bumped by every search: an answer for an older one is dropped
	loading bool
	full    bool // the last page was full: More may find older ones
	timer   *time.Timer
	shown   int64 // the record shown below the list (0: none)
	closed  bool
}

func newHistoryWindow(s *session) *historyWindow {
	w := &historyWindow{s: s, window: s.app.NewWindow(lang.L("History")), openURL: s.app.OpenURL}
	w.search = &widget.Entry{PlaceHolder: lang.L("Search messages"), OnChanged: w.onQueryChanged}
	w.search.ExtendBaseWidget(w.search)
	w.peer = &widget.Entry{PlaceHolder: lang.L("Peer (nick, user, host or address)"), OnChanged: w.onQueryChanged}
	w.peer.ExtendBaseWidget(w.peer)
	w.list = &widget.List{Length: func() int { return len(w.hits) }, CreateItem: newHistoryRow, UpdateItem: w.updateRow,
		OnSelected: w.onSelected}
	w.list.ExtendBaseWidget(w.list)
	w.more = &widget.Button{Text: lang.L("More"), Icon: theme.MoreVerticalIcon(), OnTapped: w.onMore}
	w.more.ExtendBaseWidget(w.more)
	w.more.Disable()
	w.status = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	w.header = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	w.text = &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true}
	w.files = container.NewVBox()
	w.detail = container.NewVScroll(container.NewVBox(w.header, w.text, w.files))
	w.detail.Hide()

	top := container.NewBorder(nil, nil, nil, nil, container.NewGridWithColumns(2, w.search, w.peer))
	bottom := container.NewBorder(nil, nil, nil, w.more, w.status)
	split := container.NewVSplit(container.NewBorder(top, bottom, nil, nil, w.list), w.detail)
	split.SetOffset(0.55)
	w.window.SetContent(split)
	w.window.Resize(fyne.NewSize(640, 520))
	w.window.SetOnClosed(w.onClosed)

	if s.hist == nil {
		w.status.SetText(lang.L("The history could not be opened: messages are not being saved."))
		w.search.Disable()
		w.peer.Disable()
		return w
	}
	w.load(0)
	return w
}

// onQueryChanged searches once typing pauses. The timer only asks the UI goroutine to search; what is
// searched is read from the entries then, so a late tick searches the current words too.
func (w *historyWindow) onQueryChanged(string) {
	if w.s.hist == nil {
		return
	}
	w.gen++ // what is in flight answers words no longer typed
	if w.timer != nil {
		w.timer.Stop()
	}
	w.timer = time.AfterFunc(searchDelay, func() { w.s.do(w.onSearch) })
}

func (w *historyWindow) onSearch() {
	if w.closed {
		return // closed meanwhile
	}
	w.load(0)
}

func (w *historyWindow) onMore() {
	if len(w.hits) > 0 && !w.loading {
		w.load(w.hits[len(w.hits)-1].ID)
	}
}

// load searches on a goroutine: a new search (before 0) from the entries, or the page of the listed
// search older than record before.
func (w *historyWindow) load(before int64) {
	q := w.query
	if before == 0 {
		q = history.Query{Text: strings.TrimSpace(w.search.Text), Peer: strings.TrimSpace(w.peer.Text), Limit: historyPage}
	}
	q.Before = before
	w.gen++
	gen := w.gen
	w.loading = true
	w.more.Disable()
	hist := w.s.hist
	w.s.work.Go(func() {
		hits, err := hist.Search(q)
		w.s.do(func() { w.loaded(gen, q, hits, err) })
	})
}

// loaded shows a search's answer unless a newer search was started meanwhile.
func (w *historyWindow) loaded(gen int, q history.Query, hits []history.Hit, err error) {
	if gen != w.gen || w.closed {
		return
	}
	w.loading = false
	if err != nil {
		w.status.SetText(lang.L("Search failed: {{.Error}}", map[string]any{"Error": err.Error()}))
		w.full = false
		return
	}
	if q.Before == 0 {
		w.hits = hits
		w.query = q
		w.list.UnselectAll()
		w.list.ScrollToTop()
	} else {
		w.hits = append(w.hits, hits...)
	}
	w.full = len(hits) == historyPage
	if w.full {
		w.more.Enable()
	}
	w.list.Refresh()
	switch {
	case len(w.hits) == 0:
		w.status.SetText(lang.L("No messages found."))
	case w.full:
		w.status.SetText(lang.L("{{.Count}} messages shown; More finds older ones.", map[string]any{"Count": len(w.hits)}))
	default:
		w.status.SetText(lang.N("{{.Count}} messages", len(w.hits), map[string]any{"Count": len(w.hits)}))
	}
}

// newHistoryRow is a list row: when, which way, who, and the text's line with the hit.
func newHistoryRow() fyne.CanvasObject {
	when := &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}}
	dir := &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	who := &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	marks := &widget.Label{Importance: widget.WarningImportance}
	text := &widget.RichText{Truncation: fyne.TextTruncateEllipsis}
	text.ExtendBaseWidget(text)
	return container.NewBorder(nil, nil, container.NewHBox(when, dir, who, marks), nil, text)
}

// historyRowParts are a row's widgets, in the order newHistoryRow makes them.
func historyRowParts(o fyne.CanvasObject) (when, dir, who, marks *widget.Label, text *widget.RichText) {
	c := o.(*fyne.Container)
	text = c.Objects[0].(*widget.RichText)
	left := c.Objects[1].(*fyne.Container)
	return left.Objects[0].(*widget.Label), left.Objects[1].(*widget.Label), left.Objects[2].(*widget.Label),
		left.Objects[3].(*widget.Label), text
}

// rowMarks are the few things a list row must say of a message: sealed (and whether it was opened),
// and a sent message that never arrived.
func rowMarks(r history.Record) string {
	var m []string
	switch {
	case r.Sealed && r.Opened:
		m = append(m, lang.L("sealed, opened"))
	case r.Sealed:
		m = append(m, lang.L("sealed, not opened"))
	}
	if r.Dir == history.Out && !r.Delivered {
		m = append(m, lang.L("Not delivered"))
	}
	return strings.Join(m, "; ")
}

func (w *historyWindow) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(w.hits) {
		return
	}
	h := w.hits[i]
	when, dir, who, marks, text := historyRowParts(o)
	when.SetText(h.Time.Local().Format("2006-01-02 15:04"))
	dir.SetText(arrow(h.Dir))
	who.SetText(peerName(h.Peer))
	marks.SetText(rowMarks(h.Record))
	marks.Hidden = marks.Text == ""
	text.Segments = hitSegments(h)
	text.Refresh()
}

// arrow is ← for a received message, → for a sent one.
func arrow(d history.Direction) string {
	if d == history.Out {
		return "→"
	}
	return "←"
}

func peerName(p history.Peer) string {
	if p.Nick != "" {
		return p.Nick
	}
	return p.User
}

// hitSegments is the line of h's text to list: the first line, or the line of the first match when that
// is further down, with the matched words in bold.
func hitSegments(h history.Hit) []widget.RichTextSegment {
	start, lead := 0, ""
	if len(h.Matches) > 0 {
		if first := min(h.Matches[0][0], len(h.Text)); strings.Contains(h.Text[:first], "\n") {
			start, lead = strings.LastIndex(h.Text[:first], "\n")+1, "…"
		}
	}
	end := len(h.Text)
	if n := strings.IndexByte(h.Text[start:], '\n'); n >= 0 {
		end = start + n
	}
	plain := widget.RichTextStyleInline
	bold := widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}, ColorName: theme.ColorNamePrimary}
	var segs []widget.RichTextSegment
	add := func(style widget.RichTextStyle, text string) {
		if text != "" {
			segs = append(segs, &widget.TextSegment{Style: style, Text: text})
		}
	}
	add(plain, lead)
	at := start
	for _, m := range h.Matches {
		from, to := max(m[0], at), min(m[1], end)
		if from >= to {
			continue
		}
		add(plain, h.Text[at:from])
		add(bold, h.Text[from:to])
		at = to
	}
	add(plain, h.Text[at:end])
	if len(segs) == 0 {
		add(plain, " ") // keeps the row's height
	}
	return segs
}

// onSelected shows the whole message below the list, read afresh: an attachment may have been saved
// since the search.
func (w *historyWindow) onSelected(i widget.ListItemID) {
	if i < 0 || i >= len(w.hits) {
		return
	}
	id := w.hits[i].ID
	w.shown = id
	hist := w.s.hist
	w.s.work.Go(func() {
		r, err := hist.Get(id)
		w.s.do(func() {
			if w.shown != id || w.closed {
				return
			}
			if err != nil {
				w.showError(err)
				return
			}
			w.show(r)
		})
	})
}

func (w *historyWindow) showError(err error) {
	w.header.SetText(err.Error())
	w.text.SetText("")
	w.files.RemoveAll()
	w.detail.Show()
}

// show puts r in the pane below the list: who and when, the text, the attachments and where they went.
func (w *historyWindow) show(r history.Record) {
	name := peerName(r.Peer)
	when := r.Time.Local().Format("2006-01-02 15:04:05")
	var head string
	if r.Dir == history.Out {
		head = lang.L("To {{.Name}} ({{.User}}@{{.Host}}), {{.Time}}", map[string]any{"Name": name, "User": r.Peer.User, "Host": r.Peer.Host, "Time": when})
	} else {
		head = lang.L("From {{.Name}} ({{.User}}@{{.Host}}), {{.Time}}", map[string]any{"Name": name, "User": r.Peer.User, "Host": r.Peer.Host, "Time": when})
	}
	if flags := recordFlags(r); flags != "" {
		head += "\n" + flags
	}
	w.header.SetText(head)
	w.text.SetText(r.Text)
	w.files.RemoveAll()
	for _, a := range r.Attachments {
		w.files.Add(w.attachmentRow(r.Dir, a))
	}
	w.detail.Show()
}

// recordFlags lists what was special about a message, comma separated.
func recordFlags(r history.Record) string {
	var f []string
	for _, c := range []struct {
		on    bool
		label string
	}{
		{r.Encrypted, lang.L("Encrypted")}, {r.Signed && r.Verified, lang.L("Signed and verified")},
		{r.Sealed, lang.L("Sealed")}, {r.Sealed && r.Opened, lang.L("Opened")}, {r.Locked, lang.L("Locked message")}, {r.AutoReply, lang.L("Automatic reply")},
		{r.Broadcast, lang.L("Broadcast")}, {r.Multicast, lang.L("Multicast")},
		{r.Dir == history.Out && !r.Delivered, lang.L("Not delivered")},
	} {
		if c.on {
			f = append(f, c.label)
		}
	}
	return strings.Join(f, ", ")
}

// attachmentRow names an attachment and where it was saved, with a button to open that folder (a sent
// one just by name: where it came from is not kept).
func (w *historyWindow) attachmentRow(dir history.Direction, a history.Attachment) fyne.CanvasObject {
	name := a.Name
	if a.Dir {
		name += string(filepath.Separator)
	} else {
		name += " (" + humanBytes(a.Size) + ")"
	}
	label := &widget.Label{Wrapping: fyne.TextWrapWord}
	switch {
	case a.Saved == "" && dir == history.Out:
		label.SetText(name)
		return label
	case a.Saved == "":
		label.SetText(lang.L("{{.Name}}: not saved", map[string]any{"Name": name}))
		return label
	}
	label.SetText(lang.L("{{.Name}}: saved to {{.Path}}", map[string]any{"Name": name, "Path": a.Saved}))
	open := &widget.Button{Text: lang.L("Open folder"), Icon: theme.FolderOpenIcon(), OnTapped: func() { w.onOpenFolder(a.Saved) }}
	open.ExtendBaseWidget(open)
	return container.NewBorder(nil, nil, nil, open, label)
}

// onOpenFolder opens the folder that holds path in the desktop's file manager.
func (w *historyWindow) onOpenFolder(path string) {
	u, err := url.Parse(storage.NewFileURI(filepath.Dir(path)).String())
	if err == nil {
		err = w.openURL(u)
	}
	if err != nil {
		w.s.log.Warn("open folder", "path", path, "err", err)
	}
}

func (w *historyWindow) onClosed() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.gen++
	w.closed = true
	if w.closedHook != nil {
		w.closedHook()
	}
}

// prune deletes the history older than the kept days (nothing when everything is kept), off the UI
// goroutine.
func (s *session) prune() {
	if s.hist == nil || s.set.KeepDays <= 0 {
		return
	}
	hist, before := s.hist, time.Now().AddDate(0, 0, -s.set.KeepDays)
	s.work.Go(func() {
		n, err := hist.Prune(before)
		if err != nil {
			s.log.Warn("history not pruned", "err", err)
		} else if n > 0 {
			s.log.Info("history pruned", "records", n, "before", before)
		}
	})
}
