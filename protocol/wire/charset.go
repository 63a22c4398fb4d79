package wire

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Codepage is the character set of text from and to peers that do not speak UTF-8.
type Codepage int

const (
	UTF8  Codepage = iota
	CP932          // Windows-31J, what Japanese Windows clients send without UTF8OPT
	GBK            // CP936, what Chinese Windows clients and FeiQ send; decoded as its superset GB18030
)

// ParseCodepage reads a code page name as a user would write it.
func ParseCodepage(name string) (Codepage, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "utf-8", "utf8":
		return UTF8, nil
	case "cp932", "sjis", "shift_jis", "shift-jis", "windows-31j", "ms932":
		return CP932, nil
	case "gbk", "cp936", "gb2312", "gb18030":
		return GBK, nil
	}
	return 0, fmt.Errorf("code page %q: want utf-8, cp932 or gbk", name)
}

func (c Codepage) String() string {
	switch c {
	case CP932:
		return "cp932"
	case GBK:
		return "gbk"
	}
	return "utf-8"
}

func (c Codepage) decoder() encoding.Encoding {
	if c == GBK {
		return simplifiedchinese.GB18030
	}
	return japanese.ShiftJIS
}

func (c Codepage) encoder() encoding.Encoding {
	if c == GBK {
		return simplifiedchinese.GBK
	}
	return japanese.ShiftJIS
}

// Decode turns bytes in cs into valid UTF-8; bytes that are not valid in cs become U+FFFD.
func Decode(b []byte, cs Codepage) string {
	if cs == UTF8 || isASCII(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := cs.decoder().NewDecoder().Bytes(b)
	if err != nil {
		// x/text decoders already replace bad sequences; an error here means something odder.
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// DecodeGuess takes valid UTF-8 as UTF-8 and anything else as the legacy code page: iptux and many
// scripts send UTF-8 without UTF8OPT, and legacy text is rarely valid UTF-8 by accident.
func DecodeGuess(b []byte, legacy Codepage) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return Decode(b, legacy)
}

// cp932Premap maps characters that CP932 lacks to the look-alikes Windows uses (the Unicode mapping of
// JIS X 0208 differs from Microsoft's for these).
var cp932Premap = strings.NewReplacer(
	"\u301C", "\uFF5E", // WAVE DASH → FULLWIDTH TILDE
	"\u2212", "\uFF0D", // MINUS SIGN → FULLWIDTH HYPHEN-MINUS
	"\u2016", "\u2225", // DOUBLE VERTICAL LINE → PARALLEL TO
	"\u00A2", "\uFFE0", // CENT SIGN → FULLWIDTH CENT SIGN
	"\u00A3", "\uFFE1", // POUND SIGN → FULLWIDTH POUND SIGN
	"\u00AC", "\uFFE2", // NOT SIGN → FULLWIDTH NOT SIGN
	"\u2014", "\u2015", // EM DASH → HORIZONTAL BAR
	"\u00A5", "\\", // YEN SIGN → backslash, which Japanese fonts show as ¥
)

// Encode turns text into cs. Characters cs cannot hold are first mapped to Windows' look-alikes, then
// written as '?', so a message is never refused or cut for one character.
func Encode(s string, cs Codepage) []byte {
	if cs == UTF8 || isASCII([]byte(s)) {
		return []byte(s)
	}
	if cs == CP932 {
		s = cp932Premap.Replace(s)
	}
	enc := cs.encoder().NewEncoder()
	if out, err := enc.Bytes([]byte(s)); err == nil {
		return out
	}
	// Slow path: encode rune by rune, replacing what does not fit.
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, err := enc.Bytes([]byte(string(r)))
		if err != nil || r == utf8.RuneError {
			out = append(out, '?')
			continue
		}
		out = append(out, b...)
	}
	return out
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
