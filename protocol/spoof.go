package protocol

import (
	"fmt"
	"net/netip"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// fingerprinted reports whether a user name carries a key fingerprint ("taro-<30a70db77433793e>").
func fingerprinted(user string) bool {
	_, _, ok := crypt.SplitFingerprintName(user)
	return ok
}

// spoofed drops, with EventRejected, clear packets that use a fingerprinted user name: only the key's
// owner can answer GETPUBKEY with a matching key and sign, so such a packet is someone else's. The name
// is checked wherever it appears, whatever the other fields say:
//
//   - entry packets: the header's user and the UN: line (which the host table takes), without
//     ENCRYPTOPT (WIN's rule) or naming two different fingerprinted users;
//   - a clear SENDMSG: the header's user, and the name of the known host at the source address (a
//     host that announced itself under a fingerprinted name cannot talk in the clear under another).
//
// An encrypted message from such a name must be signed by the fingerprint's key (see onEncrypted), and
// host-list rows are checked as they are merged (mergeListRow).
func (n *Node) spoofed(from netip.AddrPort, p wire.Packet) bool {
	switch p.Cmd.Mode() {
	case wire.BrEntry, wire.AnsEntry, wire.BrAbsence, wire.SendMsg:
	default:
		return false
	}
	hh := n.headerHost(from, p)
	var why string
	switch p.Cmd.Mode() {
	case wire.BrEntry, wire.AnsEntry, wire.BrAbsence:
		un := wire.ParseEntry(p).UN
		_, fpHeader, okHeader := crypt.SplitFingerprintName(hh.User)
		_, fpUN, okUN := crypt.SplitFingerprintName(un)
		switch {
		case (okHeader || okUN) && !p.Cmd.Has(wire.EncryptOpt):
			why = fmt.Sprintf("%s from fingerprinted user %q without ENCRYPTOPT (spoofed name)", p.Cmd.Mode(), firstFP(hh.User, un))
		case okHeader && okUN && fpHeader != fpUN:
			why = fmt.Sprintf("%s names two fingerprinted users, %q and %q (spoofed name)", p.Cmd.Mode(), hh.User, un)
		}
	case wire.SendMsg:
		if p.Cmd.Has(wire.EncryptOpt) {
			return false
		}
		user := hh.User
		if h := n.hostAt(from); h != nil && fingerprinted(h.User) {
			user = h.User
		}
		if fingerprinted(user) {
			why = fmt.Sprintf("clear message from fingerprinted user %q (spoofed name)", user)
		}
	}
	if why == "" {
		return false
	}
	n.reject(hh, p.No, why)
	return true
}

// firstFP is the first of the names that carries a fingerprint.
func firstFP(names ...string) string {
	for _, s := range names {
		if fingerprinted(s) {
			return s
		}
	}
	return ""
}
