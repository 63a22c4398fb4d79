package messenger

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"hato/history"
	"hato/protocol"
	"hato/transfer"
)

// Outgoing is a message to send: text, flags, files and folders to offer, pictures inside the text.
type Outgoing struct {
	To      []protocol.Host
	Text    string
	Options protocol.SendOptions // Sealed, Locked
	Sources []transfer.Source    // files and folders offered (transfer.Sources makes them from paths)
	Images  []transfer.InlineImage
}

// Sent is the outcome of a send: its packet number and one delivery per recipient, in order.
type Sent struct {
	Packet     uint32
	Deliveries []protocol.Delivery
}

// Send sends a message and waits until every recipient acknowledged or gave up; offered files stay
// served (WaitFetched). What went out is kept in the history, one record per recipient. The error is
// for failures before anything was sent.
func (h *Hato) Send(ctx context.Context, o Outgoing) (Sent, error) {
	node := h.Node()
	no, deliveries, err := transfer.SendMessage(ctx, node, h.files, o.To, o.Text, o.Sources, o.Images, o.Options)
	if err != nil {
		return Sent{}, err
	}
	s := Sent{Packet: no, Deliveries: deliveries}
	if err := h.recordSent(s, o); err != nil {
		h.events.publish(Event{Event: protocol.Event{Kind: EventError, Packet: no}, Err: err})
	}
	return s, nil
}

// NextPacket reserves a packet number for a Send (Outgoing.Options.Packet), so that the caller can
// pick out the transfer events of its offer from the first one on.
func (h *Hato) NextPacket() uint32 { return h.Node().NextPacketNo() }

// Broadcast sends text to everyone; nobody acknowledges a broadcast.
func (h *Hato) Broadcast(text string) error { return h.Node().Broadcast(text) }

// WaitFetched waits until every recipient of offer packet fetched every file or declined, or ctx ends.
func (h *Hato) WaitFetched(ctx context.Context, packet uint32) error {
	return h.files.Wait(ctx, packet)
}

// recordSent keeps a sent message in the history, one record per recipient.
func (h *Hato) recordSent(s Sent, o Outgoing) error {
	if h.hist == nil {
		if h.histErr != nil {
			return fmt.Errorf("sent message not saved: %w", h.histErr)
		}
		return nil
	}
	files := make([]transfer.File, len(o.Sources))
	for i, src := range o.Sources {
		files[i] = src.File
	}
	for _, d := range s.Deliveries {
		rec := history.Sent(d, s.Packet, o.Text, o.Options, files, o.Images, len(s.Deliveries) > 1)
		if err := h.hist.Add(&rec); err != nil {
			return fmt.Errorf("sent message not saved in the history: %w", err)
		}
	}
	return nil
}

// Resolve finds the hosts targets name ("IP[:PORT]", "user@host" or a nickname). Addresses that no
// entry was heard from are introduced to at once (a unicast BR_ENTRY, as Windows does: a peer on another
// subnet never hears our broadcasts); names wait up to wait (within ctx) for their hosts to announce
// themselves. An address that stays silent is kept as a bare address: the message still goes there.
func (h *Hato) Resolve(ctx context.Context, targets []string, wait time.Duration) ([]protocol.Host, error) {
	node := h.Node()
	var addrs []netip.AddrPort
	for _, t := range targets {
		if host, err := protocol.ResolveTarget(nil, t, node.PeerPort()); err == nil {
			addrs = append(addrs, host.Addr)
		}
	}
	if len(addrs) > 0 {
		node.Introduce(ctx, addrs)
	}
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		hosts, err, complete := h.resolveAll(node, targets)
		if complete || time.Now().After(deadline) {
			return hosts, err
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return hosts, errors.Join(errors.New("resolving recipients"), err)
		case <-tick.C:
		}
	}
}

// resolveAll resolves every target; complete means each one is a host known from an entry packet (its
// options say how to write to it and whether it is Hato), or an address that was introduced to.
func (h *Hato) resolveAll(node *protocol.Node, targets []string) ([]protocol.Host, error, bool) {
	known := node.Hosts()
	out := make([]protocol.Host, 0, len(targets))
	complete := true
	for _, t := range targets {
		host, err := protocol.ResolveTarget(known, t, node.PeerPort())
		if err != nil {
			return nil, err, false
		}
		_, isName := protocol.ResolveTarget(nil, t, node.PeerPort())
		if !host.Entry && isName != nil {
			complete = false // a name matched a host not known from an entry: wait for its entry
		}
		out = append(out, host)
	}
	return out, nil, complete
}
