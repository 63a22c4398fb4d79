package protocol

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"hato/protocol/wire"
)

// The host-list exchange lets a node learn peers that broadcasts do not reach (other segments), as
// the Windows client does it: BR_ISGETLIST2 → OKGETLIST → GETLIST(start) → ANSLIST pages.

// listRequest is the state of our own request: which responder we read from and how many rows came.
type listRequest struct {
	active bool
	from   netip.AddrPort
	rows   int
}

// listPageBytes keeps an ANSLIST page, with its header, inside one 32 KB datagram.
const listPageBytes = maxSend - 512

// RequestHostList broadcasts BR_ISGETLIST2 (again with RETRYOPT after 3 s if nobody offered). The first
// peer to offer sends its list; the rows are merged and EventListReceived reports the end.
func (n *Node) RequestHostList() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	n.list = listRequest{active: true}
	n.mu.Unlock()
	n.broadcast(n.packet(wire.UTF8, wire.BrIsGetList2|caps, nil, nil))
	n.after(3*time.Second, func() {
		n.mu.Lock()
		waiting := n.list.active && !n.list.from.IsValid()
		n.mu.Unlock()
		if waiting {
			n.broadcast(n.packet(wire.UTF8, wire.BrIsGetList2|caps|wire.RetryOpt, nil, nil))
		}
	})
	return nil
}

// onListOffer answers a BR_ISGETLIST(2) with OKGETLIST, once we have been up long enough to know peers,
// and only to a known address: only those get the list (see onListRequest).
func (n *Node) onListOffer(from netip.AddrPort, p wire.Packet, size int) {
	n.mu.Lock()
	up := time.Since(n.start)
	n.mu.Unlock()
	if !n.cfg.AllowSendList || up < 3*time.Second || !n.knownAddr(from) {
		return
	}
	n.answer(from, size, n.packetFor(n.hostAt(from), wire.OkGetList|caps, "", nil))
}

// onListReady asks the first peer that offered for the first page.
func (n *Node) onListReady(from netip.AddrPort, p wire.Packet) {
	n.mu.Lock()
	take := n.list.active && !n.list.from.IsValid()
	if take {
		n.list.from = from
	}
	n.mu.Unlock()
	if take {
		n.writeTo(n.packetFor(n.hostAt(from), wire.GetList|caps, "0", nil), from)
	}
}

// onListRequest sends one page of our host list, starting at the requested position, to a known address
// (an entry exchange completed): a 20-byte GETLIST must not bring 32 KB to a forged source. Building a page
// costs the rows on it, whatever the size of the table.
func (n *Node) onListRequest(from netip.AddrPort, p wire.Packet, size int) {
	if !n.cfg.AllowSendList || !n.knownAddr(from) {
		return
	}
	start, _ := strconv.Atoi(strings.TrimSpace(string(p.Msg)))
	cs, flag := n.cfg.Codepage, wire.Command(0)
	if p.Cmd&(wire.CapUTF8Opt|wire.UTF8Opt) != 0 {
		cs, flag = wire.UTF8, wire.UTF8Opt
	}
	var rows []byte
	count := 0
	n.mu.Lock()
	next := n.hosts.page(start, func(e *hostEntry) bool {
		if e.Addr == from || !e.Addr.Addr().Is4() || !e.Entry {
			return true
		}
		before := len(rows)
		rows = wire.AppendListRow(rows, wire.ListEntry{
			User: string(wire.Encode(e.User, cs)), Host: string(wire.Encode(e.Host.Host, cs)),
			Status: wire.BrEntry | e.Caps.Opts() | absenceBit(e.Absent),
			Addr:   e.Addr.Addr().String(), Port: int(e.Addr.Port()),
			Nick: string(wire.Encode(e.Nick, cs)), Group: string(wire.Encode(e.Group, cs)),
		})
		if len(rows) > listPageBytes && count > 0 {
			rows = rows[:before]
			return false // this host starts the next page
		}
		count++
		return true
	})
	n.mu.Unlock()
	ext := append(wire.AppendAnsListHeader(make([]byte, 0, 12+len(rows)), next, count), rows...)
	n.answer(from, size, n.packet(cs, wire.AnsList|flag, ext, nil))
}

func absenceBit(absent bool) wire.Command {
	if absent {
		return wire.AbsenceOpt
	}
	return 0
}

// onList merges a page of the list we asked for and asks for the next one.
func (n *Node) onList(from netip.AddrPort, p wire.Packet) {
	n.mu.Lock()
	ours := n.list.active && n.list.from == from
	n.mu.Unlock()
	if !ours {
		return // unsolicited lists could inject hosts; Windows ignores them too
	}
	next, rows, err := wire.ParseAnsList(p.Msg)
	if err != nil {
		n.log.Debug("bad ANSLIST", "from", from, "err", err)
	}
	now := time.Now()
	for _, r := range rows {
		n.mergeListRow(r, p, now)
	}
	n.mu.Lock()
	n.list.rows += len(rows)
	total := n.list.rows
	if next == 0 || err != nil {
		n.list.active = false
	}
	n.mu.Unlock()
	if next != 0 && err == nil {
		n.writeTo(n.packetFor(n.hostAt(from), wire.GetList|caps, strconv.Itoa(next), nil), from)
		return
	}
	// Announce ourselves to everyone we just learned of, as Windows does after a list.
	n.spread(wire.BrEntry, true)
	n.emit(Event{Kind: EventListReceived, Text: strconv.Itoa(total)})
}

// mergeListRow takes one row of a host list we asked for. A row is hearsay: it adds hosts we never
// heard of and updates (or, with status 0 or BR_EXIT, removes) hosts we know only from rows, but never
// changes a host heard directly, nor moves a known host's address.
func (n *Node) mergeListRow(r wire.ListEntry, p wire.Packet, now time.Time) {
	ip, err := netip.ParseAddr(r.Addr)
	if err != nil || !ip.Is4() || r.Port <= 0 || r.Port > 65535 {
		return
	}
	h := Host{
		User: n.decode([]byte(r.User), p, nil), Host: n.decode([]byte(r.Host), p, nil),
		Nick: n.decode([]byte(r.Nick), p, nil), Group: n.decode([]byte(r.Group), p, nil),
		Addr: netip.AddrPortFrom(ip, uint16(r.Port)), Caps: r.Status.Opts(), Absent: r.Status.Has(wire.AbsenceOpt),
		Seen: now, Entry: true,
	}
	n.mergeHearsay(h, r.Status == 0 || r.Status.Mode() == wire.BrExit, p.No, "host list row")
}
