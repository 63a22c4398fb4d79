package protocol

import (
	"crypto/rsa"
	"errors"
	"net/netip"
	"runtime"
	"sync"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// The lists a member master sends (docs/member-master.md §1.6, §2.2, §2.5): host entries cut into
// ANSLIST_DICT chunks that each fit a datagram, every chunk signed on its own; a change batch goes out
// wrapped in a DIR_PACKET, signed again.

// allStat is WIN's IPMSG_ALLSTAT: the status bits a host entry carries.
const allStat = wire.AbsenceOpt | wire.ServerOpt | wire.DialupOpt | wire.FileAttachOpt | wire.ClipboardOpt |
	wire.EncryptOpt | wire.CapUTF8Opt | wire.EncExtMsgOpt | wire.CapFileEncOpt | wire.CapIPDictOpt | wire.DirMasterOpt

// maxChunkRows bounds the host entries of one chunk in bytes: with the header, the signature and a
// DIR_PACKET and a DIR_REQUEST around it (about 0.6 KB each) a chunk stays under WIN's 32 KB read buffer.
const maxChunkRows = 28 * 1024

// dirEntry is the host entry of h: present (ACT 1) or gone (ACT 0), keys in WIN's order (MakeHostDict).
func dirEntry(h Host, active bool) wire.Dict {
	stat := h.Caps & allStat
	if h.Absent {
		stat |= wire.AbsenceOpt
	}
	var d wire.Dict
	d.SetStr(dkUID, h.User)
	d.SetStr(dkHID, h.Host)
	d.SetInt(dkStat, int64(stat))
	d.SetInt(dkAct, map[bool]int64{true: 1, false: 0}[active])
	d.SetStr(dkIPAd, h.Addr.Addr().String())
	d.SetInt(dkPort, int64(h.Addr.Port()))
	d.SetStr(dkNick, h.Nick)
	d.SetStr(dkGrp, h.Group)
	d.SetStr(dkCVer, "")
	return d
}

// listable says whether a host of the table belongs in a list: its names are known and its address is
// IPv4 (the IPAD of an entry).
func listable(h *Host) bool { return h.Entry && h.Addr.Addr().Is4() && h.User != "" && h.Host != "" }

// chunkRows cuts host entries into chunks of at most maxChunkRows bytes (at least one entry each).
func chunkRows(rows []wire.Dict) [][]wire.Dict {
	var out [][]wire.Dict
	start, size := 0, 0
	for i := range rows {
		s := len(wire.AppendIPDictContent(nil, rows[i])) + 8
		if i > start && size+s > maxChunkRows {
			out = append(out, rows[start:i])
			start, size = i, 0
		}
		size += s
	}
	if start < len(rows) {
		out = append(out, rows[start:])
	}
	return out
}

// signedLists builds one signed ANSLIST_DICT per chunk of rows, START/NUM/TOTAL counted over rows.
func (n *Node) signedLists(rows []wire.Dict, key *rsa.PrivateKey) ([]wire.Dict, error) {
	var out []wire.Dict
	start := 0
	for _, chunk := range chunkRows(rows) {
		d := n.dirHeaderDict(wire.AnsListDict)
		d.SetDictList(dkHList, chunk)
		d.SetInt(dkStart, int64(start))
		d.SetInt(dkNum, int64(len(chunk)))
		d.SetInt(dkTotal, int64(len(rows)))
		out = append(out, d)
		start += len(chunk)
	}
	return out, signAll(out, key)
}

// signAll signs every dict with key, on every core: a site's list is dozens of chunks, a push goes to
// hundreds of agents.
func signAll(ds []wire.Dict, key *rsa.PrivateKey) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ds))
	next := make(chan int)
	for range min(len(ds), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = signDict(&ds[i], key, crypt.Supported)
			}
		})
	}
	for i := range ds {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// wrapDirPacket wraps a signed ANSLIST_DICT into a signed DIR_PACKET, as WIN's DirSendDirect sends it
// (its TADR, a leftover nobody reads there, is left out).
func (n *Node) wrapDirPacket(list wire.Dict, key *rsa.PrivateKey) (wire.Dict, error) {
	d := n.dirHeaderDict(wire.DirPacket)
	d.SetDict(dkWrap, list)
	err := signDict(&d, key, crypt.Supported)
	return d, err
}

// onNetworks says whether a is on one of nets.
func onNetworks(a netip.Addr, nets []netip.Prefix) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
