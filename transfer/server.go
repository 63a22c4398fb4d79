package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"hato/protocol"
	"hato/protocol/wire"
)

// DefaultExpiry is how long an offer is served when ServerConfig.Expiry is 0 (a day, as a message window stays
// open on a desk).
const DefaultExpiry = 24 * time.Hour

// ServerConfig configures a Server.
type ServerConfig struct {
	Expiry time.Duration // offers older than this are refused; 0 means DefaultExpiry
	// Events receives what the server does (refusals with their reason, served files, releases). The
	// caller owns the channel and may leave it nil; a slow reader slows serving down.
	Events chan<- Event
	Logger *slog.Logger
}

// Server serves offered files to their recipients; it is the node's protocol.FileServer. A file is served
// only to a recipient of its offer (same user and host, and a connection from that recipient's address),
// only while the offer lives, and once per recipient unless the last attempt failed.
type Server struct {
	cfg     ServerConfig
	mu      sync.Mutex
	offers  map[uint32]*offer
	changed chan struct{} // closed and replaced whenever a fetch ends or an offer changes
}

type offer struct {
	made       time.Time
	files      map[uint64]Source
	recipients []*recipient
}

type recipient struct {
	host     protocol.Host
	state    map[uint64]fileState
	released bool
}

type fileState int

const (
	stateIdle fileState = iota
	stateBusy
	stateDone
	stateFailed
)

// NewServer makes a server with no offers.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Expiry == 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, offers: map[uint32]*offer{}, changed: make(chan struct{})}
}

// Offer registers files offered in message packet to the recipients, before the message goes out.
// A recipient known only by address (it never announced itself) is matched by address alone.
func (s *Server) Offer(packet uint32, to []protocol.Host, files []Source) {
	o := &offer{made: time.Now(), files: map[uint64]Source{}}
	for _, f := range files {
		o.files[f.ID] = f
	}
	for _, h := range to {
		r := &recipient{host: h, state: map[uint64]fileState{}}
		for _, f := range files {
			// iptux lists an empty file or folder as received at once and never asks for it.
			if h.Iptux && f.Size == 0 {
				r.state[f.ID] = stateDone
			}
		}
		o.recipients = append(o.recipients, r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for no, old := range s.offers {
		if time.Since(old.made) > s.cfg.Expiry {
			delete(s.offers, no)
		}
	}
	s.offers[packet] = o
	s.notifyLocked()
}

// Withdraw stops serving an offer.
func (s *Server) Withdraw(packet uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.offers, packet)
	s.notifyLocked()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait returns once every recipient of the offer has fetched every file or released the offer, or
// when ctx ends (with its error), or when the offer is withdrawn or expires.
func (s *Server) Wait(ctx context.Context, packet uint32) error {
	for {
		s.mu.Lock()
		o, ok := s.offers[packet]
		var finished, expired bool
		var expiry time.Time
		if ok {
			finished, expiry = o.finished(), o.made.Add(s.cfg.Expiry)
			expired = time.Now().After(expiry)
		}
		changed := s.changed
		s.mu.Unlock()
		switch {
		case !ok:
			return fmt.Errorf("offer %d withdrawn", packet)
		case finished:
			return nil
		case expired:
			return fmt.Errorf("offer %d expired", packet)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-time.After(time.Until(expiry)):
		}
	}
}

func (o *offer) finished() bool {
	for _, r := range o.recipients {
		if r.released {
			continue
		}
		for id := range o.files {
			if r.state[id] != stateDone {
				return false
			}
		}
	}
	return true
}

// Release marks the offer released by from (RELEASEFILES): nothing more is served to it.
func (s *Server) Release(from protocol.Host, packet uint32) {
	s.mu.Lock()
	o, ok := s.offers[packet]
	var r *recipient
	if ok {
		r, _ = o.recipient(from.User, from.Host, from.Addr.Addr()) // the same check as for serving
		if r != nil {
			r.released = true
			s.notifyLocked()
		}
	}
	s.mu.Unlock()
	if r != nil {
		// Called from the node's packet loop, which has no context: wait for the reader a little only.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.emit(ctx, Event{Kind: EventReleased, Packet: packet, Host: from, Addr: from.Addr})
	}
}

// recipient finds the recipient with these names (compared without case, as Windows does) at ip, the
// address the offer was sent to. Addresses a host was merely seen at do not count: any machine can send
// an entry packet with someone's names. A recipient known only by address matches any names. named
// reports whether the names alone matched someone, to say why a request is refused.
func (o *offer) recipient(user, host string, ip netip.Addr) (r *recipient, named bool) {
	for _, c := range o.recipients {
		if c.host.User != "" && (!strings.EqualFold(c.host.User, user) || !strings.EqualFold(c.host.Host, host)) {
			continue
		}
		named = named || c.host.User != ""
		if c.host.Addr.Addr() == ip {
			return c, true
		}
	}
	return nil, named
}

// ServeFile answers one GETFILEDATA or GETDIRFILES request and closes the connection. A refusal closes it
// without sending a byte, and is reported as EventRefused with the reason.
func (s *Server) ServeFile(ctx context.Context, req protocol.FileRequest) {
	defer req.Conn.Close()
	ev := Event{Addr: req.From}
	if req.Known != nil {
		ev.Host = *req.Known
	} else {
		ev.Host = protocol.Host{User: req.User, Host: req.Host, Addr: req.From}
	}
	src, r, args, err := s.admitWaiting(ctx, req)
	ev.Packet, ev.File, ev.Offset = args.Packet, src.File, args.Offset
	if err != nil {
		ev.Kind, ev.Err = EventRefused, err
		s.cfg.Logger.Info("file request refused", "from", req.From, "err", err)
		s.emit(ctx, ev)
		return
	}
	var n int64
	if req.Packet.Cmd.Mode() == wire.GetDirFiles {
		n, err = serveTree(req.Conn, src, req.Charset)
	} else {
		n, err = serveFile(req.Conn, src, args.Offset)
	}
	if err == nil {
		err = awaitClose(ctx, req.Conn)
	}
	ev.Bytes = n
	state := stateDone
	ev.Kind = EventServed
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (stopping)", err)
		}
		state, ev.Kind, ev.Err = stateFailed, EventServeFailed, err
	}
	// Report first: Wait returns once the state changes, and its caller may stop the node (and with it
	// this context) right away.
	s.emit(ctx, ev)
	s.mu.Lock()
	r.state[src.ID] = state
	s.notifyLocked()
	s.mu.Unlock()
}

// busyWait is how long a request for a file that is still being sent to the same recipient waits for
// that attempt to end: a receiver that resumes at once may ask before we noticed its old connection died.
const busyWait = 3 * time.Second

var errBusy = errors.New("already being fetched")

// admitWaiting is admit, waiting up to busyWait while the file is busy for that recipient.
func (s *Server) admitWaiting(ctx context.Context, req protocol.FileRequest) (Source, *recipient, RequestArgs, error) {
	deadline := time.NewTimer(busyWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		src, r, args, err := s.admit(req)
		if !errors.Is(err, errBusy) {
			return src, r, args, err
		}
		select {
		case <-changed:
		case <-deadline.C:
			return src, r, args, err
		case <-ctx.Done():
			return src, r, args, err
		}
	}
}

// admit checks a request against the offers and marks the file busy for that recipient.
func (s *Server) admit(req protocol.FileRequest) (Source, *recipient, RequestArgs, error) {
	mode := req.Packet.Cmd.Mode()
	if mode != wire.GetFileData && mode != wire.GetDirFiles {
		return Source{}, nil, RequestArgs{}, fmt.Errorf("command %s is not a file request", req.Packet.Cmd)
	}
	args, err := ParseRequestArgs(string(req.Packet.Msg))
	if err != nil {
		return Source{}, nil, args, err
	}
	if req.Packet.Cmd.Has(wire.EncFileOpt) {
		return Source{}, nil, args, errors.New("encrypted file transfer is not supported")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[args.Packet]
	switch {
	case !ok:
		return Source{}, nil, args, fmt.Errorf("no offer with packet number %d", args.Packet)
	case time.Since(o.made) > s.cfg.Expiry:
		return Source{}, nil, args, fmt.Errorf("offer %d expired after %s", args.Packet, s.cfg.Expiry)
	}
	r, named := o.recipient(req.User, req.Host, req.From.Addr())
	switch {
	case r == nil && named:
		return Source{}, nil, args, fmt.Errorf("%s@%s asked from %s, not from its address in offer %d",
			req.User, req.Host, req.From.Addr(), args.Packet)
	case r == nil:
		return Source{}, nil, args, fmt.Errorf("%s@%s is not a recipient of offer %d", req.User, req.Host, args.Packet)
	case r.released:
		return Source{}, nil, args, fmt.Errorf("%s@%s released offer %d", req.User, req.Host, args.Packet)
	}
	var src Source
	for _, id := range args.IDs() {
		if src, ok = o.files[id]; ok {
			break
		}
	}
	if !ok {
		return Source{}, nil, args, fmt.Errorf("offer %d has no file id %s", args.Packet, args.FileID)
	}
	switch r.state[src.ID] {
	case stateBusy:
		return src, nil, args, fmt.Errorf("%s is %w by %s@%s", src.Name, errBusy, req.User, req.Host)
	case stateDone:
		return src, nil, args, fmt.Errorf("%s was already fetched by %s@%s", src.Name, req.User, req.Host)
	}
	switch {
	case src.IsDir() && mode != wire.GetDirFiles:
		return src, nil, args, fmt.Errorf("%s is a folder: it is fetched with GETDIRFILES", src.Name)
	case src.Data != nil && mode != wire.GetFileData:
		return src, nil, args, fmt.Errorf("%s is an inline image: it is fetched with GETFILEDATA", src.Name)
	case args.Offset < 0 || args.Offset > src.Size || (args.Offset > 0 && mode != wire.GetFileData):
		return src, nil, args, fmt.Errorf("offset %d is outside %s (%d bytes)", args.Offset, src.Name, src.Size)
	}
	r.state[src.ID] = stateBusy
	return src, r, args, nil
}

// awaitClose waits for the receiver to close its end, which it does once it has every byte: only then
// is the file counted as fetched. A reset (the receiver died) is a failure.
func awaitClose(ctx context.Context, c *net.TCPConn) error {
	if err := c.CloseWrite(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	var buf [64]byte
	for {
		_, err := c.Read(buf[:])
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("waiting for the receiver to close: %w", err)
		}
	}
}

func (s *Server) emit(ctx context.Context, ev Event) {
	if s.cfg.Events == nil {
		return
	}
	select {
	case s.cfg.Events <- ev:
	case <-ctx.Done():
	}
}
