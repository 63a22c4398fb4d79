package wire

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Codepage is the character set of text from and to peers that do not speak UTF-8 (INTEROP.md §3.8).
// Values other than the three constants behave as UTF8.
type Codepage int

const (
	UTF8  Codepage = iota
	CP932          // Windows-31J: Japanese Windows clients without UTF8OPT
	GBK            // CP936: Chinese Windows clients and FeiQ; decoded as its superset GB18030
)

// ParseCodepage reads a code page name as a user would write it, ignoring case and surrounding space.
func ParseCodepage(name string) (Codepage, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "utf-8", "utf8":
		return UTF8, nil
	case "cp932", "sjis", "shift_jis", "shift-jis", "windows-31j", "ms932":
		return CP932, nil
	case "gbk", "cp936", "gb2312", "gb18030":
		return GBK, nil
	}
	return UTF8, fmt.Errorf("code page %q: want utf-8, cp932 or gbk", name)
}

func (c Codepage) String() string {
	switch c {
	case UTF8:
		return "utf-8"
	case CP932:
		return "cp932"
	case GBK:
		return "gbk"
	}
	return fmt.Sprintf("Codepage(%d)", int(c))
}

// legacy reports whether c needs x/text, i.e. is not UTF-8.
func (c Codepage) legacy() bool { return c == CP932 || c == GBK }

// Decoding GBK text as GB18030 loses nothing: every GBK (CP936) sequence, 0x80 for € included, means
// the same in GB18030, and the four-byte sequences GB18030 adds are invalid GBK anyway. iptux falls back
// to gb18030 too, so its non-UTF-8 text decodes right.
func (c Codepage) decoder() *encoding.Decoder {
	if c == GBK {
		return simplifiedchinese.GB18030.NewDecoder()
	}
	return japanese.ShiftJIS.NewDecoder() // x/text's Shift_JIS is Windows-31J, NEC and IBM rows included
}

// Encoding writes real GBK: a Windows peer could not read GB18030's four-byte sequences.
func (c Codepage) encoder() *encoding.Encoder {
	if c == GBK {
		return simplifiedchinese.GBK.NewEncoder()
	}
	return japanese.ShiftJIS.NewEncoder()
}

// Decode turns bytes in cs into valid UTF-8. Each byte that does not start a valid sequence becomes
// U+FFFD (as iptux shows it); Decode never fails.
func Decode(b []byte, cs Codepage) string {
	if !cs.legacy() || isASCII(b) {
		return validUTF8(b)
	}
	out, err := cs.decoder().Bytes(b)
	if err != nil {
		// x/text's decoders replace bad input themselves; an error would be a bug there.
		return validUTF8(b)
	}
	return validUTF8(out)
}

// DecodeGuess takes valid UTF-8 as UTF-8 and anything else as the legacy code page: iptux and many
// scripts send UTF-8 without UTF8OPT, and legacy text is rarely valid UTF-8 by accident.
func DecodeGuess(b []byte, legacy Codepage) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return Decode(b, legacy)
}

// validUTF8 copies b into a string with each invalid byte replaced by U+FFFD. strings.ToValidUTF8
// would merge a run of bad bytes into one U+FFFD, which hides how much was lost.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}

// Encode turns text into cs. UTF8 returns the bytes of s unchanged. For CP932 and GBK a character the
// code page lacks is replaced by Windows' look-alike (premap), and failing that written as '?', so a
// message is never refused or cut for one character. x/text would write 0x1A (SUB) instead, which
// Windows shows as a box or drops.
func Encode(s string, cs Codepage) []byte {
	b, _ := EncodeLossy(s, cs)
	return b
}

// Lost is the characters of s that cs cannot hold, as EncodeLossy reports them, in one string: ""
// when s goes through cs whole.
func Lost(s string, cs Codepage) string {
	_, lost := EncodeLossy(s, cs)
	return string(lost)
}

// EncodeLossy is Encode that also says what it wrote as '?': each such character once, in order of first
// appearance (U+FFFD stands for bytes of s that are not UTF-8). Look-alikes (premap) are not losses.
func EncodeLossy(s string, cs Codepage) (_ []byte, lost []rune) {
	if !cs.legacy() || isASCIIString(s) {
		return []byte(s), nil
	}
	enc := cs.encoder()
	src := []byte(s)
	// Neither code page needs more bytes than UTF-8 for a character, nor does '?'.
	dst := make([]byte, len(src))
	n := 0
	var one [utf8.UTFMax]byte
	for len(src) > 0 {
		nDst, nSrc, err := enc.Transform(dst[n:], src, true)
		n, src = n+nDst, src[nSrc:]
		switch err {
		case nil:
			continue
		case transform.ErrShortDst:
			dst = append(dst, make([]byte, len(src)+8)...)
			continue
		}
		if len(src) == 0 {
			break // not expected from x/text: an error with all input consumed
		}
		// src[0] starts a character cs cannot hold, or invalid UTF-8.
		r, size := utf8.DecodeRune(src)
		src = src[size:]
		if m, ok := premap(r, cs); ok {
			if len(dst)-n < 4 {
				dst = append(dst, make([]byte, len(src)+8)...)
			}
			k, _, err := enc.Transform(dst[n:], utf8.AppendRune(one[:0], m), true)
			if err == nil {
				n += k
				continue
			}
		}
		dst[n] = '?' // size >= 1 bytes of src were consumed, so there is room
		n++
		if !slices.Contains(lost, r) {
			lost = append(lost, r)
		}
	}
	return dst[:n], lost
}

// premap gives the look-alike that cs has for a character it lacks. CP932 and CP936 map some JIS and
// GB bytes to fullwidth forms (0x8160 is U+FF5E) where the standard mappings, used by macOS and many
// Linux tools, give U+301C WAVE DASH, U+2212 MINUS SIGN and so on; without this such text would turn
// into '?' on its way to Windows.
func premap(r rune, cs Codepage) (rune, bool) {
	switch r {
	case '\u301C': // WAVE DASH
		return '\uFF5E', true // FULLWIDTH TILDE
	case '\u2212': // MINUS SIGN
		return '\uFF0D', true // FULLWIDTH HYPHEN-MINUS
	case '\u00A2': // CENT SIGN
		return '\uFFE0', true
	case '\u00A3': // POUND SIGN
		return '\uFFE1', true
	case '\u00AC': // NOT SIGN
		return '\uFFE2', true
	case '\u00A6': // BROKEN BAR
		return '\uFFE4', true
	}
	if cs == CP932 {
		switch r {
		case '\u2016': // DOUBLE VERTICAL LINE
			return '\u2225', true // PARALLEL TO
		case '\u2014': // EM DASH
			return '\u2015', true // HORIZONTAL BAR
		case '\u00A5': // YEN SIGN: the backslash byte, which Japanese fonts draw as ¥
			return '\\', true
		case '\u203E': // OVERLINE: the tilde byte, JIS X 0201's overline
			return '~', true
		case '\u00B7': // MIDDLE DOT
			return '\u30FB', true // KATAKANA MIDDLE DOT
		}
		return 0, false
	}
	switch r {
	case '\u00A5': // YEN SIGN
		return '\uFFE5', true
	case '\u203E': // OVERLINE
		return '\uFFE3', true // FULLWIDTH MACRON
	case '\u30FB': // KATAKANA MIDDLE DOT
		return '\u00B7', true
	}
	return 0, false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
