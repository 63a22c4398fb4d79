package transfer

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"hato/protocol"
	"hato/protocol/wire"
)

// charsetFetch sends one file request from a raw TCP client bound to ip and returns everything the
// server sent until it closed.
func charsetFetch(t *testing.T, ip string, server net.Addr, request string) []byte {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp4", server.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

// streamNames reads a folder stream and returns its header names as sent (raw bytes).
func streamNames(t *testing.T, b []byte) []string {
	t.Helper()
	r := bufio.NewReader(bytesReader(b))
	buf := make([]byte, MaxDirHeader)
	var names []string
	for {
		h, err := ReadDirHeader(r, buf)
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("stream %q: %v", b, err)
		}
		names = append(names, h.Name)
		if h.Type() == TypeRegular {
			io.CopyN(io.Discard, r, h.Size)
		}
	}
}

// Folder-stream names are UTF-8 when the request has UTF8OPT, else in the requester's code page
// (CP932 by default for a peer that never said it reads UTF-8).
func TestFolderStreamCharset(t *testing.T) {
	port := testPort(t)
	a := startPeer(t, "127.0.0.2", port, nil)
	dir := filepath.Join(t.TempDir(), "資料")
	writeFile(t, filepath.Join(dir, "日本語.txt"), []byte("x"))
	sources, err := Sources([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	raw := protocol.Host{User: "raw", Host: "rawhost", Addr: addrPort(t, "127.0.0.9", port)}
	a.srv.Offer(77, []protocol.Host{raw}, sources)
	tcp := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: port}

	cases := []struct {
		cmd  wire.Command
		want []string
	}{
		{wire.GetDirFiles | wire.UTF8Opt, []string{"資料", "日本語.txt", "."}},
		{wire.GetDirFiles, []string{string(wire.Encode("資料", wire.CP932)), string(wire.Encode("日本語.txt", wire.CP932)), "."}},
	}
	for i, c := range cases {
		if i == 1 {
			// Served once per recipient: a second recipient asks without UTF8OPT.
			raw2 := protocol.Host{User: "raw2", Host: "rawhost", Addr: addrPort(t, "127.0.0.10", port)}
			a.srv.Offer(78, []protocol.Host{raw2}, sources)
		}
		user, ip, pkt := "raw", "127.0.0.9", 77
		if i == 1 {
			user, ip, pkt = "raw2", "127.0.0.10", 78
		}
		req := fmt.Sprintf("1:5:%s:rawhost:%d:%x:0:0:\x00", user, c.cmd, pkt)
		got := streamNames(t, charsetFetch(t, ip, tcp, req))
		if len(got) != len(c.want) {
			t.Errorf("%s: names %q, want %q", c.cmd, got, c.want)
			continue
		}
		for k := range got {
			if got[k] != c.want[k] {
				t.Errorf("%s: name %d %q, want %q", c.cmd, k, got[k], c.want[k])
			}
		}
	}
}
