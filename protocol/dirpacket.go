package protocol

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"hato/protocol/wire"
)

// Directory packets (docs/member-master.md §1.3, §2.2): the common header every IPDict datagram starts
// with, host entries, and the networks a DIR_POLL names.

// Keys of directory packets (Windows' ipmsg.h, "New Protocol Key").
const (
	dkVer   = "VER"   // int: dirVersion
	dkPkt   = "PKT"   // int: packet number
	dkDate  = "DATE"  // int: Unix time of sending (nobody checks it)
	dkUID   = "UID"   // str: user name
	dkHID   = "HID"   // str: host name
	dkCmd   = "CMD"   // int: command mode
	dkFlg   = "FLG"   // int: option flags
	dkCVer  = "CVER"  // str: client version, "%08X:%d:%d:%d" from WIN
	dkGrp   = "GRP"   // str: group
	dkNick  = "NCK"   // str: nickname
	dkStat  = "STAT"  // int: status (entry option bits)
	dkNAdrs = "NADRS" // dict list of {ADR, MASK}: DIR_POLL, the poller's networks
	dkAdr   = "ADR"   // str: network address
	dkMask  = "MASK"  // int: prefix length
	dkHList = "HLST"  // dict list of host entries
	dkStart = "START" // int: ANSLIST_DICT, offset of this chunk
	dkNum   = "NUM"   // int: ANSLIST_DICT, entries in this chunk
	dkTotal = "TOTAL" // int: ANSLIST_DICT, entries in all
	dkWrap  = "WAPD"  // dict: the wrapped packet (DIR_PACKET, DIR_REQUEST, DIR_AGENTPACKET)
	dkAct   = "ACT"   // int: host entry, 1 present, 0 (or missing) deleted
	dkIPAd  = "IPAD"  // str: host entry, IPv4 address
	dkPort  = "PORT"  // int: host entry, UDP port
	dkTAdr  = "TADR"  // str: DIR_REQUEST, the agent's address as the master sees it
)

// dirVersion is VER in every directory packet (IPMSG_NEW_VERSION).
const dirVersion = 3

// dirHeader is what Windows requires of every IPDict datagram (MsgMng::ResolveDictMsg).
type dirHeader struct {
	no         uint32
	user, host string
	cmd        wire.Command // CMD | FLG, as Windows reads it
}

// readDirHeader reads VER (must be 3), PKT, UID, HID, CMD and FLG.
func readDirHeader(d *wire.Dict) (dirHeader, error) {
	var h dirHeader
	if v, err := d.Int(dkVer); err != nil || v != dirVersion {
		return h, fmt.Errorf("VER is not %d", dirVersion)
	}
	no, err := d.Int(dkPkt)
	if err != nil {
		return h, err
	}
	if h.user, err = d.Str(dkUID); err != nil {
		return h, err
	}
	if h.host, err = d.Str(dkHID); err != nil {
		return h, err
	}
	cmd, err := d.Int(dkCmd)
	if err != nil {
		return h, err
	}
	flg, err := d.Int(dkFlg)
	if err != nil {
		return h, err
	}
	h.no, h.cmd = uint32(no), wire.Command(uint32(cmd)|uint32(flg))
	return h, nil
}

// dirHeaderDict starts a directory packet of ours as WIN's InitIPDict does, with a fresh packet number.
// CVER is empty: Hato has no WIN version string (it sends no VS: line either).
func (n *Node) dirHeaderDict(cmd wire.Command) wire.Dict {
	stat := n.entryOpts()
	n.mu.Lock()
	user, host, nick, group := n.cfg.User, n.cfg.Host, n.cfg.Nick, n.cfg.Group
	n.mu.Unlock()
	var d wire.Dict
	d.SetInt(dkVer, dirVersion)
	d.SetInt(dkPkt, int64(n.nextNo()))
	d.SetInt(dkDate, time.Now().Unix())
	d.SetStr(dkUID, user)
	d.SetStr(dkHID, host)
	d.SetInt(dkCmd, int64(cmd))
	d.SetInt(dkFlg, 0)
	d.SetStr(dkCVer, "")
	d.SetStr(dkGrp, group)
	d.SetStr(dkNick, nick)
	d.SetInt(dkStat, int64(stat))
	return d
}

// maxDirName bounds the names of a host entry (WIN keeps 80 bytes), so that a list's hosts cost little.
const maxDirName = 256

// dirRow is one host entry of an HLST.
type dirRow struct {
	host   Host
	active bool
}

// readDirRow reads a host entry (miscfunc.cpp:DictToHost): UID, HID, STAT, IPAD and PORT are required,
// NCK and GRP optional; ACT missing means deleted, as it does for Windows. ok is false for an entry
// that is well formed but names no host we can reach (not IPv4, port 0, names too long): it is skipped.
func readDirRow(d *wire.Dict) (r dirRow, ok bool, err error) {
	user, err := d.Str(dkUID)
	if err != nil {
		return r, false, err
	}
	host, err := d.Str(dkHID)
	if err != nil {
		return r, false, err
	}
	stat, err := d.Int(dkStat)
	if err != nil {
		return r, false, err
	}
	ip, err := d.Str(dkIPAd)
	if err != nil {
		return r, false, err
	}
	port, err := d.Int(dkPort)
	if err != nil {
		return r, false, err
	}
	act, err := d.Int(dkAct)
	if err != nil && !errors.Is(err, wire.ErrNoKey) {
		return r, false, err
	}
	nick, _ := d.Str(dkNick)
	group, _ := d.Str(dkGrp)
	a, perr := netip.ParseAddr(ip)
	if perr != nil || !a.Is4() || port <= 0 || port > 65535 || user == "" || host == "" ||
		max(len(user), len(host), len(nick), len(group)) > maxDirName {
		return r, false, nil
	}
	status := wire.Command(uint32(stat))
	r.host = Host{
		User: wire.Decode([]byte(user), wire.UTF8), Host: wire.Decode([]byte(host), wire.UTF8),
		Nick: wire.Decode([]byte(nick), wire.UTF8), Group: wire.Decode([]byte(group), wire.UTF8),
		Addr: netip.AddrPortFrom(a, uint16(port)), Caps: status.Opts(), Absent: status.Has(wire.AbsenceOpt),
		Entry: true,
	}
	r.active = act != 0
	return r, true, nil
}

// dirNetworks is the NADRS list of a DIR_POLL: {ADR network address, MASK prefix length} per network.
func dirNetworks(nets []netip.Prefix) []wire.Dict {
	out := make([]wire.Dict, 0, len(nets))
	for _, p := range nets {
		var d wire.Dict
		d.SetStr(dkAdr, p.Masked().Addr().String())
		d.SetInt(dkMask, int64(p.Bits()))
		out = append(out, d)
	}
	return out
}

// localNetworks lists the IPv4 networks we are on, as WIN lists its broadcast networks (brListOrg):
// with bind unspecified, those of every up, broadcast-capable, non-loopback interface; otherwise the
// network that holds the bound address (a node bound to 127.0.0.2 is on lo's 127.0.0.0/8).
func localNetworks(bind netip.Addr) []netip.Prefix {
	bound := bind.IsValid() && !bind.IsUnspecified()
	want := lanInterface
	if bound {
		want = func(net.Flags) bool { return true }
	}
	var out []netip.Prefix
	for _, p := range interfaceNets(want) {
		ones := p.Bits()
		p = p.Masked()
		// A WIN master shows a message box for a /0 or /32 network (mainwindir.cpp:UpdateSegs).
		if ones == 0 || ones == 32 || bound && !p.Contains(bind) {
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// ParseMasterAddr reads a member master's address: "a.b.c.d" (port 2425) or "a.b.c.d:port".
func ParseMasterAddr(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if !ap.Addr().Unmap().Is4() || ap.Port() == 0 {
			return netip.AddrPort{}, fmt.Errorf("master %q: want an IPv4 address and a port from 1 to 65535", s)
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Unmap().Is4() {
		return netip.AddrPort{}, fmt.Errorf("master %q: not an IPv4 address, nor one with :port", s)
	}
	return netip.AddrPortFrom(a.Unmap(), DefaultPort), nil
}
