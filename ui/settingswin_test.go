package ui

import (
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"hato/messenger"
	"hato/protocol"
	"hato/protocol/crypt"
)

func isOpen(w fyne.Window) bool {
	return slices.Contains(fyne.CurrentApp().Driver().AllWindows(), w)
}

// assertFieldError checks that a failed Save left the window open, showed err under field (mentioning
// want) and in the summary, and changed nothing.
func assertFieldError(t *testing.T, ts *testSession, w *settingsWindow, field, want string, before settings) {
	t.Helper()
	l := w.errs[field]
	if !l.Visible() || !strings.Contains(l.Text, want) {
		t.Errorf("%s error label %q (visible %v), want one naming %q", field, l.Text, l.Visible(), want)
	}
	if !w.status.Visible() || !strings.Contains(w.status.Text, want) {
		t.Errorf("status %q (visible %v), want one naming %q", w.status.Text, w.status.Visible(), want)
	}
	if !isOpen(w.window) {
		t.Error("the window closed on an error")
	}
	if !reflect.DeepEqual(ts.set, before) {
		t.Errorf("settings changed to %+v", ts.set)
	}
}

func TestSettingsWindowShowsSettings(t *testing.T) {
	a := newTestApp(t)
	port := testPort(t)
	ts := newTestSession(t, a, "127.0.0.2", port, func(s *settings) {
		s.Group = "開発"
		s.AbsencePresets = []string{"外出中", "会議中"}
		s.Codepage = "gbk"
		s.RequireEncryption = true
		s.QuoteReply = false
	}, "127.0.0.3", "127.0.0.8/30")
	w := newSettingsWindow(ts.session)
	if w.window.Title() != "Settings" {
		t.Errorf("title %q", w.window.Title())
	}
	for _, c := range []struct{ name, got, want string }{
		{"nick", w.nick.Text, "n127.0.0.2"},
		{"group", w.group.Text, "開発"},
		{"absence", w.absence.Text, "外出中\n会議中"},
		{"port", w.port.Text, strconv.Itoa(port)},
		{"bind", w.bind.Text, "127.0.0.2"},
		{"broadcasts", w.broadcasts.Text, "127.0.0.3\n127.0.0.8/30"},
		{"codepage", w.codepage.Selected, "Chinese (GBK)"},
		{"downloads", w.downloads.Text, ts.set.DownloadDir},
		{"fingerprint", w.fingerprint.Text, crypt.Fingerprint(&testKeys().RSA2048.PublicKey)},
	} {
		if c.got != c.want {
			t.Errorf("%s shows %q, want %q", c.name, c.got, c.want)
		}
	}
	if !w.requireEnc.Checked || w.quote.Checked || !w.notifications.Checked || w.fingerprintName.Checked {
		t.Errorf("checks: encryption %v, quote %v, notifications %v, fingerprint name %v",
			w.requireEnc.Checked, w.quote.Checked, w.notifications.Checked, w.fingerprintName.Checked)
	}
	for name, l := range w.errs {
		if l.Visible() {
			t.Errorf("%s shows an error on opening: %q", name, l.Text)
		}
	}

	// Save with nothing changed keeps everything (the lists come back the same) and closes.
	before := ts.set
	saved := false
	w.onSaved = func() { saved = true }
	test.Tap(w.save)
	if !saved || isOpen(w.window) || !reflect.DeepEqual(ts.set, before) {
		t.Errorf("unchanged save: onSaved %v, open %v, settings %+v", saved, isOpen(w.window), ts.set)
	}

	// Cancel closes without saving.
	w = newSettingsWindow(ts.session)
	w.nick.SetText("discarded")
	test.Tap(w.cancel)
	if isOpen(w.window) || ts.set.Nick != before.Nick {
		t.Errorf("cancel: open %v, nick %q", isOpen(w.window), ts.set.Nick)
	}

	// Without keys yet, the fingerprint says they are coming.
	ts.keys = func() *protocol.Keys { return nil }
	if w := newSettingsWindow(ts.session); w.fingerprint.Text != "Keys are being made…" {
		t.Errorf("fingerprint without keys: %q", w.fingerprint.Text)
	}
}

func TestSettingsWindowRejectsBadFields(t *testing.T) {
	a := newTestApp(t)
	ts := newTestSession(t, a, "127.0.0.2", testPort(t), nil)
	before := ts.set
	for _, c := range []struct {
		field string
		edit  func(w *settingsWindow)
		want  string // in the error
	}{
		{"port", func(w *settingsWindow) { w.port.SetText("two thousand") }, "port"},
		{"port", func(w *settingsWindow) { w.port.SetText("70000") }, "port"},
		{"bind", func(w *settingsWindow) { w.bind.SetText("300.1.2.3") }, "IPv4"},
		{"broadcasts", func(w *settingsWindow) { w.broadcasts.SetText("127.0.0.3\nnot-an-address") }, "not-an-address"},
		{"absence", func(w *settingsWindow) { w.absence.SetText("\n  \n") }, "absence"},
		{"nick", func(w *settingsWindow) { w.nick.SetText("a:b") }, "not allowed"},
		{"downloads", func(w *settingsWindow) { w.downloads.SetText(t.TempDir() + "/missing") }, "not a folder"},
	} {
		w := newSettingsWindow(ts.session)
		c.edit(w)
		test.Tap(w.save)
		assertFieldError(t, ts, w, c.field, c.want, before)
		w.window.Close()
	}
	if p := a.Preferences(); p.String(prefPort) != "" || p.String(prefNick) != "" {
		t.Errorf("a rejected save reached the preferences: port %q, nick %q", p.String(prefPort), p.String(prefNick))
	}
}

// Port and bind address are checked as they are typed, before Save.
func TestSettingsWindowValidatesWhileTyping(t *testing.T) {
	ts := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	w := newSettingsWindow(ts.session)
	w.port.SetText("")
	test.Type(w.port, "24x")
	if l := w.errs["port"]; !l.Visible() || !strings.Contains(l.Text, "port") {
		t.Errorf("port error while typing: %q (visible %v)", l.Text, l.Visible())
	}
	if w.port.Validate() == nil {
		t.Error("the port entry's validator accepts 24x")
	}
	w.port.SetText("2425")
	if l := w.errs["port"]; l.Visible() {
		t.Errorf("port error stays after a fix: %q", l.Text)
	}
	w.bind.SetText("localhost")
	if l := w.errs["bind"]; !l.Visible() || !strings.Contains(l.Text, "localhost") {
		t.Errorf("bind error while typing: %q (visible %v)", l.Text, l.Visible())
	}
	w.bind.SetText("")
	if l := w.errs["bind"]; l.Visible() {
		t.Errorf("an empty bind address (all) is an error: %q", l.Text)
	}
}

// A new nick and group are saved and reach a peer at once, without a restart.
func TestSettingsWindowRenames(t *testing.T) {
	a := newTestApp(t)
	port := testPort(t)
	tx := newTestSession(t, a, "127.0.0.2", port, nil, "127.0.0.3")
	rx := newTestSession(t, newTestApp(t), "127.0.0.3", port, nil, "127.0.0.2")
	var joined, renamed bool
	rx.onEvent = func(ev protocol.Event) {
		if ev.Host.Nick == "n127.0.0.2" && ev.Kind == protocol.EventHostJoined {
			joined = true
		}
		if ev.Kind == protocol.EventHostUpdated && ev.Host.Nick == "鳩" && ev.Host.Group == "開発" {
			renamed = true
		}
	}
	rx.q.until(t, "tx in rx's host list", func() bool { return joined })

	node := tx.h.Node()
	w := newSettingsWindow(tx.session)
	saved := false
	w.onSaved = func() { saved = true }
	w.nick.SetText("鳩")
	w.group.SetText(" 開発 ")
	w.absence.SetText("外出中\n\n会議中\n")
	test.Tap(w.save)
	if !saved || isOpen(w.window) {
		t.Fatalf("save: onSaved %v, open %v, status %q", saved, isOpen(w.window), w.status.Text)
	}
	if tx.set.Nick != "鳩" || tx.set.Group != "開発" || !slices.Equal(tx.set.AbsencePresets, []string{"外出中", "会議中"}) {
		t.Errorf("settings %+v", tx.set)
	}
	p := a.Preferences()
	if p.String(prefNick) != "鳩" || p.String(prefGroup) != "開発" || !slices.Equal(p.StringList(prefAbsence), []string{"外出中", "会議中"}) {
		t.Errorf("preferences: nick %q group %q absence %q", p.String(prefNick), p.String(prefGroup), p.StringList(prefAbsence))
	}
	if tx.h.Node() != node {
		t.Error("a new nick restarted the node")
	}
	rx.q.until(t, "the new nick and group at rx", func() bool { return renamed })
}

// A new port restarts the node on it; a port already taken keeps the old node and says why.
func TestSettingsWindowChangesPort(t *testing.T) {
	a := newTestApp(t)
	port := testPort(t)
	ts := newTestSession(t, a, "127.0.0.2", port, nil)
	other := testPort(t)
	for other == port {
		other = testPort(t)
	}

	// Taken: something else holds the UDP port on our address.
	taken, err := net.ListenPacket("udp4", "127.0.0.2:"+strconv.Itoa(other))
	if err != nil {
		t.Fatal(err)
	}
	before := ts.set
	w := newSettingsWindow(ts.session)
	w.port.SetText(strconv.Itoa(other))
	test.Tap(w.save)
	want := "port " + strconv.Itoa(other) + " is taken by another program (another IP Messenger?)"
	if !w.status.Visible() || !strings.Contains(w.status.Text, want) || w.errs["port"].Text != want || !isOpen(w.window) {
		t.Errorf("taken port: status %q (visible %v), under the field %q, open %v", w.status.Text, w.status.Visible(),
			w.errs["port"].Text, isOpen(w.window))
	}
	if !reflect.DeepEqual(ts.set, before) || ts.h.Node().Addr().Port() != uint16(port) {
		t.Errorf("taken port: settings %+v, node on %v", ts.set, ts.h.Node().Addr())
	}
	taken.Close()
	// Editing the field takes back "Not saved".
	w.port.SetText(strconv.Itoa(other) + "0")
	w.port.SetText(strconv.Itoa(other))
	if w.status.Visible() || w.errs["port"].Visible() {
		t.Errorf("after an edit: status %q, port error %q", w.status.Text, w.errs["port"].Text)
	}

	// An address of no interface of ours: said under the bind address.
	w.bind.SetText("192.0.2.77")
	test.Tap(w.save)
	if want := "192.0.2.77 is not an address of this computer"; w.errs["bind"].Text != want {
		t.Errorf("foreign bind address: under the field %q, status %q", w.errs["bind"].Text, w.status.Text)
	}
	w.bind.SetText("127.0.0.2")

	// Free now: the same window saves.
	test.Tap(w.save)
	if isOpen(w.window) {
		t.Fatalf("save on a free port failed: %q", w.status.Text)
	}
	if got := ts.h.Node().Addr().Port(); got != uint16(other) {
		t.Errorf("node on port %d, want %d", got, other)
	}
	if ts.set.Port != strconv.Itoa(other) || a.Preferences().String(prefPort) != strconv.Itoa(other) {
		t.Errorf("port setting %q, preference %q", ts.set.Port, a.Preferences().String(prefPort))
	}
}

func TestSettingsWindowPassword(t *testing.T) {
	a := newTestApp(t)
	ts := newTestSession(t, a, "127.0.0.2", testPort(t), nil)

	w := newSettingsWindow(ts.session)
	test.Type(w.password, "secret")
	test.Type(w.confirm, "secret")
	test.Tap(w.save)
	if isOpen(w.window) || ts.set.PasswordHash != hashPassword("secret") || a.Preferences().String(prefPassword) != hashPassword("secret") {
		t.Fatalf("set: open %v, hash %q, status %q", isOpen(w.window), ts.set.PasswordHash, w.status.Text)
	}

	before := ts.set
	w = newSettingsWindow(ts.session)
	w.password.SetText("other")
	w.confirm.SetText("othr")
	test.Tap(w.save)
	assertFieldError(t, ts, w, "password", "differ", before)
	w.window.Close()

	// Both empty keeps the password while other things change.
	w = newSettingsWindow(ts.session)
	w.group.SetText("g")
	test.Tap(w.save)
	if isOpen(w.window) || ts.set.PasswordHash != hashPassword("secret") || ts.set.Group != "g" {
		t.Errorf("keep: open %v, hash %q, group %q", isOpen(w.window), ts.set.PasswordHash, ts.set.Group)
	}

	w = newSettingsWindow(ts.session)
	test.Tap(w.removePassword)
	if !w.password.Disabled() {
		t.Error("the password entries stay enabled while removing")
	}
	test.Tap(w.save)
	if isOpen(w.window) || ts.set.PasswordHash != "" || a.Preferences().String(prefPassword) != "" {
		t.Errorf("remove: open %v, hash %q", isOpen(w.window), ts.set.PasswordHash)
	}
}

// The folder dialog's answer lands in the entry, and Save points downloads there.
func TestSettingsWindowDownloadFolder(t *testing.T) {
	ts := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	w := newSettingsWindow(ts.session)
	test.Tap(w.choose) // opens the dialog; nothing to assert without a real file system walk
	dir := t.TempDir()
	l, err := storage.ListerForURI(storage.NewFileURI(dir))
	if err != nil {
		t.Fatal(err)
	}
	w.onFolderChosen(nil, nil) // cancelled: nothing changes
	if w.downloads.Text != ts.set.DownloadDir {
		t.Errorf("a cancelled dialog changed the folder to %q", w.downloads.Text)
	}
	w.onFolderChosen(l, nil)
	if w.downloads.Text != dir {
		t.Errorf("folder entry %q, want %q", w.downloads.Text, dir)
	}
	w.codepage.SetSelected("UTF-8")
	test.Tap(w.save)
	if isOpen(w.window) || ts.set.DownloadDir != dir || ts.h.Settings().DownloadDir != dir || ts.set.Codepage != "utf-8" {
		t.Errorf("open %v, settings %q %q, fetcher %q, status %q", isOpen(w.window), ts.set.DownloadDir, ts.set.Codepage, ts.h.Settings().DownloadDir, w.status.Text)
	}
}

// The theme setting holds Fyne's theme to light or dark, or gives the choice back to the system.
func TestSettingsWindowTheme(t *testing.T) {
	a := newTestApp(t)
	ts := newTestSession(t, a, "127.0.0.2", testPort(t), nil)
	bg := func() any { return a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantDark) }
	for _, c := range []struct {
		label, name string
		want        fyne.ThemeVariant
	}{{"Light", "light", theme.VariantLight}, {"Dark", "dark", theme.VariantDark}} {
		w := newSettingsWindow(ts.session)
		w.theme.SetSelected(c.label)
		test.Tap(w.save)
		if ts.set.Theme != c.name || a.Preferences().String(prefTheme) != c.name {
			t.Errorf("%s: setting %q, preference %q", c.label, ts.set.Theme, a.Preferences().String(prefTheme))
		}
		// Asked for the dark variant's background, a theme held to light answers with the light one.
		if want := theme.DefaultTheme().Color(theme.ColorNameBackground, c.want); bg() != want {
			t.Errorf("%s: background %v, want %v", c.label, bg(), want)
		}
	}
	w := newSettingsWindow(ts.session)
	w.theme.SetSelected("Like the system")
	test.Tap(w.save)
	if ts.set.Theme != "" || a.Settings().Theme() != theme.DefaultTheme() {
		t.Errorf("system theme: setting %q, theme %T", ts.set.Theme, a.Settings().Theme())
	}
}

// Saving the window keeps what it does not show: the user name given on the command line, the disk
// limits and the member master with its pinned key stay in the profile.
func TestSettingsWindowKeepsTheRest(t *testing.T) {
	tx := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), func(s *settings) {
		s.profile = messenger.Settings{User: "from-cli", MaxFolderFiles: 7, KeepFreeMiB: 5, UseMaster: "127.0.0.9:2425"}
		s.Master = s.profile.UseMaster // as loadProfileSettings shows it
	})
	if err := tx.h.Apply(func() messenger.Settings { s := tx.h.Settings(); s.MasterKey = "0123456789abcdef"; return s }()); err != nil {
		t.Fatal(err)
	}
	w := newSettingsWindow(tx.session)
	w.nick.SetText("新しい名前")
	test.Tap(w.save)
	if isOpen(w.window) {
		t.Fatalf("save: %q", w.status.Text)
	}
	if s := tx.h.Settings(); s.Nick != "新しい名前" || s.User != "from-cli" || s.MaxFolderFiles != 7 || s.KeepFreeMiB != 5 ||
		s.UseMaster != "127.0.0.9:2425" || s.MasterKey != "0123456789abcdef" {
		t.Errorf("the settings after saving the window: %+v", s)
	}
	if s, err := messenger.LoadSettings(tx.h.Profile()); err != nil || s.User != "from-cli" || s.MasterKey != "0123456789abcdef" {
		t.Errorf("the profile after saving the window: %+v %v", s, err)
	}
}

// The member master is set in the window: the node polls it; a bad address is shown under the field.
func TestSettingsWindowMemberMaster(t *testing.T) {
	tx := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	w := newSettingsWindow(tx.session)
	w.master.SetText("host.example")
	test.Tap(w.save)
	if !isOpen(w.window) || w.errs["master"] == nil || !w.errs["master"].Visible() {
		t.Fatalf("a bad master address was saved or not shown under its field (status %q)", w.status.Text)
	}
	w.master.SetText(" 127.0.0.9 ")
	test.Tap(w.save)
	if isOpen(w.window) {
		t.Fatalf("save: %q", w.status.Text)
	}
	if got := tx.h.Node().Config().Master.String(); got != "127.0.0.9:2425" || tx.h.Settings().UseMaster != "127.0.0.9" {
		t.Errorf("the node's master %q, setting %q", got, tx.h.Settings().UseMaster)
	}
	if again := newSettingsWindow(tx.session); again.master.Text != "127.0.0.9" {
		t.Errorf("the window shows the master as %q", again.master.Text)
	}
}

// "Be the member master" makes the node the site's master; with a master address too, the clash is shown
// under the master field and nothing is saved.
func TestSettingsWindowBeMaster(t *testing.T) {
	tx := newTestSession(t, newTestApp(t), "127.0.0.2", testPort(t), nil)
	w := newSettingsWindow(tx.session)
	w.master.SetText("127.0.0.9")
	w.beMaster.SetChecked(true)
	test.Tap(w.save)
	if !isOpen(w.window) || w.errs["master"] == nil || !w.errs["master"].Visible() {
		t.Fatalf("master and member at once was saved or not shown under the master field (status %q)", w.status.Text)
	}
	w.master.SetText("")
	test.Tap(w.save)
	if isOpen(w.window) {
		t.Fatalf("save: %q", w.status.Text)
	}
	if !tx.h.Node().Config().BeMaster || !tx.h.Settings().BeMaster {
		t.Errorf("the node is no master after Save")
	}
	if again := newSettingsWindow(tx.session); !again.beMaster.Checked {
		t.Error("the window does not show the master role")
	}
}
