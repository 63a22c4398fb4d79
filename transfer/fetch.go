package transfer

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"hato/protocol"
	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Requester is what a Fetcher needs of the node: its address (fetches leave from it) and charset, and
// request packets with fresh numbers. *protocol.Node is one; a messenger that replaces its node on a
// settings change hands out the current one, so that running fetches never hold a stopped node.
type Requester interface {
	Addr() netip.AddrPort
	Config() protocol.Config
	FileRequestPacket(h protocol.Host, cmd wire.Command, args string, utf8 bool) []byte
	SealedFileRequest(ctx context.Context, h protocol.Host, cmd wire.Command, utf8 bool,
		args func(reqNo uint32, key []byte) []byte) (packet, key []byte, reqNo uint32, err error)
}

// Fetcher downloads offered files and folders into Dir (or the folder FetchInto is given).
type Fetcher struct {
	Node Requester
	Dir  string // set before the first fetch; FetchInto takes a folder per fetch instead
	// Events receives progress (at most every ProgressEvery), saved files and failures. The caller owns
	// it and may leave it nil.
	Events        chan<- Event
	ProgressEvery time.Duration // 0 means 250 ms
	// IdleTimeout ends a fetch whose sender sent nothing for this long; 0 means 2 minutes (Windows'
	// receiving side gives up after 120 s).
	IdleTimeout time.Duration
	// MaxFolderFiles stops a folder stream that sends more files and folders than this; 0 means
	// DefaultMaxFolderFiles (100,000). A folder also stops once it sends more bytes than its offer
	// announced, when the offer announced a size (Windows offers folders with 0).
	MaxFolderFiles int
	// KeepFree is the space a fetch leaves free on the download folder's file system: a file (or a folder
	// whose size was announced) that would leave less is refused before it is asked for, and a transfer
	// that comes to leave less (a folder of unannounced size, other programs writing) stops, its .part
	// kept. 0 means 5% of the file system, at most 1 GiB (DefaultKeepFree); negative keeps nothing back.
	KeepFree int64

	mu    sync.Mutex
	parts map[string]bool // .part files being written, relative to Dir
}

// Fetch downloads one attachment of message m into f.Dir and returns the paths it saved (one for a file;
// every file of a folder). It writes to a .part and renames when complete; a name already taken
// becomes "name (1).ext". From another Hato it resumes an interrupted file from its .part. Cancel ctx to
// stop; the .part stays.
func (f *Fetcher) Fetch(ctx context.Context, m *protocol.Message, file File) ([]string, error) {
	return f.FetchInto(ctx, f.Dir, m, file)
}

// FetchInto is Fetch into dir: the folder is fixed for the whole fetch, whatever the user changes meanwhile.
func (f *Fetcher) FetchInto(ctx context.Context, dir string, m *protocol.Message, file File) ([]string, error) {
	ev := Event{Packet: m.Packet, File: file, Host: m.From, Addr: m.From.Addr, Total: file.Size}
	paths, err := f.fetch(ctx, dir, m, file, &ev)
	if err != nil {
		err = fmt.Errorf("fetch %s from %s: %w", file.Name, m.From.DisplayName(), err)
		ev.Kind, ev.Err = EventFetchFailed, err
		f.emit(ctx, ev)
	}
	return paths, err
}

func (f *Fetcher) fetch(ctx context.Context, dir string, m *protocol.Message, file File, ev *Event) ([]string, error) {
	file.Name = localName(file.Name)
	if err := CheckName(file.Name); err != nil {
		return nil, err
	}
	switch file.Type() {
	case TypeRegular, TypeClipboard, TypeDir:
	default:
		return nil, fmt.Errorf("type %#x cannot be fetched", file.Type())
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("download folder: %w", err)
	}
	defer root.Close()
	utf8 := m.Cmd.Has(wire.UTF8Opt)
	space, err := f.newSpace(dir)
	if err != nil {
		return nil, err
	}

	if file.IsDir() {
		if err := space.fits(file.Size); err != nil { // an announced size that cannot fit: not asked for
			return nil, err
		}
		c, err := f.dial(ctx, m, wire.GetDirFiles, file, 0, utf8)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
		ev.Encrypted = c.stream != nil
		rd := &treeReader{f: f, dir: dir, root: root, ev: ev, ctx: ctx, utf8: utf8, cs: f.Node.Config().Codepage,
			space: space}
		err = rd.read(bufio.NewReaderSize(c.reader(f.idleTimeout()), 256<<10), file)
		if err != nil {
			abort(c.TCPConn)
		}
		return rd.saved, ctxErr(ctx, err)
	}

	part, release, err := f.claimPart(dir, ".", file.Name, offerKey(m, file))
	if err != nil {
		return nil, err
	}
	defer release()
	var offset int64
	if m.From.Hato { // only Hato honours an offset: Windows would send from byte 0 regardless
		if fi, err := root.Lstat(part); err == nil && fi.Mode().IsRegular() && fi.Size() <= file.Size {
			offset = fi.Size()
		}
	}
	ev.Offset = offset
	if err := space.reserve(file.Size - offset); err != nil { // refused before it is asked for
		return nil, err
	}
	// A complete .part (the process died before the rename) is asked for from its end, which tells the
	// sender it arrived; it is kept even when the sender is gone or refuses.
	complete := offset == file.Size && file.Size > 0
	if err := f.fetchData(ctx, root, m, file, part, offset, ev, utf8, space); err != nil && !complete {
		return nil, ctxErr(ctx, err)
	}
	final, err := finish(folder{root: root}, part, file.Name, file.Mtime, false)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, final)
	f.emit(ctx, Event{Kind: EventSaved, Packet: m.Packet, File: file, Host: m.From, Addr: m.From.Addr,
		Path: path, Offset: offset, Bytes: file.Size, Total: file.Size, Encrypted: ev.Encrypted})
	return []string{path}, nil
}

// fetchData requests one file from offset and receives it into part.
func (f *Fetcher) fetchData(ctx context.Context, root *os.Root, m *protocol.Message, file File, part string,
	offset int64, ev *Event, utf8 bool, space *space) error {
	c, err := f.dial(ctx, m, wire.GetFileData, file, offset, utf8)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	ev.Encrypted = c.stream != nil
	w := &fileWriter{f: f, ev: ev, ctx: ctx, start: time.Now(), space: space}
	if err := w.receive(root, part, c, offset, file.Size); err != nil {
		abort(c.TCPConn)
		return err
	}
	return nil
}

// abort makes the coming Close reset the connection: a receiver that stops early (a limit, a bad
// stream) must not look to the sender like one that has everything, which closes. The sender, which
// waits for our close, then counts the attempt as failed and lets it be tried again.
func abort(c *net.TCPConn) { c.SetLinger(0) }

// request is an open file request: the connection, and for an encrypted transfer the keystream that
// decrypts its data.
type request struct {
	*net.TCPConn
	stream cipher.Stream // nil: the data comes in the clear
}

// reader reads the data, decrypted, failing when the sender sends nothing for idle.
func (c request) reader(idle time.Duration) io.Reader {
	r := io.Reader(idleReader{c.TCPConn, idle})
	if c.stream != nil {
		r = cipher.StreamReader{S: c.stream, R: r}
	}
	return r
}

// dial connects to the sender's TCP port (the port of its UDP packets) and asks for file from offset: a
// sealed request with encrypted data when the sender takes one (draft-14 §8), else a plain one, unless
// our node must never receive in the clear.
func (f *Fetcher) dial(ctx context.Context, m *protocol.Message, cmd wire.Command, file File, offset int64, utf8 bool) (request, error) {
	var req request
	id := strconv.FormatUint(file.ID, 16)
	pkt, key, reqNo, err := f.Node.SealedFileRequest(ctx, m.From, cmd, utf8, func(reqNo uint32, key []byte) []byte {
		return AppendSealedArgs(nil, cmd == wire.GetDirFiles, SealedArgs{RequestArgs: RequestArgs{Packet: m.Packet,
			FileID: id, Offset: offset}, Caps: crypt.FileCaps, Key: key, ReqNo: reqNo})
	})
	switch {
	case err == nil:
		if req.stream, err = crypt.FileStream(key, reqNo, offset); err != nil {
			return req, err
		}
	case !errors.Is(err, protocol.ErrNotEncrypted):
		return req, err
	case f.Node.Config().RequireEncryption:
		return req, fmt.Errorf("not fetched in the clear (encryption is required): %w", err)
	case cmd == wire.GetDirFiles:
		pkt = f.Node.FileRequestPacket(m.From, cmd, DirFilesArgs(m.Packet, file.ID), utf8)
	default:
		pkt = f.Node.FileRequestPacket(m.From, cmd, FileDataArgs(m.Packet, file.ID, offset), utf8)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	if ip := f.Node.Addr().Addr(); !ip.IsUnspecified() {
		// A node bound to one address fetches from it too: the sender checks the source address.
		d.LocalAddr = &net.TCPAddr{IP: ip.AsSlice()}
	}
	conn, err := d.DialContext(ctx, "tcp4", m.From.Addr.String())
	if err != nil {
		return req, fmt.Errorf("connect: %w", err)
	}
	req.TCPConn = conn.(*net.TCPConn)
	if _, err := req.Write(pkt); err != nil {
		req.Close()
		return req, fmt.Errorf("send request: %w", err)
	}
	return req, nil
}

// idleReader reads from a connection, failing when nothing arrives for idle.
type idleReader struct {
	c    *net.TCPConn
	idle time.Duration
}

func (r idleReader) Read(p []byte) (int, error) {
	r.c.SetReadDeadline(time.Now().Add(r.idle))
	n, err := r.c.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = idleErr(r.idle, err)
	}
	return n, err
}

func idleErr(idle time.Duration, err error) error {
	return fmt.Errorf("the sender sent nothing for %s: %w", idle, err)
}

func (f *Fetcher) idleTimeout() time.Duration {
	if f.IdleTimeout == 0 {
		return 2 * time.Minute
	}
	return f.IdleTimeout
}

// claimPart reserves partName(name, key, 0) in dir for this fetch, or the next k while another fetch of
// this Fetcher writes the first.
func (f *Fetcher) claimPart(root, dir, name, key string) (string, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parts == nil {
		f.parts = map[string]bool{}
	}
	for k := 0; k < 1000; k++ {
		p := filepath.Join(dir, partName(name, key, k))
		abs := filepath.Join(root, p) // fetches into different folders never collide
		if !f.parts[abs] {
			f.parts[abs] = true
			return p, func() { f.mu.Lock(); delete(f.parts, abs); f.mu.Unlock() }, nil
		}
	}
	return "", nil, fmt.Errorf("too many fetches of %s at once", name)
}

// offerKey names one offered file: the sender (names and address), packet number, id and size, hashed
// to 16 hex digits, too many for a peer to forge another offer's key.
func offerKey(m *protocol.Message, file File) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%d\x00%d", strings.ToLower(m.From.User),
		strings.ToLower(m.From.Host), m.From.Addr.Addr(), m.Packet, file.ID, file.Size))
	return hex.EncodeToString(sum[:8])
}

// fileWriter receives file data into a .part and reports progress.
type fileWriter struct {
	f     *Fetcher
	ev    *Event
	ctx   context.Context
	space *space // counts what is written; nil checks nothing
	start time.Time
	last  time.Time
	buf   []byte
}

// receive writes the bytes from offset to size of one file from c into part (appending from offset). The
// sender must not have more than it announced.
func (w *fileWriter) receive(root *os.Root, part string, c request, offset, size int64) error {
	if fi, err := root.Lstat(part); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file", part)
	}
	flags := os.O_WRONLY | os.O_CREATE | oNoFollow
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	out, err := root.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", part, diskErr(err))
	}
	defer out.Close()
	if _, err := out.Seek(offset, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", part, err)
	}
	var done int64
	if c.stream == nil {
		done, err = w.splice(out, c.TCPConn, offset, size)
	} else { // encrypted: through user space to decrypt
		var n int64
		n, err = w.copy(out, c.reader(w.f.idleTimeout()), size-offset, offset)
		done = offset + n
	}
	if err != nil {
		return fmt.Errorf("%s: %w", part, err)
	}
	w.progress(done, true)
	// A sender waits for us to close, so wait briefly: bytes beyond the size are already here.
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var one [1]byte
	if n, _ := c.Read(one[:]); n > 0 {
		out.Close()
		root.Remove(part)
		return fmt.Errorf("sender sent more than the %d bytes it announced", size)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", part, diskErr(err))
	}
	return nil
}

// splice moves the bytes from the connection to the file in the kernel (splice(2) on Linux), 1 MiB at a
// time for progress and the idle deadline. Holes are not kept this way; large buffers through user space
// were measured 2-5x slower on a VM whose fresh page-cache memory faults in slowly.
func (w *fileWriter) splice(out *os.File, c *net.TCPConn, offset, size int64) (int64, error) {
	idle := w.f.idleTimeout()
	done := offset
	for done < size {
		c.SetReadDeadline(time.Now().Add(idle))
		n, err := io.CopyN(out, c, min(1<<20, size-done))
		done += n
		if done < size {
			w.progress(done, false)
		}
		if serr := w.space.wrote(n); serr != nil && err == nil {
			return done, serr
		}
		switch {
		case errors.Is(err, io.EOF):
			return done, fmt.Errorf("sender sent %d of %d bytes", done, size)
		case errors.Is(err, os.ErrDeadlineExceeded):
			return done, idleErr(idle, err)
		case err != nil:
			return done, fmt.Errorf("receive after %d of %d bytes: %w", done, size, diskErr(err))
		}
	}
	return done, nil
}

func (f *Fetcher) progressEvery() time.Duration {
	if f.ProgressEvery == 0 {
		return 250 * time.Millisecond
	}
	return f.ProgressEvery
}

// progress reports bytes done at most every ProgressEvery, and always at the end.
func (w *fileWriter) progress(done int64, final bool) {
	now := time.Now()
	if !final && now.Sub(w.last) < w.f.progressEvery() {
		return
	}
	w.last = now
	ev := *w.ev
	ev.Kind, ev.Bytes = EventProgress, done
	if el := now.Sub(w.start).Seconds(); el > 0 {
		ev.Rate = float64(done-ev.Offset) / el
		if ev.Rate > 0 && ev.Total > done {
			ev.ETA = time.Duration(float64(ev.Total-done) / ev.Rate * float64(time.Second))
		}
	}
	w.f.emit(w.ctx, ev)
}

func (f *Fetcher) emit(ctx context.Context, ev Event) {
	if f.Events == nil {
		return
	}
	select {
	case f.Events <- ev:
	case <-ctx.Done():
	}
}

// tryEmit emits ev if the channel takes it at once.
func (f *Fetcher) tryEmit(ev Event) bool {
	if f.Events == nil {
		return true
	}
	select {
	case f.Events <- ev:
		return true
	default:
		return false
	}
}

// diskErr says "disk full" in words when that is what happened.
func diskErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("disk full: %w", err)
	}
	return err
}

// ctxErr prefers the cancellation over the closed-connection error it caused.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}
