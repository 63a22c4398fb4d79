package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// messageEntry is the message box: multi-line, and Ctrl+Enter sends (as in IP Messenger).
type messageEntry struct {
	widget.Entry
	onSend func()
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
	e.Entry.TypedShortcut(s)
}

// composer is the lower half of the main window: the message, its options and its attachments.
type composer struct {
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
}

func newComposer(onSend, onAttachFile, onAttachFolder func()) *composer {
	c := &composer{
		entry:        newMessageEntry(onSend),
		attachFile:   &widget.Button{Text: lang.L("File…"), Icon: theme.FileIcon(), OnTapped: onAttachFile},
		attachFolder: &widget.Button{Text: lang.L("Folder…"), Icon: theme.FolderIcon(), OnTapped: onAttachFolder},
		send:         &widget.Button{Text: lang.L("Send"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: onSend},
		status:       &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		chips:        container.NewHBox(),
	}
	c.sealed = &widget.Check{Text: lang.L("Sealed"), OnChanged: c.onSealedChanged}
	c.locked = &widget.Check{Text: lang.L("Lock"), OnChanged: c.onLockedChanged}
	for _, w := range []fyne.Widget{c.attachFile, c.attachFolder, c.send, c.status, c.sealed, c.locked} {
		w.(interface{ ExtendBaseWidget(fyne.Widget) }).ExtendBaseWidget(w)
	}
	options := container.NewHBox(c.sealed, c.locked, c.attachFile, c.attachFolder)
	bottom := container.NewVBox(container.NewHScroll(c.chips), container.NewBorder(nil, nil, options, c.send, c.status))
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
