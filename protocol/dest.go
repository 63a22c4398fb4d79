package protocol

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxRangeAddrs bounds one destination range (a /16): entry packets go to each address one by one.
const maxRangeAddrs = 1 << 16

// ParseDestination expands one destination for entry packets: "a.b.c.d", "a.b.c.d:port",
// "a.b.c.0/24" (every host address of the range) or "a.b.c.d-e" (d to e in the last octet).
// Addresses without a port get defaultPort.
func ParseDestination(s string, defaultPort int) ([]netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	port := uint16(defaultPort)
	switch {
	case strings.Contains(s, "/"):
		prefix, err := netip.ParsePrefix(s)
		if err != nil || !prefix.Addr().Is4() {
			return nil, fmt.Errorf("destination %q: not an IPv4 CIDR range", s)
		}
		prefix = prefix.Masked()
		size := 1 << (32 - prefix.Bits())
		if size > maxRangeAddrs {
			return nil, fmt.Errorf("destination %q: range larger than /16", s)
		}
		var out []netip.AddrPort
		a := prefix.Addr()
		for i := 0; i < size; i++ {
			// Skip the network and broadcast addresses of ordinary subnets.
			if size > 2 && (i == 0 || i == size-1) {
				a = a.Next()
				continue
			}
			out = append(out, netip.AddrPortFrom(a, port))
			a = a.Next()
		}
		return out, nil
	case strings.Contains(s, "-"):
		base, last, _ := strings.Cut(s, "-")
		first, err := netip.ParseAddr(base)
		if err != nil || !first.Is4() {
			return nil, fmt.Errorf("destination %q: range must look like 192.168.1.10-20", s)
		}
		end, err := strconv.Atoi(last)
		b := first.As4()
		if err != nil || end < int(b[3]) || end > 255 {
			return nil, fmt.Errorf("destination %q: range end %q must be %d..255", s, last, b[3])
		}
		var out []netip.AddrPort
		for i := int(b[3]); i <= end; i++ {
			b[3] = byte(i)
			out = append(out, netip.AddrPortFrom(netip.AddrFrom4(b), port))
		}
		return out, nil
	default:
		if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Is4() {
			return []netip.AddrPort{ap}, nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("destination %q: not an IPv4 address, CIDR or range", s)
		}
		return []netip.AddrPort{netip.AddrPortFrom(a, port)}, nil
	}
}

// ParseDestinations expands every destination and drops repeats.
func ParseDestinations(list []string, defaultPort int) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	seen := map[netip.AddrPort]bool{}
	for _, s := range list {
		addrs, err := ParseDestination(s, defaultPort)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}
