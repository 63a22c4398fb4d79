package transfer

import (
	"bufio"
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

// treeReader writes a received GETDIRFILES stream under a new top folder, checking every name.
type treeReader struct {
	f     *Fetcher
	root  *os.Root
	ev    *Event
	ctx   context.Context
	utf8  bool          // the request asked for UTF-8 names
	cs    wire.Codepage // otherwise names are UTF-8 when valid, else this code page
	saved []string
	done  int64
}

// frame is a folder of the stream being written: where, and the times its header gave.
type frame struct {
	path  string
	mtime int64
}

// pending is a received file waiting for the next header before it takes its final name: a sender that
// sent more bytes than it announced shows only then, as a header that does not parse.
type pending struct {
	part, dir, name string
	h               DirHeader
	release         func()
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
	topDir, err := mkdirFree(t.root, ".", top.Name)
	if err != nil {
		return err
	}
	mtime, _ := dirMtime(h)
	stack := []frame{{topDir, mtime}}
	seen := map[string]bool{} // names per folder: a stream that repeats one is refused
	var last *pending
	defer func() {
		if last != nil {
			last.release()
		}
	}()
	for len(stack) > 0 {
		dir := stack[len(stack)-1].path
		h, err := ReadDirHeader(r, buf)
		if errors.Is(err, io.EOF) && last != nil {
			// The stream ended cleanly after the file: its bytes were exactly as announced.
			if ferr := t.finishFile(last); ferr != nil {
				return ferr
			}
		}
		if err != nil {
			return fmt.Errorf("folder stream in %s: %w", dir, eofErr(err))
		}
		if last != nil {
			err := t.finishFile(last)
			last.release()
			last = nil
			if err != nil {
				return err
			}
		}
		if h.Type() == TypeRetParent {
			if m := stack[len(stack)-1].mtime; m > 0 {
				t.root.Chtimes(dir, time.Unix(m, 0), time.Unix(m, 0))
			}
			stack = stack[:len(stack)-1]
			continue
		}
		var name string
		if h.Type() == TypeDir || h.Type() == TypeRegular {
			if name, err = t.name(h); err != nil {
				return fmt.Errorf("folder stream in %s: %w", dir, err)
			}
			key := dir + "\x00" + name
			if seen[key] {
				return fmt.Errorf("folder stream in %s: %q sent twice", dir, name)
			}
			seen[key] = true
		}
		switch h.Type() {
		case TypeDir:
			if len(stack) >= maxDepth {
				return fmt.Errorf("folder stream in %s: deeper than %d folders", dir, maxDepth)
			}
			sub, err := mkdirFree(t.root, dir, name)
			if err != nil {
				return err
			}
			mtime, _ := dirMtime(h)
			stack = append(stack, frame{sub, mtime})
		case TypeRegular:
			if last, err = t.receive(r, w, dir, name, h); err != nil {
				return err
			}
		default:
			// Symbolic links, devices and the like are never created; skip whatever data they carry.
			if _, err := io.CopyN(io.Discard, r, h.Size); err != nil {
				return fmt.Errorf("folder stream in %s: %w", dir, eofErr(err))
			}
		}
	}
	return nil
}

// receive writes one regular file of the stream to a .part in dir.
func (t *treeReader) receive(r io.Reader, w *fileWriter, dir, name string, h DirHeader) (*pending, error) {
	part, release, err := t.f.claimPart(t.root, dir, name, "", true)
	if err != nil {
		return nil, err
	}
	// Progress counts bytes over the whole folder.
	if err := w.receive(t.root, part, nil, r, 0, h.Size, t.done); err != nil {
		release()
		return nil, fmt.Errorf("folder stream: %s: %w", filepath.Join(dir, name), err)
	}
	t.done += h.Size
	return &pending{part: part, dir: dir, name: name, h: h, release: release}, nil
}

// finishFile gives a received file its final name and reports it.
func (t *treeReader) finishFile(p *pending) error {
	mtime, _ := dirMtime(p.h)
	final, err := finish(t.root, p.dir, p.part, p.name, mtime)
	if err != nil {
		return err
	}
	path := filepath.Join(t.f.Dir, final)
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

// dirMtime is a header's 14= time, when it is one (after 1970, before the year 36,000).
func dirMtime(h DirHeader) (int64, bool) {
	v, ok := File{Ext: h.Ext}.ExtValue(ExtMtime)
	if !ok || v == 0 || v >= 1<<40 {
		return 0, false
	}
	return int64(v), true
}

func eofErr(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("stream ended early: %w", io.ErrUnexpectedEOF)
	}
	return err
}
