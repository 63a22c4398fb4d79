//go:build unix

package netlab

import (
	"net"
	"testing"
)

// Ports handed out together are different, below the ephemeral range, and bindable on 127.0.0.3; a held
// port is not handed out again until its test ends.
func TestFreePort(t *testing.T) {
	lo, hi := portRange()
	seen := map[int]bool{}
	for range 50 {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if p < lo || p >= hi {
			t.Errorf("port %d outside %d-%d", p, lo, hi)
		}
	}
	for p := range seen {
		if release, ok := reservePort(p); ok {
			release()
			t.Errorf("port %d could be reserved again while held", p)
		}
		l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3), Port: p})
		if err != nil {
			t.Errorf("port %d: %v", p, err)
			continue
		}
		l.Close()
	}
}
