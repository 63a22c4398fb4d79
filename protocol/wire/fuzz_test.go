package wire

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// Every parser of network bytes has a fuzz target; the vectors seed them and testdata/fuzz keeps
// the interesting inputs found by `make fuzz`.

func FuzzParse(f *testing.F) {
	for _, v := range packetVectors {
		f.Add([]byte(v.raw))
	}
	f.Add([]byte("1:1:u:h:32:\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		// What parses must come back the same after Append (Extra may not end in NUL: Parse trims them).
		q, err := Parse(p.Bytes())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", p.Bytes(), err)
		}
		if p.Version != q.Version || p.No != q.No || p.User != q.User || p.Host != q.Host || p.Cmd != q.Cmd ||
			!bytes.Equal(p.Msg, q.Msg) || !bytes.Equal(p.Extra, q.Extra) {
			t.Fatalf("round trip\n%+v\n%+v", p, q)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	for _, v := range packetVectors {
		f.Add(v.want.Msg, v.want.Extra)
	}
	f.Fuzz(func(t *testing.T, msg, extra []byte) {
		e := ParseEntry(Packet{Msg: msg, Extra: extra})
		for _, s := range []string{e.UN, e.HN, e.NN, e.GN, e.Icon, e.Encoding} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
	})
}

func FuzzParseAnsList(f *testing.F) {
	f.Add([]byte("    0\a    1\ataro\aPC01\a16777473\a192.168.0.5\a2425\aTaro\aDev\a"))
	f.Add([]byte("  100\a    2\ta\ah\a1\a1.2.3.4\a2425\a\b\a\b\a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, rows, err := ParseAnsList(b)
		if err != nil || len(rows) == 0 {
			return
		}
		page, _ := AnsListPage(rows, 0, 1<<20)
		_, again, err := ParseAnsList(page)
		if err != nil || len(again) != len(rows) {
			t.Fatalf("rewritten list %q: %d rows, %v (had %d)", page, len(again), err, len(rows))
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("\x93\xfa\x96\x7b\x8c\xea"))
	f.Add([]byte("中\xe4\xb8"))
	f.Add([]byte("\xd6\xd0\xce\xc4\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, cs := range []Codepage{UTF8, CP932, GBK} {
			if s := Decode(b, cs); !utf8.ValidString(s) {
				t.Fatalf("Decode(%q, %v) = %q", b, cs, s)
			}
			if s := DecodeGuess(b, cs); !utf8.ValidString(s) {
				t.Fatalf("DecodeGuess(%q, %v) = %q", b, cs, s)
			}
			// Encoding text never fails or panics.
			Encode(string(b), cs)
		}
	})
}

func FuzzStripFontTag(f *testing.F) {
	f.Add("你好{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992;}")
	f.Add("look /~#>1A2B3C4D<B~ here")
	f.Fuzz(func(t *testing.T, s string) {
		out := StripFontTag(s)
		if len(out) > len(s) || s[:len(out)] != out {
			t.Fatalf("StripFontTag(%q) = %q is not a prefix", s, out)
		}
		ReplaceImageRefs(s)
	})
}
