package wire

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// IPDict is Windows' key/value serialization (TLib/ipdict.cpp), used by the member-master directory
// (docs/member-master.md §1). A whole dict is "IP2:<content length>:<content>:Z"; the content is
// "key:<value length>:<value>" entries joined by ':'. Lengths are lowercase hex without padding. Values carry
// no type tag: the reader picks the type through the getter it calls.

// Directory command modes (draft-14 §10). They travel as the CMD key of an IPDict, not in a classic header.
const (
	DirPoll        Command = 0xB0
	DirPollAgent   Command = 0xB1
	DirBroadcast   Command = 0xB2
	DirAnsBroad    Command = 0xB3
	DirPacket      Command = 0xB4
	DirRequest     Command = 0xB5
	DirAgentPacket Command = 0xB6
	DirEvBroad     Command = 0xB7
	DirAgentReject Command = 0xB8
)

// DirMasterOpt (IPMSG_DIR_MASTER) is set in the entry status of a directory master only.
const DirMasterOpt Command = 0x10000000

// Keys of the signature block that Windows appends to every signed dict (member-master.md §1.4).
const (
	KeyPubE = "PUBE" // int: RSA public exponent
	KeyPubN = "PUBN" // bytes: RSA-2048 modulus, big-endian
	KeyEF   = "EF"   // int: SignSHA256 when signed
	KeyEC   = "EC"   // int: the signer's crypto capability bits
	KeySign = "SIGN" // bytes: the signature, big-endian; always the last key
)

// SignSHA256 (IPMSG_SIGN_SHA256) is the EF value of a dict signed with RSA PKCS#1 v1.5 over SHA-256.
const SignSHA256 = 0x40000000

// MaxIPDictDepth bounds how deep the Dict and DictList getters descend below a parsed datagram, so that a
// generic walker cannot be made to recurse without end. The directory nests 3 levels (DIR_AGENTPACKET →
// DIR_PACKET → ANSLIST_DICT → HLST entry).
const MaxIPDictDepth = 8

// ErrNoKey is returned (wrapped) by the getters for a key the dict does not have.
var ErrNoKey = errors.New("no such key")

// Dict is an IPDict: keys in insertion order, each with its raw value. Setting an existing key replaces the
// value in place, as Windows does. The zero Dict is empty and ready to use.
//
// A Dict holds slices: use Clone before changing a copy. Values read by ParseIPDict alias its input.
type Dict struct {
	keys  []string
	vals  [][]byte
	index map[string]int // key → position, once the dict is large enough to need it
	depth int            // levels below the datagram this dict was parsed from
}

// indexFrom is the size from which lookups go through a map instead of a scan.
const indexFrom = 16

// Keys returns the keys in wire order.
func (d *Dict) Keys() []string { return slices.Clone(d.keys) }

// Len is the number of keys.
func (d *Dict) Len() int { return len(d.keys) }

// Has reports whether key is present.
func (d *Dict) Has(key string) bool { return d.find(key) >= 0 }

// Raw returns the value as it is on the wire, without copying it.
func (d *Dict) Raw(key string) ([]byte, bool) {
	if i := d.find(key); i >= 0 {
		return d.vals[i], true
	}
	return nil, false
}

// Clone returns a deep copy.
func (d *Dict) Clone() Dict {
	c := Dict{keys: slices.Clone(d.keys), vals: make([][]byte, len(d.vals)), depth: d.depth}
	for i, v := range d.vals {
		c.vals[i] = slices.Clone(v)
	}
	c.reindex()
	return c
}

// Delete removes key and reports whether it was there.
func (d *Dict) Delete(key string) bool {
	i := d.find(key)
	if i < 0 {
		return false
	}
	d.keys = slices.Delete(d.keys, i, i+1)
	d.vals = slices.Delete(d.vals, i, i+1)
	d.reindex()
	return true
}

// SetRaw sets the value bytes as they go on the wire. Keys are program constants: SetRaw panics on an empty
// key or one that contains ':' or NUL, which Windows can neither write nor read.
func (d *Dict) SetRaw(key string, v []byte) {
	if key == "" || strings.ContainsAny(key, ":\x00") {
		panic(fmt.Sprintf("ipdict: invalid key %q", key))
	}
	d.set(key, slices.Clone(v))
}

// SetInt writes v in lowercase hex, a negative value as '-' and the hex of its magnitude ("-7d0").
func (d *Dict) SetInt(key string, v int64) { d.SetRaw(key, appendInt(nil, v)) }

// SetStr writes s as it is (UTF-8, no NUL).
func (d *Dict) SetStr(key, s string) { d.SetRaw(key, []byte(s)) }

// SetBytes writes b as it is (binary).
func (d *Dict) SetBytes(key string, b []byte) { d.SetRaw(key, b) }

// SetDict writes the content of sub, without "IP2:" and ":Z". Later changes to sub are not seen.
func (d *Dict) SetDict(key string, sub Dict) { d.SetRaw(key, AppendIPDictContent(nil, sub)) }

// SetList writes items as "<length>:<item>" joined by ':'; an empty list is an empty value.
func (d *Dict) SetList(key string, items [][]byte) { d.SetRaw(key, AppendIPDictList(nil, items)) }

// SetDictList writes a list whose items are the contents of dicts (HLST, NADRS).
func (d *Dict) SetDictList(key string, items []Dict) {
	list := make([][]byte, len(items))
	for i, it := range items {
		list[i] = AppendIPDictContent(nil, it)
	}
	d.SetList(key, list)
}

// Int reads a value written by SetInt. Like Windows it also accepts upper case, leading zeros, and 16 digits
// that overflow int64 (read as the two's complement); more than 16 digits is an error.
func (d *Dict) Int(key string) (int64, error) {
	v, err := d.get(key)
	if err != nil {
		return 0, err
	}
	n, ok := parseInt(v)
	if !ok {
		return 0, fmt.Errorf("ipdict: key %q: value %q is not a hex integer", key, truncate(v))
	}
	return n, nil
}

// Str returns the value as a string: raw bytes, not checked to be UTF-8.
func (d *Dict) Str(key string) (string, error) {
	v, err := d.get(key)
	return string(v), err
}

// Bytes returns a copy of the value.
func (d *Dict) Bytes(key string) ([]byte, error) {
	v, err := d.get(key)
	if err != nil {
		return nil, err
	}
	return slices.Clone(v), nil
}

// Dict parses the value as the content of a nested dict. Its values alias d's.
func (d *Dict) Dict(key string) (Dict, error) {
	v, err := d.get(key)
	if err != nil {
		return Dict{}, err
	}
	if d.depth >= MaxIPDictDepth {
		return Dict{}, fmt.Errorf("ipdict: key %q: nested more than %d levels deep", key, MaxIPDictDepth)
	}
	sub, err := ParseIPDictContent(v)
	if err != nil {
		return Dict{}, fmt.Errorf("ipdict: key %q: %w", key, err)
	}
	sub.depth = d.depth + 1
	return sub, nil
}

// List parses the value as a list. The items alias d's values.
func (d *Dict) List(key string) ([][]byte, error) {
	v, err := d.get(key)
	if err != nil {
		return nil, err
	}
	items, err := ParseIPDictList(v)
	if err != nil {
		return nil, fmt.Errorf("ipdict: key %q: %w", key, err)
	}
	return items, nil
}

// DictList parses the value as a list of nested dicts.
func (d *Dict) DictList(key string) ([]Dict, error) {
	items, err := d.List(key)
	if err != nil {
		return nil, err
	}
	if d.depth >= MaxIPDictDepth {
		return nil, fmt.Errorf("ipdict: key %q: nested more than %d levels deep", key, MaxIPDictDepth)
	}
	dicts := make([]Dict, len(items))
	for i, it := range items {
		if dicts[i], err = ParseIPDictContent(it); err != nil {
			return nil, fmt.Errorf("ipdict: key %q item %d: %w", key, i, err)
		}
		dicts[i].depth = d.depth + 1
	}
	return dicts, nil
}

func (d *Dict) get(key string) ([]byte, error) {
	if v, ok := d.Raw(key); ok {
		return v, nil
	}
	return nil, fmt.Errorf("ipdict: key %q: %w", key, ErrNoKey)
}

func (d *Dict) find(key string) int {
	if d.index != nil {
		if i, ok := d.index[key]; ok {
			return i
		}
		return -1
	}
	return slices.Index(d.keys, key)
}

func (d *Dict) set(key string, v []byte) {
	if i := d.find(key); i >= 0 {
		d.vals[i] = v
		return
	}
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, v)
	if d.index != nil {
		d.index[key] = len(d.keys) - 1
	} else if len(d.keys) >= indexFrom {
		d.reindex()
	}
}

func (d *Dict) reindex() {
	d.index = nil
	if len(d.keys) < indexFrom {
		return
	}
	d.index = make(map[string]int, len(d.keys))
	for i, k := range d.keys {
		d.index[k] = i
	}
}

// AppendIPDict writes d as Windows' IPDict::pack does: "IP2:<content length>:<content>:Z", no NUL.
func AppendIPDict(dst []byte, d Dict) []byte { return appendIPDict(dst, d.keys, d.vals) }

func appendIPDict(dst []byte, keys []string, vals [][]byte) []byte {
	n := contentLen(keys, vals)
	dst = slices.Grow(dst, n+16)
	dst = append(dst, "IP2:"...)
	dst = strconv.AppendUint(dst, uint64(n), 16)
	dst = append(dst, ':')
	dst = appendContent(dst, keys, vals)
	return append(dst, ":Z"...)
}

// AppendIPDictContent writes the content of d alone, as a nested dict value: "k:len:v:k:len:v".
func AppendIPDictContent(dst []byte, d Dict) []byte {
	return appendContent(slices.Grow(dst, contentLen(d.keys, d.vals)), d.keys, d.vals)
}

func appendContent(dst []byte, keys []string, vals [][]byte) []byte {
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, k...)
		dst = append(dst, ':')
		dst = strconv.AppendUint(dst, uint64(len(vals[i])), 16)
		dst = append(dst, ':')
		dst = append(dst, vals[i]...)
	}
	return dst
}

func contentLen(keys []string, vals [][]byte) int {
	n := max(len(keys)-1, 0) // the separators between entries
	for i, k := range keys {
		n += len(k) + 1 + hexLen(len(vals[i])) + 1 + len(vals[i])
	}
	return n
}

// AppendIPDictList writes items as a list value: "<length>:<item>" joined by ':'.
func AppendIPDictList(dst []byte, items [][]byte) []byte {
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = strconv.AppendUint(dst, uint64(len(it)), 16)
		dst = append(dst, ':')
		dst = append(dst, it...)
	}
	return dst
}

func hexLen(n int) int {
	l := 1
	for ; n >= 16; n >>= 4 {
		l++
	}
	return l
}

// appendInt writes "%llx", or '-' and the magnitude. Windows writes garbage for MinInt64; we write
// "-8000000000000000", which it reads back as MinInt64.
func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		return strconv.AppendUint(append(dst, '-'), uint64(-v), 16)
	}
	return strconv.AppendUint(dst, uint64(v), 16)
}

// parseInt reads what ipdict_parse_int accepts, except more than 16 digits (Windows keeps the last 16).
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		u = u<<4 | uint64(d)
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseIPDict reads one whole IPDict, such as a UDP datagram. As Windows requires, the dict must fill b
// exactly: a trailing NUL or any other extra byte is an error. Values alias b.
//
// Unlike Windows, which reads lengths with strtoul, ParseIPDict accepts only what Windows writes: lengths in
// lowercase hex without leading zeros, no ':' after the last entry, no NUL in a key, no key twice (Windows
// keeps the first position and the last value). So whatever parses is written back byte for byte by
// AppendIPDict.
func ParseIPDict(b []byte) (Dict, error) {
	if !bytes.HasPrefix(b, []byte("IP2:")) {
		return Dict{}, fmt.Errorf("ipdict: prefix %q is not \"IP2:\"", b[:min(len(b), 4)])
	}
	n, hl, err := hexLength(b[4:], len(b))
	if err != nil {
		return Dict{}, fmt.Errorf("ipdict: content length: %w", err)
	}
	start := 4 + hl + 1
	if n > len(b)-start {
		return Dict{}, fmt.Errorf("ipdict: content length %#x: past the end (%d bytes left)", n, len(b)-start)
	}
	end := start + n
	if tail := b[end:]; len(tail) < 2 || tail[0] != ':' || tail[1] != 'Z' {
		return Dict{}, fmt.Errorf("ipdict: no \":Z\" after the content: %q", truncate(tail))
	}
	if extra := len(b) - end - 2; extra > 0 {
		return Dict{}, fmt.Errorf("ipdict: %d bytes after \":Z\": %q", extra, truncate(b[end+2:]))
	}
	d, err := ParseIPDictContent(b[start:end])
	if err != nil {
		return Dict{}, fmt.Errorf("ipdict: %w", err)
	}
	return d, nil
}

// ParseIPDictContent reads the content of a dict, "k:len:v:k:len:v", as in a nested dict value. Values
// alias b. Its errors name the key, without the "ipdict: " prefix.
func ParseIPDictContent(b []byte) (Dict, error) {
	var d Dict
	for pos := 0; pos < len(b); {
		if len(d.keys) > 0 {
			if b[pos] != ':' {
				return Dict{}, fmt.Errorf("key %q: %q after the value instead of ':'", d.keys[len(d.keys)-1], b[pos])
			}
			if pos++; pos == len(b) {
				return Dict{}, fmt.Errorf("key %q: ':' after the last entry", d.keys[len(d.keys)-1])
			}
		}
		colon := indexColon(b[pos:])
		if colon < 0 {
			return Dict{}, fmt.Errorf("entry %d: key %q without ':'", len(d.keys), truncate(b[pos:]))
		}
		key := string(b[pos : pos+colon])
		switch {
		case key == "":
			return Dict{}, fmt.Errorf("entry %d: empty key", len(d.keys))
		case strings.IndexByte(key, 0) >= 0:
			return Dict{}, fmt.Errorf("entry %d: key %q contains NUL", len(d.keys), key)
		case d.find(key) >= 0:
			return Dict{}, fmt.Errorf("key %q: given twice", key)
		}
		pos += colon + 1
		n, hl, err := hexLength(b[pos:], len(b))
		if err != nil {
			return Dict{}, fmt.Errorf("key %q: value length: %w", key, err)
		}
		pos += hl + 1
		if n > len(b)-pos {
			return Dict{}, fmt.Errorf("key %q: value length %#x: past the end (%d bytes left)", key, n, len(b)-pos)
		}
		d.set(key, b[pos:pos+n:pos+n])
		pos += n
	}
	return d, nil
}

// ParseIPDictList reads a list value: "<length>:<item>" joined by ':'; an empty value is an empty list.
// Items alias b. Its errors name the item, without the "ipdict: " prefix.
func ParseIPDictList(b []byte) ([][]byte, error) {
	var items [][]byte
	for pos := 0; pos < len(b); {
		if len(items) > 0 {
			if b[pos] != ':' {
				return nil, fmt.Errorf("item %d: %q after the item instead of ':'", len(items)-1, b[pos])
			}
			if pos++; pos == len(b) {
				return nil, fmt.Errorf("item %d: ':' after the last item", len(items)-1)
			}
		}
		n, hl, err := hexLength(b[pos:], len(b))
		if err != nil {
			return nil, fmt.Errorf("item %d: length: %w", len(items), err)
		}
		pos += hl + 1
		if n > len(b)-pos {
			return nil, fmt.Errorf("item %d: length %#x: past the end (%d bytes left)", len(items), n, len(b)-pos)
		}
		items = append(items, b[pos:pos+n:pos+n])
		pos += n
	}
	return items, nil
}

// hexLength reads a length field that ends with ':' at the start of b: lowercase hex, no leading zero.
// It returns the value and the number of digits. A value above limit is reported as too large before it
// can overflow; the caller checks it against the bytes actually left.
func hexLength(b []byte, limit int) (n, digits int, err error) {
	colon := indexColon(b)
	if colon < 0 {
		return 0, 0, fmt.Errorf("%q has no ':' after it", truncate(b))
	}
	f := b[:colon]
	if len(f) == 0 {
		return 0, 0, errors.New("empty")
	}
	if len(f) > 1 && f[0] == '0' {
		return 0, 0, fmt.Errorf("%q has a leading zero", truncate(f))
	}
	for _, c := range f {
		d, ok := hexDigit(c)
		if !ok || c >= 'A' && c <= 'F' {
			return 0, 0, fmt.Errorf("%q is not lowercase hex", truncate(f))
		}
		if n > limit>>4 {
			return 0, 0, fmt.Errorf("%q is over %d", truncate(f), limit)
		}
		if n = n<<4 | int(d); n > limit {
			return 0, 0, fmt.Errorf("%q is over %d", truncate(f), limit)
		}
	}
	return n, len(f), nil
}

func indexColon(b []byte) int { return bytes.IndexByte(b, ':') }

// SignedBytes returns the bytes a dict's signature covers: the dict packed without its last key, which
// must be SIGN (member-master.md §1.4). The verifier checks SIGN, big-endian, against SHA-256 of these bytes.
// A signer does the reverse: Delete SIGN, set PUBE, PUBN, EF and EC, sign AppendIPDict of the dict, and
// SetBytes SIGN.
func SignedBytes(d Dict) ([]byte, error) {
	if len(d.keys) == 0 || d.keys[len(d.keys)-1] != KeySign {
		return nil, errors.New("ipdict: unsigned: SIGN is not the last key")
	}
	n := len(d.keys) - 1
	return appendIPDict(nil, d.keys[:n], d.vals[:n]), nil
}

// IPDictLen returns the total size of the IPDict that b starts with, read from its header, so that a TCP
// reader knows how many bytes to wait for (Windows' ipdict_size_fetch). It returns 0 and no error while the
// header is still incomplete. The caller bounds the size it is willing to wait for.
func IPDictLen(b []byte) (int, error) {
	if !bytes.HasPrefix(b, []byte("IP2:")) {
		if head := b[:min(len(b), 4)]; !bytes.HasPrefix([]byte("IP2:"), head) {
			return 0, fmt.Errorf("ipdict: prefix %q is not \"IP2:\"", head)
		}
		return 0, nil
	}
	if indexColon(b[4:]) < 0 {
		if len(b) > 4+16 {
			return 0, fmt.Errorf("ipdict: content length %q has no ':' after it", truncate(b[4:]))
		}
		return 0, nil
	}
	n, hl, err := hexLength(b[4:], 1<<30)
	if err != nil {
		return 0, fmt.Errorf("ipdict: content length: %w", err)
	}
	return 4 + hl + 1 + n + 2, nil
}
