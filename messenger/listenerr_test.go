package messenger

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"hato/internal/netlab"
)

// A taken port and a foreign bind address are recognised as they come: from Linux, and as Windows
// reports them (Winsock's codes, which Wine prints as "winapi error #10048").
func TestListenErrors(t *testing.T) {
	bind := func(errno error) error {
		return &net.OpError{Op: "listen", Net: "udp4", Err: os.NewSyscallError("bind", errno)}
	}
	port := netlab.FreePort(t)
	held, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, linux := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: port})
	for _, c := range []struct {
		name          string
		err           error
		inUse, notOur bool
	}{
		{"linux, taken", linux, true, false},
		{"windows, taken", bind(wsaeAddrInUse), true, false},
		{"windows, foreign", bind(wsaeAddrNotAvail), false, true},
		{"linux, foreign", bind(syscall.EADDRNOTAVAIL), false, true},
	} {
		if got := IsAddrInUse(c.err); got != c.inUse {
			t.Errorf("%s: IsAddrInUse(%v) = %v", c.name, c.err, got)
		}
		if got := isAddrNotAvail(c.err); got != c.notOur {
			t.Errorf("%s: isAddrNotAvail(%v) = %v", c.name, c.err, got)
		}
	}
	var se *SettingError
	if err := explainListen(bind(wsaeAddrInUse), Settings{}); !errors.As(err, &se) || se.Field != "port" {
		t.Errorf("a taken port on Windows: %v, want a port SettingError", err)
	}
}
