//go:build linux

package netlab

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
)

// MaxSubnets is the largest number of subnets NewRouted builds.
const MaxSubnets = 4

// routedNets are the /24s of a routed lab's subnets, in order: TEST-NET-2, TEST-NET-3, TEST-NET-1, then
// one of the benchmarking range 198.18.0.0/15.
var routedNets = [MaxSubnets][3]byte{{198, 51, 100}, {203, 0, 113}, {192, 0, 2}, {198, 18, 0}}

// Subnet is one segment of a routed lab: a bridge of its own, the router at .1, hosts from .2.
type Subnet struct {
	Index     int
	Net       *net.IPNet // e.g. 198.51.100.0/24
	Gateway   net.IP     // the router's address here (.1), every host's default route
	Broadcast net.IP     // directed broadcast (.255)
	hosts     []*Host
}

// Host returns host j (0-based) of the subnet; its IP is .(j+2).
func (s *Subnet) Host(j int) *Host { return s.hosts[j] }

// Hosts returns the subnet's hosts.
func (s *Subnet) Hosts() []*Host { return append([]*Host(nil), s.hosts...) }

// Len is the number of hosts on the subnet.
func (s *Subnet) Len() int { return len(s.hosts) }

// Routed is a lab of several subnets joined by one router namespace. The router forwards unicast
// IPv4 between them and, like any router, no broadcast: 255.255.255.255 and each subnet's directed
// broadcast stay on their own segment.
type Routed struct {
	t       testing.TB
	name    string // common prefix of this lab's namespaces
	bridge  string // namespace holding one bridge per subnet (br0, br1, ...)
	router  *Host
	subnets []*Subnet
	once    sync.Once
}

// NewRouted builds a routed lab with hosts[i] hosts on subnet i (198.51.100.0/24, 203.0.113.0/24,
// 192.0.2.0/24, then 198.18.0.0/24) and registers its teardown with t.Cleanup. Its namespaces are named like a
// Lab's, so that leftovers of a crashed run are removed the same way.
func NewRouted(t testing.TB, hosts []int) (*Routed, error) {
	t.Helper()
	if len(hosts) < 2 || len(hosts) > MaxSubnets {
		return nil, fmt.Errorf("netlab: %d subnets requested, want 2..%d", len(hosts), MaxSubnets)
	}
	for i, n := range hosts {
		if n < 1 || n > MaxHosts {
			return nil, fmt.Errorf("netlab: %d hosts requested on subnet %d, want 1..%d", n, i, MaxHosts)
		}
	}
	if reason := Unavailable(); reason != "" {
		return nil, errors.New("netlab: " + reason)
	}
	name, err := newName(t)
	if err != nil {
		return nil, err
	}
	r := &Routed{t: t, name: name, bridge: name + "br"}
	t.Cleanup(r.Close)
	if err := r.build(hosts); err != nil {
		r.Close()
		return nil, fmt.Errorf("netlab: building a routed lab of %v hosts: %w", hosts, err)
	}
	return r, nil
}

func (r *Routed) build(counts []int) error {
	first := routedNets[0]
	r.router = &Host{NS: r.name + "r", IP: net.IPv4(first[0], first[1], first[2], 1).To4(), Iface: "eth0"}
	for _, ns := range []string{r.bridge, r.router.NS} {
		if err := run("", "netns", "add", ns); err != nil {
			return err
		}
	}
	if err := run(r.router.NS, "link", "set", "lo", "up"); err != nil {
		return err
	}
	var links []*Host // every interface to wait for
	for i, n := range counts {
		b := routedNets[i]
		s := &Subnet{
			Index:     i,
			Net:       &net.IPNet{IP: net.IPv4(b[0], b[1], b[2], 0).To4(), Mask: Netmask},
			Gateway:   net.IPv4(b[0], b[1], b[2], 1).To4(),
			Broadcast: net.IPv4(b[0], b[1], b[2], 255).To4(),
		}
		br := fmt.Sprintf("br%d", i)
		if err := addBridge(r.bridge, br); err != nil {
			return err
		}
		// The router's leg on this subnet: ethI in the router, port sIr on the bridge.
		leg, port := fmt.Sprintf("eth%d", i), fmt.Sprintf("s%dr", i)
		if err := run("", "link", "add", leg, "netns", r.router.NS, "type", "veth", "peer", "name", port, "netns", r.bridge); err != nil {
			return err
		}
		steps := [][]string{
			{r.bridge, "link", "set", port, "master", br},
			{r.bridge, "link", "set", port, "up"},
			{r.router.NS, "addr", "add", s.Gateway.String() + "/24", "brd", "+", "dev", leg},
			{r.router.NS, "link", "set", leg, "up"},
		}
		for _, st := range steps {
			if err := run(st[0], st[1:]...); err != nil {
				return err
			}
		}
		links = append(links, &Host{NS: r.router.NS, Iface: leg})
		for j := 0; j < n; j++ {
			h := &Host{Index: j, NS: fmt.Sprintf("%ss%dh%d", r.name, i, j), IP: net.IPv4(b[0], b[1], b[2], byte(j+2)).To4(), Iface: "eth0"}
			if err := addHost(r.bridge, br, fmt.Sprintf("s%dp%d", i, j), h, s.Gateway); err != nil {
				return err
			}
			s.hosts = append(s.hosts, h)
			links = append(links, h)
		}
		r.subnets = append(r.subnets, s)
	}
	// Forwarding in the router's namespace only (the write goes to the namespace of the writing
	// thread). bc_forwarding stays 0: directed broadcasts are not forwarded.
	err := r.router.Do(func() error { return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644) })
	if err != nil {
		return fmt.Errorf("enabling ip_forward in %s: %w", r.router.NS, err)
	}
	return waitUp(links)
}

// Subnet returns subnet i (0-based).
func (r *Routed) Subnet(i int) *Subnet { return r.subnets[i] }

// Len is the number of subnets.
func (r *Routed) Len() int { return len(r.subnets) }

// Router is the router's namespace (for Command or Do, e.g. to capture traffic); its leg on
// subnet i is interface "eth<i>" with address Subnet(i).Gateway.
func (r *Routed) Router() *Host { return r.router }

// Name is the prefix shared by the lab's namespaces.
func (r *Routed) Name() string { return r.name }

// Close kills every process left in the lab's namespaces and deletes them.
// It runs at most once and is registered with t.Cleanup by NewRouted.
func (r *Routed) Close() {
	r.once.Do(func() {
		names := []string{r.bridge}
		if r.router != nil {
			names = append(names, r.router.NS)
		}
		for _, s := range r.subnets {
			for _, h := range s.hosts {
				names = append(names, h.NS)
			}
		}
		destroyLab(r.t, r.name, names)
	})
}
