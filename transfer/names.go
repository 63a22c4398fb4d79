package transfer

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// MaxNameBytes is the longest received name accepted: common file systems stop at 255 bytes.
const MaxNameBytes = 255

// ErrUnsafeName marks a received name that could leave the download folder or break on some system.
var ErrUnsafeName = errors.New("unsafe file name")

// CheckName accepts a received name only if it is a single plain path element on every system Hato runs
// on: no "." or "..", no '/', '\\', NUL or control characters, no drive letter, no reserved Windows
// device name (CON, NUL, COM1, ...), at most MaxNameBytes bytes of valid UTF-8.
func CheckName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrUnsafeName, clip(name), why) }
	switch {
	case name == "":
		return bad("empty")
	case name == "." || name == "..":
		return bad("a relative path")
	case len(name) > MaxNameBytes:
		return bad(fmt.Sprintf("%d bytes, limit %d", len(name), MaxNameBytes))
	case !utf8.ValidString(name):
		return bad("not valid text")
	case strings.ContainsAny(name, `/\`):
		return bad("contains a path separator")
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return bad("starts with a drive letter")
	case strings.ContainsRune(name, ':') && filepath.Separator == '\\':
		return bad("contains ':' (an alternate data stream on Windows)")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return bad("contains a control character")
		}
	}
	if reservedWindowsName(name) {
		return bad("a reserved Windows device name")
	}
	return nil
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// reservedWindowsName reports CON, PRN, AUX, NUL, COM0-9 and LPT0-9, with any extension, any case, and
// the trailing dots and spaces Windows ignores.
func reservedWindowsName(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		c := base[3]
		return c >= '0' && c <= '9'
	}
	// Superscript digits count too (COM¹).
	if r, size := utf8.DecodeLastRuneInString(base); len(base) == 3+size && (r == '¹' || r == '²' || r == '³') {
		return strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")
	}
	return false
}

// numbered returns the k-th alternative for a name that is taken, as iptux and Windows do:
// "a.b" → "a (1).b", "folder" → "folder (1)". A leading dot is part of the base (".bashrc (1)"). The result
// stays within MaxNameBytes: a long base is shortened (at a character boundary) to make room.
func numbered(name string, k int) string {
	if k == 0 {
		return name
	}
	return withSuffix(name, fmt.Sprintf(" (%d)", k))
}

// withSuffix inserts suffix before name's extension, shortening the base so that the result fits in
// MaxNameBytes.
func withSuffix(name, suffix string) string {
	ext := filepath.Ext(name)
	if ext == name || len(ext) > MaxNameBytes/2 {
		ext = ""
	}
	base := strings.TrimSuffix(name, ext)
	if over := len(base) + len(suffix) + len(ext) - MaxNameBytes; over > 0 {
		base = cutBytes(base, len(base)-over)
	}
	return base + suffix + ext
}

// cutBytes shortens s to at most n bytes without splitting a character.
func cutBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// partName is where the k-th fetch of name writes before the rename. A key (from the offer: sender,
// packet, id, size) tells .part files of different offers apart, so that a resume never continues a
// different file; folder streams, which never resume, use none. It fits in MaxNameBytes.
func partName(name, key string, k int) string {
	suffix := ".part"
	if key != "" {
		suffix = "." + key + ".part"
	}
	n := numbered(name, k)
	if len(n)+len(suffix) <= MaxNameBytes {
		return n + suffix
	}
	return cutBytes(n, MaxNameBytes-len(suffix)) + suffix
}
