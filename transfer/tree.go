package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hato/protocol/wire"
)

// maxDepth bounds folder nesting in a received stream.
const maxDepth = 128

// treeReader writes a received GETDIRFILES stream under a new top folder, checking every name and the
// limits (see limits.go).
type treeReader struct {
	f     *Fetcher
	dir   string // the download folder root was opened on
	root  *os.Root
	ev    *Event
	ctx   context.Context
	utf8  bool          // the request asked for UTF-8 names
	cs    wire.Codepage // otherwise names are UTF-8 when valid, else this code page
	space *space
	saved []string
	done  int64 // bytes of the files received whole
	count int   // files and folders the stream announced so far

	named    bool      // the file system has no unnamed files: .part files (see create)
	savedEvs []Event   // saved events not yet emitted (see flushSaved)
	savedAt  time.Time // when they were last emitted
}

// frame is a folder of the stream being written: its path under the download folder, the folder open
// (so that each file operation is one system call on one name, with no path to walk), and the time its
// header gave.
type frame struct {
	path  string
	in    folder
	mtime int64
}

// pending is a received file waiting for the next header before it takes its final name: a sender that
// sent more bytes than it announced shows only then, as a header that does not parse. Until then it is
// an open file with no name (Linux), or a closed .part.
type pending struct {
	in         frame
	out        *os.File // the unnamed file, or nil
	part, name string
	h          DirHeader
	timed      bool // its modification time is set already
}

// read consumes the stream for the offered folder top. The first header must be a folder; Windows
// names it after the offer, and so do we. The stream ends with the RETPARENT of the top folder.
func (t *treeReader) read(r *bufio.Reader, top File) (err error) {
	buf := make([]byte, MaxDirHeader)
	w := &fileWriter{f: t.f, ev: t.ev, ctx: t.ctx, start: time.Now(), space: t.space}
	defer t.flushSaved(true) // last: after the finisher stopped
	h, err := ReadDirHeader(r, buf)
	if err != nil {
		return fmt.Errorf("folder stream: %w", eofErr(err))
	}
	if h.Type() != TypeDir {
		return fmt.Errorf("folder stream: starts with type %#x, not a folder", h.Type())
	}
	if err := t.admit(h, top); err != nil {
		return err
	}
	topFrame, err := openFrame(t.root, ".", top.Name, h)
	if err != nil {
		return err
	}
	stack := []frame{topFrame}
	defer func() {
		for _, f := range stack {
			f.in.close()
		}
	}()
	fin := t.startFinisher(t.ctx)
	defer func() { // before the folders close: it names files in them
		if ferr := fin.stop(); err == nil {
			err = ferr
		}
	}()
	seen := map[string]bool{} // names per folder: a stream that repeats one is refused
	var last *pending
	defer func() {
		if last != nil {
			t.keepPart(last)
		}
	}()
	for len(stack) > 0 {
		in := stack[len(stack)-1]
		h, err := ReadDirHeader(r, buf)
		if last != nil && (err == nil || errors.Is(err, io.EOF)) {
			// The next header parsed, or the stream ended cleanly: the file had exactly its bytes, and
			// takes its name. One whose name a .part may have takes it at once (see finisher.flush).
			ferr := fin.add(finishOp{file: last})
			if ferr == nil && partLike(last.name) {
				ferr = fin.flush()
			}
			last = nil
			if ferr != nil {
				return ferr
			}
			w.progress(t.done, false)
		}
		if err != nil {
			return fmt.Errorf("folder stream in %s: %w", in.path, eofErr(err))
		}
		if h.Type() == TypeRetParent {
			stack = stack[:len(stack)-1]
			if err := fin.add(finishOp{folder: &in}); err != nil {
				return err
			}
			continue
		}
		var name string
		if h.Type() == TypeDir || h.Type() == TypeRegular {
			if name, err = t.name(h); err != nil {
				return fmt.Errorf("folder stream in %s: %w", in.path, err)
			}
			key := in.path + "\x00" + name
			if seen[key] {
				return fmt.Errorf("folder stream in %s: %q sent twice", in.path, name)
			}
			seen[key] = true
			if partLike(name) {
				// A file before may still hold this name as its .part: it takes its own first.
				if err := fin.flush(); err != nil {
					return err
				}
			}
		}
		if err := t.admit(h, top); err != nil {
			return err
		}
		switch h.Type() {
		case TypeDir:
			if len(stack) >= maxDepth {
				return fmt.Errorf("folder stream in %s: deeper than %d folders", in.path, maxDepth)
			}
			sub, err := openFrame(in.in.root, in.path, name, h)
			if err != nil {
				return err
			}
			stack = append(stack, sub)
		case TypeRegular:
			if last, err = t.receive(r, w, in, name, h); err != nil {
				return err
			}
		default:
			// Symbolic links, devices and the like are never created; skip whatever data they carry.
			if _, err := io.CopyN(io.Discard, r, h.Size); err != nil {
				return fmt.Errorf("folder stream in %s: %w", in.path, eofErr(err))
			}
		}
	}
	return nil
}

// partLike reports a name a .part may have (without case: file systems may ignore it).
func partLike(name string) bool {
	return len(name) >= 5 && strings.EqualFold(name[len(name)-5:], ".part")
}

// admit checks the limits before anything is made for h: the count of files and folders, the total the
// offer announced (when it did: Windows announces 0, iptux and Hato the bytes of the files), and the
// free space, for which h's size is reserved.
func (t *treeReader) admit(h DirHeader, top File) error {
	if t.count++; t.count > t.f.maxFolderFiles() {
		return errTooMany(t.f.maxFolderFiles())
	}
	switch h.Type() {
	case TypeRegular:
		if top.Size > 0 && h.Size > top.Size-t.done {
			return errOverTotal(top.Size)
		}
		return t.space.reserve(h.Size)
	case TypeDir:
		return t.space.fits(4096)
	}
	return nil
}

// openFrame makes folder name in parent (at path), or "name (1)" and so on when the name is taken, and
// opens it.
func openFrame(parent *os.Root, path, name string, h DirHeader) (frame, error) {
	made, err := mkdirFree(parent, ".", name)
	if err != nil {
		return frame{}, err
	}
	p := filepath.Join(path, made)
	in, err := openFolder(parent, made)
	if err != nil {
		return frame{}, fmt.Errorf("open folder %s: %w", p, err)
	}
	return frame{path: p, in: in, mtime: dirMtime(h)}, nil
}

// receive writes one regular file of the stream, with its modification time when the system can set it
// through the open file: to an unnamed file in its folder, where the file system has them (see
// unnamed_linux.go), else to a new .part. A file that fails midway is kept as a .part.
func (t *treeReader) receive(r *bufio.Reader, w *fileWriter, in frame, name string, h DirHeader) (*pending, error) {
	defer t.space.settle()
	p := &pending{in: in, name: name, h: h}
	out, err := t.create(p)
	if err != nil {
		return nil, fmt.Errorf("folder stream: %s: %w", filepath.Join(in.path, name), err)
	}
	// Progress counts bytes over the whole folder.
	if h.Size <= int64(r.Size()) {
		_, err = w.copySmall(out, r, h.Size)
	} else {
		_, err = w.copy(out, r, h.Size, t.done)
	}
	if mtime := dirMtime(h); err == nil && mtime > 0 {
		p.timed = setMtime(out, time.Unix(mtime, 0)) == nil
	}
	if p.out == nil {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write: %w", diskErr(cerr))
		}
	}
	if err != nil {
		t.keepPart(p)
		return nil, fmt.Errorf("folder stream: %s: %w", filepath.Join(in.path, p.part), err)
	}
	t.done += h.Size
	return p, nil
}

// unnamedFiles is false in the tests of the .part files used where there are none.
var unnamedFiles = true

// create opens the file p is written to: unnamed (p.out) or p.part.
func (t *treeReader) create(p *pending) (*os.File, error) {
	if p.in.in.dir != nil && !t.named && unnamedFiles {
		out, err := openUnnamed(p.in.in.dir)
		if err == nil {
			p.out = out
			return out, nil
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			return nil, diskErr(err)
		}
		t.named = true // this file system cannot: .part files from now on
	}
	part, out, err := createPart(p.in.in.root, p.name)
	p.part = part
	return out, err
}

// keepPart gives a file that will not take its name (the stream failed) a .part name, so that what
// arrived stays, as it does for a .part.
func (t *treeReader) keepPart(p *pending) {
	if p.out == nil {
		return
	}
	p.part, _ = p.in.in.linkFree(p.out, func(k int) string { return partName(p.name, "", k) })
	p.out.Close()
	p.out = nil
}

// createPart creates name's .part in root, exclusively: a file of the folder may itself be called
// "x.part", and the exclusive create never follows a link.
func createPart(root *os.Root, name string) (string, *os.File, error) {
	for k := 0; k < 1000; k++ {
		part := partName(name, "", k)
		out, err := root.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNonblock, 0o644)
		if err == nil {
			return part, out, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", nil, fmt.Errorf("create %s: %w", part, diskErr(err))
		}
	}
	return "", nil, fmt.Errorf("no free name for %s.part", name)
}

// finishFile gives a received file its final name and reports it.
func (t *treeReader) finishFile(p *pending) error {
	mtime := dirMtime(p.h)
	var final string
	var err error
	if p.out != nil {
		if final, err = p.in.in.linkFree(p.out, func(k int) string { return numbered(p.name, k) }); err != nil {
			t.keepPart(p)
		} else {
			p.out.Close()
			p.out = nil
			if mtime > 0 && !p.timed {
				p.in.in.root.Chtimes(final, time.Unix(mtime, 0), time.Unix(mtime, 0))
			}
		}
	} else {
		final, err = finish(p.in.in, p.part, p.name, mtime, p.timed)
	}
	if err != nil {
		return fmt.Errorf("folder stream: %s: %w", filepath.Join(p.in.path, p.name), err)
	}
	path := filepath.Join(t.dir, p.in.path, final)
	t.saved = append(t.saved, path)
	// The id is the offered folder's: files inside a folder have none of their own.
	f := File{ID: t.ev.File.ID, Name: p.name, Size: p.h.Size, Mtime: mtime, Attr: p.h.Attr}
	t.savedEvs = append(t.savedEvs, Event{Kind: EventSaved, Packet: t.ev.Packet, File: f, Host: t.ev.Host,
		Addr: t.ev.Addr, Path: path, Bytes: p.h.Size, Total: p.h.Size, Encrypted: t.ev.Encrypted})
	return nil
}

// flushSaved passes on the saved events held back, a few dozen at a time or every ProgressEvery, and
// only as many as the events channel takes at once; at the end of the stream (final) all of them,
// waiting for the reader. An event per small file woke the reader, and a thread, for each file, and a
// full channel stopped the transfer until the reader ran: each cost about as much as writing the file.
func (t *treeReader) flushSaved(final bool) {
	if len(t.savedEvs) == 0 || !final && len(t.savedEvs) < 32 && time.Since(t.savedAt) < t.f.progressEvery() {
		return
	}
	sent := 0
	for _, ev := range t.savedEvs {
		if final {
			t.f.emit(t.ctx, ev)
		} else if !t.f.tryEmit(ev) {
			break
		}
		sent++
	}
	t.savedEvs = t.savedEvs[:copy(t.savedEvs, t.savedEvs[sent:])]
	t.savedAt = time.Now()
}

// name decodes and checks a header's name.
func (t *treeReader) name(h DirHeader) (string, error) {
	var name string
	if t.utf8 {
		name = wire.Decode([]byte(h.Name), wire.UTF8)
	} else {
		name = wire.DecodeGuess([]byte(h.Name), t.cs)
	}
	if strings.ContainsRune(name, '\uFFFD') && !strings.Contains(h.Name, "\uFFFD") {
		return "", fmt.Errorf("%w %q: not valid in the stream's charset", ErrUnsafeName, clip(h.Name))
	}
	name = localName(name)
	return name, CheckName(name)
}

// mkdirFree makes folder name in dir, or "name (1)" and so on when the name is taken.
func mkdirFree(root *os.Root, dir, name string) (string, error) {
	for k := 0; k < 10000; k++ {
		p := filepath.Join(dir, numbered(name, k))
		err := root.Mkdir(p, 0o755)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create folder %s: %w", p, diskErr(err))
		}
	}
	return "", fmt.Errorf("no free name for folder %s", name)
}

// dirMtime is a header's 14= time, or 0 when it has none that is plausible (after 1970, before the
// year 36,000).
func dirMtime(h DirHeader) int64 {
	v, ok := File{Ext: h.Ext}.ExtValue(ExtMtime)
	if !ok || v >= 1<<40 {
		return 0
	}
	return int64(v)
}

func eofErr(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("stream ended early: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// zeros is one receive buffer of zero bytes, to recognise holes.
var zeros = make([]byte, 1<<20)

// copy writes the next size bytes of a folder stream to out, reporting progress as base plus the bytes
// done. Whole blocks of zeros are skipped, not written: a sparse file stays sparse.
func (w *fileWriter) copy(out *os.File, r io.Reader, size, base int64) (int64, error) {
	if w.buf == nil {
		w.buf = make([]byte, len(zeros))
	}
	var done int64
	hole := false // the file ends in a skipped run of zeros: Truncate gives it its length
	for done < size {
		chunk := w.buf[:min(int64(len(w.buf)), size-done)]
		n, err := io.ReadFull(r, chunk)
		if n > 0 {
			if hole = n == len(w.buf) && bytes.Equal(chunk, zeros[:n]); hole {
				if _, err := out.Seek(int64(n), io.SeekCurrent); err != nil {
					return done, fmt.Errorf("write: %w", err)
				}
			} else if err := writeSmall(out, chunk[:n]); err != nil {
				return done, fmt.Errorf("write: %w", diskErr(err))
			}
			done += int64(n)
			if err := w.space.wrote(int64(n)); err != nil {
				return done, err
			}
			if done < size {
				w.progress(base+done, false)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return done, fmt.Errorf("sender sent %d of %d bytes", done, size)
			}
			return done, fmt.Errorf("receive after %d of %d bytes: %w", done, size, err)
		}
	}
	if hole {
		if err := out.Truncate(size); err != nil {
			return done, fmt.Errorf("write: %w", diskErr(err))
		}
	}
	return done, nil
}

// writeBlock is how much one write(2) hands the kernel: on these VMs a 1 MiB write into the page cache
// is now and then several times slower than the same bytes in 64 KiB writes (seen as encrypted fetches
// running at a third of their speed in one run of three).
const writeBlock = 64 << 10

// writeSmall writes b to out in writeBlock pieces.
func writeSmall(out *os.File, b []byte) error {
	for len(b) > 0 {
		n, err := out.Write(b[:min(len(b), writeBlock)])
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// copySmall writes the next size bytes of a folder stream, no more than r buffers, to out straight from
// r's buffer: most files of a folder are small, and this saves copying each through another buffer.
func (w *fileWriter) copySmall(out *os.File, r *bufio.Reader, size int64) (int64, error) {
	b, err := r.Peek(int(size))
	if len(b) > 0 {
		if _, werr := out.Write(b); werr != nil {
			return 0, fmt.Errorf("write: %w", diskErr(werr))
		}
		r.Discard(len(b))
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return int64(len(b)), fmt.Errorf("sender sent %d of %d bytes", len(b), size)
		}
		return int64(len(b)), fmt.Errorf("receive after %d of %d bytes: %w", len(b), size, err)
	}
	return size, w.space.wrote(size)
}
