//go:build linux

package interop

// A deliberately tiny IPMsg peer, independent of Hato's own codec, to check
// the harness and to document what iptux does on the wire.

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/internal/netlab"
)

// Command numbers and options (IPMsg protocol, decimal on the wire).
const (
	cmdBrEntry  = 0x01
	cmdBrExit   = 0x02
	cmdAnsEntry = 0x03
	cmdSendMsg  = 0x20
	cmdRecvMsg  = 0x21

	optSendCheck = 0x00000100 // SENDMSG: acknowledge with RECVMSG
	optUTF8      = 0x00800000
	optCapUTF8   = 0x01000000
)

// packet is one received datagram, split the way IPMsg clients split it.
type packet struct {
	From    *net.UDPAddr
	Raw     []byte
	Version string
	No      uint64
	User    string
	Host    string
	Cmd     uint32
	Body    []byte // everything after the fifth ':'
	OK      bool   // header parsed
}

func parsePacket(from *net.UDPAddr, b []byte) packet {
	p := packet{From: from, Raw: append([]byte(nil), b...)}
	f := bytes.SplitN(b, []byte(":"), 6)
	if len(f) < 6 {
		return p
	}
	no, err1 := strconv.ParseUint(string(f[1]), 10, 32)
	cmd, err2 := strconv.ParseUint(string(f[4]), 10, 32)
	if err1 != nil || err2 != nil {
		return p
	}
	p.Version, p.No, p.User, p.Host, p.Cmd, p.Body, p.OK = string(f[0]), no, string(f[2]), string(f[3]), uint32(cmd), f[5], true
	return p
}

func (p packet) Mode() uint32 { return p.Cmd & 0xff }

// Fields is the body split at NULs (text, then extensions).
func (p packet) Fields() []string {
	var out []string
	for _, f := range bytes.Split(p.Body, []byte{0}) {
		out = append(out, string(f))
	}
	return out
}

// Text is the body up to the first NUL.
func (p packet) Text() string { return p.Fields()[0] }

func (p packet) String() string { return fmt.Sprintf("%v %q", p.From, p.Raw) }

// peer is a raw IPMsg endpoint bound to 0.0.0.0:2425 in a lab host.
type peer struct {
	host *netlab.Host
	conn *net.UDPConn
	user string
	name string // host name

	mu   sync.Mutex
	seen []packet
	more chan struct{}
	no   uint64
}

func newPeer(t *testing.T, h *netlab.Host, user, hostname string) *peer {
	t.Helper()
	p := &peer{host: h, user: user, name: hostname, more: make(chan struct{}), no: uint64(time.Now().Unix())}
	err := h.Do(func() error {
		var err error
		p.conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: 2425})
		return err
	})
	if err != nil {
		t.Fatalf("raw peer on %s: %v", h.IP, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := p.conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			p.mu.Lock()
			p.seen = append(p.seen, parsePacket(from, buf[:n]))
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		p.conn.Close()
		<-done
	})
	return p
}

// next returns a fresh, growing packet number (time based like Windows IPMsg).
func (p *peer) next() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.no++
	return p.no
}

// send sends "1:no:user:host:cmd:" + body to ip:2425 (ip must be in the lab).
func (p *peer) send(t *testing.T, ip net.IP, no uint64, cmd uint32, body []byte) {
	t.Helper()
	pkt := fmt.Appendf(nil, "1:%d:%s:%s:%d:", no, p.user, p.name, cmd)
	pkt = append(pkt, body...)
	if _, err := p.conn.WriteToUDP(pkt, &net.UDPAddr{IP: ip, Port: 2425}); err != nil {
		t.Fatalf("raw peer: send to %s: %v", ip, err)
	}
}

// entryBody is the Windows layout: nick\0group\0\nUN:..\nHN:..\nNN:..\nGN:..
func (p *peer) entryBody(nick, group string) []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00\nUN:%s\nHN:%s\nNN:%s\nGN:%s", nick, group, p.user, p.name, nick, group)
}

// expect waits for a packet that matches and fails with every packet seen.
func (p *peer) expect(t *testing.T, timeout time.Duration, what string, match func(packet) bool) packet {
	t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, pk := range p.seen {
			if pk.OK && match(pk) {
				p.mu.Unlock()
				return pk
			}
		}
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("raw peer %s: no %s within %v; packets seen:\n%s", p.host.IP, what, timeout, p.dump())
		}
	}
}

// count is how many packets seen so far match.
func (p *peer) count(match func(packet) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pk := range p.seen {
		if pk.OK && match(pk) {
			n++
		}
	}
	return n
}

func (p *peer) dump() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, pk := range p.seen {
		b.WriteString(pk.String() + "\n")
	}
	if len(p.seen) == 0 {
		b.WriteString("(none)\n")
	}
	return b.String()
}
