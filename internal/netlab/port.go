package netlab

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreePort picks a port number for a loopback test, which binds it (UDP and TCP) on 127.0.0.2, .3, ...
// The number is taken below the kernel's ephemeral range, so that no outgoing connection of a test
// running beside this one can be holding it on one of those addresses (a random free UDP port on
// 127.0.0.1 said nothing about TCP on 127.0.0.3, and CI once failed so). It is free for UDP and TCP on
// 127.0.0.1 and reserved, for the test's life, against other test processes doing the same.
func FreePort(t testing.TB) int {
	t.Helper()
	lo, hi := portRange()
	for range 500 {
		port := lo + rand.IntN(hi-lo)
		release, ok := reservePort(port)
		if !ok {
			continue
		}
		if !bindable(port) {
			release()
			continue
		}
		t.Cleanup(release)
		return port
	}
	t.Fatal("no free port")
	return 0
}

// portRange is where FreePort looks: from 20000 up to the start of the ephemeral range, or, where that
// range starts too low to leave room, 40000-60000 (numbers from 60000 up are left for probing neighbours).
func portRange() (lo, hi int) {
	ephemeral := 32768 // Linux's default
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				ephemeral = n
			}
		}
	}
	if ephemeral >= 22000 {
		return 20000, ephemeral
	}
	return 40000, 60000
}

// bindable says whether port can be bound for UDP and TCP on 127.0.0.1 right now.
func bindable(port int) bool {
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return false
	}
	u.Close()
	l, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return false
	}
	l.Close()
	return true
}
