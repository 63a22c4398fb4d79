package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"hato/protocol/wire"
)

// A second start of the app finds the port taken by the first. Instead of failing it asks the running
// node, over loopback, to show its window: a NOOPERATION carrying activateMsg, which a node accepts only
// from an address of this machine, and answers with activatedMsg. Peers ignore NOOPERATION bodies.
const (
	activateMsg  = "HATO:ACTIVATE"
	activatedMsg = "HATO:ACTIVATED"
)

// ErrNotHato means nothing answered the activation: the port belongs to another program.
var ErrNotHato = errors.New("no Hato answered on that port")

// Activate asks the Hato node on this machine's port to show itself, and waits up to wait for its answer.
func Activate(port int, wait time.Duration) error {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	defer c.Close()
	p := wire.Packet{No: uint32(time.Now().UnixNano()), User: "hato", Host: "localhost", Cmd: wire.NoOperation, Msg: []byte(activateMsg)}
	to := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))
	if _, err := c.WriteToUDPAddrPort(p.Bytes(), to); err != nil {
		return fmt.Errorf("activate: %w", err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 512)
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return fmt.Errorf("activate port %d: %w", port, ErrNotHato)
		}
		if q, err := wire.Parse(buf[:n]); err == nil && q.Cmd.Mode() == wire.NoOperation && bytes.Equal(q.Msg, []byte(activatedMsg)) {
			return nil
		}
	}
}

// onActivate answers a local activation request and tells the app (EventActivate).
func (n *Node) onActivate(from netip.AddrPort, p wire.Packet) bool {
	if !bytes.Equal(p.Msg, []byte(activateMsg)) || !(from.Addr().IsLoopback() || n.local[from.Addr()]) {
		return false
	}
	n.writeTo(n.packet(wire.UTF8, wire.NoOperation, []byte(activatedMsg), nil), from)
	n.emit(Event{Kind: EventActivate})
	return true
}
