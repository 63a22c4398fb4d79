package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func iptuxTimes(mtime, ctime string) []Ext {
	return []Ext{{Code: ExtMtime, Value: mtime}, {Code: ExtCreateTime, Value: ctime}}
}

// Folder stream headers as peers send them (INTEROP.md §3.5, §5.2, §5.3; notes/IPTUX.md).
var dirHeaderVectors = []struct {
	name   string
	header string
	want   DirHeader
}{
	// notes/IPTUX.md, captured from iptux (the "..." of the note filled in with the folder's times).
	{"iptux top folder", "0036:iptux-folder:000000000:2:14=6b0280fc:16=6b0280fc:",
		DirHeader{Name: "iptux-folder", Attr: TypeDir, Ext: iptuxTimes("6b0280fc", "6b0280fc")}},
	{"iptux inner folder", "002f:inner:000000000:2:14=6b0280fc:16=6b0280fc:",
		DirHeader{Name: "inner", Attr: TypeDir, Ext: iptuxTimes("6b0280fc", "6b0280fc")}},
	{"iptux file", "0032:beta.txt:00000000c:1:14=6b0280fc:16=6b0280fc:",
		DirHeader{Name: "beta.txt", Size: 12, Attr: TypeRegular, Ext: iptuxTimes("6b0280fc", "6b0280fc")}},
	{"iptux RETPARENT", "0023:.:0:3:14=6b0280fc:16=6b0280fc:",
		DirHeader{Name: ".", Attr: TypeRetParent, Ext: iptuxTimes("6b0280fc", "6b0280fc")}},
	// INTEROP.md §5.2, captured from iptux 0.8.3.
	{"§5.2 folder", "002e:proj:000000000:2:14=65937d25:16=6b027b4f:",
		DirHeader{Name: "proj", Attr: TypeDir, Ext: iptuxTimes("65937d25", "6b027b4f")}},
	{"§5.2 file", "0032:data.bin:00000000a:1:14=65937d25:16=6b027b4f:",
		DirHeader{Name: "data.bin", Size: 10, Attr: TypeRegular, Ext: iptuxTimes("65937d25", "6b027b4f")}},
	{"§5.2 UTF-8 name", "0037:日本語.txt:000000001:1:14=65937d25:16=6b027b4f:",
		DirHeader{Name: "日本語.txt", Size: 1, Attr: TypeRegular, Ext: iptuxTimes("65937d25", "6b027b4f")}},
	{"§5.2 RETPARENT", "0023:.:0:3:14=65937d25:16=6b027b4f:",
		DirHeader{Name: ".", Attr: TypeRetParent, Ext: iptuxTimes("65937d25", "6b027b4f")}},
	// Mac: uppercase, sizes unpadded, "::" when there are no attributes, RETPARENT literal.
	{"Mac RETPARENT", "000B:.:0:3:", DirHeader{Name: ".", Attr: TypeRetParent}},
	{"Mac RETPARENT lowercase", "000b:.:0:3:", DirHeader{Name: ".", Attr: TypeRetParent}},
	{"Mac file without attributes", "0010:a.txt:5:1::", DirHeader{Name: "a.txt", Size: 5, Attr: TypeRegular}},
	{"Mac file", "0034:Notes.txt:1F4:1:16=65937D25:14=65937D25:10=1A4:",
		DirHeader{Name: "Notes.txt", Size: 0x1f4, Attr: TypeRegular,
			Ext: []Ext{{ExtCreateTime, "65937D25"}, {ExtMtime, "65937D25"}, {0x10, "1A4"}}}},
	{"Mac folder", "002F:Folder:0:2:16=65937D25:14=65937D25:10=1ED:",
		DirHeader{Name: "Folder", Attr: TypeDir, Ext: []Ext{{ExtCreateTime, "65937D25"}, {ExtMtime, "65937D25"}, {0x10, "1ED"}}}},
	{"Mac 4 GiB+ file", "001A:mac.iso:100000005:1::", DirHeader{Name: "mac.iso", Size: 0x1_0000_0005, Attr: TypeRegular}},
	// WIN: size as %x%08x (hi/lo), option bits in attr.
	{"WIN 4 GiB+ file", "0031:big.iso:100000005:1:14=65937d25:16=65937d25:",
		DirHeader{Name: "big.iso", Size: 0x1_0000_0005, Attr: TypeRegular, Ext: iptuxTimes("65937d25", "65937d25")}},
	{"WIN hidden file", "0037:hidden.ini:000000010:1001:14=65937d25:16=6b027b4f:",
		DirHeader{Name: "hidden.ini", Size: 16, Attr: 0x1001, Ext: iptuxTimes("65937d25", "6b027b4f")}},
	{"16-digit size, system file", "0030:huge.bin:0000000100000005:8001:14=65937d25:",
		DirHeader{Name: "huge.bin", Size: 0x1_0000_0005, Attr: 0x8001, Ext: []Ext{{ExtMtime, "65937d25"}}}},
	{"largest size", "001d:huge:7fffffffffffffff:1:", DirHeader{Name: "huge", Size: 1<<63 - 1, Attr: 1}},
	{"escaped colon", "0032:a::b.txt:000000003:1:14=65937d25:16=6b027b4f:",
		DirHeader{Name: "a:b.txt", Size: 3, Attr: 1, Ext: iptuxTimes("65937d25", "6b027b4f")}},
}

func TestParseDirHeader(t *testing.T) {
	for _, v := range dirHeaderVectors {
		got, err := ParseDirHeader([]byte(v.header))
		if err != nil || !reflect.DeepEqual(got, v.want) {
			t.Errorf("%s: ParseDirHeader(%q)\n got %+v, %v\nwant %+v", v.name, v.header, got, err, v.want)
		}
		// The same through a reader, with more stream after it that must stay unread.
		r := strings.NewReader(v.header + "rest")
		got, err = ReadDirHeader(r, make([]byte, MaxDirHeader))
		if err != nil || !reflect.DeepEqual(got, v.want) || r.Len() != len("rest") {
			t.Errorf("%s: ReadDirHeader = %+v, %v, %d bytes left", v.name, got, err, r.Len())
		}
	}
}

func TestDirHeaderType(t *testing.T) {
	for attr, want := range map[uint32]uint32{1: 1, 2: 2, 3: 3, 0x8001: 1, 0x1001: 1, 0x102: 2, 0x2003: 3, 0x104: 4} {
		if got := (DirHeader{Attr: attr}).Type(); got != want {
			t.Errorf("attr %#x: Type %#x, want %#x", attr, got, want)
		}
	}
}

// withLen puts the right 4-digit length in front of a header body.
func withLen(body string) string { return fmt.Sprintf("%04x:%s", 5+len(body), body) }

func TestParseDirHeaderErrors(t *testing.T) {
	cases := []struct {
		header string
		field  string
	}{
		{"", "want HHHH"},
		{"0023", "want HHHH"},
		{"0023;.:0:3:14=65937d25:16=6b027b4f:", "want HHHH"},
		{withLen(".:0:3:14=65937d25"), "want HHHH"}, // no final ':'
		{"0024:.:0:3:14=65937d25:16=6b027b4f:", "length"},
		{"0022:.:0:3:14=65937d25:16=6b027b4f:", "length"},
		{"00zz:.:0:3:14=65937d25:16=6b027b4f:", "length"},
		{"+023:.:0:3:14=65937d25:16=6b027b4f:", "length"},
		{withLen(".:0:"), "size and attr"},
		{withLen(".:"), "size and attr"},
		{withLen("a::b:"), "size and attr"},
		{withLen("x:zz:1:"), "size"},
		{withLen("x::1:"), "size"},
		{withLen("x:8000000000000000:1:"), "size"}, // 2^63 does not fit an int64
		{withLen("x:-1:1:"), "size"},
		{withLen("x:5:zz:"), "attr"},
		{withLen("x:5::"), "attr"},
		{withLen("x:5:100000000:"), "attr"}, // more than 32 bits
		{withLen("x:5:1:junk:"), "extended attribute"},
		{withLen("x:5:1:14=65937d25:q=1:"), "extended attribute"},
	}
	for _, c := range cases {
		got, err := ParseDirHeader([]byte(c.header))
		if err == nil {
			t.Errorf("ParseDirHeader(%q) = %+v, no error", c.header, got)
			continue
		}
		if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("ParseDirHeader(%q): error %q, want ErrHeader naming %s", c.header, err, c.field)
		}
	}
}

func TestReadDirHeaderErrors(t *testing.T) {
	long := withLen(strings.Repeat("n", 2000) + ":5:1:")
	cases := []struct {
		name   string
		stream string
		field  string
		read   int // bytes consumed before giving up
	}{
		{"length over MaxDirHeader", "0401:" + strings.Repeat("x", 1100), "limit 1024", 5},
		{"largest length", "ffff:" + strings.Repeat("x", 1100), "limit 1024", 5},
		{"real header too long", long, "limit 1024", 5},
		{"length too short", "000a:.:0:3:", "too short", 5},
		{"length zero", "0000:", "too short", 5},
		{"length not hex", "00zz:.:0:3:14=65937d25:16=6b027b4f:", "not hex", 5},
		{"length with sign", "+023:.:0:3:14=65937d25:16=6b027b4f:", "not hex", 5},
		{"length not 4 digits", "023:.:0:3:", "not 4 hex digits", 5},
		{"length one byte longer than the header", "0024:.:0:3:14=65937d25:16=6b027b4f:0023:", "want HHHH", 0x24},
		{"bad size", withLen("x:zz:1:") + "more", "size", len(withLen("x:zz:1:"))},
		{"ends inside the length", "002", "inside a header length", 3},
		{"ends after the length", "0023:", "inside a 35-byte header", 5},
		{"ends inside a header", "0023:.:0:3:14=", "inside a 35-byte header", 14},
		{"ends one byte short", "0023:.:0:3:14=65937d25:16=6b027b4f", "inside a 35-byte header", 34},
	}
	for _, c := range cases {
		for _, one := range []bool{false, true} {
			sr := strings.NewReader(c.stream)
			var r io.Reader = sr
			if one {
				r = iotest.OneByteReader(sr)
			}
			h, err := ReadDirHeader(r, make([]byte, MaxDirHeader))
			if err == nil {
				t.Errorf("%s: ReadDirHeader(%q) = %+v, no error", c.name, c.stream, h)
				continue
			}
			if !errors.Is(err, ErrHeader) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
				!strings.Contains(err.Error(), c.field) {
				t.Errorf("%s: error %q, want ErrHeader (not EOF) naming %s", c.name, err, c.field)
			}
			if read := len(c.stream) - sr.Len(); read != c.read {
				t.Errorf("%s: read %d bytes, want %d", c.name, read, c.read)
			}
		}
	}
}

func TestReadDirHeaderEOF(t *testing.T) {
	buf := make([]byte, MaxDirHeader)
	if _, err := ReadDirHeader(strings.NewReader(""), buf); err != io.EOF {
		t.Errorf("empty stream: %v, want io.EOF itself", err)
	}
	// After a last header that the reader returned together with io.EOF.
	r := iotest.DataErrReader(strings.NewReader("000B:.:0:3:"))
	if h, err := ReadDirHeader(r, buf); err != nil || h.Type() != TypeRetParent {
		t.Fatalf("RETPARENT then EOF: %+v, %v", h, err)
	}
	if _, err := ReadDirHeader(r, buf); err != io.EOF {
		t.Errorf("after the last header: %v, want io.EOF", err)
	}
	// Other reader errors come back as they are.
	boom := errors.New("connection reset")
	if _, err := ReadDirHeader(iotest.ErrReader(boom), buf); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
	// An error inside a header is a header error, never a clean end.
	_, err := ReadDirHeader(io.MultiReader(strings.NewReader("0023:.:0"), iotest.ErrReader(io.EOF)), buf)
	if !errors.Is(err, ErrHeader) || errors.Is(err, io.EOF) {
		t.Errorf("EOF inside a header: %v", err)
	}
}

func TestReadDirHeaderMaxLength(t *testing.T) {
	// A header of exactly MaxDirHeader bytes is accepted, one byte more is not.
	for _, n := range []int{MaxDirHeader, MaxDirHeader + 1} {
		body := ":5:1:"
		hdr := withLen(strings.Repeat("n", n-5-len(body)) + body)
		if len(hdr) != n {
			t.Fatalf("built %d bytes, want %d", len(hdr), n)
		}
		h, err := ReadDirHeader(strings.NewReader(hdr+"12345"), make([]byte, MaxDirHeader))
		if n <= MaxDirHeader && (err != nil || h.Size != 5 || len(h.Name) != n-10) {
			t.Errorf("%d-byte header: %v", n, err)
		}
		if n > MaxDirHeader && !errors.Is(err, ErrHeader) {
			t.Errorf("%d-byte header: %v, want ErrHeader", n, err)
		}
	}
}

// streamEntry is a header read from a folder stream and the file data after it.
type streamEntry struct {
	h    DirHeader
	data string
}

// readDirStream reads a folder stream to its end as a receiver does: a header, then Size bytes of data for a
// regular file. It checks that each header is read without taking any byte after it from the reader.
func readDirStream(t *testing.T, stream string, wrap func(io.Reader) io.Reader) []streamEntry {
	t.Helper()
	r := &countingReader{r: wrap(strings.NewReader(stream))}
	buf := make([]byte, MaxDirHeader)
	var out []streamEntry
	for {
		start := r.n
		h, err := ReadDirHeader(r, buf)
		if err == io.EOF {
			if start != len(stream) {
				t.Fatalf("io.EOF at %d of %d bytes", start, len(stream))
			}
			return out
		}
		if err != nil {
			t.Fatalf("header at %d: %v", start, err)
		}
		var n int
		fmt.Sscanf(stream[start:start+4], "%x", &n)
		if read := r.n - start; read != n {
			t.Fatalf("header at %d: read %d bytes of a %d-byte header", start, read, n)
		}
		e := streamEntry{h: h}
		if h.Type() == TypeRegular {
			var data bytes.Buffer
			if _, err := io.CopyN(&data, r, h.Size); err != nil {
				t.Fatalf("data of %q: %v", h.Name, err)
			}
			e.data = data.String()
		}
		out = append(out, e)
	}
}

// countingReader counts the bytes its reader returned.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadDirHeaderIptuxStream(t *testing.T) {
	// notes/IPTUX.md: iptux's answer to GETDIRFILES for iptux-folder/{inner/beta.txt, alpha.txt}.
	const times = "14=6b0280fc:16=6b0280fc:"
	stream := "0036:iptux-folder:000000000:2:" + times +
		"002f:inner:000000000:2:" + times +
		"0032:beta.txt:00000000c:1:" + times + "beta content" +
		"0023:.:0:3:" + times +
		"0033:alpha.txt:000000006:1:" + times + "alpha\n" +
		"0023:.:0:3:" + times
	ext := iptuxTimes("6b0280fc", "6b0280fc")
	want := []streamEntry{
		{DirHeader{Name: "iptux-folder", Attr: 2, Ext: ext}, ""},
		{DirHeader{Name: "inner", Attr: 2, Ext: ext}, ""},
		{DirHeader{Name: "beta.txt", Size: 12, Attr: 1, Ext: ext}, "beta content"},
		{DirHeader{Name: ".", Attr: 3, Ext: ext}, ""},
		{DirHeader{Name: "alpha.txt", Size: 6, Attr: 1, Ext: ext}, "alpha\n"},
		{DirHeader{Name: ".", Attr: 3, Ext: ext}, ""},
	}
	checkDirStream(t, stream, want)
}

func TestReadDirHeaderCapturedStream(t *testing.T) {
	// INTEROP.md §5.2: iptux 0.8.3 serving proj/{readme.txt, sub/{data.bin, 日本語.txt}}.
	const times = "14=65937d25:16=6b027b4f:"
	stream := "002e:proj:000000000:2:" + times +
		"0034:readme.txt:00000000f:1:" + times + "top-level file\n" +
		"002d:sub:000000000:2:" + times +
		"0032:data.bin:00000000a:1:" + times + "0123456789" +
		"0037:日本語.txt:000000001:1:" + times + "x" +
		"0023:.:0:3:" + times +
		"0023:.:0:3:" + times
	ext := iptuxTimes("65937d25", "6b027b4f")
	want := []streamEntry{
		{DirHeader{Name: "proj", Attr: 2, Ext: ext}, ""},
		{DirHeader{Name: "readme.txt", Size: 15, Attr: 1, Ext: ext}, "top-level file\n"},
		{DirHeader{Name: "sub", Attr: 2, Ext: ext}, ""},
		{DirHeader{Name: "data.bin", Size: 10, Attr: 1, Ext: ext}, "0123456789"},
		{DirHeader{Name: "日本語.txt", Size: 1, Attr: 1, Ext: ext}, "x"},
		{DirHeader{Name: ".", Attr: 3, Ext: ext}, ""},
		{DirHeader{Name: ".", Attr: 3, Ext: ext}, ""},
	}
	checkDirStream(t, stream, want)
}

func TestReadDirHeaderMacStream(t *testing.T) {
	stream := "002F:Folder:0:2:16=65937D25:14=65937D25:10=1ED:" +
		"0010:a.txt:5:1::" + "hello" +
		"0010:empty:0:1::" +
		"000B:.:0:3:"
	want := []streamEntry{
		{DirHeader{Name: "Folder", Attr: 2, Ext: []Ext{{ExtCreateTime, "65937D25"}, {ExtMtime, "65937D25"}, {0x10, "1ED"}}}, ""},
		{DirHeader{Name: "a.txt", Size: 5, Attr: 1}, "hello"},
		{DirHeader{Name: "empty", Attr: 1}, ""},
		{DirHeader{Name: ".", Attr: 3}, ""},
	}
	checkDirStream(t, stream, want)
}

// checkDirStream reads stream whole through several readers, then cut at every byte: a cut between
// entries is a clean io.EOF, a cut inside a header is ErrHeader and never io.EOF.
func checkDirStream(t *testing.T, stream string, want []streamEntry) {
	t.Helper()
	wraps := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"one byte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
		{"data+EOF", iotest.DataErrReader},
	}
	for _, w := range wraps {
		if got := readDirStream(t, stream, w.wrap); !reflect.DeepEqual(got, want) {
			t.Errorf("%s reader:\n got %+v\nwant %+v", w.name, got, want)
		}
	}

	// Where each header starts and ends, and where its data ends.
	type span struct{ start, end, dataEnd int }
	var spans []span
	for pos, i := 0, 0; pos < len(stream); i++ {
		var n int
		fmt.Sscanf(stream[pos:pos+4], "%x", &n)
		s := span{pos, pos + n, pos + n}
		if want[i].h.Type() == TypeRegular {
			s.dataEnd += int(want[i].h.Size)
		}
		spans = append(spans, s)
		pos = s.dataEnd
	}
	buf := make([]byte, MaxDirHeader)
	for cut := 0; cut < len(stream); cut++ {
		r := strings.NewReader(stream[:cut])
		for _, s := range spans {
			_, err := ReadDirHeader(r, buf)
			switch {
			case cut == s.start:
				if err != io.EOF {
					t.Errorf("cut at %d, before a header: %v, want io.EOF", cut, err)
				}
			case cut < s.end:
				if !errors.Is(err, ErrHeader) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("cut at %d, inside header %d-%d: %v, want ErrHeader", cut, s.start, s.end, err)
				}
			case err != nil:
				t.Errorf("cut at %d, after header %d-%d: %v", cut, s.start, s.end, err)
			}
			if cut < s.dataEnd {
				break
			}
			io.CopyN(io.Discard, r, int64(s.dataEnd-s.end))
		}
	}
}

func TestAppendDirHeader(t *testing.T) {
	times := iptuxTimes("65937d25", "6b027b4f")
	cases := []struct {
		h    DirHeader
		want string
	}{
		{DirHeader{Name: "data.bin", Size: 10, Attr: 1, Ext: times}, "0032:data.bin:00000000a:1:14=65937d25:16=6b027b4f:"},
		{DirHeader{Name: "proj", Attr: 2, Ext: times}, "002e:proj:000000000:2:14=65937d25:16=6b027b4f:"},
		{DirHeader{Name: "日本語.txt", Size: 1, Attr: 1, Ext: times}, "0037:日本語.txt:000000001:1:14=65937d25:16=6b027b4f:"},
		{DirHeader{Name: "iptux-folder", Attr: 2, Ext: iptuxTimes("6b0280fc", "6b0280fc")},
			"0036:iptux-folder:000000000:2:14=6b0280fc:16=6b0280fc:"},
		// RETPARENT: the size is padded like WIN's %x%08x (iptux writes a bare "0" here).
		{DirHeader{Name: ".", Attr: 3, Ext: times}, "002b:.:000000000:3:14=65937d25:16=6b027b4f:"},
		{DirHeader{Name: ".", Attr: 3}, "0013:.:000000000:3:"},
		// WIN's hi/lo size for 4 GiB+, and a longer one.
		{DirHeader{Name: "big.iso", Size: 0x1_0000_0005, Attr: 1}, "0019:big.iso:100000005:1:"},
		{DirHeader{Name: "big.iso", Size: 0x12_3456_7890, Attr: 1}, "001a:big.iso:1234567890:1:"},
		{DirHeader{Name: "huge", Size: 1<<63 - 1, Attr: 0x8001}, "0020:huge:7fffffffffffffff:8001:"},
		{DirHeader{Name: "a:b", Size: 3, Attr: 0x1001}, "0019:a::b:000000003:1001:"},
		{DirHeader{Name: "Notes.txt", Size: 0x1f4, Attr: 1, Ext: []Ext{{0x16, "65937D25"}, {0x10, "1A4"}}},
			"002e:Notes.txt:0000001f4:1:16=65937D25:10=1A4:"},
	}
	for _, c := range cases {
		got, ok := AppendDirHeader(nil, c.h)
		if !ok || string(got) != c.want {
			t.Errorf("AppendDirHeader(%+v)\n got %q, %v\nwant %q", c.h, got, ok, c.want)
			continue
		}
		back, err := ParseDirHeader(got)
		if err != nil || !reflect.DeepEqual(back, c.h) {
			t.Errorf("ParseDirHeader(%q) = %+v, %v; want %+v", got, back, err, c.h)
		}
		// After other bytes (file data before the next header): those stay, the length counts the header only.
		prefix := []byte("previous file data")
		got, ok = AppendDirHeader(prefix, c.h)
		if !ok || string(got) != string(prefix)+c.want {
			t.Errorf("AppendDirHeader after data: %q, %v", got, ok)
		}
	}
}

func TestAppendDirHeaderTooLong(t *testing.T) {
	base := len("0000::000000005:1:") // everything but the name
	for _, c := range []struct {
		nameLen int
		ok      bool
	}{
		{MaxDirHeader - base, true},
		{MaxDirHeader - base + 1, false},
		{4000, false},
		{70000, false}, // longer than the 4 length digits can say
	} {
		h := DirHeader{Name: strings.Repeat("n", c.nameLen), Size: 5, Attr: 1}
		dst := []byte("data")
		got, ok := AppendDirHeader(dst, h)
		if ok != c.ok {
			t.Errorf("%d-byte name: ok %v, want %v", c.nameLen, ok, c.ok)
			continue
		}
		if !ok {
			if string(got) != "data" {
				t.Errorf("%d-byte name: dst changed to %d bytes", c.nameLen, len(got))
			}
			continue
		}
		if len(got)-len(dst) != MaxDirHeader || string(got[:9]) != "data0400:" {
			t.Errorf("%d-byte name: %d bytes, starts %q", c.nameLen, len(got)-len(dst), got[:9])
		}
		if back, err := ReadDirHeader(bytes.NewReader(got[len(dst):]), make([]byte, MaxDirHeader)); err != nil ||
			!reflect.DeepEqual(back, h) {
			t.Errorf("read back: %v", err)
		}
	}
	// Escaped colons count twice.
	h := DirHeader{Name: strings.Repeat(":", (MaxDirHeader-base)/2+1), Size: 5, Attr: 1}
	if _, ok := AppendDirHeader(nil, h); ok {
		t.Errorf("a name of %d colons fits", len(h.Name))
	}
}

func TestDirHeaderStreamRoundTrip(t *testing.T) {
	// A sender's stream built with AppendDirHeader reads back header by header.
	times := iptuxTimes("65937d25", "6b027b4f")
	want := []streamEntry{
		{DirHeader{Name: "top", Attr: 2, Ext: times}, ""},
		{DirHeader{Name: "a:b.txt", Size: 3, Attr: 1, Ext: times}, "abc"},
		{DirHeader{Name: "empty", Attr: 0x8001}, ""},
		{DirHeader{Name: "sub", Attr: 0x1002}, ""},
		{DirHeader{Name: "0023:.:0:3:", Size: 11, Attr: 1}, "000B:.:0:3:"}, // headers inside names and data are just bytes
		{DirHeader{Name: ".", Attr: 3}, ""},
		{DirHeader{Name: ".", Attr: 3, Ext: times}, ""},
	}
	var stream []byte
	for _, e := range want {
		var ok bool
		if stream, ok = AppendDirHeader(stream, e.h); !ok {
			t.Fatalf("AppendDirHeader(%+v) failed", e.h)
		}
		stream = append(stream, e.data...)
	}
	checkDirStream(t, string(stream), want)
}
