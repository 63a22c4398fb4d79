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
	stack := []string{topDir}
	for len(stack) > 0 {
		h, err := ReadDirHeader(r, buf)
		if err != nil {
			return fmt.Errorf("folder stream in %s: %w", stack[len(stack)-1], eofErr(err))
		}
		dir := stack[len(stack)-1]
		switch h.Type() {
		case TypeRetParent:
			stack = stack[:len(stack)-1]
		case TypeDir:
			name, err := t.name(h)
			if err != nil {
				return fmt.Errorf("folder stream in %s: %w", dir, err)
			}
			if len(stack) >= maxDepth {
				return fmt.Errorf("folder stream in %s: deeper than %d folders", dir, maxDepth)
			}
			sub, err := mkdirFree(t.root, dir, name)
			if err != nil {
				return err
			}
			stack = append(stack, sub)
		case TypeRegular:
			name, err := t.name(h)
			if err != nil {
				return fmt.Errorf("folder stream in %s: %w", dir, err)
			}
			if err := t.file(r, w, dir, name, h); err != nil {
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

// file receives one regular file of the stream into dir.
func (t *treeReader) file(r io.Reader, w *fileWriter, dir, name string, h DirHeader) error {
	part, release, err := t.f.claimPart(dir, name, "")
	if err != nil {
		return err
	}
	defer release()
	if _, err := t.root.Lstat(part); err == nil {
		return fmt.Errorf("folder stream: %s already exists", part)
	}
	// Progress counts bytes over the whole folder.
	if err := w.receive(t.root, part, r, 0, h.Size, t.done, false); err != nil {
		return fmt.Errorf("folder stream: %s: %w", filepath.Join(dir, name), err)
	}
	t.done += h.Size
	mtime, _ := dirMtime(h)
	final, err := finish(t.root, dir, part, name, mtime)
	if err != nil {
		return err
	}
	path := filepath.Join(t.f.Dir, final)
	t.saved = append(t.saved, path)
	// The id is the offered folder's: files inside a folder have none of their own.
	f := File{ID: t.ev.File.ID, Name: name, Size: h.Size, Mtime: mtime, Attr: h.Attr}
	t.f.emit(t.ctx, Event{Kind: EventSaved, Packet: t.ev.Packet, File: f, Host: t.ev.Host, Addr: t.ev.Addr,
		Path: path, Bytes: h.Size, Total: h.Size})
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

func dirMtime(h DirHeader) (int64, bool) {
	v, ok := File{Ext: h.Ext}.ExtValue(ExtMtime)
	return int64(v), ok && v > 0 && v < 1<<40
}

func eofErr(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("stream ended early: %w", io.ErrUnexpectedEOF)
	}
	return err
}
