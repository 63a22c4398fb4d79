package protocol

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"hato/protocol/crypt"
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

// onListOffer answers a BR_ISGETLIST(2) with OKGETLIST, once we have been up long enough to know peers.
func (n *Node) onListOffer(from netip.AddrPort, p wire.Packet) {
	n.mu.Lock()
	up := time.Since(n.start)
	n.mu.Unlock()
	if !n.cfg.AllowSendList || up < 3*time.Second {
		return
	}
	n.writeTo(n.packetFor(n.hostAt(from, p), wire.OkGetList|caps, "", nil), from)
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
		n.writeTo(n.packetFor(n.hostAt(from, p), wire.GetList|caps, "0", nil), from)
	}
}

// onListRequest sends one page of our host list, starting at the requested index.
func (n *Node) onListRequest(from netip.AddrPort, p wire.Packet) {
	if !n.cfg.AllowSendList {
		return
	}
	start, _ := strconv.Atoi(strings.TrimSpace(string(p.Msg)))
	cs, flag := n.cfg.Codepage, wire.Command(0)
	if p.Cmd&(wire.CapUTF8Opt|wire.UTF8Opt) != 0 {
		cs, flag = wire.UTF8, wire.UTF8Opt
	}
	var rows []wire.ListEntry
	for _, h := range n.Hosts() {
		if h.Addr == from || !h.Addr.Addr().Is4() {
			continue
		}
		rows = append(rows, wire.ListEntry{
			User: string(wire.Encode(h.User, cs)), Host: string(wire.Encode(h.Host, cs)),
			Status: wire.BrEntry | h.Caps.Opts() | absenceBit(h.Absent),
			Addr:   h.Addr.Addr().String(), Port: int(h.Addr.Port()),
			Nick: string(wire.Encode(h.Nick, cs)), Group: string(wire.Encode(h.Group, cs)),
		})
	}
	if start < 0 || start > len(rows) {
		start = len(rows)
	}
	ext, _ := wire.AnsListPage(rows, start, listPageBytes)
	n.writeTo(n.packet(cs, wire.AnsList|flag, ext, nil), from)
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
		n.writeTo(n.packetFor(n.hostAt(from, p), wire.GetList|caps, strconv.Itoa(next), nil), from)
		return
	}
	// Announce ourselves to everyone we just learned of, as Windows does after a list.
	n.spread(wire.BrEntry, true)
	n.emit(Event{Kind: EventListReceived, Text: strconv.Itoa(total)})
}

func (n *Node) mergeListRow(r wire.ListEntry, p wire.Packet, now time.Time) {
	ip, err := netip.ParseAddr(r.Addr)
	if err != nil || !ip.Is4() || r.Port <= 0 || r.Port > 65535 {
		return
	}
	addr := netip.AddrPortFrom(ip, uint16(r.Port))
	h := Host{
		User: n.decode([]byte(r.User), p, nil), Host: n.decode([]byte(r.Host), p, nil),
		Nick: n.decode([]byte(r.Nick), p, nil), Group: n.decode([]byte(r.Group), p, nil),
		Addr: addr, Caps: r.Status.Opts(), Absent: r.Status.Has(wire.AbsenceOpt), Seen: now, Entry: true,
	}
	if n.self(addr) || (h.User == n.cfg.User && h.Host == n.cfg.Host && addr.Port() == n.addr.Port()) {
		return
	}
	if _, _, fp := crypt.SplitFingerprintName(h.User); fp && !h.Caps.Has(wire.EncryptOpt) && r.Status.Mode() != wire.BrExit {
		n.log.Debug("host list: fingerprinted name without ENCRYPTOPT dropped", "user", h.User)
		return
	}
	if r.Status == 0 || r.Status.Mode() == wire.BrExit {
		n.mu.Lock()
		old, ok := n.hosts.remove(h.key())
		n.mu.Unlock()
		if ok {
			n.emit(Event{Kind: EventHostLeft, Host: old})
		}
		return
	}
	n.learn(h)
}
