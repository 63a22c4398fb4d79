package transfer

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxDirHeader is the longest folder-stream header accepted: Windows reads headers into 1 KB.
const MaxDirHeader = 1024

// DirHeader is one entry of a GETDIRFILES stream: `HHHH:name:size:attr[:code=value...]:`, where HHHH is the
// header's length in 4 hex digits, counted from its first byte to the ':' before the file's data.
type DirHeader struct {
	Name string // raw bytes in the stream's charset; "." for RETPARENT
	Size int64
	Attr uint32
	Ext  []Ext
}

// Type is the entry's type: file, folder or RETPARENT (back to the parent folder).
func (h DirHeader) Type() uint32 { return h.Attr & 0xFF }

// ErrHeader marks a malformed folder-stream header.
var ErrHeader = errors.New("bad folder stream header")

// ReadDirHeader reads one header from r using buf (at least MaxDirHeader bytes; it is overwritten).
// It returns io.EOF only when the stream ends cleanly before a header.
func ReadDirHeader(r io.Reader, buf []byte) (DirHeader, error) {
	var h DirHeader
	if _, err := io.ReadFull(r, buf[:5]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return h, fmt.Errorf("%w: stream ends inside a header length", ErrHeader)
		}
		return h, err
	}
	if buf[4] != ':' {
		return h, fmt.Errorf("%w: length %q is not 4 hex digits and ':'", ErrHeader, buf[:5])
	}
	n, err := strconv.ParseUint(string(buf[:4]), 16, 16)
	if err != nil {
		return h, fmt.Errorf("%w: length %q is not hex", ErrHeader, buf[:4])
	}
	switch {
	case n > MaxDirHeader:
		return h, fmt.Errorf("%w: %d bytes, limit %d", ErrHeader, n, MaxDirHeader)
	case n < 11: // Mac's RETPARENT "000B:.:0:3:" is the shortest header
		return h, fmt.Errorf("%w: length %d too short", ErrHeader, n)
	}
	if _, err := io.ReadFull(r, buf[5:n]); err != nil {
		return h, fmt.Errorf("%w: stream ends inside a %d-byte header: %v", ErrHeader, n, err)
	}
	return ParseDirHeader(buf[:n])
}

// ParseDirHeader reads a complete header, length prefix included.
func ParseDirHeader(b []byte) (DirHeader, error) {
	var h DirHeader
	s := string(b)
	if len(s) < 5 || s[4] != ':' || !strings.HasSuffix(s, ":") {
		return h, fmt.Errorf("%w %q: want HHHH:name:size:attr:", ErrHeader, clip(s))
	}
	if n, err := strconv.ParseUint(s[:4], 16, 16); err != nil || int(n) != len(s) {
		return h, fmt.Errorf("%w %q: length field %q does not match %d bytes", ErrHeader, clip(s), s[:4], len(s))
	}
	// Names come with Windows' "::" escapes; iptux does not escape ':', so read from the right if needed.
	name, rest := cutEscaped(s[5:])
	h, err := parseDirTail(s, strings.Split(rest, ":"))
	if err != nil {
		rname, rtail, ok := cutFromRightN(s[5:], 2)
		if !ok {
			return h, err
		}
		var rerr error
		if h, rerr = parseDirTail(s, rtail); rerr != nil {
			return h, err
		}
		name = rname
	}
	h.Name = name
	return h, nil
}

// parseDirTail reads the fields after a header's name: size, attr, extended attributes.
func parseDirTail(s string, fields []string) (DirHeader, error) {
	var h DirHeader
	if len(fields) < 3 { // size, attr and the empty field after the final ':'
		return h, fmt.Errorf("%w %q: want size and attr after the name", ErrHeader, clip(s))
	}
	size, err := strconv.ParseUint(fields[0], 16, 63)
	if err != nil {
		return h, fmt.Errorf("%w %q: size %q is not hex", ErrHeader, clip(s), clip(fields[0]))
	}
	attr, err := strconv.ParseUint(fields[1], 16, 32)
	if err != nil {
		return h, fmt.Errorf("%w %q: attr %q is not hex", ErrHeader, clip(s), clip(fields[1]))
	}
	ext, err := parseExts(fields[2:])
	if err != nil {
		return h, fmt.Errorf("%w %q: %v", ErrHeader, clip(s), err)
	}
	return DirHeader{Size: int64(size), Attr: uint32(attr), Ext: ext}, nil
}

// AppendDirHeader writes h as Windows and iptux do: lowercase 4-digit length, size in at least 9 hex
// digits, then the extended attributes. ok is false when the header would exceed MaxDirHeader.
func AppendDirHeader(dst []byte, h DirHeader) (out []byte, ok bool) {
	start := len(dst)
	dst = append(dst, "0000:"...)
	dst = appendEscaped(dst, h.Name)
	dst = append(dst, ':')
	size := strconv.FormatUint(uint64(h.Size), 16)
	for i := len(size); i < 9; i++ {
		dst = append(dst, '0')
	}
	dst = append(dst, size...)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(h.Attr), 16)
	dst = append(dst, ':')
	for _, e := range h.Ext {
		dst = strconv.AppendUint(dst, uint64(e.Code), 16)
		dst = append(dst, '=')
		dst = append(dst, e.Value...)
		dst = append(dst, ':')
	}
	n := len(dst) - start
	if n > MaxDirHeader {
		return dst[:start], false
	}
	const hex = "0123456789abcdef"
	dst[start], dst[start+1], dst[start+2], dst[start+3] = hex[n>>12&15], hex[n>>8&15], hex[n>>4&15], hex[n&15]
	return dst, true
}
