package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"hato/protocol"
)

// hostList is the main window's list of everyone on the LAN, kept up to date from node events.
type hostList struct {
	hosts   []protocol.Host
	list    *widget.List
	status  *widget.Label
	content fyne.CanvasObject
}

func newHostList() *hostList {
	h := &hostList{status: &widget.Label{Text: "Looking for people on the LAN…"}}
	h.list = &widget.List{
		Length:     func() int { return len(h.hosts) },
		CreateItem: func() fyne.CanvasObject { return &widget.Label{Truncation: fyne.TextTruncateEllipsis} },
		UpdateItem: func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(h.row(i)) },
	}
	h.list.ExtendBaseWidget(h.list)
	h.content = container.NewBorder(nil, h.status, nil, nil, h.list)
	return h
}

// row is one host as the list shows it: nick, group, user@host, address, absence.
func (h *hostList) row(i int) string {
	if i < 0 || i >= len(h.hosts) {
		return ""
	}
	p := h.hosts[i]
	var b strings.Builder
	b.WriteString(p.DisplayName())
	if p.Group != "" {
		b.WriteString(" (" + p.Group + ")")
	}
	fmt.Fprintf(&b, "  %s@%s  %s", p.User, p.Host, p.Addr.Addr())
	if p.Absent {
		b.WriteString("  [absent]")
	}
	return b.String()
}

// apply updates the list for one node event; it runs on the UI goroutine.
func (h *hostList) apply(ev protocol.Event) {
	same := func(o protocol.Host) bool {
		return strings.EqualFold(o.User, ev.Host.User) && strings.EqualFold(o.Host, ev.Host.Host) &&
			o.Addr.Port() == ev.Host.Addr.Port()
	}
	switch ev.Kind {
	case protocol.EventHostJoined, protocol.EventHostUpdated:
		if i := slices.IndexFunc(h.hosts, same); i >= 0 {
			h.hosts[i] = ev.Host
		} else {
			h.hosts = append(h.hosts, ev.Host)
		}
	case protocol.EventHostLeft:
		h.hosts = slices.DeleteFunc(h.hosts, same)
	default:
		return
	}
	slices.SortFunc(h.hosts, func(a, b protocol.Host) int {
		return strings.Compare(strings.ToLower(a.DisplayName()), strings.ToLower(b.DisplayName()))
	})
	h.status.SetText(fmt.Sprintf("%d on the LAN", len(h.hosts)))
	h.list.Refresh()
}
