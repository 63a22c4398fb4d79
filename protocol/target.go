package protocol

import (
	"fmt"
	"net/netip"
	"strings"
)

// ResolveTarget finds the hosts a user means by target: "IP[:PORT]" (any address, listed or not),
// "user@host", or a nickname. Names match without case; a nickname shared by several hosts is an error,
// so that a message never goes to someone unintended.
func ResolveTarget(hosts []Host, target string, defaultPort uint16) (Host, error) {
	target = strings.TrimSpace(target)
	if target == "" {
		return Host{}, fmt.Errorf("target: empty")
	}
	if ap, err := netip.ParseAddrPort(target); err == nil {
		return hostAtAddr(hosts, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())), nil
	}
	if a, err := netip.ParseAddr(target); err == nil {
		return hostAtAddr(hosts, netip.AddrPortFrom(a.Unmap(), defaultPort)), nil
	}
	var found []Host
	if user, host, ok := strings.Cut(target, "@"); ok {
		for _, h := range hosts {
			if strings.EqualFold(h.User, user) && strings.EqualFold(h.Host, host) {
				found = append(found, h)
			}
		}
	}
	if len(found) == 0 {
		for _, h := range hosts {
			if strings.EqualFold(h.DisplayName(), target) {
				found = append(found, h)
			}
		}
	}
	switch len(found) {
	case 0:
		return Host{}, fmt.Errorf("target %q: no such host (give an IP, user@host or nickname)", target)
	case 1:
		return found[0], nil
	default:
		names := make([]string, len(found))
		for i, h := range found {
			names[i] = h.User + "@" + h.Host + " " + h.Addr.String()
		}
		return Host{}, fmt.Errorf("target %q: %d hosts match (%s); use user@host or an IP", target, len(found), strings.Join(names, ", "))
	}
}

func hostAtAddr(hosts []Host, addr netip.AddrPort) Host {
	for _, h := range hosts {
		for _, a := range h.Addrs {
			if a == addr {
				return h
			}
		}
	}
	return Host{Addr: addr}
}
