package transfer

import (
	"context"
	"crypto/cipher"
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
	"hato/protocol/crypt"
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
	used     map[uint32]bool // packet numbers of the sealed requests it made: a replay is refused
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
		r := &recipient{host: h, state: map[uint64]fileState{}, used: map[uint32]bool{}}
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

// named finds the recipient with these names (compared without case), at whatever address: for a
// request whose signature proves who sends it. A recipient known only by address has no names to prove.
func (o *offer) named(user, host string) *recipient {
	for _, c := range o.recipients {
		if c.host.User != "" && strings.EqualFold(c.host.User, user) && strings.EqualFold(c.host.Host, host) {
			return c
		}
	}
	return nil
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
	sealed, stream, unverified, err := s.unseal(ctx, req)
	var src Source
	var r *recipient
	args := sealed.RequestArgs
	if err == nil {
		src, r, err = s.admitWaiting(ctx, req, sealed, unverified)
	}
	ev.Packet, ev.File, ev.Offset, ev.Encrypted = args.Packet, src.File, args.Offset, stream != nil
	if err != nil {
		ev.Kind, ev.Err = EventRefused, err
		s.cfg.Logger.Info("file request refused", "from", req.From, "err", err)
		s.emit(ctx, ev)
		return
	}
	var n int64
	if req.Packet.Cmd.Mode() == wire.GetDirFiles {
		n, err = serveTree(req.Conn, src, req.Charset, stream)
	} else {
		n, err = serveFile(req.Conn, src, args.Offset, stream)
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

// unseal reads a request's arguments: a plain request's as they are, a sealed one's from its decrypted
// text, and checks a sealed one's signature against the key of the recipient it names. Verified, it may
// come from any address; unverified (the reason in unverified), it is held to the recipient's address
// like a plain request, and its data still goes encrypted (Windows sends such a requester the data in
// the clear). What our node's policy refuses is refused here: requests in the clear under
// RequireEncryption, and requests whose data would go in the clear.
func (s *Server) unseal(ctx context.Context, req protocol.FileRequest) (a SealedArgs, stream cipher.Stream, unverified, err error) {
	mode := req.Packet.Cmd.Mode()
	if mode != wire.GetFileData && mode != wire.GetDirFiles {
		return a, nil, nil, fmt.Errorf("command %s is not a file request", req.Packet.Cmd)
	}
	if !req.Sealed {
		args, err := ParseRequestArgs(string(req.Packet.Msg))
		switch {
		case err != nil:
		case req.Packet.Cmd.Has(wire.EncFileOpt):
			err = errors.New("encrypted file request (ENCFILEOPT) that is not sealed (no ENCRYPTOPT)")
		case req.RequireEncryption:
			err = fmt.Errorf("%s@%s asked in the clear, and files are served only encrypted (encryption is required)",
				req.User, req.Host)
		}
		return SealedArgs{RequestArgs: args}, nil, nil, err
	}
	if req.OpenErr != nil {
		return a, nil, nil, req.OpenErr
	}
	if a, err = ParseSealedArgs(req.Plain); err != nil {
		return a, nil, nil, fmt.Errorf("encrypted request: %w", err)
	}
	if !a.HasReqNo {
		a.ReqNo = req.Packet.No
	}
	switch {
	case !req.Packet.Cmd.Has(wire.EncFileOpt) || a.Caps == 0:
		err = errors.New("sealed request without ENCFILEOPT: its data would go in the clear")
	case !a.Encrypted() && req.RequireEncryption:
		err = fmt.Errorf("%s@%s asked for the data in the clear (NOENC_FILEBODY), and files are served only encrypted",
			req.User, req.Host)
	}
	if err != nil {
		return a, nil, nil, fmt.Errorf("encrypted request: %w", err)
	}
	s.mu.Lock()
	var claimed *protocol.Host
	if o, ok := s.offers[a.Packet]; ok {
		if r := o.named(req.User, req.Host); r != nil {
			h := r.host
			claimed = &h
		}
	}
	s.mu.Unlock()
	if claimed == nil {
		return a, nil, nil, nil // admit says why: no such offer, or not a recipient
	}
	if a.Encrypted() {
		// The counter starts from the header's packet number, as Windows' sender does; Windows' and
		// Hato's receivers put the same number in the plaintext.
		if stream, err = crypt.FileStream(a.Key, req.Packet.No, a.Offset); err != nil {
			return a, nil, nil, fmt.Errorf("encrypted request: %w", err)
		}
	}
	if err := req.Verify(ctx, *claimed); err != nil {
		return a, stream, fmt.Errorf("signature not verified: %w", err), nil
	}
	return a, stream, nil, nil
}

// admitWaiting is admit, waiting up to busyWait while the file is busy for that recipient.
func (s *Server) admitWaiting(ctx context.Context, req protocol.FileRequest, a SealedArgs, unverified error) (Source, *recipient, error) {
	deadline := time.NewTimer(busyWait)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		src, r, err := s.admit(req, a, unverified)
		if !errors.Is(err, errBusy) {
			return src, r, err
		}
		select {
		case <-changed:
		case <-deadline.C:
			return src, r, err
		case <-ctx.Done():
			return src, r, err
		}
	}
}

// admit checks a request against the offers and marks the file busy for that recipient. A sealed
// request whose signature verified is matched by names alone; every sealed request's packet number
// must be new.
func (s *Server) admit(req protocol.FileRequest, sealed SealedArgs, unverified error) (Source, *recipient, error) {
	mode := req.Packet.Cmd.Mode()
	args := sealed.RequestArgs
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.offers[args.Packet]
	switch {
	case !ok:
		return Source{}, nil, fmt.Errorf("no offer with packet number %d", args.Packet)
	case time.Since(o.made) > s.cfg.Expiry:
		return Source{}, nil, fmt.Errorf("offer %d expired after %s", args.Packet, s.cfg.Expiry)
	}
	var r *recipient
	var named bool
	if req.Sealed && unverified == nil {
		r = o.named(req.User, req.Host)
		named = r != nil
	} else {
		r, named = o.recipient(req.User, req.Host, req.From.Addr())
	}
	switch {
	case r == nil && named && unverified != nil:
		return Source{}, nil, fmt.Errorf("%s@%s asked from %s, not from its address in offer %d, and its %v",
			req.User, req.Host, req.From.Addr(), args.Packet, unverified)
	case r != nil && req.Sealed && r.used[sealed.ReqNo]:
		return Source{}, nil, fmt.Errorf("%s@%s sent request packet number %d before (a replay)", req.User, req.Host, sealed.ReqNo)
	case r == nil && named:
		return Source{}, nil, fmt.Errorf("%s@%s asked from %s, not from its address in offer %d",
			req.User, req.Host, req.From.Addr(), args.Packet)
	case r == nil:
		return Source{}, nil, fmt.Errorf("%s@%s is not a recipient of offer %d", req.User, req.Host, args.Packet)
	case r.released:
		return Source{}, nil, fmt.Errorf("%s@%s released offer %d", req.User, req.Host, args.Packet)
	}
	var src Source
	for _, id := range args.IDs() {
		if src, ok = o.files[id]; ok {
			break
		}
	}
	if !ok {
		return Source{}, nil, fmt.Errorf("offer %d has no file id %s", args.Packet, args.FileID)
	}
	switch r.state[src.ID] {
	case stateBusy:
		return src, nil, fmt.Errorf("%s is %w by %s@%s", src.Name, errBusy, req.User, req.Host)
	case stateDone:
		return src, nil, fmt.Errorf("%s was already fetched by %s@%s", src.Name, req.User, req.Host)
	}
	switch {
	case src.IsDir() && mode != wire.GetDirFiles:
		return src, nil, fmt.Errorf("%s is a folder: it is fetched with GETDIRFILES", src.Name)
	case src.Data != nil && mode != wire.GetFileData:
		return src, nil, fmt.Errorf("%s is an inline image: it is fetched with GETFILEDATA", src.Name)
	case args.Offset < 0 || args.Offset > src.Size || (args.Offset > 0 && mode != wire.GetFileData):
		return src, nil, fmt.Errorf("offset %d is outside %s (%d bytes)", args.Offset, src.Name, src.Size)
	}
	r.state[src.ID] = stateBusy
	if req.Sealed {
		r.used[sealed.ReqNo] = true
	}
	return src, r, nil
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
