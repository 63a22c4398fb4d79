package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The example in Windows' ipdict.h comment: {key1:1000, key2:"str1", key3:{key31:-2000}, key4:[1000,2000]}.
const ipdictHeaderExample = "IP2:3d:key1:3:3e8:key2:4:str1:key3:c:key31:4:-7d0:key4:b:3:3e8:3:7d0:Z"

// member-master.md §1.7: alice@pc1's DIR_POLL before signing.
const dirPollExample = "IP2:af:VER:1:3:PKT:8:6553f101:DATE:8:6553f100:UID:5:alice:HID:3:pc1:CMD:2:b0:FLG:1:0:" +
	"CVER:f:00010002:4:99:3:GRP:0::NCK:5:Alice:STAT:7:f640000:NADRS:1f:1c:ADR:c:192.168.20.0:MASK:2:18:Z"

func headerExampleDict() Dict {
	var sub, d Dict
	sub.SetInt("key31", -2000)
	d.SetInt("key1", 1000)
	d.SetStr("key2", "str1")
	d.SetDict("key3", sub)
	d.SetList("key4", [][]byte{appendInt(nil, 1000), appendInt(nil, 2000)})
	return d
}

func dirPollDict() Dict {
	var net, d Dict
	net.SetStr("ADR", "192.168.20.0")
	net.SetInt("MASK", 24)
	d.SetInt("VER", 3)
	d.SetInt("PKT", 1700000001)
	d.SetInt("DATE", 1700000000)
	d.SetStr("UID", "alice")
	d.SetStr("HID", "pc1")
	d.SetInt("CMD", int64(DirPoll))
	d.SetInt("FLG", 0)
	d.SetStr("CVER", "00010002:4:99:3")
	d.SetStr("GRP", "")
	d.SetStr("NCK", "Alice")
	d.SetInt("STAT", 0x0F640000)
	d.SetDictList("NADRS", []Dict{net})
	return d
}

func hostEntryDict() Dict {
	var h Dict
	h.SetStr("UID", "bob")
	h.SetStr("HID", "pc2")
	h.SetInt("STAT", 0x0F640000)
	h.SetInt("ACT", 1)
	h.SetStr("IPAD", "192.168.20.7")
	h.SetInt("PORT", 2425)
	h.SetStr("NCK", "Bob")
	h.SetStr("GRP", "dev")
	h.SetStr("CVER", "00010002:4:99:3")
	return h
}

// ipdictVectors are written by AppendIPDict and read back by ParseIPDict byte for byte.
var ipdictVectors = []struct {
	name  string
	build func(d *Dict)
	raw   string
}{
	{"empty", func(d *Dict) {}, "IP2:0::Z"},
	{"ipdict.h example", func(d *Dict) { *d = headerExampleDict() }, ipdictHeaderExample},
	{"DIR_POLL example", func(d *Dict) { *d = dirPollDict() }, dirPollExample},
	{"BR_ENTRY hint", func(d *Dict) { d.SetInt("DRB", 1); d.SetStr("SVADR", "192.168.10.5") },
		"IP2:1c:DRB:1:1:SVADR:c:192.168.10.5:Z"},
	{"ints", func(d *Dict) {
		d.SetInt("z", 0)
		d.SetInt("n", -1)
		d.SetInt("big", math.MaxInt64)
		d.SetInt("min", math.MinInt64)
	}, "IP2:3d:z:1:0:n:2:-1:big:10:7fffffffffffffff:min:11:-8000000000000000:Z"},
	{"empty string", func(d *Dict) { d.SetStr("GRP", ""); d.SetStr("NCK", "") }, "IP2:d:GRP:0::NCK:0::Z"},
	{"UTF-8 string", func(d *Dict) { d.SetStr("NCK", "太郎") }, "IP2:c:NCK:6:太郎:Z"},
	{"binary with ':' and NUL", func(d *Dict) { d.SetBytes("B", []byte("\x00:Z:\xff")); d.SetInt("X", 1) },
		"IP2:f:B:5:\x00:Z:\xff:X:1:1:Z"},
	{"value that looks like the end", func(d *Dict) { d.SetStr("S", ":Z") }, "IP2:6:S:2::Z:Z"},
	{"nested dict", func(d *Dict) {
		var inner, sub Dict
		inner.SetStr("c", "x")
		sub.SetInt("a", 10)
		sub.SetDict("b", inner)
		d.SetDict("D", sub)
	}, "IP2:13:D:f:a:1:a:b:5:c:1:x:Z"},
	{"empty nested dict", func(d *Dict) { d.SetDict("D", Dict{}); d.SetInt("E", 14) }, "IP2:a:D:0::E:1:e:Z"},
	{"empty list", func(d *Dict) { d.SetList("L", nil); d.SetDictList("H", nil) }, "IP2:9:L:0::H:0::Z"},
	{"list with an empty item", func(d *Dict) { d.SetList("L", [][]byte{{}, []byte("ab"), {}}) }, "IP2:e:L:a:0::2:ab:0::Z"},
	{"list of dicts", func(d *Dict) {
		var a, b Dict
		a.SetInt("ACT", 1)
		b.SetInt("ACT", 0)
		b.SetStr("IPAD", "10.0.0.1")
		d.SetDictList("HLST", []Dict{a, b})
		d.SetInt("NUM", 2)
	}, "IP2:34:HLST:24:7:ACT:1:1:17:ACT:1:0:IPAD:8:10.0.0.1:NUM:1:2:Z"},
	{"overwrite keeps the position", func(d *Dict) {
		d.SetInt("A", 1)
		d.SetInt("B", 2)
		d.SetStr("A", "three")
	}, "IP2:f:A:5:three:B:1:2:Z"},
	{"delete", func(d *Dict) {
		d.SetInt("A", 1)
		d.SetInt("B", 2)
		d.SetInt("C", 3)
		d.Delete("B")
		d.SetInt("B", 4)
	}, "IP2:11:A:1:1:C:1:3:B:1:4:Z"},
	{"long value", func(d *Dict) { d.SetBytes("PUBN", bytes.Repeat([]byte{':'}, 256)) },
		"IP2:109:PUBN:100:" + strings.Repeat(":", 256) + ":Z"},
}

func TestAppendIPDict(t *testing.T) {
	for _, v := range ipdictVectors {
		var d Dict
		v.build(&d)
		if got := AppendIPDict(nil, d); string(got) != v.raw {
			t.Errorf("%s:\n got %q\nwant %q", v.name, got, v.raw)
		}
		if got := AppendIPDict([]byte("x"), d); string(got) != "x"+v.raw {
			t.Errorf("%s: AppendIPDict does not append: %q", v.name, got)
		}
	}
	if n := len(dirPollExample); n != 184 {
		t.Errorf("DIR_POLL example is %d bytes, want 184", n)
	}
	// The HLST item of member-master.md §1.7, with its length prefix.
	item := AppendIPDictList(nil, [][]byte{AppendIPDictContent(nil, hostEntryDict())})
	want := "74:UID:3:bob:HID:3:pc2:STAT:7:f640000:ACT:1:1:IPAD:c:192.168.20.7:PORT:3:979:NCK:3:Bob:GRP:3:dev:CVER:f:00010002:4:99:3"
	if string(item) != want {
		t.Errorf("host entry\n got %q\nwant %q", item, want)
	}
	// The \nIP: line of an agent's BR_ENTRY.
	var d Dict
	d.SetInt("DRB", 1)
	d.SetStr("SVADR", "192.168.10.5")
	hint := AppendIPDict(nil, d)
	if b64 := base64.StdEncoding.EncodeToString(hint); len(hint) != 37 || b64 != "SVAyOjFjOkRSQjoxOjE6U1ZBRFI6YzoxOTIuMTY4LjEwLjU6Wg==" {
		t.Errorf("hint %q = %s", hint, b64)
	}
}

func TestParseIPDict(t *testing.T) {
	for _, v := range ipdictVectors {
		var want Dict
		v.build(&want)
		d, err := ParseIPDict([]byte(v.raw))
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if !reflect.DeepEqual(d.Keys(), want.Keys()) {
			t.Errorf("%s: keys %q, want %q", v.name, d.Keys(), want.Keys())
		}
		for _, k := range want.Keys() {
			got, _ := d.Raw(k)
			w, _ := want.Raw(k)
			if !bytes.Equal(got, w) {
				t.Errorf("%s: %s = %q, want %q", v.name, k, got, w)
			}
		}
		if out := AppendIPDict(nil, d); string(out) != v.raw {
			t.Errorf("%s: re-append %q", v.name, out)
		}
	}
}

func TestIPDictGetters(t *testing.T) {
	d, err := ParseIPDict([]byte(ipdictHeaderExample))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Int("key1"); n != 1000 || err != nil {
		t.Errorf("key1 = %d, %v", n, err)
	}
	if s, err := d.Str("key2"); s != "str1" || err != nil {
		t.Errorf("key2 = %q, %v", s, err)
	}
	sub, err := d.Dict("key3")
	if n, err2 := sub.Int("key31"); err != nil || n != -2000 || err2 != nil {
		t.Errorf("key3.key31 = %d, %v, %v", n, err, err2)
	}
	items, err := d.List("key4")
	if err != nil || len(items) != 2 {
		t.Fatalf("key4 = %q, %v", items, err)
	}
	for i, want := range []int64{1000, 2000} {
		if n, ok := parseInt(items[i]); !ok || n != want {
			t.Errorf("key4[%d] = %q", i, items[i])
		}
	}

	poll, err := ParseIPDict([]byte(dirPollExample))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := poll.Int("CMD"); Command(c) != DirPoll {
		t.Errorf("CMD = %#x", c)
	}
	if s, err := poll.Str("GRP"); s != "" || err != nil {
		t.Errorf("GRP = %q, %v", s, err)
	}
	nets, err := poll.DictList("NADRS")
	if err != nil || len(nets) != 1 {
		t.Fatalf("NADRS = %v, %v", nets, err)
	}
	if a, _ := nets[0].Str("ADR"); a != "192.168.20.0" {
		t.Errorf("ADR = %q", a)
	}
	if m, _ := nets[0].Int("MASK"); m != 24 {
		t.Errorf("MASK = %d", m)
	}

	var e Dict
	e.SetList("L", nil)
	e.SetBytes("B", []byte("\x00:"))
	e.SetRaw("U", []byte("3E8"))
	e.SetRaw("Z", []byte("0000000000000010"))
	e.SetRaw("F", []byte("ffffffffffffffff"))
	if l, err := e.DictList("L"); len(l) != 0 || err != nil {
		t.Errorf("empty list = %v, %v", l, err)
	}
	if b, err := e.Bytes("B"); string(b) != "\x00:" || err != nil {
		t.Errorf("B = %q, %v", b, err)
	}
	// Windows' reader is lenient with ints: upper case, leading zeros, 16 digits read as two's complement.
	for k, want := range map[string]int64{"U": 1000, "Z": 16, "F": -1} {
		if n, err := e.Int(k); n != want || err != nil {
			t.Errorf("%s = %d, %v; want %d", k, n, err, want)
		}
	}
	if !e.Has("B") || e.Has("nope") || e.Len() != 5 || !e.Delete("B") || e.Delete("B") || e.Len() != 4 {
		t.Errorf("Has/Len/Delete: %q", e.Keys())
	}
}

func TestIPDictGetterErrors(t *testing.T) {
	var d Dict
	d.SetStr("S", "x")
	d.SetRaw("N", []byte("-"))
	d.SetRaw("L", []byte("12345678901234567"))
	d.SetRaw("D", []byte("a:2:x"))
	d.SetRaw("H", []byte("5:a:1:x:4:a:2:"))
	d.SetRaw("BL", []byte("2:ab:"))
	for _, c := range []struct {
		get  func() error
		want string
	}{
		{func() error { _, err := d.Int("S"); return err }, `ipdict: key "S": value "x" is not a hex integer`},
		{func() error { _, err := d.Int("N"); return err }, `key "N": value "-"`},
		{func() error { _, err := d.Int("L"); return err }, `key "L": value "12345678901234567"`},
		{func() error { _, err := d.Dict("D"); return err }, `ipdict: key "D": key "a": value length 0x2: past the end (1 bytes left)`},
		{func() error { _, err := d.DictList("H"); return err }, `ipdict: key "H" item 1: key "a": value length 0x2: past the end (0 bytes left)`},
		{func() error { _, err := d.List("BL"); return err }, `ipdict: key "BL": item 0: ':' after the last item`},
		{func() error { _, err := d.Str("nope"); return err }, `ipdict: key "nope": no such key`},
	} {
		err := c.get()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	if _, err := d.Bytes("nope"); !errors.Is(err, ErrNoKey) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := d.DictList("nope"); !errors.Is(err, ErrNoKey) {
		t.Errorf("missing key: %v", err)
	}
}

func TestIPDictDepth(t *testing.T) {
	// Nest MaxIPDictDepth+1 dicts: the getters reach the deepest allowed level and refuse the next.
	var d Dict
	d.SetInt("leaf", 1)
	for range MaxIPDictDepth + 1 {
		var up Dict
		up.SetDict("in", d)
		d = up
	}
	top, err := ParseIPDict(AppendIPDict(nil, d))
	if err != nil {
		t.Fatal(err)
	}
	cur := top
	for level := 1; level <= MaxIPDictDepth; level++ {
		if cur, err = cur.Dict("in"); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
	}
	if _, err := cur.Dict("in"); err == nil || !strings.Contains(err.Error(), "nested more than 8 levels") {
		t.Errorf("too deep: %v", err)
	}
	var l Dict
	l.SetDictList("in", []Dict{{}})
	cur.SetRaw("list", AppendIPDictList(nil, [][]byte{AppendIPDictContent(nil, l)}))
	if _, err := cur.DictList("list"); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("too deep list: %v", err)
	}
	// A Clone keeps its level.
	if c := cur.Clone(); c.depth != MaxIPDictDepth {
		t.Errorf("clone depth %d", c.depth)
	}
}

func TestParseIPDictErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `ipdict: prefix "" is not "IP2:"`},
		{"IP2", `prefix "IP2"`},
		{"IP1:0::Z", `prefix "IP1:"`},
		{"ip2:0::Z", `prefix "ip2:"`},
		{"\x00IP2:0::Z", `prefix "\x00IP2"`},
		{"1:1:u:h:1:n\x00", `prefix "1:1:"`},
		{"IP2:", `content length: "" has no ':' after it`},
		{"IP2:0", `content length: "0" has no ':' after it`},
		{"IP2::Z", `content length: empty`},
		{"IP2:zz::Z", `content length: "zz" is not lowercase hex`},
		{"IP2:A:a:1:1:Z", `content length: "A" is not lowercase hex`},
		{"IP2:+5:a:1:1:Z", `content length: "+5" is not lowercase hex`},
		{"IP2: 5:a:1:1:Z", `content length: " 5" is not lowercase hex`},
		{"IP2:05:a:1:1:Z", `content length: "05" has a leading zero`},
		{"IP2:ffffffffffffffffffff:", `content length: "ffffffffffffffffffff" is over 25`},
		{"IP2:8:a:1:1:Z", `content length 0x8: past the end (7 bytes left)`},
		{"IP2:4:a:1:1:Z", `no ":Z" after the content: "1:Z"`},
		{"IP2:5:a:1:1Z", `no ":Z" after the content: "Z"`},
		{"IP2:5:a:1:1:z", `no ":Z" after the content: ":z"`},
		{"IP2:5:a:1:1", `no ":Z" after the content: ""`},
		{"IP2:5:a:1:1:Z\x00", `1 bytes after ":Z": "\x00"`},
		{"IP2:5:a:1:1:ZIP2:0::Z", `8 bytes after ":Z"`},
		{"IP2:0::Z\n", `1 bytes after ":Z"`},
		{"IP2:1:a:Z", `ipdict: entry 0: key "a" without ':'`},
		{"IP2:2:a::Z", `key "a": value length: "" has no ':' after it`},
		{"IP2:3::1::Z", `entry 0: empty key`},
		{"IP2:5:a:2:1:Z", `key "a": value length 0x2: past the end (1 bytes left)`},
		{"IP2:5:a:g:1:Z", `key "a": value length: "g" is not lowercase hex`},
		{"IP2:6:a:01:1:Z", `key "a": value length: "01" has a leading zero`},
		{"IP2:6:a:1:1::Z", `key "a": ':' after the last entry`},
		{"IP2:b:a:1:1:a:1:2:Z", `key "a": given twice`},
		{"IP2:5:\x00:1:1:Z", `entry 0: key "\x00" contains NUL`},
		{"IP2:b:a:1:1;b:1:2:Z", `key "a": ';' after the value instead of ':'`},
		{"IP2:8:a:1:1:bc:Z", `entry 1: key "bc" without ':'`},
	}
	for _, c := range cases {
		_, err := ParseIPDict([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ipdict: ") {
			t.Errorf("ParseIPDict(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestParseIPDictList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"0:", []string{""}, ""},
		{"1:::1:Z", []string{":", "Z"}, ""},
		{"2:\x00\x01:0::3:a:b", []string{"\x00\x01", "", "a:b"}, ""},
		{"1", nil, `item 0: length: "1" has no ':' after it`},
		{"2:a", nil, `item 0: length 0x2: past the end (1 bytes left)`},
		{"1:a:", nil, `item 0: ':' after the last item`},
		{"1:ab", nil, `item 0: 'b' after the item instead of ':'`},
		{"00:", nil, `item 0: length: "00" has a leading zero`},
		{":", nil, `item 0: length: empty`},
		{"1:a:-1:", nil, `item 1: length: "-1" is not lowercase hex`},
	} {
		items, err := ParseIPDictList([]byte(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseIPDictList(%q) = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		var got []string
		for _, it := range items {
			got = append(got, string(it))
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseIPDictList(%q) = %q, %v", c.in, got, err)
			continue
		}
		if out := AppendIPDictList(nil, items); string(out) != c.in {
			t.Errorf("AppendIPDictList(%q) = %q", got, out)
		}
	}
}

// member-master.md §1.4 and §1.7: the DIR_POLL with its signature block, dummy modulus 00 01 .. ff.
func TestSignedBytes(t *testing.T) {
	d := dirPollDict()
	if _, err := SignedBytes(d); err == nil || !strings.Contains(err.Error(), "SIGN is not the last key") {
		t.Errorf("unsigned dict: %v", err)
	}
	modulus := make([]byte, 256)
	for i := range modulus {
		modulus[i] = byte(i)
	}
	d.SetInt(KeyPubE, 65537)
	d.SetBytes(KeyPubN, modulus)
	d.SetInt(KeyEF, SignSHA256)
	d.SetInt(KeyEC, 0x65920006)
	packed := AppendIPDict(nil, d)
	sum := sha256.Sum256(packed)
	if len(packed) != 492 || !bytes.HasPrefix(packed, []byte("IP2:1e2:VER:1:3:")) ||
		!bytes.HasSuffix(packed, []byte(":PUBE:5:10001:PUBN:100:"+string(modulus)+":EF:8:40000000:EC:8:65920006:Z")) ||
		hex.EncodeToString(sum[:]) != "a2f9a290c210be9e63ec64a651694dfe95965c4c2e81232df89d64897fce13fb" {
		t.Fatalf("packed for signing: %d bytes, SHA-256 %x", len(packed), sum)
	}

	sig := bytes.Repeat([]byte{0xA5}, 256)
	d.SetBytes(KeySign, sig)
	wire := AppendIPDict(nil, d)
	if len(wire) != 758 || !bytes.HasPrefix(wire, []byte("IP2:2ec:")) {
		t.Fatalf("signed datagram: %d bytes %q...", len(wire), wire[:8])
	}
	got, err := ParseIPDict(wire)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := SignedBytes(got)
	if err != nil || !bytes.Equal(signed, packed) {
		t.Errorf("SignedBytes = %d bytes, %v", len(signed), err)
	}
	if s, _ := got.Bytes(KeySign); !bytes.Equal(s, sig) {
		t.Errorf("SIGN = %x", s)
	}
	// Equivalently: the received content up to ":SIGN:", re-framed.
	content := wire[len("IP2:2ec:"):bytes.Index(wire, []byte(":SIGN:"))]
	reframed := append([]byte("IP2:1e2:"), content...)
	if !bytes.Equal(append(reframed, ":Z"...), signed) {
		t.Errorf("re-framed content differs")
	}
	// Re-signing: SIGN goes away and comes back last.
	got.Delete(KeySign)
	got.SetInt(KeyEC, 0x65920007)
	got.SetBytes(KeySign, sig)
	if k := got.Keys(); k[len(k)-1] != KeySign || len(k) != 17 {
		t.Errorf("keys after re-signing: %q", k)
	}
	// SIGN present but not last is not a signed dict.
	got.SetInt("X", 1)
	if _, err := SignedBytes(got); err == nil {
		t.Error("SIGN not last: no error")
	}
	if _, err := SignedBytes(Dict{}); err == nil {
		t.Error("empty dict: no error")
	}
	var only Dict
	only.SetBytes(KeySign, sig)
	if s, err := SignedBytes(only); string(s) != "IP2:0::Z" || err != nil {
		t.Errorf("only SIGN: %q, %v", s, err)
	}
}

func TestIPDictLen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		err  string
	}{
		{"", 0, ""},
		{"IP", 0, ""},
		{"IP2:", 0, ""},
		{"IP2:2e", 0, ""},
		{"IP2:2ec:", 758, ""},
		{dirPollExample, len(dirPollExample), ""},
		{"IP2:0::Z", 8, ""},
		{"IQ", 0, `prefix "IQ"`},
		{"1:2:", 0, `prefix "1:2:"`},
		{"IP2:00:", 0, `leading zero`},
		{"IP2:X:", 0, `not lowercase hex`},
		{"IP2:11111111111111111", 0, `has no ':' after it`},
		{"IP2:fffffffffff:", 0, `is over`},
	} {
		n, err := IPDictLen([]byte(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("IPDictLen(%q) = %d, %v; want %q", c.in, n, err, c.err)
			}
			continue
		}
		if n != c.want || err != nil {
			t.Errorf("IPDictLen(%q) = %d, %v; want %d", c.in, n, err, c.want)
		}
	}
}

func TestIPDictSetRawPanics(t *testing.T) {
	for _, key := range []string{"", "a:b", "a\x00"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetRaw(%q) did not panic", key)
				}
			}()
			var d Dict
			d.SetRaw(key, nil)
		}()
	}
}

func TestIPDictIndex(t *testing.T) {
	// Past indexFrom keys, lookups use the map: overwrite, delete and re-add still keep the wire order.
	var d Dict
	for i := range 40 {
		d.SetInt(string(rune('A'+i)), int64(i))
	}
	d.SetInt("C", 100)
	d.Delete("B")
	d.SetInt("B", 1)
	for i := range 40 {
		k := string(rune('A' + i))
		n, err := d.Int(k)
		want := int64(i)
		if k == "C" {
			want = 100
		}
		if n != want || err != nil {
			t.Errorf("%s = %d, %v", k, n, err)
		}
	}
	if k := d.Keys(); k[0] != "A" || k[1] != "C" || k[39] != "B" {
		t.Errorf("order %q", k)
	}
	c := d.Clone()
	c.SetInt("A", 7)
	if n, _ := d.Int("A"); n != 0 {
		t.Errorf("Clone shares values")
	}
	back, err := ParseIPDict(AppendIPDict(nil, d))
	if err != nil || !reflect.DeepEqual(back.Keys(), d.Keys()) {
		t.Errorf("round trip: %v", err)
	}
}

// Parsed values alias the datagram; Bytes copies, Clone copies.
func TestIPDictAliasing(t *testing.T) {
	b := []byte("IP2:b:A:1:x:B:1:y:Z")
	d, err := ParseIPDict(b)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Clone()
	copied, _ := d.Bytes("A")
	raw, _ := d.Raw("A")
	b[10] = 'q'
	if s, _ := c.Str("A"); s != "x" || string(copied) != "x" || string(raw) != "q" {
		t.Errorf("clone %q, copy %q, raw %q", s, copied, raw)
	}
	// A value slice cannot grow into the next entry.
	if cap(raw) != 1 {
		t.Errorf("cap %d", cap(raw))
	}
}

func BenchmarkParseIPDict(b *testing.B) {
	raw := []byte(dirPollExample)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := ParseIPDict(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendIPDict(b *testing.B) {
	d := dirPollDict()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(dirPollExample)))
	for b.Loop() {
		buf = AppendIPDict(buf[:0], d)
	}
}

func TestDirConstants(t *testing.T) {
	// member-master.md §2.1 and §2.6.
	for c, want := range map[Command]uint32{
		DirPoll: 0xB0, DirPollAgent: 0xB1, DirBroadcast: 0xB2, DirAnsBroad: 0xB3, DirPacket: 0xB4, DirRequest: 0xB5,
		DirAgentPacket: 0xB6, DirEvBroad: 0xB7, DirAgentReject: 0xB8, DirMasterOpt: 0x10000000,
	} {
		if uint32(c) != want {
			t.Errorf("%v = %#x, want %#x", c, uint32(c), want)
		}
	}
}
