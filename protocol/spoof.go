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

// spoofed drops entry packets and messages that use a fingerprinted user name without ENCRYPTOPT, as
// WIN does: only the key's owner can answer GETPUBKEY with a matching key and sign, so a clear packet
// under such a name is someone else's. (An encrypted message is checked once its signature is.)
func (n *Node) spoofed(from netip.AddrPort, p wire.Packet) bool {
	switch p.Cmd.Mode() {
	case wire.BrEntry, wire.AnsEntry, wire.BrAbsence, wire.SendMsg:
	default:
		return false
	}
	if p.Cmd.Has(wire.EncryptOpt) {
		return false
	}
	hint := &Host{Iptux: isIptux(p)}
	user := n.decode([]byte(p.User), p, hint)
	if !fingerprinted(user) {
		return false
	}
	n.reject(Host{User: user, Host: n.decode([]byte(p.Host), p, hint), Addr: from}, p.No,
		fmt.Sprintf("%s from fingerprinted user %q without ENCRYPTOPT (spoofed name)", p.Cmd.Mode(), user))
	return true
}
