package protocol

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// ErrUndelivered means a peer never acknowledged a packet after every resend.
var ErrUndelivered = errors.New("no acknowledgement")

// ErrTooLong means a message does not fit in one datagram for that peer (32 KB, or 8 KB for iptux).
var ErrTooLong = errors.New("message too long for one packet")

// SendOptions are the message flags a user can choose.
type SendOptions struct {
	Sealed bool // SECRETOPT|READCHECKOPT: the recipient opens it with a click and we are told
	Locked bool // PASSWORDOPT: ask the recipient for their password before opening (needs Sealed)
	// Files is an attachment list in UTF-8 (built by package transfer); it goes after the text with
	// FILEATTACHOPT, in each recipient's charset.
	Files string
	// FilesFor, when set, gives each recipient its own list instead (inline images are offered as
	// ordinary files to peers that cannot show them).
	FilesFor func(Host) string
	// Packet is the number to send under, reserved with NextPacketNo so that the offer was registered
	// first; 0 takes a fresh one.
	Packet uint32
}

// Delivery is the outcome for one recipient: Err is nil once it acknowledged.
type Delivery struct {
	Host   Host
	Err    error
	Cipher string // the pair it was encrypted with ("RSA2048+AES256"), or "" when sent in the clear
	Signed bool
	// Lost are the characters of the text and the attachment names that the recipient's code page cannot
	// hold, which it got as '?': each once, in order of first appearance ("" when nothing was lost).
	Lost string
}

// Send sends text to each host (one unicast each, the same packet number, MULTICASTOPT when there are
// several) and waits until all acknowledged or gave up: each packet is resent every SendInterval, SendTries
// times in all. Recipients that never announced themselves are introduced first (see Introduce). It
// returns the packet number and one Delivery per host, in order. The error is for failures before the
// message was sent (too long, node closed, no recipient).
func (n *Node) Send(ctx context.Context, to []Host, text string, opt SendOptions) (uint32, []Delivery, error) {
	if len(to) == 0 {
		return 0, nil, errors.New("send: no recipient")
	}
	if !n.isRunning() {
		return 0, nil, fmt.Errorf("send: %w", ErrClosed)
	}
	cmd := wire.SendMsg | wire.SendCheckOpt
	if opt.Sealed {
		cmd |= wire.SecretExOpt
		if opt.Locked {
			cmd |= wire.PasswordOpt
		}
	}
	if len(to) > 1 {
		cmd |= wire.MulticastOpt
	}
	filesFor := func(Host) string { return opt.Files }
	if opt.FilesFor != nil {
		filesFor = opt.FilesFor
	}
	to = slices.Clone(to)
	var strangers []netip.AddrPort
	for i := range to {
		to[i] = *n.known(to[i])
		if !to[i].Entry {
			strangers = append(strangers, to[i].Addr)
		}
	}
	// A message too long for anyone fails before anything is sent.
	if err := n.checkSize(to, cmd, text, filesFor, true); err != nil {
		return 0, nil, err
	}
	if len(strangers) > 0 {
		n.Introduce(ctx, strangers)
		for i := range to {
			to[i] = *n.known(to[i])
		}
		if err := n.checkSize(to, cmd, text, filesFor, false); err != nil {
			return 0, nil, err
		}
	}
	no := opt.Packet
	if no == 0 {
		no = n.nextNo()
	}

	out := make([]Delivery, len(to))
	var wg sync.WaitGroup
	for i := range to {
		wg.Add(1)
		go func() {
			defer wg.Done()
			files := filesFor(to[i])
			cs, flag := n.charsetFor(&to[i], text, files)
			b, alg, err := n.packetTo(ctx, &to[i], no, cs, withFiles(cmd, files)|flag, text, files, to)
			if err == nil {
				err = n.sendUntilAck(ctx, b, wire.RecvMsg, no, to[i].Addr, n.cfg.SendInterval, n.cfg.SendTries)
			}
			out[i] = Delivery{Host: to[i], Err: err, Signed: alg&(crypt.SignSHA1|crypt.SignSHA256) != 0,
				Lost: lost(cs, text, files)}
			if alg != 0 {
				out[i].Cipher = cipherName(alg)
			}
			kind := EventDelivered
			if err != nil {
				kind = EventUndelivered
			}
			n.emit(Event{Kind: kind, Host: to[i], Packet: no})
		}()
	}
	wg.Wait()
	return no, out, nil
}

// checkSize fails when the clear message does not fit in one datagram for a recipient; encryption adds
// a little (see packetTo). Before the introduction (early) a recipient not known from its entry is
// measured in the legacy code page, the smallest charset it may turn out to read.
func (n *Node) checkSize(to []Host, cmd wire.Command, text string, filesFor func(Host) string, early bool) error {
	for i := range to {
		h := &to[i]
		files := filesFor(*h)
		cs, flag := n.charsetFor(h, text, files)
		if early && !h.Entry {
			cs, flag = n.cfg.Codepage, 0
		}
		p := n.numbered(math.MaxUint32, cs, withFiles(cmd, files)|flag, wire.Encode(text, cs), wire.Encode(files, cs))
		if b := p.Bytes(); len(b) > sendLimit(h) {
			return fmt.Errorf("send to %s: %d bytes, limit %d: %w", h.DisplayName(), len(b), sendLimit(h), ErrTooLong)
		}
	}
	return nil
}

// packetTo builds one recipient's SENDMSG in cs (cmd has its UTF8OPT), encrypted when it can read that.
// alg is the algorithm set it was encrypted with, 0 in the clear.
func (n *Node) packetTo(ctx context.Context, h *Host, no uint32, cs wire.Codepage, cmd wire.Command, text, files string,
	all []Host) (b []byte, alg crypt.Caps, err error) {
	cmd, msg, extra, alg, err := n.encryptFor(ctx, h, no, cmd, wire.Encode(text, cs), wire.Encode(files, cs),
		recipientList(all, cs))
	if err != nil {
		return nil, 0, err
	}
	b = n.numbered(no, cs, cmd, msg, extra).Bytes()
	if len(b) > sendLimit(h) {
		return nil, 0, fmt.Errorf("send to %s: %d bytes once encrypted, limit %d: %w", h.DisplayName(), len(b),
			sendLimit(h), ErrTooLong)
	}
	return b, alg, nil
}

// withFiles adds FILEATTACHOPT when there is an attachment list.
func withFiles(cmd wire.Command, files string) wire.Command {
	if files != "" {
		return cmd | wire.FileAttachOpt
	}
	return cmd
}

// sendUntilAck writes b every interval until the ack arrives, tries writes have gone unanswered, or ctx ends.
func (n *Node) sendUntilAck(ctx context.Context, b []byte, ackMode wire.Command, no uint32, to netip.AddrPort,
	interval time.Duration, tries int) error {
	k := ackKey{ackMode, no, to}
	ch := make(chan struct{})
	n.mu.Lock()
	n.acks[k] = ch
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.acks, k)
		n.mu.Unlock()
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for sent := 0; ; {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if sent == tries {
				return fmt.Errorf("%s after %d sends: %w", to, tries, ErrUndelivered)
			}
			n.writeRaw(b, to)
			sent++
			t.Reset(interval)
		}
	}
}

func sendLimit(h *Host) int {
	if h.Iptux {
		return maxSendIptux
	}
	return maxSend
}

// known returns the host table's entry for h (matched by address, then by names), or h itself.
func (n *Node) known(h Host) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.hosts.byAddr[h.Addr]; ok {
		c := e.copy()
		return &c
	}
	if h.User != "" {
		if e := n.hosts.entry(h.key()); e != nil {
			c := e.copy()
			return &c
		}
	}
	return &h
}

// isRunning reports whether the node still works: from Listen until Run ends.
func (n *Node) isRunning() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.closed
}

// Broadcast sends text to everyone on the broadcast targets. Nobody acknowledges a broadcast message.
func (n *Node) Broadcast(text string) error {
	if !n.isRunning() {
		return fmt.Errorf("broadcast: %w", ErrClosed)
	}
	// UTF-8 with UTF8OPT: Windows and iptux both read it; only pre-UTF-8 clients see it garbled.
	p := n.packet(wire.UTF8, wire.SendMsg|wire.BroadcastOpt|wire.UTF8Opt, []byte(text), nil)
	if b := p.Bytes(); len(b) > maxSend {
		return fmt.Errorf("broadcast: %d bytes, limit %d: %w", len(b), maxSend, ErrTooLong)
	}
	n.broadcast(p)
	return nil
}

// Open tells the sender of a sealed message that it was opened (READMSG). When the sender asked for a
// receipt (READCHECKOPT) the READMSG is resent every ReadInterval until ANSREADMSG, as Windows does.
func (n *Node) Open(ctx context.Context, m *Message) error {
	if !n.isRunning() {
		return fmt.Errorf("open: %w", ErrClosed)
	}
	h := n.known(m.From)
	no := strconv.FormatUint(uint64(m.Packet), 10)
	if !m.Cmd.Has(wire.ReadCheckOpt) {
		return n.writeTo(n.packetFor(h, wire.ReadMsg, no, nil), h.Addr)
	}
	p := n.packetFor(h, wire.ReadMsg|wire.ReadCheckOpt, no, nil)
	if err := n.sendUntilAck(ctx, p.Bytes(), wire.AnsReadMsg, p.No, h.Addr, n.cfg.ReadInterval, n.cfg.ReadTries); err != nil {
		return fmt.Errorf("open receipt to %s: %w", h.DisplayName(), err)
	}
	return nil
}

// Discard tells the sender that a sealed message was thrown away unopened (DELMSG).
func (n *Node) Discard(m *Message) error {
	if !n.isRunning() {
		return fmt.Errorf("discard: %w", ErrClosed)
	}
	h := n.known(m.From)
	return n.writeTo(n.packetFor(h, wire.DelMsg, strconv.FormatUint(uint64(m.Packet), 10), nil), h.Addr)
}

// Presence is what peers see of us besides our names in headers.
type Presence struct {
	Nick, Group string
	Absent      bool
	AbsenceText string
}

// SetPresence changes nick, group or absence mode and tells everyone with BR_ABSENCE.
func (n *Node) SetPresence(p Presence) {
	n.mu.Lock()
	n.cfg.Nick, n.cfg.Group = p.Nick, p.Group
	if n.cfg.Absent != p.Absent || n.cfg.AbsenceText != p.AbsenceText {
		n.autoReplied.clear()
	}
	n.cfg.Absent, n.cfg.AbsenceText = p.Absent, p.AbsenceText
	// Before Run the first BR_ENTRY carries the new presence; nothing is sent yet.
	live := n.ctx != nil && !n.closed
	n.mu.Unlock()
	if live {
		n.spread(wire.BrAbsence, false)
	}
}

// RequestInfo asks h for its version string; the answer arrives as EventInfo.
func (n *Node) RequestInfo(h Host) error {
	hp := n.known(h)
	return n.writeTo(n.packetFor(hp, wire.GetInfo, "", nil), hp.Addr)
}

// RequestAbsenceInfo asks h for its absence text; the answer arrives as EventAbsenceInfo.
func (n *Node) RequestAbsenceInfo(h Host) error {
	hp := n.known(h)
	return n.writeTo(n.packetFor(hp, wire.GetAbsenceInfo, "", nil), hp.Addr)
}
