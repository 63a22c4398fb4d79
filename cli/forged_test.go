package cli

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hato/protocol/wire"
)

// A forger on another address takes the recipient's names (a BR_ENTRY) and declines its offer
// (RELEASEFILES): the sender is not fooled, the real recipient still fetches, and our messages still go
// to its real address.
func TestForgedReleaseDoesNotCancel(t *testing.T) {
	port := freePort(t)
	txProfile := t.TempDir()
	rx := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--host", "rxhost", "--nick", "本物",
		"--broadcast-addr", "127.0.0.3")
	tx := startServe(t, "--profile", txProfile, "--bind", "127.0.0.3", "--port", port, "--user", "tx",
		"--broadcast-addr", "127.0.0.2")
	tx.wait(t, func(m map[string]any) bool { return m["event"] == "host-joined" })
	src := filepath.Join(t.TempDir(), "本物の書類.txt")
	os.WriteFile(src, []byte("for the real recipient"), 0o644)

	// The offer goes out; rx does not fetch by itself (no --download).
	sent := make(chan string, 1)
	go func() {
		code, out, errOut := run(t, send, "--profile", txProfile, "--to", "本物", "--file", src, "--timeout", "30s")
		sent <- fmt.Sprintf("%d\n%s%s", code, out, errOut)
	}()
	m := rx.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["offer"] != nil })
	packet := fmt.Sprintf("%.0f", m["packet"])

	forger, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.9:"+port)))
	if err != nil {
		t.Fatal(err)
	}
	defer forger.Close()
	to := netip.MustParseAddrPort("127.0.0.3:" + port)
	entry := wire.Packet{No: uint32(time.Now().Unix()) + 100, User: "rx", Host: "rxhost", Cmd: wire.BrEntry | wire.CapUTF8Opt}
	entry.Msg, entry.Extra = wire.AppendEntry([]byte("本物"), nil, wire.EntryText{User: "rx", Host: "rxhost", Nick: "本物"})
	forger.WriteToUDPAddrPort(entry.Bytes(), to)
	time.Sleep(200 * time.Millisecond)
	release := wire.Packet{No: entry.No + 1, User: "rx", Host: "rxhost", Cmd: wire.ReleaseFiles, Msg: []byte(packet)}
	forger.WriteToUDPAddrPort(release.Bytes(), to)
	time.Sleep(300 * time.Millisecond)

	code, out, errOut := run(t, fetch, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--host", "rxhost",
		"--broadcast-addr", "127.0.0.3", "--from", "127.0.0.3", "--packet", packet, "--offer", m["offer"].(string), "--download", t.TempDir())
	_ = code
	got := <-sent
	if strings.Contains(got, "declined the files") {
		t.Errorf("the sender took the forged release: %q", got)
	}
	if !strings.Contains(out, `"event":"saved"`) {
		t.Errorf("the real recipient could not fetch after the forged release: %q %q", out, errOut)
	}
	// And a message to the recipient still reaches its real address.
	code, out, errOut = run(t, send, "--profile", txProfile, "--to", "本物", "still you?")
	if code != 0 || !strings.Contains(out, "(127.0.0.2:"+port+")") {
		t.Errorf("a message after the forgery: exit %d %q %q", code, out, errOut)
	}
	rx.wait(t, func(m map[string]any) bool { return m["event"] == "message" && m["text"] == "still you?" })
}
