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
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagBroadcast == 0 || ifc.Flags&net.FlagLoopback != 0 {
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
			ip4 := ipn.IP.To4()
			if ip4 == nil || len(ipn.Mask) != net.IPv4len {
				continue
			}
			var b [4]byte
			for i := range b {
				b[i] = ip4[i] | ^ipn.Mask[i]
			}
			if bc := netip.AddrFrom4(b); bc != limitedBroadcast {
				out = append(out, bc)
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
