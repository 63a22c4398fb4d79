package ui

import (
	"cmp"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"hato/assets"
	"hato/protocol"
	"hato/protocol/wire"
)

// Host table columns.
const (
	colCheck = iota
	colNick
	colGroup
	colHost
	colUser
	colIP
	colFlags
	numCols
)

// hostTable is the main window's list of everyone on the LAN: a table with a check column for several
// recipients (Fyne's own selection holds one cell), sortable by each header, optionally grouped, with a
// filter and a count. It follows node events and runs on the UI goroutine.
type hostTable struct {
	hosts    []protocol.Host // everyone known
	index    map[string]int  // hosts' positions by hostID
	dirty    bool            // hosts changed since rows were built
	rows     []hostRow       // what the table shows: filtered, sorted, maybe grouped
	selected map[string]bool // by hostID
	sortCol  int
	sortDesc bool
	grouped  bool
	filter   string
	// lastTyped is the last keystroke in the filter box (see mainWindow.typing).
	lastTyped time.Time
	widths    [numCols]float32 // the columns' widths now (fitColumns)
	// userWidths are the widths the user dragged the columns to (zero: never): fitColumns keeps their
	// proportions. headers are the header cells by column, whose sizes say what a drag did.
	userWidths [numCols]float32
	headers    map[int]fyne.CanvasObject
	// drawn is what the table drew since the last rebuild: each row's nick cell (keepInView; tests).
	drawn map[int]string
	// onViewChanged hears that the sort order or the grouping changed (the main window keeps them).
	onViewChanged func()
	// onCount hears how many hosts the list holds, after each change.
	onCount func(int)

	table   *resizableTable
	search  *widget.Entry
	group   *widget.Check
	count   *widget.Label
	content fyne.CanvasObject

	// cells records which row each cell object shows now (cells are recycled), for hit-testing drops.
	cells map[fyne.CanvasObject]int

	onSelectionChanged func()
}

// hostRow is a host, or with host nil the header of a group.
type hostRow struct {
	group string
	host  *protocol.Host
}

func hostID(h protocol.Host) string {
	return strings.ToLower(h.User) + "\x00" + strings.ToLower(h.Host) + "\x00" + strconv.Itoa(int(h.Addr.Port()))
}

func newHostTable() *hostTable {
	t := &hostTable{selected: map[string]bool{}, index: map[string]int{}, drawn: map[int]string{}, sortCol: colNick, cells: map[fyne.CanvasObject]int{},
		onSelectionChanged: func() {}, onViewChanged: func() {}}
	t.headers = map[int]fyne.CanvasObject{}
	t.table = &resizableTable{Table: widget.Table{
		Length:        func() (int, int) { return len(t.rows), numCols },
		CreateCell:    t.createCell,
		UpdateCell:    t.updateCell,
		OnSelected:    t.onCellTapped,
		ShowHeaderRow: true,
		CreateHeader:  func() fyne.CanvasObject { return &widget.Button{Importance: widget.LowImportance} },
		UpdateHeader:  t.updateHeader,
	}, onResized: t.onColumnsDragged}
	t.table.ExtendBaseWidget(t.table)
	t.fitColumns(baseTableWidth)
	t.search = &widget.Entry{PlaceHolder: lang.L("Filter by name, group, host or IP")}
	t.search.ExtendBaseWidget(t.search)
	t.search.OnChanged = t.onFilterChanged
	t.group = &widget.Check{Text: lang.L("By group"), OnChanged: t.onGroupChanged}
	t.group.ExtendBaseWidget(t.group)
	t.count = &widget.Label{}
	t.content = container.NewBorder(container.NewBorder(nil, nil, nil, container.NewHBox(t.group, t.count), t.search),
		nil, nil, nil, container.New(&fitLayout{t: t}, t.table))
	t.rebuild()
	return t
}

// Column widths at the window's first size; the text columns share whatever width the window gives
// beyond that in these proportions, so that long names show when the window is widened.
var (
	baseColumnWidths = [numCols]float32{34, 130, 100, 96, 84, 104, 52}
	baseTableWidth   = func() (w float32) {
		for _, c := range baseColumnWidths {
			w += c
		}
		return w
	}()
)

// fitColumns spreads width over the columns: the check and flag columns keep theirs, the rest grow or
// shrink in proportion: to the base widths (never below them), or to the widths the user dragged the
// columns to (down to half of them).
func (t *hostTable) fitColumns(width float32) {
	base, least := baseColumnWidths, float32(1)
	if t.userWidths[colNick] > 0 {
		base, least = t.userWidths, 0.5
	}
	fixed, total := base[colCheck]+base[colFlags], float32(0)
	for _, w := range base {
		total += w
	}
	scale := max(least, (width-fixed-theme.Padding()*numCols)/(total-fixed))
	for col, w := range base {
		if col != colCheck && col != colFlags {
			w *= scale
		}
		t.table.SetColumnWidth(col, w)
		t.widths[col] = w
	}
}

// onColumnsDragged takes the widths the user dragged the columns to, from the header cells' sizes (the
// table has no other way to tell them), and keeps them: the next fit keeps their proportions, and the
// main window saves them.
func (t *hostTable) onColumnsDragged() {
	var now [numCols]float32
	changed := false
	for col := range numCols {
		h, ok := t.headers[col]
		if !ok || h.Size().Width <= 0 {
			return
		}
		now[col] = h.Size().Width
		changed = changed || math.Abs(float64(now[col]-t.widths[col])) >= 1
	}
	if !changed {
		return
	}
	t.userWidths, t.widths = now, now
	t.onViewChanged()
}

// setUserWidths restores the widths the user gave the columns (the main window keeps them); wrong ones
// are ignored.
func (t *hostTable) setUserWidths(w []float32) {
	if len(w) != numCols {
		return
	}
	for _, v := range w {
		if v < 8 || v > 4000 {
			return
		}
	}
	t.userWidths = [numCols]float32(w)
	t.fitColumns(baseTableWidth)
}

// resizableTable is the host table's widget.Table, telling when the user has dragged a column's edge in
// the header (Fyne resizes the column itself, and has no callback for it).
type resizableTable struct {
	widget.Table
	onResized func()
	dragged   bool
}

func (r *resizableTable) Dragged(e *fyne.DragEvent) {
	r.dragged = true
	r.Table.Dragged(e)
}

func (r *resizableTable) DragEnd() {
	r.Table.DragEnd()
	if r.dragged {
		r.dragged = false
		r.onResized()
	}
}

// fitLayout gives the table its whole space and fits the columns to it.
type fitLayout struct {
	t     *hostTable
	width float32
}

func (l *fitLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	if size.Width != l.width {
		l.width = size.Width
		l.t.fitColumns(size.Width)
	}
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *fitLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	return objects[0].MinSize()
}

// cell is one table cell: a check box, a label and status icons; each column shows one of them.
type cell struct {
	check *widget.Check
	label *widget.Label
	flags *fyne.Container
	box   *fyne.Container
}

func (t *hostTable) createCell() fyne.CanvasObject {
	c := &cell{
		check: &widget.Check{},
		label: &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		flags: container.NewHBox(),
	}
	c.box = container.NewStack(c.check, c.label, c.flags)
	return c.box
}

func (t *hostTable) cellOf(o fyne.CanvasObject) *cell {
	box := o.(*fyne.Container)
	return &cell{check: box.Objects[0].(*widget.Check), label: box.Objects[1].(*widget.Label),
		flags: box.Objects[2].(*fyne.Container), box: box}
}

func (t *hostTable) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	c := t.cellOf(o)
	t.cells[o] = id.Row
	c.check.Hide()
	c.label.Hide()
	c.flags.Hide()
	if id.Row < 0 || id.Row >= len(t.rows) {
		return
	}
	r := t.rows[id.Row]
	if r.host == nil {
		if id.Col == colNick {
			c.label.TextStyle = fyne.TextStyle{Bold: true}
			c.label.SetText(cmp.Or(r.group, lang.L("(no group)")))
			c.label.Show()
			t.drawn[id.Row] = c.label.Text
		}
		return
	}
	h := *r.host
	c.label.TextStyle = fyne.TextStyle{}
	switch id.Col {
	case colCheck:
		c.check.OnChanged = nil
		c.check.SetChecked(t.selected[hostID(h)])
		c.check.OnChanged = func(on bool) { t.setSelected(h, on) }
		c.check.Show()
		return
	case colFlags:
		c.flags.Objects = t.flagIcons(h)
		c.flags.Refresh()
		c.flags.Show()
		return
	}
	c.label.SetText(columnText(h, id.Col))
	c.label.Show()
	if id.Col == colNick {
		t.drawn[id.Row] = c.label.Text
	}
}

// flagIcons show absence and encryption, as IP Messenger's host list does.
func (t *hostTable) flagIcons(h protocol.Host) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	if h.Absent {
		out = append(out, widget.NewIcon(theme.HistoryIcon()))
	}
	if h.Caps.Has(wire.EncryptOpt) && !h.Iptux {
		out = append(out, widget.NewIcon(lockIcon))
	}
	return out
}

func columnText(h protocol.Host, col int) string {
	switch col {
	case colNick:
		return h.DisplayName()
	case colGroup:
		return h.Group
	case colHost:
		return h.Host
	case colUser:
		return h.User
	case colIP:
		return h.Addr.Addr().String()
	case colFlags:
		var f []string
		if h.Absent {
			f = append(f, lang.L("absent"))
		}
		if h.Caps.Has(wire.EncryptOpt) && !h.Iptux {
			f = append(f, lang.L("encrypted"))
		}
		return strings.Join(f, ", ")
	}
	return ""
}

// lockIcon marks hosts that encrypt, coloured like the text.
var lockIcon = theme.NewThemedResource(fyne.NewStaticResource("lock.svg", assets.Lock))

var columnTitles = [numCols]string{"", "Nickname", "Group", "Host", "User", "IP", ""}

func (t *hostTable) updateHeader(id widget.TableCellID, o fyne.CanvasObject) {
	b := o.(*widget.Button)
	col := id.Col
	t.headers[col] = o
	b.Text = ""
	if columnTitles[col] != "" {
		b.Text = lang.L(columnTitles[col])
	}
	b.Icon = nil
	if col == t.sortCol && col != colCheck && col != colFlags {
		b.Icon = theme.MenuDropDownIcon()
		if t.sortDesc {
			b.Icon = theme.MenuDropUpIcon()
		}
	}
	b.OnTapped = func() { t.onHeaderTapped(col) }
	if col == colCheck {
		// Checked only when every shown host is: never with none listed.
		b.Icon, b.OnTapped = theme.CheckButtonIcon(), t.onSelectAllTapped
		if t.allShownSelected() {
			b.Icon = theme.CheckButtonCheckedIcon()
		}
	}
	b.Refresh()
}

// onHeaderTapped sorts by that column; a second tap reverses the order.
func (t *hostTable) onHeaderTapped(col int) {
	if col == colCheck {
		return
	}
	if t.sortCol == col {
		t.sortDesc = !t.sortDesc
	} else {
		t.sortCol, t.sortDesc = col, false
	}
	t.rebuild()
	t.onViewChanged()
}

// allShownSelected reports whether there are hosts shown and every one is checked.
func (t *hostTable) allShownSelected() bool {
	shown := t.shownHosts()
	all := len(shown) > 0
	for _, h := range shown {
		all = all && t.selected[hostID(h)]
	}
	return all
}

// onSelectAllTapped selects every shown host, or clears the selection when all are selected.
func (t *hostTable) onSelectAllTapped() {
	all := t.allShownSelected()
	for _, h := range t.shownHosts() {
		t.selected[hostID(h)] = !all
	}
	t.changed()
}

// onCellTapped toggles the tapped host (a group header toggles its whole group); Fyne's own one-cell
// selection is cleared again so that the check column is the only selection people see.
func (t *hostTable) onCellTapped(id widget.TableCellID) {
	t.table.UnselectAll()
	if id.Row < 0 || id.Row >= len(t.rows) || id.Col == colCheck {
		return
	}
	r := t.rows[id.Row]
	if r.host != nil {
		t.setSelected(*r.host, !t.selected[hostID(*r.host)])
		return
	}
	var members []protocol.Host
	all := true
	for _, h := range t.shownHosts() {
		if h.Group == r.group {
			members = append(members, h)
			all = all && t.selected[hostID(h)]
		}
	}
	for _, h := range members {
		t.selected[hostID(h)] = !all
	}
	t.changed()
}

func (t *hostTable) setSelected(h protocol.Host, on bool) {
	if on {
		t.selected[hostID(h)] = true
	} else {
		delete(t.selected, hostID(h))
	}
	t.changed()
}

// selectOnly makes h the only recipient (Reply, a drop on a row selects that person).
func (t *hostTable) selectOnly(h protocol.Host) {
	clear(t.selected)
	t.selected[hostID(h)] = true
	t.changed()
}

func (t *hostTable) changed() {
	t.updateCount()
	t.table.Refresh()
	t.onSelectionChanged()
}

// selectedHosts are the chosen recipients that are still on the LAN, in table order.
func (t *hostTable) selectedHosts() []protocol.Host {
	var out []protocol.Host
	for _, h := range t.hosts {
		if t.selected[hostID(h)] {
			out = append(out, h)
		}
	}
	return out
}

func (t *hostTable) onFilterChanged(s string) {
	t.lastTyped = time.Now()
	t.filter = strings.TrimSpace(s)
	t.rebuild()
}

func (t *hostTable) onGroupChanged(on bool) {
	t.grouped = on
	t.rebuild()
	t.onViewChanged()
}

// setView restores a sort order and grouping (as kept in the preferences).
func (t *hostTable) setView(col int, desc, grouped bool) {
	if col > colCheck && col < colFlags {
		t.sortCol, t.sortDesc = col, desc
	}
	t.grouped = grouped
	t.group.Checked = grouped
	t.group.Refresh()
	t.rebuild()
}

// apply updates the table for one node event and redraws it.
func (t *hostTable) apply(ev protocol.Event) {
	t.update(ev)
	t.flush()
}

// update takes a node event into the list without redrawing: flush does that once for a whole batch.
func (t *hostTable) update(ev protocol.Event) {
	id := hostID(ev.Host)
	switch ev.Kind {
	case protocol.EventHostJoined, protocol.EventHostUpdated, protocol.EventHostMoved:
		if i, ok := t.index[id]; ok {
			t.hosts[i] = ev.Host
		} else {
			t.index[id] = len(t.hosts)
			t.hosts = append(t.hosts, ev.Host)
		}
	case protocol.EventHostLeft:
		i, ok := t.index[id]
		if !ok {
			return
		}
		// Swap with the last: O(1), and the table sorts anyway.
		last := len(t.hosts) - 1
		t.hosts[i] = t.hosts[last]
		t.index[hostID(t.hosts[i])] = i
		t.hosts = t.hosts[:last]
		delete(t.index, id)
		delete(t.selected, id)
	default:
		return
	}
	t.dirty = true
}

// flush redraws the table if something changed since the last time.
func (t *hostTable) flush() {
	if t.dirty {
		t.rebuild()
	}
}

// setHosts replaces the list (with who answered a refresh); the checks of those still listed stay.
func (t *hostTable) setHosts(hosts []protocol.Host) {
	t.hosts = slices.Clone(hosts)
	clear(t.index)
	for i, h := range t.hosts {
		t.index[hostID(h)] = i
	}
	maps.DeleteFunc(t.selected, func(id string, _ bool) bool { _, ok := t.index[id]; return !ok })
	t.rebuild()
}

// matches reports whether h passes the filter: a case-insensitive substring of any column.
func (t *hostTable) matches(h protocol.Host) bool {
	if t.filter == "" {
		return true
	}
	f := strings.ToLower(t.filter)
	for col := colNick; col <= colIP; col++ {
		if strings.Contains(strings.ToLower(columnText(h, col)), f) {
			return true
		}
	}
	return false
}

func (t *hostTable) shownHosts() []protocol.Host {
	var out []protocol.Host
	for _, r := range t.rows {
		if r.host != nil {
			out = append(out, *r.host)
		}
	}
	return out
}

// rebuild recomputes the visible rows from hosts, filter, sort order and grouping.
func (t *hostTable) rebuild() {
	t.dirty = false
	var shown []protocol.Host
	for _, h := range t.hosts {
		if t.matches(h) {
			shown = append(shown, h)
		}
	}
	slices.SortStableFunc(shown, func(a, b protocol.Host) int {
		c := compareColumn(a, b, t.sortCol)
		if t.grouped {
			// Groups in order, and sorted by the column inside each; descending reverses both.
			c = cmp.Or(strings.Compare(strings.ToLower(a.Group), strings.ToLower(b.Group)), c)
		}
		if t.sortDesc {
			c = -c
		}
		return cmp.Or(c, compareColumn(a, b, colNick), compareColumn(a, b, colIP))
	})
	t.rows = t.rows[:0]
	for i := range shown {
		h := &shown[i]
		if t.grouped && (i == 0 || !strings.EqualFold(shown[i-1].Group, h.Group)) {
			t.rows = append(t.rows, hostRow{group: h.Group})
		}
		t.rows = append(t.rows, hostRow{group: h.Group, host: h})
	}
	t.updateCount()
	t.keepInView()
	t.table.Refresh()
}

// keepInView scrolls back when the list shrank under the rows last drawn: Fyne's table keeps its offset
// past the new end and draws one row, or none, until scrolled (seen after 1,000 hosts left at once).
func (t *hostTable) keepInView() {
	for row := range t.drawn {
		if row >= len(t.rows) {
			t.table.ScrollToTop()
			break
		}
	}
	clear(t.drawn)
}

func compareColumn(a, b protocol.Host, col int) int {
	if col == colIP {
		return a.Addr.Compare(b.Addr)
	}
	return strings.Compare(strings.ToLower(columnText(a, col)), strings.ToLower(columnText(b, col)))
}

func (t *hostTable) updateCount() {
	shown := len(t.shownHosts())
	text := lang.L("{{.Count}} on the LAN", map[string]any{"Count": len(t.hosts)})
	if shown != len(t.hosts) {
		text = lang.L("{{.Shown}} of {{.Count}} shown", map[string]any{"Shown": shown, "Count": len(t.hosts)})
	}
	if n := len(t.selectedHosts()); n > 0 {
		text += ", " + lang.L("{{.Count}} selected", map[string]any{"Count": n})
	}
	if text != t.count.Text {
		slog.Debug("host list", "hosts", len(t.hosts), "shown", shown)
	}
	t.count.SetText(text)
	if t.onCount != nil {
		t.onCount(len(t.hosts))
	}
}

// hostAt returns the host whose row is drawn at pos (canvas coordinates), for drops.
func (t *hostTable) hostAt(pos fyne.Position) (protocol.Host, bool) {
	d := fyne.CurrentApp().Driver()
	for o, row := range t.cells {
		// Cells scrolled away stay in the pool, off any canvas.
		if !o.Visible() || d.CanvasForObject(o) == nil || row < 0 || row >= len(t.rows) || t.rows[row].host == nil {
			continue
		}
		p, size := d.AbsolutePositionForObject(o), o.Size()
		if pos.X >= p.X && pos.X < p.X+size.Width && pos.Y >= p.Y && pos.Y < p.Y+size.Height {
			return *t.rows[row].host, true
		}
	}
	return protocol.Host{}, false
}
