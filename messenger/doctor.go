package messenger

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"hato/protocol"
)

// Check is one thing `hato doctor` and the app's "nobody here" panel look at.
type Check struct {
	Name   string // "port", "interfaces", "broadcasts", "peers", "firewall", "answer"
	OK     bool
	Detail string // what was found, and what to do when it is not OK
}

// PortCheck says whether port (UDP and TCP) can be bound here, and if not, who has it. Call it before a
// node binds the port, or with ours set when this Hato has it.
func PortCheck(port int, ours bool) Check {
	if ours {
		return Check{Name: "port", OK: true, Detail: fmt.Sprintf("UDP and TCP %d: this Hato listens on them", port)}
	}
	for _, network := range []string{"udp4", "tcp4"} {
		var err error
		if network == "udp4" {
			var c net.PacketConn
			if c, err = net.ListenPacket(network, fmt.Sprintf(":%d", port)); err == nil {
				c.Close()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen(network, fmt.Sprintf(":%d", port)); err == nil {
				l.Close()
			}
		}
		if err != nil {
			who := portOwner(network, port)
			return Check{Name: "port", Detail: fmt.Sprintf("%s %d is taken%s: close that program (another IP Messenger?) or give Hato another port",
				strings.ToUpper(network[:3]), port, who)}
		}
	}
	return Check{Name: "port", OK: true, Detail: fmt.Sprintf("UDP and TCP %d are free", port)}
}

// Interfaces lists this machine's IPv4 networks that can reach a LAN, and their broadcast addresses.
func Interfaces() (nets []netip.Prefix, broadcasts []netip.Addr) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, nil
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.To4() == nil {
				continue
			}
			ones, _ := ipn.Mask.Size()
			ip, _ := netip.AddrFromSlice(ipn.IP.To4())
			p := netip.PrefixFrom(ip, ones)
			nets = append(nets, p)
			if ifc.Flags&net.FlagBroadcast != 0 && ones < 32 {
				broadcasts = append(broadcasts, lastAddr(p.Masked()))
			}
		}
	}
	return nets, broadcasts
}

// lastAddr is a network's directed broadcast address.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As4()
	ones := p.Bits()
	for i := range 4 {
		for bit := range 8 {
			if i*8+bit >= ones {
				b[i] |= 0x80 >> bit
			}
		}
	}
	return netip.AddrFrom4(b)
}

// Diagnose looks at what keeps peers from showing up, on the running Hato h: its interfaces and
// broadcasts, whether anyone answered within wait, the firewall, and, with to set, a GETINFO round trip.
func (h *Hato) Diagnose(ctx context.Context, wait time.Duration, to string) []Check {
	var out []Check
	nets, bcasts := Interfaces()
	if len(nets) == 0 {
		out = append(out, Check{Name: "interfaces", Detail: "no network but loopback is up: connect to the LAN"})
	} else {
		var s []string
		for _, n := range nets {
			s = append(s, n.String())
		}
		out = append(out, Check{Name: "interfaces", OK: true, Detail: strings.Join(s, ", ")})
	}
	var dests []string
	if !h.Addr().Addr().IsLoopback() { // a node bound to loopback reaches only its destination list
		dests = append(dests, "255.255.255.255")
		for _, b := range bcasts {
			dests = append(dests, b.String())
		}
	}
	dests = append(dests, h.Settings().Broadcasts...)
	if len(dests) == 0 {
		out = append(out, Check{Name: "broadcasts", Detail: "bound to a loopback address and no broadcast destinations: nobody hears us"})
	} else {
		out = append(out, Check{Name: "broadcasts", OK: true, Detail: "presence goes to " + strings.Join(dests, ", ")})
	}

	hosts, err := h.Refresh(ctx, wait)
	switch {
	case err != nil:
		out = append(out, Check{Name: "peers", Detail: err.Error()})
	case len(hosts) == 0:
		out = append(out, Check{Name: "peers", Detail: fmt.Sprintf("nobody answered within %v: a firewall may drop UDP %d here or there, "+
			"or the others are on another subnet (add their range, e.g. 192.168.2.0/24, to the broadcast destinations)",
			wait, h.Settings().port())})
	default:
		out = append(out, Check{Name: "peers", OK: true, Detail: fmt.Sprintf("%d answered", len(hosts))})
	}
	out = append(out, firewallCheck(h.Settings().port()))
	if to != "" {
		out = append(out, h.answerCheck(ctx, to))
	}
	return out
}

// answerCheck sends GETINFO to target and times the answer.
func (h *Hato) answerCheck(ctx context.Context, target string) Check {
	hosts, err := h.Resolve(ctx, []string{target}, 0)
	if err != nil {
		return Check{Name: "answer", Detail: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	events, stop := h.Subscribe()
	defer func() {
		stop()
		for range events {
		}
	}()
	start := time.Now()
	if err := h.Node().RequestInfo(hosts[0]); err != nil {
		return Check{Name: "answer", Detail: err.Error()}
	}
	for {
		select {
		case <-ctx.Done():
			return Check{Name: "answer", Detail: fmt.Sprintf("%s did not answer GETINFO within 3 s: is an IP Messenger running there, "+
				"and does a firewall pass UDP %d both ways?", hosts[0].Addr, h.Settings().port())}
		case ev := <-events:
			if ev.Kind == protocol.EventInfo && ev.Host.Addr.Addr() == hosts[0].Addr.Addr() {
				return Check{Name: "answer", OK: true, Detail: fmt.Sprintf("%s answered GETINFO in %v: %q", ev.Host.Addr,
					time.Since(start).Round(time.Millisecond), ev.Text)}
			}
		}
	}
}
