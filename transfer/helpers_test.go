package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"hato/internal/netlab"
	"hato/protocol"
)

// testPort picks a free loopback port number for the test's nodes.
func testPort(t testing.TB) int {
	return netlab.FreePort(t)
}

// peer is a running node with a file server, a fetcher and their events.
type peer struct {
	node    *protocol.Node
	srv     *Server
	fetcher *Fetcher
	events  chan protocol.Event
	xfer    chan Event

	mu   sync.Mutex
	seen []Event
}

// startPeer runs a node on ip:port that announces itself to dests, serving files and fetching into a
// fresh folder.
func startPeer(t testing.TB, ip string, port int, mutate func(*protocol.Config, *ServerConfig), dests ...string) *peer {
	t.Helper()
	p := &peer{events: make(chan protocol.Event, 1024), xfer: make(chan Event, 4096)}
	scfg := ServerConfig{Events: p.xfer}
	cfg := protocol.DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast = port, ip, true
	cfg.User, cfg.Host, cfg.Nick = "u"+ip, "h"+ip, "n"+ip
	cfg.Destinations = dests
	cfg.AnswerDelayMax = 20 * time.Millisecond
	cfg.SendInterval = 100 * time.Millisecond
	cfg.EntryRepeat = 0
	if mutate != nil {
		mutate(&cfg, &scfg)
	}
	p.srv = NewServer(scfg)
	cfg.Files = p.srv
	n, err := protocol.Listen(cfg)
	if err != nil {
		t.Fatalf("listen %s:%d: %v", ip, port, err)
	}
	p.node = n
	p.fetcher = &Fetcher{Node: n, Dir: t.TempDir(), Events: p.xfer}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx, p.events); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	// Drain transfer events into seen so that servers and fetchers never block on them.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for ev := range p.xfer {
			p.mu.Lock()
			p.seen = append(p.seen, ev)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done; close(p.xfer); <-drained })
	return p
}

// message waits for the next message event.
func (p *peer) message(t testing.TB) *protocol.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev.Message != nil {
				return ev.Message
			}
		case <-timeout:
			t.Fatal("no message within 5 s")
			return nil
		}
	}
}

// waitHost waits until the node knows a host at addr.
func (p *peer) waitHost(t testing.TB, addr string) protocol.Host {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, h := range p.node.Hosts() {
			if h.Addr.String() == addr {
				return h
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("host %s never announced itself", addr)
	return protocol.Host{}
}

// transferEvents returns the transfer events seen so far of one kind.
func (p *peer) transferEvents(kind EventKind) []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Event
	for _, ev := range p.seen {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// waitTransfer waits for a transfer event of kind that matches.
func (p *peer) waitTransfer(t testing.TB, kind EventKind, match func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range p.transferEvents(kind) {
			if match == nil || match(ev) {
				return ev
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s event", kind)
	return Event{}
}

// pair starts two peers on 127.0.0.2 and 127.0.0.3 that know each other.
func pair(t testing.TB) (a, b *peer) { return pairWith(t, nil) }

// pairWith is pair with a mutate for the first peer (the sender in most tests).
func pairWith(t testing.TB, mutateA func(*protocol.Config, *ServerConfig)) (a, b *peer) {
	t.Helper()
	port := testPort(t)
	pa, pb := "127.0.0.2:"+itoa(port), "127.0.0.3:"+itoa(port)
	a = startPeer(t, "127.0.0.2", port, mutateA, pb)
	b = startPeer(t, "127.0.0.3", port, nil, pa)
	a.waitHost(t, pb)
	b.waitHost(t, pa)
	return a, b
}

func itoa(n int) string { return strconv.Itoa(n) }

// treeSums maps every file under dir (relative, slash-separated) to its sha256, and every folder to "dir".
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			out[filepath.ToSlash(rel)] = "dir"
			return nil
		}
		out[filepath.ToSlash(rel)] = fileSum(t, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func addrPort(t *testing.T, ip string, port int) netip.AddrPort {
	t.Helper()
	return netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port))
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func sleepMs(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }
