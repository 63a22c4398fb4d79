package ui

import (
	"errors"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/internal/autostart"
	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// settingsWindow edits the settings. Save hands them to the session, which checks them, keeps them in the
// preferences and applies them (restarting the node when it has to); a bad field is shown under itself.
type settingsWindow struct {
	s       *session
	window  fyne.Window
	onSaved func() // optional: called after a successful Save, once the window is closed

	nick, group, absence        *widget.Entry
	port, bind, broadcasts      *widget.Entry
	master                      *widget.Entry // the member master's address
	beMaster                    *widget.Check // be the site's member master
	codepage, theme             *widget.Select
	keep                        *widget.Select // how long the history is kept
	keepNoLog                   *widget.Check  // keep messages whose sender asked for no log
	keepDays                    []int          // keep's options in days, 0 for all
	downloads                   *widget.Entry
	choose                      *widget.Button
	notifications, popUp, quote *widget.Check
	atLogin                     *widget.Check // "Start Hato when I log in": the OS's own entry, not a preference
	requireEnc, fingerprintName *widget.Check
	fingerprint                 *widget.Label
	password, confirm           *widget.Entry
	removePassword              *widget.Check
	save, cancel                *widget.Button

	errs   map[string]*widget.Label // settingError.Field → the error label under that field
	status *widget.Label            // the error of the last Save, next to the buttons
}

// codepages are the legacy code pages offered, in the order shown.
var codepages = []struct{ name, label string }{
	{"cp932", "Japanese (CP932)"},
	{"gbk", "Chinese (GBK)"},
	{"utf-8", "UTF-8"},
}

func newSettingsWindow(s *session) *settingsWindow {
	w := &settingsWindow{s: s, window: s.app.NewWindow(lang.L("Settings")), errs: map[string]*widget.Label{}}
	w.buildUI()
	w.load(s.set)
	w.window.Resize(fyne.NewSize(520, 640))
	return w
}

func (w *settingsWindow) buildUI() {
	w.nick = newEntry(false)
	w.group = newEntry(false)
	w.absence = newEntry(true)
	w.port = newEntry(false)
	w.port.Validator = w.checkPort
	w.port.OnChanged = func(string) { w.showError("port", w.checkPort(w.port.Text)) }
	w.bind = newEntry(false)
	w.bind.PlaceHolder = lang.L("All addresses")
	w.bind.Validator = w.checkBind
	w.bind.OnChanged = func(string) { w.showError("bind", w.checkBind(w.bind.Text)) }
	w.broadcasts = newEntry(true)
	w.broadcasts.PlaceHolder = "192.168.1.255\n10.0.0.0/24\n172.16.0.10-20"
	w.master = newEntry(false)
	w.master.PlaceHolder = lang.L("None")
	w.beMaster = &widget.Check{Text: lang.L("Be the member master of this site")}
	labels := make([]string, len(codepages))
	for i, c := range codepages {
		labels[i] = lang.L(c.label)
	}
	w.codepage = &widget.Select{Options: labels}
	w.codepage.ExtendBaseWidget(w.codepage)
	themeLabels := make([]string, len(themes))
	for i, t := range themes {
		themeLabels[i] = lang.L(t.label)
	}
	w.theme = &widget.Select{Options: themeLabels}
	w.theme.ExtendBaseWidget(w.theme)
	w.keepDays = []int{0, 30, 90, 365}
	if d := w.s.set.KeepDays; d > 0 && !slices.Contains(w.keepDays, d) {
		// A value set elsewhere stays choosable.
		w.keepDays = append(w.keepDays, d)
		slices.Sort(w.keepDays)
	}
	keepLabels := make([]string, len(w.keepDays))
	for i, d := range w.keepDays {
		keepLabels[i] = keepLabel(d)
	}
	w.keep = &widget.Select{Options: keepLabels}
	w.keep.ExtendBaseWidget(w.keep)
	w.keepNoLog = &widget.Check{Text: lang.L("Keep messages the sender asked not to log")}
	w.downloads = newEntry(false)
	w.choose = &widget.Button{Text: lang.L("Choose…"), OnTapped: w.onChoose}
	w.notifications = &widget.Check{Text: lang.L("Show notifications")}
	w.popUp = &widget.Check{Text: lang.L("Open each message in a window at once")}
	w.atLogin = &widget.Check{Text: lang.L("Start Hato when I log in")}
	if w.s.login.Exe == "" {
		w.atLogin.Disable()
	}
	w.quote = &widget.Check{Text: lang.L("Reply quotes the message")}
	w.requireEnc = &widget.Check{Text: lang.L("Never send unencrypted")}
	w.fingerprintName = &widget.Check{Text: lang.L("Fingerprint in my user name")}
	w.fingerprint = &widget.Label{Text: w.keyFingerprint(), TextStyle: fyne.TextStyle{Monospace: true}, Selectable: true}
	w.password = widget.NewPasswordEntry() // the constructor adds the reveal button
	w.confirm = widget.NewPasswordEntry()
	w.removePassword = &widget.Check{Text: lang.L("Remove password"), OnChanged: w.onRemovePassword}
	w.save = &widget.Button{Text: lang.L("Save"), Importance: widget.HighImportance, OnTapped: w.onSave}
	w.cancel = &widget.Button{Text: lang.L("Cancel"), OnTapped: w.onCancel}
	w.status = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	w.status.Hide()
	// Editing a field takes back what the last Save said about it ("Not saved").
	for name, e := range map[string]*widget.Entry{"nick": w.nick, "group": w.group, "absence": w.absence, "port": w.port,
		"bind": w.bind, "broadcasts": w.broadcasts, "master": w.master, "downloads": w.downloads, "password": w.password} {
		live := e.OnChanged
		e.OnChanged = func(text string) {
			w.onEdited(name)
			if live != nil {
				live(text)
			}
		}
	}

	you := &widget.Form{Items: []*widget.FormItem{
		{Text: lang.L("Nickname"), Widget: w.field("nick", w.nick)},
		{Text: lang.L("Group"), Widget: w.field("group", w.group)},
		{Text: lang.L("Absence texts"), Widget: w.field("absence", w.absence),
			HintText: lang.L("One per line; the first is the default")},
	}}
	network := &widget.Form{Items: []*widget.FormItem{
		{Text: lang.L("Port"), Widget: w.field("port", w.port), HintText: lang.L("IP Messenger uses 2425")},
		{Text: lang.L("Bind address"), Widget: w.field("bind", w.bind), HintText: lang.L("Empty: all addresses")},
		{Text: lang.L("Extra broadcast destinations"), Widget: w.field("broadcasts", w.broadcasts),
			HintText: lang.L("One per line: IP[:PORT], CIDR or a.b.c.d-e")},
		{Text: lang.L("Legacy code page"), Widget: w.field("codepage", w.codepage),
			HintText: lang.L("For peers that do not speak UTF-8")},
		{Text: lang.L("Member master"), Widget: w.field("master", w.master),
			HintText: lang.L("Address of the member master that lists the whole site (IP Messenger's directory)")},
		{Text: "", Widget: w.beMaster,
			HintText: lang.L("Members on every subnet poll this Hato and get everyone's list; leave it running")},
	}}
	files := &widget.Form{Items: []*widget.FormItem{
		{Text: lang.L("Download folder"), Widget: w.field("downloads", container.NewBorder(nil, nil, nil, w.choose, w.downloads))},
	}}
	messages := container.NewVBox(w.atLogin, w.notifications, w.popUp, w.quote, w.keepNoLog,
		&widget.Form{Items: []*widget.FormItem{
			{Text: lang.L("Theme"), Widget: w.theme},
			{Text: lang.L("Keep history"), Widget: w.field("history", w.keep),
				HintText: lang.L("Older messages are deleted from the history")},
		}})
	encryption := container.NewVBox(
		w.requireEnc,
		w.fingerprintName,
		&widget.Label{Wrapping: fyne.TextWrapWord, SizeName: theme.SizeNameCaptionText, Text: lang.L(
			"Peers then see you as user-<fingerprint>, a name nobody else can claim. Changing this makes peers see a new user.")},
		&widget.Form{Items: []*widget.FormItem{{Text: lang.L("My key fingerprint"), Widget: w.fingerprint}}},
	)
	password := &widget.Form{Items: []*widget.FormItem{
		{Text: lang.L("New password"), Widget: w.field("password", w.password),
			HintText: lang.L("Leave both empty to keep the current password")},
		{Text: lang.L("Confirm"), Widget: w.confirm},
		{Text: "", Widget: w.removePassword},
	}}

	body := container.NewVBox(
		&widget.Card{Title: lang.L("You"), Content: you},
		&widget.Card{Title: lang.L("Network"), Content: network},
		&widget.Card{Title: lang.L("Files"), Content: files},
		&widget.Card{Title: lang.L("Messages"), Content: messages},
		&widget.Card{Title: lang.L("Encryption"), Content: encryption},
		&widget.Card{Title: lang.L("Password for locked messages"), Content: password},
	)
	buttons := container.NewHBox(layout.NewSpacer(), w.cancel, w.save)
	w.window.SetContent(container.NewBorder(nil, container.NewVBox(w.status, buttons), nil, nil, container.NewVScroll(body)))
}

// newEntry is an empty entry, multi-line for lists edited one item a line.
func newEntry(multiLine bool) *widget.Entry {
	e := &widget.Entry{MultiLine: multiLine, Wrapping: fyne.TextWrapOff}
	e.ExtendBaseWidget(e)
	if multiLine {
		e.SetMinRowsVisible(3)
	}
	return e
}

// field puts the error label of a settingError field under its widget.
func (w *settingsWindow) field(name string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(o, w.errLabel(name))
}

func (w *settingsWindow) errLabel(name string) *widget.Label {
	l := &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	l.Hide()
	w.errs[name] = l
	return l
}

// showError shows err under the field, or clears the field's error when err is nil.
func (w *settingsWindow) showError(field string, err error) {
	l := w.errs[field]
	if l == nil {
		return
	}
	if err == nil {
		if l.Visible() {
			l.SetText("")
			l.Hide()
			w.relayout()
		}
		return
	}
	l.SetText(err.Error())
	if !l.Visible() {
		l.Show()
		w.relayout()
	}
}

// relayout makes room for an error label that came or went: forms do not grow on their own.
func (w *settingsWindow) relayout() {
	if c := w.window.Content(); c != nil {
		c.Refresh()
	}
}

// load shows t in the widgets.
func (w *settingsWindow) load(t settings) {
	w.nick.SetText(t.Nick)
	w.group.SetText(t.Group)
	w.absence.SetText(strings.Join(t.AbsencePresets, "\n"))
	w.port.SetText(t.Port)
	w.bind.SetText(t.Bind)
	w.master.SetText(t.Master)
	w.beMaster.SetChecked(t.BeMaster)
	w.broadcasts.SetText(strings.Join(t.Broadcasts, "\n"))
	if cp, err := wire.ParseCodepage(t.Codepage); err == nil {
		if i := slices.IndexFunc(codepages, func(c struct{ name, label string }) bool { return c.name == cp.String() }); i >= 0 {
			w.codepage.SetSelectedIndex(i)
		}
	}
	w.downloads.SetText(t.DownloadDir)
	w.notifications.SetChecked(t.Notifications)
	w.popUp.SetChecked(t.PopUp)
	on, _ := autostart.Enabled()
	w.atLogin.SetChecked(on)
	w.quote.SetChecked(t.QuoteReply)
	w.requireEnc.SetChecked(t.RequireEncryption)
	w.fingerprintName.SetChecked(t.FingerprintName)
	w.theme.SetSelectedIndex(max(0, slices.IndexFunc(themes, func(c struct{ name, label string }) bool { return c.name == t.Theme })))
	w.keep.SetSelectedIndex(max(0, slices.Index(w.keepDays, t.KeepDays)))
	w.keepNoLog.SetChecked(t.KeepNoLog)
}

// settings reads the widgets into a copy of the current settings; only a password mismatch is caught here,
// the rest is for settings.validate.
func (w *settingsWindow) settings() (settings, error) {
	t := w.s.set
	t.Nick = strings.TrimSpace(w.nick.Text)
	t.Group = strings.TrimSpace(w.group.Text)
	t.AbsencePresets = lines(w.absence.Text)
	t.Port = strings.TrimSpace(w.port.Text)
	t.Bind = strings.TrimSpace(w.bind.Text)
	t.Broadcasts = lines(w.broadcasts.Text)
	t.Master = strings.TrimSpace(w.master.Text)
	t.BeMaster = w.beMaster.Checked
	t.Codepage = ""
	if i := w.codepage.SelectedIndex(); i >= 0 {
		t.Codepage = codepages[i].name
	}
	t.DownloadDir = strings.TrimSpace(w.downloads.Text)
	t.Notifications = w.notifications.Checked
	t.PopUp = w.popUp.Checked
	t.QuoteReply = w.quote.Checked
	t.RequireEncryption = w.requireEnc.Checked
	t.FingerprintName = w.fingerprintName.Checked
	if i := w.theme.SelectedIndex(); i >= 0 {
		t.Theme = themes[i].name
	}
	if i := w.keep.SelectedIndex(); i >= 0 {
		t.KeepDays = w.keepDays[i]
	}
	t.KeepNoLog = w.keepNoLog.Checked
	switch {
	case w.removePassword.Checked:
		t.PasswordHash = ""
	case w.password.Text == "" && w.confirm.Text == "":
		// keep the current password
	case w.password.Text != w.confirm.Text:
		return t, &settingError{Field: "password", Err: errors.New(lang.L("the two passwords differ"))}
	default:
		t.PasswordHash = hashPassword(w.password.Text)
	}
	if len(t.AbsencePresets) == 0 {
		return t, &settingError{Field: "absence", Err: errors.New(lang.L("at least one absence text is needed"))}
	}
	return t, nil
}

// lines are the non-empty lines of text, trimmed.
func lines(text string) []string {
	var out []string
	for l := range strings.Lines(text) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// checkPort and checkBind validate one field as it is typed, against the running (valid) settings.
func (w *settingsWindow) checkPort(text string) error {
	t := w.s.set
	t.Port = text
	return fieldError(t.validate(), "port")
}

func (w *settingsWindow) checkBind(text string) error {
	t := w.s.set
	t.Bind = text
	return fieldError(t.validate(), "bind")
}

// fieldError is err's message when err is about field.
func fieldError(err error, field string) error {
	if se, ok := errors.AsType[*settingError](err); ok && se.Field == field {
		return se.Err
	}
	return nil
}

// fieldLabels name the fields in the summary next to the buttons.
func fieldLabels() map[string]string {
	return map[string]string{
		"nick": lang.L("Nickname"), "group": lang.L("Group"), "absence": lang.L("Absence texts"),
		"port": lang.L("Port"), "bind": lang.L("Bind address"), "broadcasts": lang.L("Extra broadcast destinations"),
		"codepage": lang.L("Legacy code page"), "downloads": lang.L("Download folder"),
		"password": lang.L("Password for locked messages"), "history": lang.L("Keep history"),
	}
}

// keepLabel names a history retention: all, or a number of days.
func keepLabel(days int) string {
	if days == 0 {
		return lang.L("Keep all")
	}
	return lang.L("{{.Count}} days", map[string]any{"Count": days})
}

func (w *settingsWindow) keyFingerprint() string {
	if k := w.s.keys(); k != nil && k.RSA2048 != nil {
		return crypt.Fingerprint(&k.RSA2048.PublicKey)
	}
	return lang.L("Keys are being made…")
}

func (w *settingsWindow) onSave() {
	for name := range w.errs {
		w.showError(name, nil)
	}
	w.status.SetText("")
	w.status.Hide()
	t, err := w.settings()
	if err == nil {
		err = w.s.applySettings(t)
	}
	if err != nil {
		w.showSaveError(err)
		return
	}
	if err := w.s.setStartAtLogin(w.atLogin.Checked); err != nil {
		w.showSaveError(err)
		return
	}
	applyTheme(w.s.app, t.Theme)
	w.s.prune()
	w.window.Close()
	if w.onSaved != nil {
		w.onSaved()
	}
}

// showSaveError puts a field's error under the field and, since that may be scrolled away, also next to
// the buttons; other errors (a port already taken) only next to the buttons.
func (w *settingsWindow) showSaveError(err error) {
	msg := err.Error()
	if se, ok := errors.AsType[*settingError](err); ok {
		w.showError(se.Field, se.Err)
		if name, ok := fieldLabels()[se.Field]; ok {
			msg = name + ": " + se.Err.Error()
		}
	}
	w.status.SetText(lang.L("Not saved: {{.Error}}", map[string]any{"Error": msg}))
	w.status.Show()
	w.relayout()
}

func (w *settingsWindow) onCancel() { w.window.Close() }

// onEdited clears the field's error and the "Not saved" line: they spoke of the value before the edit.
func (w *settingsWindow) onEdited(field string) {
	w.showError(field, nil)
	if w.status.Visible() {
		w.status.SetText("")
		w.status.Hide()
		w.relayout()
	}
}

func (w *settingsWindow) onChoose() {
	d := dialog.NewFolderOpen(w.onFolderChosen, w.window)
	if isDir(w.downloads.Text) {
		if l, err := storage.ListerForURI(storage.NewFileURI(w.downloads.Text)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

func (w *settingsWindow) onFolderChosen(dir fyne.ListableURI, err error) {
	if err != nil {
		w.showError("downloads", err)
		return
	}
	if dir != nil { // nil: the dialog was cancelled
		w.downloads.SetText(dir.Path())
		w.showError("downloads", nil)
	}
}

// onRemovePassword greys out the password entries: removing wins over anything typed there.
func (w *settingsWindow) onRemovePassword(remove bool) {
	if remove {
		w.password.Disable()
		w.confirm.Disable()
	} else {
		w.password.Enable()
		w.confirm.Enable()
	}
}
