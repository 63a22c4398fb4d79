package netlab

import (
	"net"
	"testing"
)

// FreePort picks a port number free on 127.0.0.1 for UDP; loopback tests bind it (UDP and TCP) on
// 127.0.0.2, .3, ... Numbers from 60000 up are avoided to leave room for probing neighbours.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		u.Close()
		if port < 60000 {
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}
