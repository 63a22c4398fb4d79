package wire

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEncode(t *testing.T) {
	cases := []struct {
		cs   Codepage
		text string
		wire string
	}{
		{CP932, "日本語", "\x93\xfa\x96\x7b\x8c\xea"},
		{CP932, "ascii:only\\~", "ascii:only\\~"},
		{CP932, "ﾊﾝｶｸ", "\xca\xdd\xb6\xb8"},
		{CP932, "①Ⅰ㈱", "\x87\x40\x87\x54\x87\x8a"}, // NEC row 13
		{CP932, "～－∥￠￡￢―", "\x81\x60\x81\x7c\x81\x61\x81\x91\x81\x92\x81\xca\x81\x5c"},
		// Pre-mapped: what macOS and Linux type for the same bytes.
		{CP932, "〜−‖¢£¬—", "\x81\x60\x81\x7c\x81\x61\x81\x91\x81\x92\x81\xca\x81\x5c"},
		{CP932, "¥100 ‾ ¦ ·", "\\100 ~ \xee\xfa \x81\x45"},
		{CP932, "a😀b€", "a?b?"},
		{CP932, "中文 한국어", "\x92\x86\x95\xb6 ???"},
		{CP932, "bad\xffutf8\xe3\x81", "bad?utf8??"}, // one ? per bad byte, as Decode,
		{CP932, "\uFFFD", "?"},
		{CP932, "", ""},
		{GBK, "中文", "\xd6\xd0\xce\xc4"},
		{GBK, "日本語", "\xc8\xd5\xb1\xbe\xd5\x5a"},
		{GBK, "€", "\x80"},
		{GBK, "a😀", "a?"},
		{GBK, "〜−¢£¬¥‾¦・", "\xa1\xab\xa3\xad\xa1\xe9\xa1\xea\xa9\x56\xa3\xa4\xa3\xfe\xa9\x57\xa1\xa4"},
		{GBK, "—", "\xa1\xaa"}, // GBK has EM DASH itself
		{UTF8, "中文😀", "中文😀"},
		{UTF8, "bad\xff", "bad\xff"},
		{Codepage(42), "中文", "中文"},
	}
	for _, c := range cases {
		if got := string(Encode(c.text, c.cs)); got != c.wire {
			t.Errorf("Encode(%q, %v) = %q, want %q", c.text, c.cs, got, c.wire)
		}
	}
}

// EncodeLossy writes exactly Encode's bytes and names what became '?': each character once, in order.
func TestEncodeLossy(t *testing.T) {
	cases := []struct {
		cs   Codepage
		text string
		wire string
		lost string
	}{
		{CP932, "鳩ハト", "\x94\xb5\x83\x6e\x83\x67", ""},
		{CP932, "你好", "?\x8d\x44", "你"},
		{CP932, "a😀b你😀你c", "a?b???c", "😀你"},
		{CP932, "〜¥鸽子", "\x81\x60\\?\x8e\x71", "鸽"}, // look-alikes are not losses
		{CP932, "bad\xffx\xfe", "bad?x?", "\uFFFD"},
		{CP932, "?\uFFFD", "??", "\uFFFD"}, // a '?' of the text is not a loss
		{CP932, "plain ascii", "plain ascii", ""},
		{GBK, "鸽子😀한", "\xb8\xeb\xd7\xd3??", "😀한"},
		{GBK, "€¥‾", "\x80\xa3\xa4\xa3\xfe", ""},
		{UTF8, "😀\xff", "😀\xff", ""},
	}
	for _, c := range cases {
		b, lost := EncodeLossy(c.text, c.cs)
		if string(b) != c.wire || string(lost) != c.lost {
			t.Errorf("EncodeLossy(%q, %v) = %q, %q; want %q, %q", c.text, c.cs, b, string(lost), c.wire, c.lost)
		}
		if got := Lost(c.text, c.cs); got != c.lost {
			t.Errorf("Lost(%q, %v) = %q, want %q", c.text, c.cs, got, c.lost)
		}
	}
}

func TestDecode(t *testing.T) {
	cases := []struct {
		cs   Codepage
		wire string
		text string
	}{
		{CP932, "\x93\xfa\x96\x7b\x8c\xea\x81\x60", "日本語～"},
		{CP932, "\x87\x40", "①"},
		{CP932, "\xca\xdd\xb6\xb8", "ﾊﾝｶｸ"},
		{CP932, "\\~", "\\~"},
		{CP932, "abc\x93", "abc\uFFFD"},     // cut in the middle of a character
		{CP932, "\xa0\xfd", "\uFFFD\uFFFD"}, // bytes CP932 does not use
		{GBK, "\xd6\xd0\xce\xc4", "中文"},
		{GBK, "iptux reply after CP932 \xd6\xd0\xce\xc4 \xc8\xd5\xb1\xbe\xd5Z", "iptux reply after CP932 中文 日本語"}, // IPTUX.md
		{GBK, "\x80", "€"},
		{GBK, "\x81\x30\x81\x30", "\u0080"}, // a GB18030 four-byte sequence
		{GBK, "\xd6", "\uFFFD"},
		{UTF8, "中\xe4\xb8", "中\uFFFD\uFFFD"}, // iptux's CreatePalInfo vector: one U+FFFD per bad byte
		{UTF8, "hello 世界", "hello 世界"},
		{UTF8, "\xff\xfe", "\uFFFD\uFFFD"},
		{Codepage(42), "\x93\xfa", "\uFFFD\uFFFD"},
	}
	for _, c := range cases {
		if got := Decode([]byte(c.wire), c.cs); got != c.text {
			t.Errorf("Decode(%q, %v) = %q, want %q", c.wire, c.cs, got, c.text)
		}
	}
}

func TestDecodeGuess(t *testing.T) {
	cases := []struct {
		wire   string
		legacy Codepage
		text   string
	}{
		{"中文", CP932, "中文"}, // iptux's UTF-8 without UTF8OPT
		{"iptux\xe2\x86\x92probe", GBK, "iptux→probe"},
		{"\x93\xfa\x96\x7b", CP932, "日本"},
		{"\xd6\xd0\xce\xc4", GBK, "中文"},
		{"\xd6\xd0\xce\xc4", UTF8, "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"plain", GBK, "plain"},
	}
	for _, c := range cases {
		if got := DecodeGuess([]byte(c.wire), c.legacy); got != c.text {
			t.Errorf("DecodeGuess(%q, %v) = %q, want %q", c.wire, c.legacy, got, c.text)
		}
	}
}

func TestCharsetRoundTrip(t *testing.T) {
	texts := map[Codepage]string{
		CP932: "ハト鳩 hato ①～∥ 髙﨑 ｶﾀｶﾅ",
		GBK:   "鸽子 飞秋 你好，世界！ €",
		UTF8:  "鳩 鸽子 😀",
	}
	for cs, text := range texts {
		if got := Decode(Encode(text, cs), cs); got != text {
			t.Errorf("%v: %q came back as %q", cs, text, got)
		}
	}
}

func TestDecodeAlwaysValid(t *testing.T) {
	var all []byte
	for i := range 256 {
		all = append(all, byte(i), byte(255-i))
	}
	for _, cs := range []Codepage{UTF8, CP932, GBK} {
		for _, b := range [][]byte{all, []byte("a\xff\xfe\x80b\x81"), {0x81}, {0x84, 0x31, 0xa4}} {
			if got := Decode(b, cs); !utf8.ValidString(got) {
				t.Errorf("Decode(%q, %v) = %q", b, cs, got)
			}
		}
	}
}

func TestParseCodepage(t *testing.T) {
	for name, want := range map[string]Codepage{
		"UTF-8": UTF8, "utf8": UTF8, " utf-8 ": UTF8,
		"cp932": CP932, "SJIS": CP932, "Shift_JIS": CP932, "shift-jis": CP932, "Windows-31J": CP932,
		"gbk": GBK, "CP936": GBK, "gb2312": GBK,
	} {
		if got, err := ParseCodepage(name); err != nil || got != want {
			t.Errorf("%q: %v %v", name, got, err)
		}
	}
	for _, bad := range []string{"latin1", "", "utf-16"} {
		if _, err := ParseCodepage(bad); err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("%q: error %v does not name the value", bad, err)
		}
	}
	for cs, want := range map[Codepage]string{UTF8: "utf-8", CP932: "cp932", GBK: "gbk", 7: "Codepage(7)"} {
		if cs.String() != want {
			t.Errorf("%d: %q", int(cs), cs.String())
		}
		if back, err := ParseCodepage(want); cs <= GBK && (err != nil || back != cs) {
			t.Errorf("%q does not parse back: %v %v", want, back, err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct {
		name, text string
		cs         Codepage
	}{
		{"ascii", "hello, this is a typical short message.", CP932},
		{"cp932", "こんにちは、これは普通の短いメッセージです。", CP932},
		{"cp932-premap", "〜こんにちは−これは普通の短いメッセージです¥", CP932},
		{"gbk", "你好，这是一条典型的短消息。", GBK},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Encode(c.text, c.cs)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	msg := Encode("こんにちは、これは普通の短いメッセージです。", CP932)
	b.ReportAllocs()
	for b.Loop() {
		Decode(msg, CP932)
	}
}
