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

// treeReader writes a received GETDIRFILES stream under a new top folder, checking every name.
type treeReader struct {
	f     *Fetcher
	dir   string // the download folder root was opened on
	root  *os.Root
	ev    *Event
	ctx   context.Context
	utf8  bool          // the request asked for UTF-8 names
	cs    wire.Codepage // otherwise names are UTF-8 when valid, else this code page
	saved []string
	done  int64
}

// frame is a folder of the stream being written: its path under the download folder, a root opened on
// it (so that each file operation is one system call on one name, with no path to walk), and the time
// its header gave.
type frame struct {
	path  string
	root  *os.Root
	mtime int64
}

// pending is a received file waiting for the next header before it takes its final name: a sender that
// sent more bytes than it announced shows only then, as a header that does not parse.
type pending struct {
	in         frame
	part, name string
	h          DirHeader
}

// read consumes the stream for the offered folder top. The first header must be a folder; Windows
// names it after the offer, and so do we. The stream ends with the RETPARENT of the top folder.
func (t *treeReader) read(r *bufio.Reader, top File) error {
	buf := make([]byte, MaxDirHeader)
	w := &fileWriter{f: t.f, ev: t.ev, ctx: t.ctx, start: time.Now()}
	h, err := ReadDirHeader(r, buf)
	if err != nil {
		return fmt.Errorf("folder stream: %w", eofErr(err))
	}
	if h.Type() != TypeDir {
		return fmt.Errorf("folder stream: starts with type %#x, not a folder", h.Type())
	}
	topFrame, err := openFrame(t.root, ".", top.Name, h)
	if err != nil {
		return err
	}
	stack := []frame{topFrame}
	defer func() {
		for _, f := range stack {
			f.root.Close()
		}
	}()
	seen := map[string]bool{} // names per folder: a stream that repeats one is refused
	var last *pending
	for len(stack) > 0 {
		in := stack[len(stack)-1]
		h, err := ReadDirHeader(r, buf)
		if errors.Is(err, io.EOF) && last != nil {
			// The stream ended cleanly after the file: its bytes were exactly as announced.
			if ferr := t.finishFile(last); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			return fmt.Errorf("folder stream in %s: %w", in.path, eofErr(err))
		}
		if last != nil {
			err := t.finishFile(last)
			last = nil
			if err != nil {
				return err
			}
		}
		if h.Type() == TypeRetParent {
			if in.mtime > 0 {
				in.root.Chtimes(".", time.Unix(in.mtime, 0), time.Unix(in.mtime, 0))
			}
			in.root.Close()
			stack = stack[:len(stack)-1]
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
		}
		switch h.Type() {
		case TypeDir:
			if len(stack) >= maxDepth {
				return fmt.Errorf("folder stream in %s: deeper than %d folders", in.path, maxDepth)
			}
			sub, err := openFrame(in.root, in.path, name, h)
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

// openFrame makes folder name in parent (at path), or "name (1)" and so on when the name is taken, and
// opens a root on it.
func openFrame(parent *os.Root, path, name string, h DirHeader) (frame, error) {
	made, err := mkdirFree(parent, ".", name)
	if err != nil {
		return frame{}, err
	}
	sub, err := parent.OpenRoot(made)
	if err != nil {
		return frame{}, fmt.Errorf("open folder %s: %w", filepath.Join(path, made), err)
	}
	mtime := dirMtime(h)
	return frame{path: filepath.Join(path, made), root: sub, mtime: mtime}, nil
}

// receive writes one regular file of the stream to a new .part in its folder.
func (t *treeReader) receive(r io.Reader, w *fileWriter, in frame, name string, h DirHeader) (*pending, error) {
	part, out, err := createPart(in.root, name)
	if err != nil {
		return nil, fmt.Errorf("folder stream: %s: %w", filepath.Join(in.path, name), err)
	}
	// Progress counts bytes over the whole folder.
	_, err = w.copy(out, r, h.Size, t.done)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write: %w", diskErr(cerr))
	}
	if err != nil {
		return nil, fmt.Errorf("folder stream: %s: %w", filepath.Join(in.path, part), err)
	}
	t.done += h.Size
	return &pending{in: in, part: part, name: name, h: h}, nil
}

// createPart creates name's .part in root, exclusively: a file of the folder may itself be called
// "x.part", and the exclusive create never follows a link.
func createPart(root *os.Root, name string) (string, *os.File, error) {
	for k := 0; k < 1000; k++ {
		part := partName(name, "", k)
		out, err := root.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
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
	final, err := finish(p.in.root, ".", p.part, p.name, mtime)
	if err != nil {
		return err
	}
	path := filepath.Join(t.dir, p.in.path, final)
	t.saved = append(t.saved, path)
	// The id is the offered folder's: files inside a folder have none of their own.
	f := File{ID: t.ev.File.ID, Name: p.name, Size: p.h.Size, Mtime: mtime, Attr: p.h.Attr}
	t.f.emit(t.ctx, Event{Kind: EventSaved, Packet: t.ev.Packet, File: f, Host: t.ev.Host, Addr: t.ev.Addr,
		Path: path, Bytes: p.h.Size, Total: p.h.Size})
	return nil
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
			} else if _, err := out.Write(chunk[:n]); err != nil {
				return done, fmt.Errorf("write: %w", diskErr(err))
			}
			done += int64(n)
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
