//go:build linux

package netlab

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRoutedLab sends from host a on subnet A the limited broadcast, A's directed broadcast, B's
// directed broadcast and then a unicast to host b on subnet B. b must get the unicast first (a
// forwarded broadcast, sent earlier down the same path, would come before it) and nothing else;
// a2 on A gets both of A's broadcasts; b's answer crosses back to a. Sources are the hosts' own
// addresses (no NAT), ip_forward is on in the router and untouched in the root namespace, and
// Close removes every namespace.
func TestRoutedLab(t *testing.T) {
	Skip(t)
	rootFwd, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := NewRouted(t, []int{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	A, B := lab.Subnet(0), lab.Subnet(1)
	a, a2, b := A.Host(0), A.Host(1), B.Host(0)
	if !a.IP.Equal(net.IPv4(198, 51, 100, 2)) || !b.IP.Equal(net.IPv4(203, 0, 113, 2)) || !A.Broadcast.Equal(net.IPv4(198, 51, 100, 255)) {
		t.Fatalf("addresses: a %s, b %s, A's broadcast %s", a.IP, b.IP, A.Broadcast)
	}

	const port = 2425
	listen := func(h *Host) *net.UDPConn {
		var c *net.UDPConn
		if err := h.Do(func() (err error) {
			c, err = net.ListenUDP("udp4", &net.UDPAddr{Port: port})
			return err
		}); err != nil {
			t.Fatalf("listen in %s: %v", h.NS, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ca, ca2, cb := listen(a), listen(a2), listen(b)
	// recv returns the next datagram as "payload from addr", or "" when none comes within d.
	recv := func(c *net.UDPConn, d time.Duration) string {
		buf := make([]byte, 1500)
		c.SetReadDeadline(time.Now().Add(d))
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return ""
			}
			t.Fatalf("read: %v", err)
		}
		return fmt.Sprintf("%s from %v", buf[:n], from)
	}

	for _, dst := range []net.IP{net.IPv4bcast, A.Broadcast, B.Broadcast, b.IP} {
		if _, err := ca.WriteToUDP([]byte("to "+dst.String()), &net.UDPAddr{IP: dst, Port: port}); err != nil {
			t.Fatalf("send to %s: %v", dst, err)
		}
	}
	if got, want := recv(cb, 3*time.Second), fmt.Sprintf("to %s from %s", b.IP, a.Addr(port)); got != want {
		t.Fatalf("b got %q first, want the unicast %q (no broadcast crosses the router)", got, want)
	}
	for _, dst := range []net.IP{net.IPv4bcast, A.Broadcast} {
		if got, want := recv(ca2, 3*time.Second), fmt.Sprintf("to %s from %s", dst, a.Addr(port)); got != want {
			t.Errorf("a2 got %q, want the broadcast %q", got, want)
		}
	}
	if _, err := cb.WriteToUDP([]byte("answer"), &net.UDPAddr{IP: a.IP, Port: port}); err != nil {
		t.Fatalf("answer: %v", err)
	}
	// a also hears its own broadcasts (looped back): skip them.
	want := fmt.Sprintf("answer from %s", b.Addr(port))
	for {
		got := recv(ca, 3*time.Second)
		if got == want {
			break
		}
		if !strings.HasSuffix(got, " from "+a.Addr(port)) {
			t.Fatalf("a got %q, want %q", got, want)
		}
	}
	// Nothing late: a broadcast forwarded after all, or B's directed broadcast on A's segment.
	if got := recv(cb, 200*time.Millisecond); got != "" {
		t.Errorf("b got %q after the unicast; broadcasts must not cross the router", got)
	}
	if got := recv(ca2, 10*time.Millisecond); got != "" {
		t.Errorf("a2 got %q, want nothing more", got)
	}

	var fwd []byte
	if err := lab.Router().Do(func() (err error) {
		fwd, err = os.ReadFile("/proc/sys/net/ipv4/ip_forward")
		return err
	}); err != nil || strings.TrimSpace(string(fwd)) != "1" {
		t.Errorf("router's ip_forward: %q %v, want 1", fwd, err)
	}
	if now, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(now) != string(rootFwd) {
		t.Errorf("root namespace's ip_forward changed from %q to %q", rootFwd, now)
	}

	lab.Close()
	for _, ns := range listNS() {
		if strings.HasPrefix(ns, lab.Name()) {
			t.Errorf("namespace %s survived Close", ns)
		}
	}
}
