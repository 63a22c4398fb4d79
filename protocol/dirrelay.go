package protocol

import (
	"fmt"
	"net/netip"

	"hato/protocol/wire"
)

// Relaying the master's pushes on our segment (docs/member-master.md §2.4, "push relay"). A master
// reaches a segment it is not on through one or two members there, its agents: it sends each a
// DIR_REQUEST (signed) that wraps a DIR_PACKET of changes (signed) and names in TADR the agent's address
// as the master sees it. The agent broadcasts the DIR_PACKET on its network that holds TADR, wrapped in
// a DIR_AGENTPACKET it does not sign: every member there checks the master's signatures inside. WIN
// relays whatever its master asks so (MsgDirRequest); Hato too, and takes the changes itself, since it
// does not hear its own broadcast.

// onDirRequest relays a DIR_REQUEST from our master.
func (n *Node) onDirRequest(from netip.AddrPort, h dirHeader, d *wire.Dict) (why string) {
	if from != n.member.master {
		return fmt.Sprintf("sent by %s, not by the master %s", from, n.member.master)
	}
	return n.takeOnce(h, func() string {
		if why := n.checkMasterSigned(d, true, dirSender(from, h)); why != "" {
			return why
		}
		tadr, err := d.Str(dkTAdr)
		if err != nil {
			return err.Error()
		}
		inner, why := n.takeWrapped(from, d)
		if why != "" {
			return why
		}
		seg, ok := n.segmentOf(tadr)
		if !ok {
			return fmt.Sprintf("TADR %q is on none of our networks", tadr)
		}
		out := n.dirHeaderDict(wire.DirAgentPacket)
		out.SetDict(dkWrap, inner)
		n.writeRaw(wire.AppendIPDict(nil, out), netip.AddrPortFrom(broadcastAddr(seg), n.PeerPort()))
		return ""
	})
}

// segmentOf is our network that holds the address a, as WIN's SetBrDirAddr picks it.
func (n *Node) segmentOf(a string) (netip.Prefix, bool) {
	ip, err := netip.ParseAddr(a)
	if err != nil || !ip.Is4() {
		return netip.Prefix{}, false
	}
	for _, p := range localNetworks(n.addr.Addr()) {
		if p.Contains(ip) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}
