package ui

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
	"hato/transfer"
)

// mainSetup is a main window on one session and a peer session that records what it receives.
type mainSetup struct {
	tx   *testSession
	rx   *testSession
	win  *mainWindow
	got  []*protocol.Message
	port int
}

func newMainSetup(t *testing.T) *mainSetup {
	port := testPort(t)
	m := &mainSetup{port: port}
	m.tx = newTestSession(t, newTestApp(t), "127.0.0.2", port, nil, "127.0.0.3")
	m.rx = newTestSession(t, newTestApp(t), "127.0.0.3", port, func(s *settings) { s.Nick, s.Group = "受信者", "開発部" }, "127.0.0.2")
	m.rx.onEvent = func(ev protocol.Event) {
		if ev.Kind == protocol.EventMessage {
			m.got = append(m.got, ev.Message)
		}
	}
	m.win = newMainWindow(m.tx.session)
	m.tx.onEvent, m.tx.onBatchEnd = m.win.onEvent, m.win.hosts.flush
	m.win.window.Resize(fyne.NewSize(680, 620))
	m.win.window.Show()
	t.Cleanup(m.win.window.Close)
	m.tx.q.until(t, "the peer in the table", func() bool { return len(m.win.hosts.rows) == 1 })
	return m
}

// rowOf finds the host row showing nick.
func (m *mainSetup) rowOf(nick string) int {
	for i, r := range m.win.hosts.rows {
		if r.host != nil && r.host.Nick == nick {
			return i
		}
	}
	return -1
}

func TestMainWindowSendsToCheckedHosts(t *testing.T) {
	m := newMainSetup(t)
	w := m.win
	if w.hosts.count.Text != "1 on the LAN" {
		t.Errorf("count %q", w.hosts.count.Text)
	}
	// Nothing chosen yet: the window says so and sends nothing.
	test.Type(w.compose.entry, "こんにちは、受信者さん")
	w.onSend()
	if !strings.Contains(w.compose.status.Text, "recipient") {
		t.Errorf("status without recipients %q", w.compose.status.Text)
	}
	// A tap on the row checks it; Ctrl+Enter in the message box sends.
	w.hosts.table.Select(widget.TableCellID{Row: m.rowOf("受信者"), Col: colNick})
	if n := len(w.hosts.selectedHosts()); n != 1 || !strings.Contains(w.hosts.count.Text, "1 selected") {
		t.Fatalf("%d selected, count %q", n, w.hosts.count.Text)
	}
	w.compose.locked.SetChecked(true)
	if !w.compose.sealed.Checked {
		t.Error("Lock did not check Sealed")
	}
	w.compose.entry.TypedShortcut(ctrlEnter)
	m.tx.q.until(t, "the delivery report", func() bool { return strings.HasPrefix(w.compose.status.Text, "Delivered") })
	m.rx.q.until(t, "the message at the peer", func() bool { return len(m.got) == 1 })
	if got := m.got[0]; got.Text != "こんにちは、受信者さん" || !got.Sealed || !got.Locked || !got.Encrypted {
		t.Errorf("peer received %+v", got)
	}
	if w.compose.entry.Text != "" || w.compose.sealed.Checked {
		t.Errorf("message box not cleared after delivery: %q", w.compose.entry.Text)
	}
}

func TestMainWindowDropOnRow(t *testing.T) {
	m := newMainSetup(t)
	w := m.win
	dir := t.TempDir()
	path := filepath.Join(dir, "報告書.txt")
	if err := os.WriteFile(path, []byte("dropped onto a person"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Find where the peer's row is drawn, and drop there.
	w.hosts.table.Refresh()
	var pos fyne.Position
	found := false
	for o, row := range w.hosts.cells {
		if row == m.rowOf("受信者") && o.Visible() && fyne.CurrentApp().Driver().CanvasForObject(o) != nil {
			p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
			pos, found = p.Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2)), true
			break
		}
	}
	if !found {
		t.Fatal("no cell drawn for the peer's row")
	}
	w.onDropped(pos, []fyne.URI{storage.NewFileURI(path)})
	if len(w.hosts.selectedHosts()) != 1 || len(w.compose.attachments) != 1 || len(w.compose.chips.Objects) != 1 {
		t.Fatalf("after the drop: %d selected, attachments %v", len(w.hosts.selectedHosts()), w.compose.attachments)
	}
	// Dropped outside any row: attached for the current selection, nobody else selected.
	w.onDropped(fyne.NewPos(-50, -50), []fyne.URI{storage.NewFileURI(dir)})
	if len(w.compose.attachments) != 2 || len(w.hosts.selectedHosts()) != 1 {
		t.Errorf("drop outside rows: attachments %v", w.compose.attachments)
	}
	w.compose.detach(dir)
	w.onSend()
	m.rx.q.until(t, "the offer at the peer", func() bool { return len(m.got) == 1 })
	files, err := transfer.ParseFileList(m.got[0].Files)
	if err != nil || len(files) != 1 || files[0].Name != "報告書.txt" {
		t.Errorf("offer %q: %v %v", m.got[0].Files, files, err)
	}
}

func TestHostTableSortFilterGroup(t *testing.T) {
	newTestApp(t)
	h := newHostTable()
	test.NewTempWindow(t, h.content)
	add := func(user, nick, group, ip string) {
		h.apply(protocol.Event{Kind: protocol.EventHostJoined, Host: protocol.Host{User: user, Host: "pc", Nick: nick,
			Group: group, Addr: mustAddr(ip)}})
	}
	add("taro", "Taro", "開発", "192.0.2.20:2425")
	add("anna", "Anna", "営業", "192.0.2.3:2425")
	add("ken", "Ken", "開発", "192.0.2.100:2425")
	nicks := func() string {
		var out []string
		for _, r := range h.rows {
			if r.host == nil {
				out = append(out, "["+r.group+"]")
			} else {
				out = append(out, r.host.Nick)
			}
		}
		return strings.Join(out, " ")
	}
	if got := nicks(); got != "Anna Ken Taro" {
		t.Errorf("by nick: %s", got)
	}
	h.onHeaderTapped(colIP)
	if got := nicks(); got != "Anna Taro Ken" {
		t.Errorf("by IP (numeric): %s", got)
	}
	h.onHeaderTapped(colIP)
	if got := nicks(); got != "Ken Taro Anna" {
		t.Errorf("by IP, reversed: %s", got)
	}
	h.onHeaderTapped(colNick)
	h.group.SetChecked(true)
	if got := nicks(); got != "[営業] Anna [開発] Ken Taro" {
		t.Errorf("grouped: %s", got)
	}
	h.onHeaderTapped(colNick)
	if got := nicks(); got != "[開発] Taro Ken [営業] Anna" {
		t.Errorf("grouped, descending: %s", got)
	}
	h.onHeaderTapped(colNick)
	// A tap on a group header checks the whole group.
	h.onCellTapped(widget.TableCellID{Row: 2, Col: colNick})
	if n := len(h.selectedHosts()); n != 2 {
		t.Errorf("group header selected %d", n)
	}
	test.Type(h.search, "192.0.2.3")
	if got := nicks(); got != "[営業] Anna" || h.count.Text != "1 of 3 shown, 2 selected" {
		t.Errorf("filtered: %s, count %q", got, h.count.Text)
	}
	h.apply(protocol.Event{Kind: protocol.EventHostLeft, Host: protocol.Host{User: "ken", Host: "pc", Addr: mustAddr("192.0.2.100:2425")}})
	h.search.SetText("")
	if got, n := nicks(), len(h.selectedHosts()); got != "[営業] Anna [開発] Taro" || n != 1 {
		t.Errorf("after Ken left: %s, %d selected", got, n)
	}
}

// The header's check box is checked only when every shown host is: never with nobody listed.
func TestHostTableSelectAllHeader(t *testing.T) {
	newTestApp(t)
	h := newHostTable()
	test.NewTempWindow(t, h.content)
	header := h.table.CreateHeader().(*widget.Button)
	icon := func() string {
		h.updateHeader(widget.TableCellID{Row: -1, Col: colCheck}, header)
		return header.Icon.Name()
	}
	unchecked, checked := theme.CheckButtonIcon().Name(), theme.CheckButtonCheckedIcon().Name()
	if icon() != unchecked {
		t.Error("checked with no host listed")
	}
	h.apply(protocol.Event{Kind: protocol.EventHostJoined, Host: protocol.Host{User: "a", Host: "pc", Addr: mustAddr("192.0.2.7:2425")}})
	if icon() != unchecked {
		t.Error("checked with one host, not selected")
	}
	h.onSelectAllTapped()
	if icon() != checked || len(h.selectedHosts()) != 1 {
		t.Errorf("select all: icon %s, %d selected", icon(), len(h.selectedHosts()))
	}
}

// A recipient that never acknowledges: the window says so and offers Retry.
func TestMainWindowUndelivered(t *testing.T) {
	m := newMainSetup(t)
	w := m.win
	ghost := protocol.Host{User: "ghost", Host: "nowhere", Nick: "Ghost", Addr: mustAddr("127.0.0.9:" + itoa(m.port))}
	w.hosts.apply(protocol.Event{Kind: protocol.EventHostJoined, Host: ghost})
	w.hosts.setSelected(ghost, true)
	test.Type(w.compose.entry, "anyone there?")
	w.onSend()
	m.tx.q.until(t, "the not-delivered dialog", func() bool {
		top := w.window.Canvas().Overlays().Top()
		return top != nil && strings.Contains(allText(t, top), "Not delivered to:") && strings.Contains(allText(t, top), "Ghost")
	})
	if w.compose.entry.Text != "anyone there?" {
		t.Errorf("the undelivered message was cleared: %q", w.compose.entry.Text)
	}
}

// allText concatenates the text of every label and button under o.
func allText(t *testing.T, o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		case *widget.Button:
			b.WriteString(v.Text + "\n")
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.TempWidgetRenderer(t, v)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// The main window says when absence mode is on, and "I'm back" ends it.
func TestMainWindowShowsAbsence(t *testing.T) {
	m := newMainSetup(t)
	d := &shell{s: m.tx.session, main: m.win}
	d.tray = newTray(m.tx.session, func() {}, func() {}, func() {})
	d.tray.absenceChanged = d.main.showAbsence
	d.main.onAbsenceOff = func() { d.tray.onAbsence("") }
	if m.win.away.Visible() {
		t.Error("absence shown while present")
	}
	d.tray.onAbsence("会議中です")
	if !m.win.away.Visible() || m.win.awayMsg.Text != "Absent: 会議中です" {
		t.Errorf("absent: shown %v, %q", m.win.away.Visible(), m.win.awayMsg.Text)
	}
	m.win.onAbsenceOff()
	if m.win.away.Visible() || m.tx.absence() != "" {
		t.Errorf("after I'm back: shown %v, absence %q", m.win.away.Visible(), m.tx.absence())
	}
}

// The list keeps its sort order and grouping for the next start, and its text columns widen with the
// window.
func TestMainWindowKeepsViewAndWidens(t *testing.T) {
	m := newMainSetup(t)
	h := m.win.hosts
	h.onHeaderTapped(colIP)
	h.onHeaderTapped(colIP)
	h.group.SetChecked(true)
	again := newMainWindow(m.tx.session)
	t.Cleanup(again.window.Close)
	if g := again.hosts; g.sortCol != colIP || !g.sortDesc || !g.grouped || !g.group.Checked {
		t.Errorf("a new main window sorts by %d desc %v, grouped %v", g.sortCol, g.sortDesc, g.grouped)
	}

	nick := h.widths[colNick]
	m.win.window.Resize(fyne.NewSize(1200, 620))
	if h.widths[colNick] <= nick*1.4 || h.widths[colCheck] != baseColumnWidths[colCheck] {
		t.Errorf("widened to 1200: nick column %v (was %v), check column %v", h.widths[colNick], nick, h.widths[colCheck])
	}
}

// A column the user drags wider in the header stays so, in proportion, when the window is resized and
// in the next main window (the widths are kept in the preferences).
func TestMainWindowKeepsColumnWidths(t *testing.T) {
	m := newMainSetup(t)
	h := m.win.hosts
	m.win.window.Resize(fyne.NewSize(900, 620))
	nick, group := h.widths[colNick], h.widths[colGroup]
	// The nick column's right edge in the header, where Fyne offers to resize it.
	pad := theme.Padding()
	edge := fyne.NewPos(h.widths[colCheck]+pad+nick+pad/2, 5)
	mouse := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: edge}, Button: desktop.MouseButtonPrimary}
	h.table.MouseMoved(mouse)
	h.table.MouseDown(mouse)
	h.table.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: edge.AddXY(80, 0)}, Dragged: fyne.NewDelta(80, 0)})
	h.table.DragEnd()
	h.table.MouseUp(mouse)
	if got := h.widths[colNick]; got < nick+79 || got > nick+81 || h.userWidths[colNick] != got {
		t.Fatalf("dragged the nick column 80 wider: %v, was %v (kept: %v)", got, nick, h.userWidths)
	}
	ratio := h.widths[colNick] / h.widths[colGroup]
	if h.widths[colGroup] != group {
		t.Errorf("the group column changed too: %v, was %v", h.widths[colGroup], group)
	}

	again := newMainWindow(m.tx.session)
	t.Cleanup(again.window.Close)
	again.window.Resize(fyne.NewSize(1100, 620))
	g := again.hosts
	if r := g.widths[colNick] / g.widths[colGroup]; r < ratio*0.99 || r > ratio*1.01 {
		t.Errorf("a new main window, wider: nick/group %v, want the dragged %v (%v)", r, ratio, g.widths)
	}
	if g.widths[colCheck] != baseColumnWidths[colCheck] {
		t.Errorf("the check column is %v wide, want %v", g.widths[colCheck], baseColumnWidths[colCheck])
	}
}
