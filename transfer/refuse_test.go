package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hato/protocol"
	"hato/protocol/wire"
)

// The server side of file transfer seen from a raw TCP client: every refusal sends nothing and closes,
// and says why in an EventRefused; the positive cases get the file's bytes.

var rawRequestNo atomic.Uint32

// rawRequest is a TCP file request as a Windows client writes it: `1:no:user:host:cmd:args` and a NUL.
func rawRequest(user, host string, cmd wire.Command, args string) []byte {
	return fmt.Appendf(nil, "1:%d:%s:%s:%d:%s\x00", 1000+rawRequestNo.Add(1), user, host, uint32(cmd), args)
}

// rawFetch connects from fromIP (any port) to the server at to, sends req in one write and reads until
// the server closes. A reset after the read is reported as the error.
func rawFetch(t *testing.T, fromIP string, to netip.AddrPort, req []byte) ([]byte, error) {
	t.Helper()
	c := rawDial(t, fromIP, to)
	defer c.Close()
	if _, err := c.Write(req); err != nil {
		t.Fatalf("send request: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server neither answered nor closed within 10 s (%d bytes read)", len(got))
	}
	return got, err
}

func rawDial(t *testing.T, fromIP string, to netip.AddrPort) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(fromIP)}}
	c, err := d.Dial("tcp4", to.String())
	if err != nil {
		t.Fatalf("connect from %s to %s: %v", fromIP, to, err)
	}
	return c.(*net.TCPConn)
}

// names returns the user and host names p's node puts in its headers.
func (p *peer) names() (user, host string) {
	cfg := p.node.Config()
	return cfg.User, cfg.Host
}

// offerTo registers sources on a's server for b, as SendFiles does, and returns the offer's packet number.
func offerTo(t *testing.T, a, b *peer, sources []Source) uint32 {
	t.Helper()
	to := a.waitHost(t, b.node.Addr().String())
	no := a.node.NextPacketNo()
	a.srv.Offer(no, []protocol.Host{to}, sources)
	return no
}

// sourceFiles writes files named name0, name1, ... with the given contents and describes them.
func sourceFiles(t *testing.T, contents ...[]byte) []Source {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, fmt.Sprintf("file%d.bin", i))
		writeFile(t, p, c)
		paths = append(paths, p)
	}
	s, err := Sources(paths)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expectRefused sends req from fromIP to a's server and checks that not a byte comes back and that a
// reports a refusal whose reason contains why.
func expectRefused(t *testing.T, a *peer, fromIP string, req []byte, why string) Event {
	t.Helper()
	got, err := rawFetch(t, fromIP, a.node.Addr(), req)
	if len(got) != 0 {
		t.Errorf("request %q: refused request got %d bytes (%.40q), want 0", req, len(got), got)
	}
	if err != nil {
		t.Logf("request %q: connection ended with %v (a reset, not a clean close)", req, err)
	}
	return a.waitTransfer(t, EventRefused, func(ev Event) bool {
		return ev.Err != nil && strings.Contains(ev.Err.Error(), why)
	})
}

// expectServed sends req from fromIP and checks that exactly want arrives and nothing was refused.
func expectServed(t *testing.T, a *peer, fromIP string, req []byte, want []byte) {
	t.Helper()
	before := len(a.transferEvents(EventRefused))
	got, err := rawFetch(t, fromIP, a.node.Addr(), req)
	if err != nil {
		t.Fatalf("request %q: %v after %d bytes", req, err, len(got))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("request %q: got %d bytes (%.20q...), want %d (%.20q...)", req, len(got), got, len(want), want)
	}
	if evs := a.transferEvents(EventRefused); len(evs) > before {
		t.Fatalf("request %q was served but a refusal was reported too: %v", req, evs[before].Err)
	}
}

func TestRefuseWrongSourceIP(t *testing.T) {
	a, b := pair(t)
	content := []byte("secret payload")
	no := offerTo(t, a, b, sourceFiles(t, content))
	user, host := b.names()
	req := rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no))
	// The recipient's names, but from 127.0.0.5: refused.
	ev := expectRefused(t, a, "127.0.0.5", req, "not from its address")
	if got := ev.Addr.Addr().String(); got != "127.0.0.5" {
		t.Errorf("refusal reported for %s, want 127.0.0.5", got)
	}
	if ev.Packet != no {
		t.Errorf("refusal packet %d, want %d", ev.Packet, no)
	}
	// The refusal did not use up the file: the recipient itself still gets it.
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)), content)
}

func TestRefuseNotARecipient(t *testing.T) {
	a, b := pair(t)
	no := offerTo(t, a, b, sourceFiles(t, []byte("x")))
	// From the recipient's address, but with other names.
	req := rawRequest("mallory", "evilpc", wire.GetFileData, fmt.Sprintf("%x:0:0:", no))
	expectRefused(t, a, "127.0.0.3", req, "is not a recipient")
}

func TestRefuseWrongPacketNumber(t *testing.T) {
	a, b := pair(t)
	no := offerTo(t, a, b, sourceFiles(t, []byte("x")))
	user, host := b.names()
	req := rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no+1))
	expectRefused(t, a, "127.0.0.3", req, "no offer with packet number")
}

func TestRefuseUnknownFileID(t *testing.T) {
	a, b := pair(t)
	no := offerTo(t, a, b, sourceFiles(t, []byte("x"), []byte("y")))
	user, host := b.names()
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:7:0:", no)), "has no file id 7")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetDirFiles, fmt.Sprintf("%x:2:0:", no)), "has no file id 2")
}

func TestRefuseMalformedRequest(t *testing.T) {
	a, b := pair(t)
	no := offerTo(t, a, b, sourceFiles(t, []byte("x")))
	user, host := b.names()
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x", no)), "want packetNo:fileID")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:zz:0:", no)), "is not hex")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:64:", no)), "offset 100 is outside")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData|wire.EncFileOpt, fmt.Sprintf("%x:0:0:", no)), "encrypted")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.SendMsg, fmt.Sprintf("%x:0:0:", no)), "is not a file request")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.ReleaseFiles, fmt.Sprintf("%d", no)), "is not a file request")
	// None of these used the file up.
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)), []byte("x"))
}

func TestRefuseAfterRelease(t *testing.T) {
	a, b := pair(t)
	content := []byte("released file")
	no := offerTo(t, a, b, sourceFiles(t, content, content))
	user, host := b.names()
	// A real RELEASEFILES from b's node, from b's UDP address.
	from := b.waitHost(t, a.node.Addr().String())
	if err := b.node.Release(&protocol.Message{Packet: no, From: from}); err != nil {
		t.Fatal(err)
	}
	ev := a.waitTransfer(t, EventReleased, nil)
	if ev.Packet != no || ev.Host.User != user {
		t.Errorf("release event for packet %d by %q, want %d by %q", ev.Packet, ev.Host.User, no, user)
	}
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)), "released offer")
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:1:0:", no)), "released offer")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.srv.Wait(ctx, no); err != nil {
		t.Errorf("Wait after the only recipient released: %v, want nil", err)
	}
}

func TestRefuseAfterRawReleasePacket(t *testing.T) {
	a, b := pair(t)
	no := offerTo(t, a, b, sourceFiles(t, []byte("x")))
	user, host := b.names()
	// RELEASEFILES written by hand: `1:no:user:host:97:<offer packet in decimal>`, sent from a socket on
	// the recipient's address (the node holds its port, so another port of that address).
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	pkt := fmt.Appendf(nil, "1:%d:%s:%s:%d:%d\x00", 424242, user, host, uint32(wire.ReleaseFiles), no)
	if _, err := u.WriteToUDPAddrPort(pkt, a.node.Addr()); err != nil {
		t.Fatal(err)
	}
	a.waitTransfer(t, EventReleased, func(ev Event) bool { return ev.Packet == no })
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)), "released offer")
}

func TestRefuseAfterExpiry(t *testing.T) {
	const expiry = 400 * time.Millisecond
	a, b := pairWith(t, func(_ *protocol.Config, s *ServerConfig) { s.Expiry = expiry })
	first, second := []byte("in time"), []byte("too late")
	made := time.Now()
	no := offerTo(t, a, b, sourceFiles(t, first, second))
	user, host := b.names()
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)), first)
	if time.Since(made) > expiry {
		t.Skip("the machine is too slow to fetch within the test's expiry")
	}
	time.Sleep(time.Until(made.Add(expiry + 100*time.Millisecond)))
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:1:0:", no)), "expired")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.srv.Wait(ctx, no); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Wait on an expired offer: %v, want an error saying expired", err)
	}
}

func TestRefuseSecondFetch(t *testing.T) {
	a, b := pair(t)
	content := randomBytes(t, 100_000)
	no := offerTo(t, a, b, sourceFiles(t, content))
	user, host := b.names()
	req := func() []byte { return rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)) }
	expectServed(t, a, "127.0.0.3", req(), content)
	a.waitTransfer(t, EventServed, func(ev Event) bool { return ev.Packet == no })
	expectRefused(t, a, "127.0.0.3", req(), "already fetched")
	// Once per recipient, whatever the command.
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetDirFiles, fmt.Sprintf("%x:0:0:", no)), "already fetched")
}

func TestRefuseWhileBusy(t *testing.T) {
	a, b := pair(t)
	content := randomBytes(t, 8<<20) // more than the socket buffers hold: the server is mid-send
	no := offerTo(t, a, b, sourceFiles(t, content))
	user, host := b.names()
	req := func() []byte { return rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)) }
	c := rawDial(t, "127.0.0.3", a.node.Addr())
	defer c.Close()
	if _, err := c.Write(req()); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		t.Fatalf("first byte: %v", err)
	}
	// A second request from the same recipient waits up to busyWait for the first attempt to end (a
	// resuming receiver may ask before the server saw its old connection die), then is refused.
	t0 := time.Now()
	expectRefused(t, a, "127.0.0.3", req(), "already being fetched")
	if waited := time.Since(t0); waited < busyWait-100*time.Millisecond {
		t.Errorf("refused after %v, before the %v wait for the busy attempt", waited, busyWait)
	}
	rest, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(append(first, rest...), content) {
		t.Fatalf("the first fetch got %d bytes (%v), want %d", 1+len(rest), err, len(content))
	}
	c.Close()
	a.waitTransfer(t, EventServed, func(ev Event) bool { return ev.Packet == no })
}

func TestRefuseFolderAsFile(t *testing.T) {
	a, b := pair(t)
	dir := filepath.Join(t.TempDir(), "folder")
	writeFile(t, filepath.Join(dir, "inside.txt"), []byte("inside"))
	sources, err := Sources([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	no := offerTo(t, a, b, sources)
	user, host := b.names()
	expectRefused(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)), "is a folder")
	// The refusal does not count as a fetch: GETDIRFILES still gets the folder.
	got, err := rawFetch(t, "127.0.0.3", a.node.Addr(), rawRequest(user, host, wire.GetDirFiles, fmt.Sprintf("%x:0:0:", no)))
	if err != nil || !bytes.Contains(got, []byte(":folder:")) || !bytes.Contains(got, []byte("inside")) {
		t.Fatalf("GETDIRFILES after the refusal: %v, %q", err, got)
	}
}

func TestNotRefusedRetryAfterFailure(t *testing.T) {
	a, b := pair(t)
	content := randomBytes(t, 8<<20)
	no := offerTo(t, a, b, sourceFiles(t, content))
	user, host := b.names()
	req := func() []byte { return rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)) }

	// The first attempt dies after one byte with a reset.
	c := rawDial(t, "127.0.0.3", a.node.Addr())
	if _, err := c.Write(req()); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatalf("first byte: %v", err)
	}
	c.SetLinger(0)
	c.Close()
	ev := a.waitTransfer(t, EventServeFailed, func(ev Event) bool { return ev.Packet == no })
	if ev.Err == nil {
		t.Error("serve-failed event without an error")
	}

	// A retry from the start is served whole.
	expectServed(t, a, "127.0.0.3", req(), content)
	a.waitTransfer(t, EventServed, func(ev Event) bool { return ev.Packet == no })
}

func TestNotRefusedDecimalFileID(t *testing.T) {
	a, b := pair(t)
	dir := t.TempDir()
	dec, hex := filepath.Join(dir, "dec.txt"), filepath.Join(dir, "hex.txt")
	writeFile(t, dec, []byte("decimal ten thousand"))
	writeFile(t, hex, []byte("hex 0x10000"))
	user, host := b.names()

	// Only id 10000 exists: "10000" read as hex (65536) matches nothing, read as decimal (iptux) it does.
	no := offerTo(t, a, b, []Source{{File: File{ID: 10000, Name: "dec.txt", Size: 20, Attr: TypeRegular}, Path: dec}})
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:10000:0:", no)), []byte("decimal ten thousand"))

	// Both exist: the hex reading wins, as every client but iptux means it.
	no = offerTo(t, a, b, []Source{
		{File: File{ID: 10000, Name: "dec.txt", Size: 20, Attr: TypeRegular}, Path: dec},
		{File: File{ID: 0x10000, Name: "hex.txt", Size: 11, Attr: TypeRegular}, Path: hex},
	})
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:10000:0:", no)), []byte("hex 0x10000"))
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:2710:0:", no)), []byte("decimal ten thousand"))
}

func TestNotRefusedWithOrWithoutTrailingColon(t *testing.T) {
	a, b := pair(t)
	contents := [][]byte{[]byte("windows form"), []byte("iptux form"), []byte("no offset"), []byte("iptux dir form")}
	no := offerTo(t, a, b, sourceFiles(t, contents...))
	user, host := b.names()
	for i, args := range []string{
		fmt.Sprintf("%x:0:0:", no), // Windows, Mac
		fmt.Sprintf("%x:1:0", no),  // iptux
		fmt.Sprintf("%x:2", no),    // packet and id only
		fmt.Sprintf("%x:3:", no),   // Windows' GETDIRFILES form, here for a file
	} {
		expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, args), contents[i])
	}
	// Upper-case hex as Mac writes it.
	no = offerTo(t, a, b, sourceFiles(t, []byte("mac")))
	expectServed(t, a, "127.0.0.3", rawRequest(user, host, wire.GetFileData, strings.ToUpper(fmt.Sprintf("%x:0:0:", no))), []byte("mac"))
	if evs := a.transferEvents(EventRefused); len(evs) != 0 {
		t.Errorf("refusals: %v", evs[0].Err)
	}
}

// A request over a file that vanished or shrank after the offer is a serve failure, not a hang.
func TestRefuseVanishedFile(t *testing.T) {
	a, b := pair(t)
	sources := sourceFiles(t, []byte("soon gone"))
	no := offerTo(t, a, b, sources)
	if err := os.Remove(sources[0].Path); err != nil {
		t.Fatal(err)
	}
	user, host := b.names()
	got, _ := rawFetch(t, "127.0.0.3", a.node.Addr(), rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no)))
	if len(got) != 0 {
		t.Errorf("got %d bytes of a removed file", len(got))
	}
	a.waitTransfer(t, EventServeFailed, func(ev Event) bool { return ev.Packet == no })
}

// iptux never requests an empty file or folder (it lists it as received at once), so an offer to iptux
// does not wait for those; other recipients are still expected to fetch them.
func TestEmptyFilesToIptuxCountAsFetched(t *testing.T) {
	srv := NewServer(ServerConfig{})
	files := []Source{{File: File{ID: 0, Name: "empty", Size: 0, Attr: TypeRegular}}}
	srv.Offer(1, []protocol.Host{{User: "root", Host: "iptuxhost", Iptux: true}}, files)
	srv.Offer(2, []protocol.Host{{User: "taro", Host: "PC01"}}, files)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Wait(ctx, 1); err != nil {
		t.Errorf("offer to iptux: %v, want done at once", err)
	}
	if err := srv.Wait(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("offer to another client: %v, want still waiting", err)
	}
}

// the offer still goes by the address it was sent to: the other machine is refused.
func TestRefuseSpoofedEntryAddress(t *testing.T) {
	a, b := pair(t)
	user, host := b.names()
	port := int(a.node.Addr().Port())
	spoof, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 4), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer spoof.Close()
	entry := wire.Packet{No: 77, User: user, Host: host, Cmd: wire.BrEntry, Msg: []byte("spoof")}.Bytes()
	if _, err := spoof.WriteToUDPAddrPort(entry, a.node.Addr()); err != nil {
		t.Fatal(err)
	}
	spoofed := addrPort(t, "127.0.0.4", port)
	for i := 0; i < 200 && !hasAddr(a.node.Hosts(), spoofed); i++ {
		sleepMs(10)
	}
	if !hasAddr(a.node.Hosts(), spoofed) {
		t.Fatal("the spoofed entry did not reach the host table")
	}
	no := offerTo(t, a, b, sourceFiles(t, []byte("secret for b only")))
	req := rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no))
	expectRefused(t, a, "127.0.0.4", req, "not from its address")
	expectServed(t, a, "127.0.0.3", req, []byte("secret for b only"))
}

func hasAddr(hosts []protocol.Host, a interface{ String() string }) bool {
	for _, h := range hosts {
		for _, x := range h.Addrs {
			if x.String() == a.String() {
				return true
			}
		}
	}
	return false
}

// A recipient known only by address (it never answered) does not lock out the named recipients after it.
func TestMixedRecipients(t *testing.T) {
	a, b := pair(t)
	unknown := protocol.Host{Addr: addrPort(t, "127.0.0.9", int(a.node.Addr().Port()))}
	to := a.waitHost(t, b.node.Addr().String())
	no := a.node.NextPacketNo()
	a.srv.Offer(no, []protocol.Host{unknown, to}, sourceFiles(t, []byte("for both")))
	user, host := b.names()
	req := rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", no))
	expectServed(t, a, "127.0.0.3", req, []byte("for both"))
	expectServed(t, a, "127.0.0.9", rawRequest("anyone", "anywhere", wire.GetFileData, fmt.Sprintf("%x:0:0:", no)),
		[]byte("for both"))
}
