package protocol

import (
	"net"
	"net/netip"
)

// limitedBroadcast is 255.255.255.255, which stays on the local link.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// directedBroadcasts lists the broadcast address of every up, broadcast-capable IPv4 interface,
// e.g. 192.168.1.255 for 192.168.1.10/24: some networks pass these where 255.255.255.255 is dropped.
func directedBroadcasts() []netip.Addr {
	var out []netip.Addr
	for _, p := range interfaceNets(lanInterface) {
		if bc := broadcastAddr(p); bc != limitedBroadcast {
			out = append(out, bc)
		}
	}
	return out
}

// broadcastAddr is the directed broadcast address of an IPv4 network: every host bit set.
func broadcastAddr(p netip.Prefix) netip.Addr {
	a, m := p.Addr().As4(), net.CIDRMask(p.Bits(), 32)
	var b [4]byte
	for i := range b {
		b[i] = a[i] | ^m[i]
	}
	return netip.AddrFrom4(b)
}

// lanInterface accepts the interfaces a LAN is on: up, broadcast-capable, not loopback.
func lanInterface(f net.Flags) bool {
	return f&net.FlagUp != 0 && f&net.FlagBroadcast != 0 && f&net.FlagLoopback == 0
}

// interfaceNets lists the IPv4 addresses, with their prefix lengths, of the interfaces want accepts.
func interfaceNets(want func(net.Flags) bool) []netip.Prefix {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, ifc := range ifaces {
		if !want(ifc.Flags) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if ones, bits := ipn.Mask.Size(); ok && ip.Unmap().Is4() && bits == net.IPv4len*8 {
				out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
			}
		}
	}
	return out
}

// localAddrs lists this machine's IPv4 addresses, used to recognise our own broadcasts.
func localAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ap, ok := netip.AddrFromSlice(ipn.IP); ok {
				out[ap.Unmap()] = true
			}
		}
	}
	return out
}
