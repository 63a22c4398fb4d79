package transfer

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hato/protocol"
	"hato/protocol/wire"
)

// An entry packet with the recipient's names from another machine adds that address to the host, but
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

// A .part that is already complete (the receiver died before the rename) is finished without data, and
// the sender learns it arrived.
func TestCompletePartIsFinished(t *testing.T) {
	a, b := pair(t)
	src := filepath.Join(t.TempDir(), "done.bin")
	content := randomBytes(t, 100_000)
	writeFile(t, src, content)
	m, file := offerOne(t, a, b, src)
	writeFile(t, filepath.Join(b.fetcher.Dir, partName("done.bin", offerKey(m, file), 0)), content)
	paths, err := b.fetcher.Fetch(context.Background(), m, file)
	if err != nil {
		t.Fatal(err)
	}
	if fileSum(t, paths[0]) != fileSum(t, src) {
		t.Error("content differs")
	}
	if ev := a.waitTransfer(t, EventServed, nil); ev.Offset != file.Size {
		t.Errorf("served from offset %d, want %d (nothing left to send)", ev.Offset, file.Size)
	}
}

// A folder that holds both "x.part" and "x", in that order (iptux sends directory order), arrives whole.
func TestFolderWithPartNamedFile(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 4, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{top}))
	e.fake.respond(sendAll(stream(hdr(t, "top", 0, TypeDir),
		hdr(t, "x.part", 2, TypeRegular), []byte("p1"),
		hdr(t, "x", 2, TypeRegular), []byte("x1"),
		retParent(t))))
	_, dl, err := e.fetch(t, top)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x.part": "p1", "x": "x1"} {
		if b, _ := os.ReadFile(filepath.Join(dl, "top", name)); string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
	}
}

// A folder stream that sends one name twice in a folder is refused: numbering thousands of copies would
// cost a quadratic number of file system calls.
func TestFolderStreamRepeatedName(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 4, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{top}))
	e.fake.respond(sendAll(stream(hdr(t, "top", 0, TypeDir),
		hdr(t, "a", 2, TypeRegular), []byte("a1"),
		hdr(t, "a", 2, TypeRegular), []byte("a2"),
		retParent(t))))
	_, _, err := e.fetch(t, top)
	if err == nil || !strings.Contains(err.Error(), `"a" sent twice`) {
		t.Fatalf("repeated name: %v", err)
	}
}

// Received folders keep the modification time of their headers.
func TestFolderMtime(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 1, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{top}))
	withTime := func(name string, attr uint32, size int64, mtime int64) []byte {
		b, ok := AppendDirHeader(nil, DirHeader{Name: name, Size: size, Attr: attr,
			Ext: []Ext{{ExtMtime, fmt.Sprintf("%x", mtime)}}})
		if !ok {
			t.Fatal("header")
		}
		return b
	}
	e.fake.respond(sendAll(stream(withTime("top", TypeDir, 0, 1700000000),
		withTime("sub", TypeDir, 0, 1600000000), withTime("f", TypeRegular, 1, 1500000000), []byte("f"),
		retParent(t), retParent(t))))
	_, dl, err := e.fetch(t, top)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int64{"top": 1700000000, "top/sub": 1600000000, "top/sub/f": 1500000000} {
		fi, err := os.Stat(filepath.Join(dl, path))
		if err != nil || fi.ModTime().Unix() != want {
			t.Errorf("%s: mtime %v (%v), want %d", path, fi.ModTime().Unix(), err, want)
		}
	}
}
