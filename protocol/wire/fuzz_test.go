package wire

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every parser of network bytes has a fuzz target. The vectors seed them; testdata/fuzz keeps the
// inputs that found new coverage (`make fuzz`), and every plain `go test` replays them.

func FuzzParse(f *testing.F) {
	for _, v := range packetVectors {
		f.Add([]byte(v.raw))
	}
	f.Add([]byte("1:1:u:h:32:\x00\x00\x00"))
	f.Add([]byte("1:1:u:h:32\x00ext"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if err.Error() == "" || !strings.HasPrefix(err.Error(), "packet: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(p.User) == 0 || len(p.Host) == 0 || bytes.IndexByte(p.Msg, 0) >= 0 ||
			(len(p.Extra) > 0 && p.Extra[len(p.Extra)-1] == 0) {
			t.Fatalf("Parse(%q) = %+v", b, p)
		}
		// What parses comes back the same after Append.
		out := p.Bytes()
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out, err)
		}
		if !equalPacket(p, q) {
			t.Fatalf("round trip of %q\n%+v\n%+v", b, p, q)
		}
		if again := q.Bytes(); !bytes.Equal(again, out) {
			t.Fatalf("Append not stable: %q then %q", out, again)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	for _, v := range packetVectors {
		f.Add(v.want.Msg, v.want.Extra)
	}
	f.Add([]byte("n"), []byte("g\x00\nUN:a\nNN:b:c\nGN:\xff"))
	f.Add([]byte("n"), []byte("g\x00\nUN:a\nIP:SVAyOjFjOkRSQjoxOjE6U1ZBRFI6YzoxOTIuMTY4LjEwLjU6Wg==\nIP:x"))
	f.Fuzz(func(t *testing.T, msg, extra []byte) {
		e := ParseEntry(Packet{Msg: msg, Extra: extra})
		for _, s := range []string{e.UN, e.HN, e.NN, e.GN, e.Icon, e.Encoding} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
		if !bytes.Equal(e.Nick, msg) || !bytes.HasPrefix(extra, e.Group) || (e.HasUTF8 && e.Iptux) {
			t.Fatalf("ParseEntry(%q, %q) = %+v", msg, extra, e)
		}
		// Our own layout reads back whatever names it was given, less line breaks and NULs.
		text := EntryText{User: string(msg), Host: string(extra), Nick: e.NN, Group: e.GN, IP: extra}
		m, x := AppendEntry(msg, e.Group, text)
		back := ParseEntry(Packet{Msg: m, Extra: x})
		if !back.HasUTF8 || back.Iptux || back.NN != lineSafe.Replace(e.NN) || back.GN != lineSafe.Replace(e.GN) ||
			back.UN != validUTF8([]byte(lineSafe.Replace(text.User))) || len(extra) > 0 && !bytes.Equal(back.IP, extra) {
			t.Fatalf("AppendEntry round trip: %+v from %q %q", back, m, x)
		}
	})
}

func FuzzParseAnsList(f *testing.F) {
	f.Add([]byte(ansListExample))
	f.Add([]byte("  100\a    2\ataro\aPC01\a16777473\a192.168.0.5\a2425\aTaro\aDev\ajiro\aPC02\a257\a10.0.0.2\a2426\a\b\a\b"))
	f.Add([]byte("    0\a    1\aa\ah\a1\a1.2.3.4\a99999\a\b\a\b\a"))
	f.Add([]byte("    0\a    0\a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		next, rows, err := ParseAnsList(b)
		if err != nil && !strings.HasPrefix(err.Error(), "anslist") {
			t.Fatalf("error %q", err)
		}
		if bytes.IndexByte(b, 0) >= 0 || len(rows) == 0 {
			return // a NUL cannot reach us: it ends the packet's message
		}
		// The rows we read are written back as they were, on one page or on many.
		page, n := AnsListPage(rows, 0, 1<<20)
		n2, again, err := ParseAnsList(page)
		if err != nil || n != 0 || n2 != 0 || !reflect.DeepEqual(again, rows) {
			t.Fatalf("rewritten list %q: %+v, %v\nhad %+v", page, again, err, rows)
		}
		var paged []ListEntry
		for start := 0; ; {
			page, n := AnsListPage(rows, start, 64)
			_, part, err := ParseAnsList(page)
			if err != nil || len(part) == 0 {
				t.Fatalf("page at %d: %q %v", start, page, err)
			}
			paged = append(paged, part...)
			if n == 0 {
				break
			}
			start = n
		}
		if !reflect.DeepEqual(paged, rows) {
			t.Fatalf("paged rows differ from %+v", rows)
		}
		_ = next
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("\x93\xfa\x96\x7b\x8c\xea"))
	f.Add([]byte("中\xe4\xb8"))
	f.Add([]byte("\xd6\xd0\xce\xc4\xff"))
	f.Add([]byte("\x81\x30\x81\x30\x84\x31\xa4\x39"))
	f.Add([]byte("〜−‖¢£¬—¥‾¦·・"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, cs := range []Codepage{UTF8, CP932, GBK} {
			if s := Decode(b, cs); !utf8.ValidString(s) {
				t.Fatalf("Decode(%q, %v) = %q", b, cs, s)
			}
			if s := DecodeGuess(b, cs); !utf8.ValidString(s) {
				t.Fatalf("DecodeGuess(%q, %v) = %q", b, cs, s)
			}
			// Encoding never fails; legacy output decodes without loss except for '?'.
			enc := Encode(string(b), cs)
			if cs == UTF8 {
				if !bytes.Equal(enc, b) {
					t.Fatalf("UTF-8 Encode changed %q", b)
				}
				continue
			}
			if len(enc) > len(b) {
				t.Fatalf("Encode(%q, %v) grew to %q", b, cs, enc)
			}
			if strings.ContainsRune(Decode(enc, cs), utf8.RuneError) {
				t.Fatalf("Encode(%q, %v) = %q does not decode cleanly", b, cs, enc)
			}
			// EncodeLossy writes the same bytes, and a '?' beyond those of the text only for what it reports.
			same, lost := EncodeLossy(string(b), cs)
			extra := bytes.Count(enc, []byte("?")) - bytes.Count(b, []byte("?"))
			if !bytes.Equal(same, enc) || (len(lost) == 0) != (extra == 0) || extra < len(lost) {
				t.Fatalf("EncodeLossy(%q, %v) = %q, %q; Encode gave %q", b, cs, same, string(lost), enc)
			}
		}
	})
}

func FuzzStripFontTag(f *testing.F) {
	f.Add("你好" + feiqFont)
	f.Add(feiqFont + feiqFont)
	f.Add("x{/font;-16 0 0;}")
	f.Add("look /~#>1A2B3C4D<B~ here")
	f.Fuzz(func(t *testing.T, s string) {
		out := StripFontTag(s)
		if !strings.HasPrefix(s, out) {
			t.Fatalf("StripFontTag(%q) = %q is not a prefix", s, out)
		}
		if out != s && !fontTag.MatchString(s[len(out):]) {
			t.Fatalf("StripFontTag(%q) removed %q", s, s[len(out):])
		}
		if StripFontTag(s+feiqFont) != s {
			t.Fatalf("tag after %q not removed", s)
		}
		img := ReplaceImageRefs(s)
		if !strings.Contains(s, "/~#>") && img != s {
			t.Fatalf("ReplaceImageRefs(%q) = %q", s, img)
		}
	})
}
