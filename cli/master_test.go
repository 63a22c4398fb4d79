package cli

import (
	"bytes"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"hato/messenger"
	"hato/protocol/wire"
)

// --use-master ADDR[:PORT] sets the node's member master, port 2425 unless given; anything else is a
// usage error that names the flag.
func TestUseMasterFlag(t *testing.T) {
	for arg, want := range map[string]string{"127.0.0.9": "127.0.0.9:2425", "127.0.0.9:2500": "127.0.0.9:2500"} {
		var stderr bytes.Buffer
		_, c := newFlags("list", localEnv("list", nil), &stderr)
		if code, ok := c.parse([]string{"--profile", t.TempDir(), "--use-master", arg}, &stderr); !ok {
			t.Fatalf("--use-master %s: exit %d %s", arg, code, stderr.String())
		}
		if c.set.UseMaster != want {
			t.Errorf("--use-master %s: setting %q, want %s", arg, c.set.UseMaster, want)
		}
	}
	// Inside a running Hato, the flag must name the master it already has.
	_, c := newFlags("list", localEnv("list", nil), &bytes.Buffer{})
	c.fs.Parse([]string{"--use-master", "127.0.0.9"})
	if f := c.differs(messenger.Settings{}); f != "use-master" {
		t.Errorf("a running Hato without a master: differs says %q", f)
	}
	if f := c.differs(messenger.Settings{UseMaster: "127.0.0.9:2425"}); f != "" {
		t.Errorf("a running Hato with that master: differs says %q", f)
	}
	for _, arg := range []string{"master.example", "::1", "10.0.0.1:0", "10.0.0.300"} {
		code, _, errOut := run(t, list, "--use-master", arg)
		if code != 2 || !strings.Contains(errOut, "use-master") {
			t.Errorf("--use-master %s: exit %d, stderr %q", arg, code, errOut)
		}
	}
}

// hato serve --use-master: the master gets our BR_ENTRY by unicast, and a signed DIR_POLL once the
// profile's keys are made.
func TestServeUsesMaster(t *testing.T) {
	port := freePort(t)
	p, _ := strconv.Atoi(port)
	master, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.9"), uint16(p))))
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "m1", "--use-master", "127.0.0.9:"+port)
	var entry, poll bool
	buf := make([]byte, 65535)
	for deadline := time.Now().Add(15 * time.Second); !(entry && poll); {
		master.SetReadDeadline(deadline)
		n, _, err := master.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("master heard BR_ENTRY %v, DIR_POLL %v: %v", entry, poll, err)
		}
		if d, err := wire.ParseIPDict(buf[:n]); err == nil {
			cmd, _ := d.Int("CMD")
			uid, _ := d.Str("UID")
			poll = poll || wire.Command(cmd) == wire.DirPoll && uid == "m1" && d.Has(wire.KeySign)
			continue
		}
		if pk, err := wire.Parse(buf[:n]); err == nil && pk.Cmd.Mode() == wire.BrEntry && pk.User == "m1" {
			entry = true
		}
	}
}

// hato serve --master is the member master of serves that cannot hear each other (bound to loopback
// addresses, no destinations): each lists the other through it, and one leaving is gone from the other.
func TestServeAsMaster(t *testing.T) {
	port := freePort(t)
	masterProfile, aliceProfile := t.TempDir(), t.TempDir()
	startServe(t, "--profile", masterProfile, "--bind", "127.0.0.2", "--port", port, "--user", "boss", "--master")
	m := "127.0.0.2:" + port
	a := startServe(t, "--profile", aliceProfile, "--bind", "127.0.0.3", "--port", port, "--user", "alice", "--use-master", m)
	a.wait(t, func(e map[string]any) bool { return e["event"] == "master-key" })
	b := startServe(t, "--bind", "127.0.0.4", "--port", port, "--user", "bob", "--use-master", m)
	hostAt := func(addr string) func(map[string]any) bool {
		return func(e map[string]any) bool {
			h, _ := e["host"].(map[string]any)
			return e["event"] == "host-joined" && h["addr"] == addr
		}
	}
	a.wait(t, hostAt("127.0.0.4:"+port))
	b.wait(t, hostAt("127.0.0.3:"+port))
	// hato list through a running member, and through the master: the whole site, though nobody on
	// another subnet can answer a refresh's broadcast.
	for _, c := range []struct{ profile, want string }{{aliceProfile, "boss bob"}, {masterProfile, "alice bob"}} {
		code, out, errOut := run(t, list, "--profile", c.profile, "--wait", "500ms")
		for _, u := range strings.Fields(c.want) {
			if code != 0 || !strings.Contains(out, u+"@") {
				t.Errorf("hato list --profile %s: exit %d, no %s in\n%s%s", c.profile, code, u, out, errOut)
			}
		}
	}
	b.stop()
	a.wait(t, func(e map[string]any) bool {
		h, _ := e["host"].(map[string]any)
		return e["event"] == "host-left" && h["addr"] == "127.0.0.4:"+port
	})

	// A master is no member, and a short-lived command never plays the master.
	code, _, errOut := run(t, serve, "--bind", "127.0.0.5", "--port", port, "--master", "--use-master", m)
	if code != 2 || !strings.Contains(errOut, "cannot be a member") {
		t.Errorf("serve --master --use-master: exit %d, stderr %q", code, errOut)
	}
}
