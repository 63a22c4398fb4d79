package wire

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzParseIPDict: ParseIPDict never panics, and it accepts only the canonical form, so whatever parses is
// written back by AppendIPDict byte for byte. The same holds one level down for values that parse as a
// nested dict or a list.
func FuzzParseIPDict(f *testing.F) {
	for _, v := range ipdictVectors {
		f.Add([]byte(v.raw))
	}
	f.Add([]byte("IP2:b:a:1:1:a:1:2:Z"))
	f.Add([]byte("IP2:5:a:1:1:Z\x00"))
	f.Add([]byte("IP2:1c:HLST:14:12:ACT:1:1:DRCT:1:1:Z"))
	signed := dirPollDict()
	signed.SetInt(KeyPubE, 65537)
	signed.SetBytes(KeyPubN, bytes.Repeat([]byte("\x00:Z"), 85))
	signed.SetBytes(KeySign, bytes.Repeat([]byte{0xA5}, 256))
	f.Add(AppendIPDict(nil, signed))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, lenErr := IPDictLen(b)
		d, err := ParseIPDict(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ipdict: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if out := AppendIPDict(nil, d); !bytes.Equal(out, b) {
			t.Fatalf("ParseIPDict(%q) re-appends as %q", b, out)
		}
		if lenErr != nil || n != len(b) {
			t.Fatalf("IPDictLen(%q) = %d, %v", b, n, lenErr)
		}
		if signed, err := SignedBytes(d); err == nil {
			s, err := ParseIPDict(signed)
			if err != nil || s.Len() != d.Len()-1 || s.Has(KeySign) {
				t.Fatalf("SignedBytes(%q) = %q, %v", b, signed, err)
			}
		}
		for _, k := range d.Keys() {
			if sub, err := d.Dict(k); err == nil {
				v, _ := d.Raw(k)
				if out := AppendIPDictContent(nil, sub); !bytes.Equal(out, v) {
					t.Fatalf("key %q: dict %q re-appends as %q", k, v, out)
				}
			}
			if items, err := d.List(k); err == nil {
				v, _ := d.Raw(k)
				if out := AppendIPDictList(nil, items); !bytes.Equal(out, v) {
					t.Fatalf("key %q: list %q re-appends as %q", k, v, out)
				}
			}
			if i, err := d.Int(k); err == nil {
				var e Dict
				e.SetInt(k, i)
				if j, err := e.Int(k); err != nil || j != i {
					t.Fatalf("key %q: int %d comes back as %d, %v", k, i, j, err)
				}
			}
		}
	})
}

// FuzzIPDictAppend: any keys and binary values that AppendIPDict writes, plain, nested and in lists, come
// back unchanged from ParseIPDict and the getters.
func FuzzIPDictAppend(f *testing.F) {
	f.Add("key", []byte("value"), "k2", []byte(":Z"), int64(-2000))
	f.Add("SIGN", []byte("\x00:\x00IP2:0::Z"), "a", []byte{}, int64(0))
	f.Fuzz(func(t *testing.T, k1 string, v1 []byte, k2 string, v2 []byte, n int64) {
		if k1 == "" || k2 == "" || k1 == k2 || strings.ContainsAny(k1+k2, ":\x00") || k1 == "L" || k2 == "L" {
			return
		}
		var sub, d Dict
		sub.SetBytes(k1, v1)
		sub.SetInt(k2, n)
		d.SetBytes(k1, v1)
		d.SetDict(k2, sub)
		d.SetDictList("L", []Dict{sub, {}, sub})
		raw := AppendIPDict(nil, d)
		back, err := ParseIPDict(raw)
		if err != nil {
			t.Fatalf("ParseIPDict(%q): %v", raw, err)
		}
		got, err1 := back.Bytes(k1)
		inner, err2 := back.Dict(k2)
		list, err3 := back.DictList("L")
		if err1 != nil || err2 != nil || err3 != nil || !bytes.Equal(got, v1) || len(list) != 3 || list[1].Len() != 0 {
			t.Fatalf("%q: %q %v %v %v %d", raw, got, err1, err2, err3, len(list))
		}
		for _, s := range []Dict{inner, list[0], list[2]} {
			b, err1 := s.Bytes(k1)
			i, err2 := s.Int(k2)
			if err1 != nil || err2 != nil || !bytes.Equal(b, v1) || i != n || !slices.Equal(s.Keys(), []string{k1, k2}) {
				t.Fatalf("%q: nested %q %d %v %v", raw, b, i, err1, err2)
			}
		}
	})
}
