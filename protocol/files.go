package protocol

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"hato/protocol/wire"
)

// HatoLevel is the feature level Hato announces in the HATO: line of its entry packets. Level 1: the file
// server honours the offset of GETFILEDATA, so a fetch can resume. No other client does.
const HatoLevel = "1"

// maxRequest bounds a TCP file request: an IPMsg packet of a few dozen bytes (Windows reads it with one
// recv of its 1 KB buffer).
const maxRequest = 4096

// requestTimeout is how long a connection may take to send its request.
const requestTimeout = 10 * time.Second

// FileServer serves the files the node offers (package transfer implements it). The node reads each TCP
// request and hands it over; RELEASEFILES packets tell it a recipient does not want an offer.
type FileServer interface {
	// ServeFile answers one request and closes req.Conn. It runs on its own goroutine and must return
	// soon after ctx ends.
	ServeFile(ctx context.Context, req FileRequest)
	// Release says that from gave up the offer made in packet. from.Addr is the address the RELEASEFILES
	// came from (not necessarily the known host's main address): count it only if the offer went there.
	Release(from Host, packet uint32)
}

// FileRequest is one GETFILEDATA or GETDIRFILES request read from a TCP connection.
type FileRequest struct {
	Conn       *net.TCPConn
	From       netip.AddrPort // the connection's source address
	Packet     wire.Packet    // the request as sent; Msg holds "packetNo:fileID[:offset]" in hex
	User, Host string         // the requester's names, decoded
	Known      *Host          // the host table's entry for the requester's address, if any
	Charset    wire.Codepage  // for names in a folder stream: UTF-8 when asked with UTF8OPT, else the requester's
	// RequireEncryption: our node never sends in the clear, so neither does its file server.
	RequireEncryption bool

	// A sealed request (ENCRYPTOPT, draft-14 §8): Plain is its decrypted text, "packet:fileID:...", or
	// OpenErr says why it could not be read. Verify checks its signature against the key of h, the host
	// it claims to be (asking h for its key when none is cached); a verified request proves who asks
	// from any address.
	Sealed  bool
	Plain   string
	OpenErr error
	Verify  func(ctx context.Context, h Host) error
}

// serveConn reads the request from one TCP connection and hands it to the file server.
func (n *Node) serveConn(ctx context.Context, c *net.TCPConn) {
	from := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	c.SetReadDeadline(time.Now().Add(requestTimeout))
	r := bufio.NewReaderSize(c, 512)
	// A member master's orders to its agents come over TCP as IPDicts (diragent.go).
	if head, err := r.Peek(4); err == nil && string(head) == "IP2:" {
		n.onDirTCP(c, r, from)
		return
	}
	if n.cfg.Files == nil {
		n.log.Debug("tcp connection refused: no file server", "from", from)
		c.Close()
		return
	}
	b, err := readRequest(r)
	if err != nil {
		n.log.Debug("file request", "from", from, "err", err)
		c.Close()
		return
	}
	c.SetReadDeadline(time.Time{})
	p, err := wire.Parse(b)
	if err != nil {
		n.log.Debug("file request", "from", from, "err", err)
		c.Close()
		return
	}
	known := n.hostAtIP(from.Addr(), p)
	req := FileRequest{Conn: c, From: from, Packet: p, Known: known}
	req.User, req.Host = n.decode([]byte(p.User), p, known), n.decode([]byte(p.Host), p, known)
	req.Charset = wire.UTF8
	if !p.Cmd.Has(wire.UTF8Opt) && !isIptux(p) && (known == nil || !known.Iptux) {
		req.Charset = n.cfg.Codepage
	}
	req.RequireEncryption = n.cfg.RequireEncryption
	if p.Cmd.Has(wire.EncryptOpt) {
		n.openFileRequest(ctx, &req, req.User)
	}
	n.cfg.Files.ServeFile(ctx, req)
}

// readRequest reads up to the request's terminating NUL (every client sends one; a peer that half-closes
// after its request ends it too).
func readRequest(r *bufio.Reader) ([]byte, error) {
	var b []byte
	for len(b) < maxRequest {
		chunk, err := r.ReadSlice(0)
		b = append(b, chunk...)
		switch {
		case err == nil:
			return b, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case len(b) > 0 && errors.Is(err, io.EOF):
			return b, nil
		default:
			return nil, fmt.Errorf("read request (%d bytes): %w", len(b), err)
		}
	}
	return nil, fmt.Errorf("read request: longer than %d bytes", maxRequest)
}

// hostAtIP finds the known host that sent p from ip (any port: a TCP connection comes from an
// ephemeral port), matching the header's names when several hosts share the address.
func (n *Node) hostAtIP(ip netip.Addr, p wire.Packet) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e := n.hosts.atIP(ip, p.User); e != nil {
		c := e.copy()
		return &c
	}
	return nil
}

// onRelease passes RELEASEFILES (the decimal packet number of the offer) to the file server, with the
// sender as a Host whose Addr is the packet's source address: the file server counts a release only
// from the address the offer went to, as it serves files only to it.
func (n *Node) onRelease(from netip.AddrPort, p wire.Packet) {
	no, err := strconv.ParseUint(strings.TrimSpace(string(p.Msg)), 10, 32)
	if err != nil || n.cfg.Files == nil {
		return
	}
	h := n.sender(from, p)
	h.Addr = from
	n.cfg.Files.Release(h, uint32(no))
}

// NextPacketNo reserves a packet number, for an offer that must be registered before its message goes out.
func (n *Node) NextPacketNo() uint32 { return n.nextNo() }

// FileRequestPacket builds a GETFILEDATA or GETDIRFILES request to h. With utf8 (the offer had UTF8OPT) the
// request asks for UTF-8 names, as Windows does; otherwise it is written in h's charset.
func (n *Node) FileRequestPacket(h Host, cmd wire.Command, args string, utf8 bool) []byte {
	if utf8 {
		return n.packet(wire.UTF8, cmd|wire.UTF8Opt, []byte(args), nil).Bytes()
	}
	return n.packetFor(n.known(h), cmd, args, nil).Bytes()
}

// Release tells the sender of m that we will not fetch its attachments (RELEASEFILES).
func (n *Node) Release(m *Message) error {
	if !n.isRunning() {
		return fmt.Errorf("release: %w", ErrClosed)
	}
	h := n.known(m.From)
	return n.writeTo(n.packetFor(h, wire.ReleaseFiles, strconv.FormatUint(uint64(m.Packet), 10), nil), h.Addr)
}

// Lookup returns the host table's entry for h (by address, then by names), or h itself when unknown.
func (n *Node) Lookup(h Host) Host { return *n.known(h) }
