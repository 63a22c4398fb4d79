package ui

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/image/draw"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/transfer"
)

// messageEntry is the message box: multi-line, and Ctrl+Enter sends (as in IP Messenger). Paste
// (Ctrl+V, Shift+Insert, the context menu) goes to onPaste, which may paste a picture instead of text.
type messageEntry struct {
	widget.Entry
	onSend  func()
	onPaste func(*fyne.ShortcutPaste)
}

func newMessageEntry(onSend func()) *messageEntry {
	e := &messageEntry{onSend: onSend}
	e.MultiLine, e.Wrapping = true, fyne.TextWrapWord
	e.PlaceHolder = lang.L("Message (Ctrl+Enter sends)")
	e.ExtendBaseWidget(e)
	return e
}

// ctrlEnter is the send shortcut.
var ctrlEnter = &desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault}

func (e *messageEntry) TypedShortcut(s fyne.Shortcut) {
	if c, ok := s.(*desktop.CustomShortcut); ok && (c.KeyName == fyne.KeyReturn || c.KeyName == fyne.KeyEnter) &&
		c.Modifier == fyne.KeyModifierShortcutDefault {
		e.onSend()
		return
	}
	if p, ok := s.(*fyne.ShortcutPaste); ok && e.onPaste != nil {
		e.onPaste(p)
		return
	}
	e.Entry.TypedShortcut(s)
}

// pasteText is the Entry's own paste: the clipboard's text at the cursor.
func (e *messageEntry) pasteText(p *fyne.ShortcutPaste) { e.Entry.TypedShortcut(p) }

// setCursorOffset puts the cursor before the n-th rune of the text. The Entry counts the cursor in
// rows as laid out (wrapped), so the row is the last one that begins at or before n.
func (e *messageEntry) setCursorOffset(n int) {
	row, begin := 0, 0
	for r := 1; ; r++ {
		e.CursorRow, e.CursorColumn = r, 0
		b := e.CursorTextOffset() // 0 past the last row
		if b == 0 || b > n {
			break
		}
		row, begin = r, b
	}
	e.CursorRow, e.CursorColumn = row, n-begin
	e.Refresh()
}

// composer is the lower half of the main window: the message, its options and its attachments.
type composer struct {
	lastTyped    time.Time // the user's last keystroke in the message box: new windows wait while typing goes on
	entry        *messageEntry
	sealed       *widget.Check
	locked       *widget.Check
	attachFile   *widget.Button
	attachFolder *widget.Button
	send         *widget.Button
	status       *widget.Label
	chips        *fyne.Container
	attachments  []string // local paths, in the order added
	content      fyne.CanvasObject

	// Pictures pasted into the message. A Fyne Entry holds text only, so each picture is an
	// objectMarker in the text, the k-th marker being images[k], and a numbered thumbnail in a strip
	// under the message box. text is the entry's text as sync last saw it.
	images      []*pastedImage
	pending     *pastedImage // the picture whose marker inline is typing
	marks       []*mark      // places where pastes still reading the clipboard will go
	text        string
	thumbs      *fyne.Container
	thumbScroll *container.Scroll
}

// mark is a place in the text (a byte offset) that follows edits: where Ctrl+V was pressed, kept
// while the clipboard is read.
type mark struct{ at int }

// pastedImage is one picture of the message and its tile in the strip.
type pastedImage struct {
	png    []byte
	tile   fyne.CanvasObject
	number *widget.Label  // its place among the markers, from 1
	remove *widget.Button // takes it and its marker out of the message
}

func newComposer(onSend, onAttachFile, onAttachFolder func()) *composer {
	c := &composer{
		entry:        newMessageEntry(onSend),
		attachFile:   &widget.Button{Text: lang.L("File…"), Icon: theme.FileIcon(), OnTapped: onAttachFile},
		attachFolder: &widget.Button{Text: lang.L("Folder…"), Icon: theme.FolderIcon(), OnTapped: onAttachFolder},
		send:         &widget.Button{Text: lang.L("Send"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: onSend},
		status:       &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		chips:        container.NewHBox(),
		thumbs:       container.NewHBox(),
	}
	c.entry.OnChanged = func(string) { c.lastTyped = time.Now(); c.sync() }
	c.thumbScroll = container.NewHScroll(c.thumbs)
	c.thumbScroll.Hide()
	c.sealed = &widget.Check{Text: lang.L("Sealed"), OnChanged: c.onSealedChanged}
	c.locked = &widget.Check{Text: lang.L("Lock"), OnChanged: c.onLockedChanged}
	for _, w := range []fyne.Widget{c.attachFile, c.attachFolder, c.send, c.status, c.sealed, c.locked} {
		w.(interface{ ExtendBaseWidget(fyne.Widget) }).ExtendBaseWidget(w)
	}
	options := container.NewHBox(c.sealed, c.locked, c.attachFile, c.attachFolder)
	bottom := container.NewVBox(c.thumbScroll, container.NewHScroll(c.chips), container.NewBorder(nil, nil, options, c.send, c.status))
	c.content = container.NewBorder(nil, bottom, nil, nil, c.entry)
	return c
}

// A locked message is always sealed (IP Messenger's rule): checking Lock checks Sealed, unchecking
// Sealed unchecks Lock.
func (c *composer) onSealedChanged(on bool) {
	if !on && c.locked.Checked {
		c.locked.SetChecked(false)
	}
}

func (c *composer) onLockedChanged(on bool) {
	if on && !c.sealed.Checked {
		c.sealed.SetChecked(true)
	}
}

// attach adds paths not attached yet; it refuses paths that do not exist.
func (c *composer) attach(paths ...string) error {
	for _, p := range paths {
		p = filepath.Clean(p)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("attach %s: %w", filepath.Base(p), err)
		}
		if !slices.Contains(c.attachments, p) {
			c.attachments = append(c.attachments, p)
		}
	}
	c.showChips()
	return nil
}

func (c *composer) detach(p string) {
	c.attachments = slices.DeleteFunc(c.attachments, func(q string) bool { return q == p })
	c.showChips()
}

// showChips draws one removable chip per attachment: name and size (a folder's total).
func (c *composer) showChips() {
	c.chips.Objects = c.chips.Objects[:0]
	for _, p := range c.attachments {
		icon := theme.FileIcon()
		if isDir(p) {
			icon = theme.FolderIcon()
		}
		label := fmt.Sprintf("%s (%s)", filepath.Base(p), humanBytes(pathSize(p)))
		remove := &widget.Button{Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: func() { c.detach(p) }}
		c.chips.Add(container.NewHBox(widget.NewIcon(icon), widget.NewLabel(label), remove))
	}
	c.chips.Refresh()
}

// clear empties the message after it went out.
func (c *composer) clear() {
	c.entry.SetText("")
	c.sealed.SetChecked(false)
	c.locked.SetChecked(false)
	c.attachments = nil
	c.showChips()
	c.images, c.text = nil, c.entry.Text
	c.showImages()
}

// Why a picture cannot go into the message (pictureProblem words them for the user).
var (
	errTooManyPictures = errors.New("too many pictures")
	errPictureTooBig   = errors.New("picture too large")
)

// pictureProblem says in the user's language why a picture was refused.
func pictureProblem(err error) string {
	switch {
	case errors.Is(err, errTooManyPictures):
		return lang.L("A message can hold at most {{.Count}} pictures.", map[string]any{"Count": transfer.MaxInlineImages})
	case errors.Is(err, errPictureTooBig):
		return lang.L("The picture is larger than {{.Size}} MB.", map[string]any{"Size": transfer.MaxInlineImageSize >> 20})
	case errors.Is(err, transfer.ErrNotPNG):
		return lang.L("That is not a PNG picture.")
	}
	return err.Error()
}

// markCursor remembers where the cursor is now, for a picture that arrives later; unmark forgets it.
func (c *composer) markCursor() *mark {
	c.sync()
	m := &mark{at: runeOffset(c.entry.Text, c.entry.CursorTextOffset())}
	c.marks = append(c.marks, m)
	return m
}

func (c *composer) unmark(m *mark) {
	c.marks = slices.DeleteFunc(c.marks, func(o *mark) bool { return o == m })
}

// inline puts a PNG into the message where m is (at the cursor for nil), or over the selected text
// (replacing it, as typing does): a marker in the text, and a tile in the strip.
func (c *composer) inline(b []byte, m *mark) error {
	if len(c.images) >= transfer.MaxInlineImages {
		return errTooManyPictures
	}
	if len(b) > transfer.MaxInlineImageSize {
		return errPictureTooBig
	}
	img, err := transfer.DecodePNG(b)
	if err != nil {
		return err
	}
	p := &pastedImage{png: b, number: &widget.Label{}}
	p.remove = &widget.Button{Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: func() { c.removeImage(p) }}
	p.number.ExtendBaseWidget(p.number)
	p.remove.ExtendBaseWidget(p.remove)
	pic := canvas.NewImageFromImage(thumbnail(img))
	pic.FillMode = canvas.ImageFillContain
	pic.SetMinSize(fyne.NewSize(thumbWidth, thumbHeight))
	p.tile = container.NewBorder(nil, container.NewHBox(p.number, p.remove), nil, nil, pic)

	c.sync()
	c.pending = p
	defer func() { c.pending = nil }()
	if m == nil || c.entry.SelectedText() != "" {
		c.entry.TypedRune(objectMarker) // the typed marker: sync takes p in
		return nil
	}
	// At the mark, the cursor staying where it is (after the marker if it was at or past the mark).
	text := c.entry.Text
	at := utf8.RuneCountInString(text[:min(m.at, len(text))])
	cur := c.entry.CursorTextOffset()
	c.entry.setCursorOffset(at)
	c.entry.TypedRune(objectMarker)
	if cur >= at {
		cur++
	}
	c.entry.setCursorOffset(cur)
	return nil
}

// removeImage takes a picture and its marker out of the message.
func (c *composer) removeImage(p *pastedImage) {
	c.sync()
	i := slices.Index(c.images, p)
	if i < 0 {
		return
	}
	at := markerOffset(c.text, i)
	cur := c.entry.CursorTextOffset()
	if cur > utf8.RuneCountInString(c.text[:at]) {
		cur--
	}
	c.images = slices.Delete(c.images, i, i+1)
	c.text = c.text[:at] + c.text[at+len(string(objectMarker)):] // sync then sees no edit to make sense of
	c.entry.SetText(c.text)
	c.entry.setCursorOffset(cur)
	c.showImages()
}

// message is what goes out: the text without its markers, and the pictures at the byte offsets where
// their markers were.
func (c *composer) message() (string, []transfer.InlineImage) {
	c.sync()
	var text strings.Builder
	var images []transfer.InlineImage
	for _, r := range c.text {
		if r == objectMarker {
			images = append(images, transfer.InlineImage{At: text.Len(), PNG: c.images[len(images)].png})
			continue
		}
		text.WriteRune(r)
	}
	return text.String(), images
}

// sync follows the text's last edit. Fyne reports the new text only, so the edit is what lies between
// the common beginning and end of the old and new texts (or, where that is ambiguous, as between two
// markers side by side, at the cursor). Markers it deleted take their pictures with them; markers it
// added (typed, pasted as text, brought back by undo) have no picture and are taken out again, except
// the one inline types. Marks move with the text as pictures do.
func (c *composer) sync() {
	now := c.entry.Text
	if now == c.text {
		return
	}
	start, oldEnd, newEnd := editSpan(c.text, now)
	start, oldEnd, newEnd = atCursor(c.text, now, runeOffset(now, c.entry.CursorTextOffset()), start, oldEnd, newEnd)
	k := strings.Count(c.text[:start], string(objectMarker))
	gone := strings.Count(c.text[start:oldEnd], string(objectMarker))
	c.images = slices.Delete(c.images, k, k+gone)
	added := now[start:newEnd]
	picture := c.pending != nil && added == string(objectMarker)
	if picture {
		c.images = slices.Insert(c.images, k, c.pending)
		c.pending = nil
	}
	for _, m := range c.marks {
		switch {
		case m.at < start || m.at == start && !picture: // text typed at a mark follows the picture to come
		case m.at >= oldEnd:
			m.at += newEnd - oldEnd
		default:
			m.at = start
		}
	}
	c.text = now
	if !picture && strings.ContainsRune(added, objectMarker) {
		clean := strings.ReplaceAll(added, string(objectMarker), "")
		cur := c.entry.CursorTextOffset()
		if cb := runeOffset(now, cur); cb > start {
			cur -= strings.Count(now[start:min(cb, newEnd)], string(objectMarker))
		}
		for _, m := range c.marks {
			if m.at >= newEnd {
				m.at -= len(added) - len(clean)
			} else if m.at > start {
				m.at = start
			}
		}
		c.text = now[:start] + clean + now[newEnd:]
		c.entry.SetText(c.text)
		c.entry.setCursorOffset(cur)
	}
	if gone > 0 || picture {
		c.showImages()
	}
}

// objectMarker stands for a picture in the message box's text (Windows' RichEdit counts a picture as
// one character too). Fyne's bundled Noto Sans draws it as a dashed box saying OBJ.
const objectMarker = '\uFFFC'

// markerOffset is the byte offset of the i-th marker in text.
func markerOffset(text string, i int) int {
	at := 0
	for {
		j := strings.IndexRune(text[at:], objectMarker)
		if j < 0 {
			return len(text)
		}
		if i == 0 {
			return at + j
		}
		at += j + len(string(objectMarker))
		i--
	}
}

// atCursor places a pure insertion or deletion that editSpan found at the cursor when that explains
// the edit as well: deleting the first of two markers side by side deleted that one, not the second.
// cursor is a byte offset into now, which is where Fyne leaves it after such edits (after an insertion,
// at a deletion).
func atCursor(old, now string, cursor, start, oldEnd, newEnd int) (int, int, int) {
	switch {
	case newEnd == start: // deleted
		n := oldEnd - start
		if cursor+n <= len(old) && old[:cursor] == now[:cursor] && old[cursor+n:] == now[cursor:] {
			return cursor, cursor + n, cursor
		}
	case oldEnd == start: // inserted
		n := newEnd - start
		if s := cursor - n; s >= 0 && s <= len(old) && old[:s] == now[:s] && old[s:] == now[cursor:] {
			return s, s, cursor
		}
	}
	return start, oldEnd, newEnd
}

// editSpan finds the single edit that turns old into now: old[start:oldEnd] became now[start:newEnd].
// It works rune by rune, so the offsets are rune boundaries of both texts.
func editSpan(old, now string) (start, oldEnd, newEnd int) {
	for start < len(old) && start < len(now) {
		_, n := utf8.DecodeRuneInString(old[start:])
		_, m := utf8.DecodeRuneInString(now[start:])
		if old[start:start+n] != now[start:start+m] {
			break
		}
		start += n
	}
	oldEnd, newEnd = len(old), len(now)
	for oldEnd > start && newEnd > start {
		_, n := utf8.DecodeLastRuneInString(old[start:oldEnd])
		_, m := utf8.DecodeLastRuneInString(now[start:newEnd])
		if old[oldEnd-n:oldEnd] != now[newEnd-m:newEnd] {
			break
		}
		oldEnd, newEnd = oldEnd-n, newEnd-m
	}
	return start, oldEnd, newEnd
}

// runeOffset is the byte offset of the n-th rune of s (len(s) past the end).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// showImages redraws the strip of thumbnails, numbered in marker order; it is hidden while there are none.
func (c *composer) showImages() {
	c.thumbs.Objects = c.thumbs.Objects[:0]
	for i, p := range c.images {
		p.number.SetText(strconv.Itoa(i + 1))
		c.thumbs.Add(p.tile)
	}
	if len(c.images) == 0 {
		c.thumbScroll.Hide()
	} else {
		c.thumbScroll.Show()
	}
	c.thumbs.Refresh()
}

// Thumbnails are drawn in about 96x72 and kept at twice that at most (a 4K screenshot decoded is 33 MB).
const thumbWidth, thumbHeight = 96, 72

func thumbnail(img image.Image) image.Image {
	b := img.Bounds()
	scale := min(1, float64(2*thumbWidth)/float64(b.Dx()), float64(2*thumbHeight)/float64(b.Dy()))
	if scale == 1 {
		return img
	}
	dst := image.NewRGBA(image.Rect(0, 0, max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// onTarget reports whether pos (canvas coordinates) is on the message box or its pictures: files
// dropped there are the message's, and PNGs go into the text.
func (c *composer) onTarget(pos fyne.Position) bool {
	d := fyne.CurrentApp().Driver()
	for _, o := range []fyne.CanvasObject{c.entry, c.thumbScroll} {
		if !o.Visible() || d.CanvasForObject(o) == nil {
			continue
		}
		p, size := d.AbsolutePositionForObject(o), o.Size()
		if pos.X >= p.X && pos.X < p.X+size.Width && pos.Y >= p.Y && pos.Y < p.Y+size.Height {
			return true
		}
	}
	return false
}

// pathSize is a file's size or a folder's total; errors count as 0 (the offer reports them).
func pathSize(p string) int64 {
	var total int64
	filepath.WalkDir(p, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}
