package transfer

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"hato/protocol/wire"
)

// smallFile is the size up to which folder-stream files are copied through the stream's buffer; larger
// ones go by sendfile.
const smallFile = 256 << 10

// serveFile sends src's bytes from offset to its offered size. io.Copy from a file to a TCP connection
// uses sendfile on Linux: no copy through user space.
// With stream (an encrypted transfer) the data goes through user space to be encrypted.
func serveFile(c *net.TCPConn, src Source, offset int64, stream cipher.Stream) (int64, error) {
	if src.Data != nil {
		return serveBytes(c, src, offset, stream)
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return 0, fmt.Errorf("serve %s: %w", src.Name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("serve %s: no longer a regular file", src.Name)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, fmt.Errorf("serve %s: seek %d: %w", src.Name, offset, err)
	}
	want := src.Size - offset
	var n int64
	if stream != nil {
		n, err = encryptCopy(deadlineWriter{c}, f, want, stream)
	} else {
		n, err = sendChunks(c, f, want)
	}
	if err != nil {
		return offset + n, fmt.Errorf("serve %s: %w", src.Name, err)
	}
	if n < want {
		return offset + n, fmt.Errorf("serve %s: the file shrank to %d bytes since it was offered with %d",
			src.Name, offset+n, src.Size)
	}
	return offset + n, nil
}

// serveBytes sends an in-memory source (an inline image) from offset.
func serveBytes(c *net.TCPConn, src Source, offset int64, stream cipher.Stream) (int64, error) {
	if offset < 0 || offset > int64(len(src.Data)) {
		return 0, fmt.Errorf("serve %s: offset %d past its %d bytes", src.Name, offset, len(src.Data))
	}
	var n int64
	var err error
	if stream != nil {
		n, err = encryptCopy(deadlineWriter{c}, bytes.NewReader(src.Data[offset:]), int64(len(src.Data))-offset, stream)
	} else {
		var k int
		k, err = deadlineWriter{c}.Write(src.Data[offset:])
		n = int64(k)
	}
	if err != nil {
		return offset + n, fmt.Errorf("serve %s: %w", src.Name, err)
	}
	return offset + n, nil
}

// cryptBuffer is how much an encrypted transfer reads, encrypts and writes at a time.
const cryptBuffer = 256 << 10

// encryptCopy sends up to n bytes of r to w encrypted with s, through one buffer; fewer when r ends
// (the caller says so).
func encryptCopy(w io.Writer, r io.Reader, n int64, s cipher.Stream) (int64, error) {
	buf := make([]byte, min(n, cryptBuffer))
	var sent int64
	for sent < n {
		k, err := io.ReadFull(r, buf[:min(int64(len(buf)), n-sent)])
		s.XORKeyStream(buf[:k], buf[:k])
		m, werr := w.Write(buf[:k])
		sent += int64(m)
		switch {
		case werr != nil:
			return sent, werr
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return sent, nil
		case err != nil:
			return sent, err
		}
	}
	return sent, nil
}

// encWriter encrypts what it writes to w with s, through a buffer of its own (a Write must not change
// its caller's bytes).
type encWriter struct {
	w   io.Writer
	s   cipher.Stream
	buf []byte
}

func (e *encWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := min(len(p)-n, len(e.buf))
		e.s.XORKeyStream(e.buf[:k], p[n:n+k])
		m, err := e.w.Write(e.buf[:k])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// stallTimeout fails a transfer whose receiver takes nothing for this long (a suspended process, a
// sleeping laptop), so that the file is not held busy until TCP gives up.
const stallTimeout = 2 * time.Minute

// sendChunks copies n bytes of f to c by sendfile, 4 MiB at a time, each under a fresh write deadline.
func sendChunks(c *net.TCPConn, f *os.File, n int64) (int64, error) {
	var sent int64
	for sent < n {
		c.SetWriteDeadline(time.Now().Add(stallTimeout))
		k, err := io.CopyN(c, f, min(4<<20, n-sent))
		sent += k
		if errors.Is(err, io.EOF) {
			return sent, nil // the file is shorter than offered: the caller says so
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// deadlineWriter renews a write deadline before each write to a connection.
type deadlineWriter struct{ c *net.TCPConn }

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(stallTimeout))
	return w.c.Write(p)
}

// treeWriter writes a folder stream: headers and small files through one buffer, large files by sendfile.
type treeWriter struct {
	c     *net.TCPConn
	enc   bool // the stream is encrypted: everything goes through w, nothing by sendfile
	w     *bufio.Writer
	cs    wire.Codepage
	hdr   []byte
	bytes int64
}

// serveTree sends src as a GETDIRFILES stream: the folder's header, its contents depth first, a
// RETPARENT closing each folder. A regular file requested this way is one header and its data. Names
// are in cs. Symbolic links, special files and names that CheckName refuses are left out.
func serveTree(c *net.TCPConn, src Source, cs wire.Codepage, stream cipher.Stream) (int64, error) {
	out := io.Writer(deadlineWriter{c})
	if stream != nil { // one keystream over the whole response, headers included
		out = &encWriter{w: out, s: stream, buf: make([]byte, cryptBuffer)}
	}
	t := &treeWriter{c: c, enc: stream != nil, w: bufio.NewWriterSize(out, 256<<10), cs: cs}
	fi, err := os.Lstat(src.Path)
	if err != nil {
		return 0, fmt.Errorf("serve %s: %w", src.Name, err)
	}
	if fi.Mode().IsRegular() {
		err = t.fileAt(nil, src.Path, src.Name)
	} else {
		var root *os.Root
		if root, err = os.OpenRoot(src.Path); err == nil {
			err = t.dir(root, src.Name, fi)
			root.Close()
		}
	}
	if err == nil {
		err = t.w.Flush()
	}
	if err != nil {
		return t.bytes, fmt.Errorf("serve %s: %w", src.Name, err)
	}
	return t.bytes, nil
}

func (t *treeWriter) header(name string, size int64, attr uint32, mtime int64) error {
	hex := strconv.FormatInt(mtime, 16)
	h := DirHeader{Name: string(wire.Encode(name, t.cs)), Size: size, Attr: attr,
		Ext: []Ext{{ExtMtime, hex}, {ExtCreateTime, hex}}}
	var ok bool
	t.hdr, ok = AppendDirHeader(t.hdr[:0], h)
	if !ok {
		return fmt.Errorf("name %q too long for a folder stream header", clip(name))
	}
	_, err := t.w.Write(t.hdr)
	return err
}

// dir sends the folder open as root under name. Files and sub-folders are opened relative to it: one
// short lookup each, where a full path would walk every folder above again.
func (t *treeWriter) dir(root *os.Root, name string, fi fs.FileInfo) error {
	if err := t.header(name, 0, TypeDir, fi.ModTime().Unix()); err != nil {
		return err
	}
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		if CheckName(e.Name()) != nil {
			continue // a receiver would refuse the name and with it the rest of the folder
		}
		switch {
		case e.Type().IsRegular():
			err = t.fileIn(root, d, e.Name())
		case e.IsDir():
			err = t.subdir(root, e.Name())
		}
		if err != nil {
			return err
		}
	}
	return t.header(".", 0, TypeRetParent, fi.ModTime().Unix())
}

func (t *treeWriter) subdir(parent *os.Root, name string) error {
	root, err := parent.OpenRoot(name)
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Stat(".")
	if err != nil {
		return err
	}
	return t.dir(root, name, fi)
}

// fileAt sends the regular file at path (in root, or a full path when root is nil) under name. What it
// finds open is what is sent: something else by now (a link, a folder) is skipped.
func (t *treeWriter) fileAt(root *os.Root, path, name string) error {
	var f *os.File
	var err error
	if root != nil {
		f, err = root.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	} else {
		f, err = os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return err
	}
	return t.file(f, name, fi.Size(), fi.ModTime().Unix())
}

// file sends f, of size bytes, under name: a small file through the stream's buffer, a large one by
// sendfile.
func (t *treeWriter) file(f *os.File, name string, size, mtime int64) error {
	if err := t.header(name, size, TypeRegular, mtime); err != nil {
		return err
	}
	if size <= smallFile {
		return t.small(name, size, f.Read)
	}
	var n int64
	var err error
	if t.enc {
		n, err = io.Copy(t.w, io.LimitReader(f, size))
	} else if err = t.w.Flush(); err == nil {
		n, err = sendChunks(t.c, f, size)
	}
	t.bytes += n
	if err == nil && n < size {
		err = errors.New(name + " shrank while it was being sent")
	}
	return err
}

// small reads the size bytes of a small file with read straight into the stream's buffer.
func (t *treeWriter) small(name string, size int64, read func([]byte) (int, error)) error {
	if int64(t.w.Available()) < size {
		if err := t.w.Flush(); err != nil {
			return err
		}
	}
	b := t.w.AvailableBuffer()[:size]
	n := 0
	for n < len(b) {
		k, err := read(b[n:])
		n += k
		if errors.Is(err, io.EOF) || k == 0 && err == nil {
			break
		}
		if err != nil {
			return err
		}
	}
	if _, err := t.w.Write(b[:n]); err != nil {
		return err
	}
	t.bytes += int64(n)
	if n < len(b) {
		return errors.New(name + " shrank while it was being sent")
	}
	return nil
}
