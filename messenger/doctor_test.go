package messenger

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"hato/internal/netlab"
)

// A port another program holds is named with that program (on Linux, from /proc).
func TestPortCheckNamesTheOwner(t *testing.T) {
	port := netlab.FreePort(t)
	if c := PortCheck(port, false); !c.OK {
		t.Fatalf("a free port: %+v", c)
	}
	held, err := net.ListenPacket("udp4", ":"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	c := PortCheck(port, false)
	if c.OK || !strings.Contains(c.Detail, "UDP "+strconv.Itoa(port)+" is taken") {
		t.Fatalf("a taken port: %+v", c)
	}
	if runtime.GOOS == "linux" && !strings.Contains(c.Detail, "(pid "+strconv.Itoa(os.Getpid())+")") {
		t.Errorf("the owner is not named: %s", c.Detail)
	}
}

func TestLastAddr(t *testing.T) {
	for in, want := range map[string]string{"192.168.1.0/24": "192.168.1.255", "10.0.0.0/8": "10.255.255.255",
		"172.16.4.0/22": "172.16.7.255"} {
		if got := lastAddr(netip.MustParsePrefix(in)); got.String() != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
