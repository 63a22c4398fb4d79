//go:build linux

package transfer

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hato/protocol"
)

// captureLoopback records every frame crossing the loopback interface until stop, which returns them
// and fails the test if the kernel dropped any (a capture with holes proves nothing). It needs
// CAP_NET_RAW (root); without, the test is skipped.
func captureLoopback(t *testing.T) (stop func() []byte) {
	t.Helper()
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		t.Skipf("a packet capture needs root: %v", err)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		unix.Close(fd)
		t.Skipf("no loopback interface: %v", err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 64<<20)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 50_000})
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
		unix.Close(fd)
		t.Fatalf("bind the capture to lo: %v", err)
	}
	unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS) // resets the counters
	var (
		mu   sync.Mutex
		seen bytes.Buffer
		done = make(chan struct{})
		quit = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf := make([]byte, 1<<17)
		for {
			select {
			case <-quit:
				return
			default:
			}
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err == nil && n > 0 {
				mu.Lock()
				seen.Write(buf[:n])
				mu.Unlock()
			}
		}
	}()
	return func() []byte {
		time.Sleep(100 * time.Millisecond) // the last frames
		close(quit)
		<-done
		st, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		unix.Close(fd)
		if err != nil || st.Drops > 0 {
			t.Fatalf("the capture is incomplete: %+v %v", st, err)
		}
		mu.Lock()
		defer mu.Unlock()
		return seen.Bytes()
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// What crosses the network when two Hato nodes with keys exchange a folder: a capture of the loopback
// interface holds neither a file name nor a byte of content (a marker in both), while the same transfer
// between nodes without keys shows both: the capture sees what it should.
func TestEncryptedOnTheWire(t *testing.T) {
	marker := fmt.Sprintf("MARKER-%d", time.Now().UnixNano())
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "folder", "a "+marker+".txt"), []byte("content "+marker))
	writeFile(t, filepath.Join(src, "folder", "sub", "b.txt"), []byte(marker))
	writeFile(t, filepath.Join(src, "file "+marker+".txt"), bytes.Repeat([]byte(marker), 100))
	paths := []string{filepath.Join(src, "folder"), filepath.Join(src, "file "+marker+".txt")}

	for _, c := range []struct {
		name    string
		keys    bool
		visible bool
	}{{"with keys", true, false}, {"without keys", false, true}} {
		t.Run(c.name, func(t *testing.T) {
			var a, b *peer
			if c.keys {
				a, b = keyedPair(t)
			} else {
				a, b = pair(t)
			}
			sources, err := Sources(paths)
			if err != nil {
				t.Fatal(err)
			}
			to := a.waitHost(t, b.node.Addr().String())
			// The message itself (with the file names) is encrypted when keys are there; the capture
			// starts before it goes out.
			stop := captureLoopback(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, dels, err := SendFiles(ctx, a.node, a.srv, []protocol.Host{to}, "files "+marker, sources, protocol.SendOptions{}); err != nil || dels[0].Err != nil {
				t.Fatalf("send: %v %v", err, dels)
			}
			m := b.message(t)
			files, err := ParseFileList(m.Files)
			if err != nil || len(files) != 2 {
				t.Fatalf("offer %q: %v", m.Files, err)
			}
			for _, f := range files {
				if _, err := b.fetcher.Fetch(ctx, m, f); err != nil {
					t.Fatal(err)
				}
			}
			wire := stop()
			if got := bytes.Contains(wire, []byte(marker)); got != c.visible {
				t.Errorf("the marker on the wire: %v, want %v (%d bytes captured)", got, c.visible, len(wire))
			}
			for _, ev := range b.transferEvents(EventSaved) {
				if ev.Encrypted != c.keys {
					t.Errorf("%s: Encrypted %v", ev.Path, ev.Encrypted)
				}
			}
		})
	}
}
