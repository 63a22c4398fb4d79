// Package transfer offers, serves and fetches files and folders over TCP, the IPMsg way (GETFILEDATA,
// GETDIRFILES), with resume between Hato peers. Its codecs (attachment lists, request arguments, folder
// stream headers) are pure byte handling; Server and Fetch do the I/O.
package transfer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// File types: the low 8 bits of an attachment's attr (INTEROP.md §1.6).
const (
	TypeRegular   uint32 = 0x01
	TypeDir       uint32 = 0x02
	TypeRetParent uint32 = 0x03
	TypeClipboard uint32 = 0x20
)

// Extended attribute codes used in attachment lists and folder headers (INTEROP.md §1.8).
const (
	ExtClipboardPos = 0x08
	ExtMtime        = 0x14
	ExtCreateTime   = 0x16
)

// File is one entry of an attachment list: `id:name:size:mtime:attr[:code=value...]:\a`.
type File struct {
	ID    uint64 // decimal in the list, hex in requests
	Name  string // a base name; ':' travels escaped as "::"
	Size  int64  // bytes; for a folder the total of its files (iptux skips a folder offered with 0)
	Mtime int64  // Unix seconds; iptux sends 0
	Attr  uint32 // type in the low 8 bits, option bits (read-only, hidden, ...) above
	Ext   []Ext  // extended attributes, in order
}

// Ext is one `code=value` extended attribute; both are hex on the wire. Value is kept as sent.
type Ext struct {
	Code  uint32
	Value string
}

// Type is the file type: attr & 0xFF, never the whole attr (Windows sets option bits in it).
func (f File) Type() uint32 { return f.Attr & 0xFF }

// IsDir reports whether the entry is a folder.
func (f File) IsDir() bool { return f.Type() == TypeDir }

// ExtValue returns the hex value of extended attribute code as a number.
func (f File) ExtValue(code uint32) (uint64, bool) {
	for _, e := range f.Ext {
		if e.Code == code {
			v, err := strconv.ParseUint(e.Value, 16, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// ParseFileList reads an attachment list. Entries are separated by '\a' with or without ':' around it
// (iptux accepts and emits ":\a", "\a", "\a:" and ":\a:"). Entries of types other than regular, folder
// and clipboard are skipped; a malformed entry is skipped too and reported in the error, which names its
// field. The entries that parsed are returned either way.
func ParseFileList(s string) ([]File, error) {
	var files []File
	var errs []error
	for chunk := range strings.SplitSeq(s, "\a") {
		chunk = strings.TrimLeft(chunk, ":\x00")
		if strings.Trim(chunk, ":\x00 ") == "" {
			continue
		}
		f, err := parseFile(chunk)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch f.Type() {
		case TypeRegular, TypeDir, TypeClipboard:
			files = append(files, f)
		}
	}
	return files, errors.Join(errs...)
}

// parseFile reads `id:name:size:mtime:attr[:code=value...][:]`. A name is read with Windows' "::"
// escapes; when that leaves no valid fields after it, the entry is read again from the right, for iptux,
// which does not escape ':' in names.
func parseFile(s string) (File, error) {
	var f File
	idText, rest, ok := strings.Cut(s, ":")
	if !ok {
		return f, fmt.Errorf("file list entry %q: missing name", clip(s))
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return f, fmt.Errorf("file list entry %q: id %q is not decimal", clip(s), clip(idText))
	}
	name, tail := cutEscaped(rest)
	f, err = parseFileTail(s, strings.Split(tail, ":"))
	if err != nil {
		rname, rtail, ok := cutFromRight(rest)
		if !ok {
			return f, err
		}
		var rerr error
		if f, rerr = parseFileTail(s, rtail); rerr != nil {
			return f, err
		}
		name = rname
	}
	f.ID, f.Name = id, name
	return f, nil
}

// parseFileTail reads the fields after the name: size, mtime, attr and extended attributes.
func parseFileTail(s string, fields []string) (File, error) {
	var f File
	if len(fields) < 3 {
		return f, fmt.Errorf("file list entry %q: want size, mtime and attr after the name", clip(s))
	}
	size, err := strconv.ParseUint(fields[0], 16, 63)
	if err != nil {
		return f, fmt.Errorf("file list entry %q: size %q is not hex", clip(s), clip(fields[0]))
	}
	f.Size = int64(size)
	// All 64 bits: AppendFileList writes a time before 1970 (a negative Mtime) as its two's complement.
	mtime, err := strconv.ParseUint(fields[1], 16, 64)
	if err != nil {
		return f, fmt.Errorf("file list entry %q: mtime %q is not hex", clip(s), clip(fields[1]))
	}
	f.Mtime = int64(mtime)
	attr, err := strconv.ParseUint(fields[2], 16, 32)
	if err != nil {
		return f, fmt.Errorf("file list entry %q: attr %q is not hex", clip(s), clip(fields[2]))
	}
	f.Attr = uint32(attr)
	f.Ext, err = parseExts(fields[3:])
	if err != nil {
		return f, fmt.Errorf("file list entry %q: %w", clip(s), err)
	}
	return f, nil
}

// cutFromRight splits `name:f1:...:fn[:code=value...][:]` where the name may hold unescaped ':', given
// that the n fields after it hold none: the last n fields before the extended attributes (which contain
// '=') and empty fields are the tail. n is 3 (size, mtime, attr) for attachment lists.
func cutFromRight(s string) (name string, tail []string, ok bool) {
	return cutFromRightN(s, 3)
}

func cutFromRightN(s string, n int) (string, []string, bool) {
	fields := strings.Split(s, ":")
	end := len(fields)
	for end > 0 && (fields[end-1] == "" || strings.Contains(fields[end-1], "=")) {
		end--
	}
	if end < n+1 {
		return "", nil, false
	}
	return strings.Join(fields[:end-n], ":"), fields[end-n:], true
}

// parseExts reads `code=value` fields; empty fields (a trailing ':', Mac's "::") are skipped.
func parseExts(fields []string) ([]Ext, error) {
	var out []Ext
	for _, kv := range fields {
		kv = strings.TrimRight(kv, "\x00")
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		code, err := strconv.ParseUint(k, 16, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("extended attribute %q is not code=value", clip(kv))
		}
		out = append(out, Ext{Code: uint32(code), Value: v})
	}
	return out, nil
}

// cutEscaped reads a name up to the first ':' that is not part of a "::" escape and returns the name
// unescaped and the text after that ':'.
func cutEscaped(s string) (name, rest string) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			b.WriteString(s)
			return b.String(), ""
		}
		b.WriteString(s[:i])
		if i+1 < len(s) && s[i+1] == ':' {
			b.WriteByte(':')
			s = s[i+2:]
			continue
		}
		return b.String(), s[i+1:]
	}
}

// AppendFileList writes files as Windows does: `id:name:size:mtime:attr[:code=value...]:\a` for each,
// id in decimal, the rest in hex, ':' in names doubled.
func AppendFileList(dst []byte, files []File) []byte {
	for _, f := range files {
		dst = strconv.AppendUint(dst, f.ID, 10)
		dst = append(dst, ':')
		dst = appendEscaped(dst, f.Name)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(f.Size), 16)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(f.Mtime), 16)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(f.Attr), 16)
		dst = append(dst, ':')
		for _, e := range f.Ext {
			dst = strconv.AppendUint(dst, uint64(e.Code), 16)
			dst = append(dst, '=')
			dst = append(dst, e.Value...)
			dst = append(dst, ':')
		}
		dst = append(dst, '\a')
	}
	return dst
}

func appendEscaped(dst []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if name[i] == ':' {
			dst = append(dst, ':')
		}
		dst = append(dst, name[i])
	}
	return dst
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
