package wire

import (
	"testing"
	"unicode/utf8"
)

func TestEncodeDecode(t *testing.T) {
	cases := []struct {
		cs   Codepage
		text string
		wire string
	}{
		{CP932, "日本語", "\x93\xfa\x96\x7b\x8c\xea"},
		{CP932, "〜−‖¢£¬", "\x81\x60\x81\x7c\x81\x61\x81\x91\x81\x92\x81\xca"}, // pre-mapped to Windows' look-alikes
		{CP932, "ascii:only", "ascii:only"},
		{CP932, "a😀b€", "a?b?"},
		{GBK, "中文", "\xd6\xd0\xce\xc4"},
		{GBK, "a😀", "a?"},
		{UTF8, "中文😀", "中文😀"},
	}
	for _, c := range cases {
		if got := string(Encode(c.text, c.cs)); got != c.wire {
			t.Errorf("Encode(%q, %v) = %q, want %q", c.text, c.cs, got, c.wire)
		}
	}
	if got := Decode([]byte("\x93\xfa\x96\x7b\x8c\xea\x81\x60"), CP932); got != "日本語～" {
		t.Errorf("CP932 decode %q", got)
	}
	if got := Decode([]byte("\x87\x40"), CP932); got != "①" {
		t.Errorf("NEC special %q", got)
	}
	if got := Decode([]byte("\xd6\xd0\xce\xc4"), GBK); got != "中文" {
		t.Errorf("GBK decode %q", got)
	}
	if got := DecodeGuess([]byte("中文"), CP932); got != "中文" {
		t.Errorf("valid UTF-8 guessed as %q", got)
	}
	if got := DecodeGuess([]byte("\x93\xfa\x96\x7b"), CP932); got != "日本" {
		t.Errorf("CP932 guessed as %q", got)
	}
	for _, cs := range []Codepage{UTF8, CP932, GBK} {
		if got := Decode([]byte("a\xff\xfe\x80b\x81"), cs); !utf8.ValidString(got) {
			t.Errorf("%v: invalid UTF-8 %q", cs, got)
		}
	}
}

func TestParseCodepage(t *testing.T) {
	for name, want := range map[string]Codepage{"UTF-8": UTF8, "utf8": UTF8, "cp932": CP932, "Shift_JIS": CP932, "gbk": GBK, "CP936": GBK} {
		if got, err := ParseCodepage(name); err != nil || got != want {
			t.Errorf("%q: %v %v", name, got, err)
		}
	}
	if _, err := ParseCodepage("latin1"); err == nil {
		t.Error("latin1 accepted")
	}
}
