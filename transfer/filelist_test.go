package transfer

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Attachment lists as peers send them (INTEROP.md §3.4, §5.2, §5.3; notes/IPTUX.md "Byte-exact packets").
var fileListVectors = []struct {
	name string
	list string
	want []File
}{
	{"iptux file offer (captured)", "10000:iptux-to-probe.txt:29d:6b0280fc:1:\a\x00",
		[]File{{ID: 10000, Name: "iptux-to-probe.txt", Size: 0x29d, Mtime: 0x6b0280fc, Attr: TypeRegular}}},
	{"iptux folder offer (captured)", "10001:iptux-folder:12:6b0280fc:2:\a\x00",
		[]File{{ID: 10001, Name: "iptux-folder", Size: 0x12, Mtime: 0x6b0280fc, Attr: TypeDir}}},
	{"iptux shared files (captured)", "1:a.txt:5:0:1:\a2:proj:1a:0:2:\a\x00",
		[]File{{ID: 1, Name: "a.txt", Size: 5, Attr: TypeRegular}, {ID: 2, Name: "proj", Size: 0x1a, Attr: TypeDir}}},
	{"WIN two entries", "123456789:report.pdf:1f400:65937d25:1:\a123456790:photos:0:65937d25:2:\a",
		[]File{
			{ID: 123456789, Name: "report.pdf", Size: 0x1f400, Mtime: 0x65937d25, Attr: TypeRegular},
			{ID: 123456790, Name: "photos", Mtime: 0x65937d25, Attr: TypeDir},
		}},
	{"WIN option bits: read-only dir, system file", "7:docs:3e8:65937d25:102:\a8:pagefile.sys:10:65937d25:8001:\a",
		[]File{
			{ID: 7, Name: "docs", Size: 0x3e8, Mtime: 0x65937d25, Attr: 0x102},
			{ID: 8, Name: "pagefile.sys", Size: 0x10, Mtime: 0x65937d25, Attr: 0x8001},
		}},
	{"WIN clipboard entry with position", "1073741824:ipmsgclip_r_1700000000_0.png:4d2:65937d25:20:8=1a:\a",
		[]File{{ID: 1073741824, Name: "ipmsgclip_r_1700000000_0.png", Size: 0x4d2, Mtime: 0x65937d25, Attr: TypeClipboard,
			Ext: []Ext{{Code: ExtClipboardPos, Value: "1a"}}}}},
	{"extended attributes, uppercase hex kept as sent", "3:a:5:0:1:14=65937D25:16=6b027b4f:\a",
		[]File{{ID: 3, Name: "a", Size: 5, Attr: 1, Ext: []Ext{{ExtMtime, "65937D25"}, {ExtCreateTime, "6b027b4f"}}}}},
	{"Mac-style empty field after attr", "3:a:5:0:1::\a", []File{{ID: 3, Name: "a", Size: 5, Attr: 1}}},
	{"4 GiB+ file", "42:disk.img:100000005:65937d25:1:\a",
		[]File{{ID: 42, Name: "disk.img", Size: 0x1_0000_0005, Mtime: 0x65937d25, Attr: 1}}},
	{"largest size", "42:huge:7fffffffffffffff:0:1:\a", []File{{ID: 42, Name: "huge", Size: 1<<63 - 1, Attr: 1}}},
	{"mtime before 1970", "1:old.txt:5:ffffffffffffff9c:1:\a", []File{{ID: 1, Name: "old.txt", Size: 5, Mtime: -100, Attr: 1}}},
	{"uppercase hex", "5:X.TXT:1F4:65937D25:1:\a", []File{{ID: 5, Name: "X.TXT", Size: 0x1f4, Mtime: 0x65937d25, Attr: 1}}},
	{"UTF-8 name", "0:日本語.txt:1:0:1:\a", []File{{Name: "日本語.txt", Size: 1, Attr: 1}}},
	{"escaped colon inside", "1:a::b.txt:5:0:1:\a", []File{{ID: 1, Name: "a:b.txt", Size: 5, Attr: 1}}},
	{"escaped colon first", "1:::lead:5:0:1:\a", []File{{ID: 1, Name: ":lead", Size: 5, Attr: 1}}},
	{"escaped colon last", "1:trail:::5:0:1:\a", []File{{ID: 1, Name: "trail:", Size: 5, Attr: 1}}},
	{"two escaped colons", "1:x::::y:5:0:1:\a", []File{{ID: 1, Name: "x::y", Size: 5, Attr: 1}}},
	{"only an escaped colon", "1::::5:0:1:\a", []File{{ID: 1, Name: ":", Size: 5, Attr: 1}}},
	{"unknown types skipped, later entries kept",
		"1:a:5:0:1:\a2:link:0:0:4:\a3:.:0:0:3:\a4:b:6:0:2:\a5:fifo:0:0:7:\a6:none:0:0:0:\a7:rolink:0:0:104:\a8:c:7:0:20:\a",
		[]File{{ID: 1, Name: "a", Size: 5, Attr: 1}, {ID: 4, Name: "b", Size: 6, Attr: 2}, {ID: 8, Name: "c", Size: 7, Attr: 0x20}}},
	{"empty", "", nil},
	{"only NUL", "\x00", nil},
	{"only separators", "\a:\a:\a\a:", nil},
	{"no final separator", "1:a:5:0:1", []File{{ID: 1, Name: "a", Size: 5, Attr: 1}}},
}

func TestParseFileList(t *testing.T) {
	for _, v := range fileListVectors {
		got, err := ParseFileList(v.list)
		if err != nil || !reflect.DeepEqual(got, v.want) {
			t.Errorf("%s: ParseFileList(%q)\n got %+v, %v\nwant %+v", v.name, v.list, got, err, v.want)
		}
	}
}

func TestParseFileListSeparators(t *testing.T) {
	want := []File{{ID: 1, Name: "a.txt", Size: 5, Attr: 1}, {ID: 2, Name: "b", Size: 6, Mtime: 0x65937d25, Attr: 2}}
	// iptux accepts and emits each of these between entries and after the last one (INTEROP.md §3.4).
	for _, sep := range []string{"\a", ":\a", "\a:", ":\a:"} {
		for _, tail := range []string{"", "\x00"} {
			list := "1:a.txt:5:0:1" + sep + "2:b:6:65937d25:2" + sep + tail
			got, err := ParseFileList(list)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("ParseFileList(%q) = %+v, %v", list, got, err)
			}
		}
	}
	// Separators can differ within one list.
	list := "1:a.txt:5:0:1\a:2:b:6:65937d25:2:\a"
	if got, err := ParseFileList(list); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseFileList(%q) = %+v, %v", list, got, err)
	}
}

func TestFileListType(t *testing.T) {
	cases := []struct {
		attr   uint32
		typ    uint32
		dir    bool
		parsed bool // kept by ParseFileList
	}{
		{0x1, TypeRegular, false, true},
		{0x2, TypeDir, true, true},
		{0x102, TypeDir, true, true},       // read-only folder (WIN)
		{0x8001, TypeRegular, false, true}, // system file (WIN)
		{0x8002, TypeDir, true, true},
		{0x1001, TypeRegular, false, true}, // hidden
		{0x20, TypeClipboard, false, true},
		{0x3, TypeRetParent, false, false},
		{0x4, 0x4, false, false},
		{0x104, 0x4, false, false},
		{0x0, 0x0, false, false},
		{0x201, 0x01, false, true},
		{0xffffff02, TypeDir, true, true},
	}
	for _, c := range cases {
		f := File{Attr: c.attr}
		if f.Type() != c.typ || f.IsDir() != c.dir {
			t.Errorf("attr %#x: Type %#x IsDir %v, want %#x %v", c.attr, f.Type(), f.IsDir(), c.typ, c.dir)
		}
		list := "9:n:1:0:" + strconv.FormatUint(uint64(c.attr), 16) + ":\a"
		got, err := ParseFileList(list)
		if err != nil || (len(got) == 1) != c.parsed || (c.parsed && got[0].Attr != c.attr) {
			t.Errorf("ParseFileList(%q) = %+v, %v; want kept %v with attr intact", list, got, err, c.parsed)
		}
	}
}

func TestFileListExtValue(t *testing.T) {
	files, err := ParseFileList("1073741824:clip.png:4d2:65937d25:20:8=1a:14=65937D25:16=zz:\a")
	if err != nil || len(files) != 1 {
		t.Fatalf("%+v %v", files, err)
	}
	f := files[0]
	cases := []struct {
		code uint32
		v    uint64
		ok   bool
	}{
		{ExtClipboardPos, 0x1a, true},
		{ExtMtime, 0x65937d25, true},
		{ExtCreateTime, 0, false}, // present but not hex
		{0x41, 0, false},          // absent
	}
	for _, c := range cases {
		if v, ok := f.ExtValue(c.code); v != c.v || ok != c.ok {
			t.Errorf("ExtValue(%#x) = %#x, %v; want %#x, %v", c.code, v, ok, c.v, c.ok)
		}
	}
	if v, ok := (File{}).ExtValue(ExtClipboardPos); v != 0 || ok {
		t.Errorf("ExtValue on no exts = %d, %v", v, ok)
	}
}

// iptux does not escape ':' in names: such an entry is read from the right, where no field holds ':'.
func TestParseFileListUnescapedColon(t *testing.T) {
	for _, c := range []struct{ list, name string }{
		{"1:a:x.txt:5:0:1:\a", "a:x.txt"},
		{"10000:a:b:c:29d:6b0280fc:1:\a", "a:b:c"},
		{"2:dir:x:12:0:2:14=6b0280fc:\a", "dir:x"},
		{"3:a::b:5:0:1:\a", "a:b"}, // escaped: Windows' reading wins
	} {
		files, err := ParseFileList(c.list)
		if err != nil || len(files) != 1 || files[0].Name != c.name {
			t.Errorf("ParseFileList(%q) = %+v, %v; want name %q", c.list, files, err, c.name)
		}
	}
	h, err := ParseDirHeader([]byte("0019:a:b.txt:00000000a:1:"))
	if err != nil || h.Name != "a:b.txt" || h.Size != 10 {
		t.Errorf("unescaped dir header: %+v, %v", h, err)
	}
}

func TestParseFileListErrors(t *testing.T) {
	cases := []struct {
		entry string
		field []string // each must appear in the error
	}{
		{"x1:a:5:0:1:", []string{"id", `"x1"`}},
		{"-1:a:5:0:1:", []string{"id"}},
		{"18446744073709551616:a:5:0:1:", []string{"id"}}, // 2^64
		{"12345", []string{"missing name"}},
		{"1:a:5:0", []string{"size, mtime and attr"}},
		{"1:a", []string{"size, mtime and attr"}},
		{"1:a:zz:0:1:", []string{"size", `"zz"`}},
		{"1:a::0:1:", []string{"size"}},
		{"1:a:-5:0:1:", []string{"size"}},
		{"1:a:0x5:0:1:", []string{"size"}},
		{"1:a:8000000000000000:0:1:", []string{"size"}}, // 2^63 does not fit an int64
		{"1:a:5:zz:1:", []string{"mtime", `"zz"`}},
		{"1:a:5:10000000000000000:1:", []string{"mtime"}}, // more than 64 bits
		{"1:a:5:0:1g:", []string{"attr", `"1g"`}},
		{"1:a:5:0::", []string{"attr"}},
		{"1:a:5:0:100000001:", []string{"attr"}}, // more than 32 bits
		{"1:a:5:0:1:junk:", []string{"extended attribute", `"junk"`}},
		{"1:a:5:0:1:zz=1:", []string{"extended attribute"}},
		{"1:a:5:0:1:=1:", []string{"extended attribute"}},
	}
	before := File{ID: 100, Name: "before", Size: 1, Attr: 1}
	after := File{ID: 101, Name: "after", Size: 2, Attr: 2}
	for _, c := range cases {
		// The bad entry sits between two good ones: it is reported, they are returned.
		list := "100:before:1:0:1:\a" + c.entry + "\a101:after:2:0:2:\a"
		got, err := ParseFileList(list)
		if err == nil {
			t.Errorf("ParseFileList(%q): no error", list)
			continue
		}
		for _, want := range c.field {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ParseFileList(%q): error %q does not mention %s", list, err, want)
			}
		}
		if !strings.Contains(err.Error(), "file list entry") {
			t.Errorf("error %q does not say what it is about", err)
		}
		if !reflect.DeepEqual(got, []File{before, after}) {
			t.Errorf("ParseFileList(%q) = %+v, want the two good entries", list, got)
		}
	}
}

func TestParseFileListSeveralErrors(t *testing.T) {
	got, err := ParseFileList("1:a:zz:0:1:\a2:b:5:0:1:\a3:c:5:0:qq:\a")
	if err == nil || !strings.Contains(err.Error(), `size "zz"`) || !strings.Contains(err.Error(), `attr "qq"`) {
		t.Errorf("error %v should name both bad fields", err)
	}
	if want := []File{{ID: 2, Name: "b", Size: 5, Attr: 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// A long bad entry is clipped in the message.
	long := strings.Repeat("9", 500) + "x:a:5:0:1:"
	if _, err := ParseFileList(long); err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a 500-byte entry: %v", err)
	}
}

func TestAppendFileList(t *testing.T) {
	files := []File{
		{ID: 123456789, Name: "report.pdf", Size: 0x1f400, Mtime: 0x65937d25, Attr: 0x8001},
		{ID: 123456790, Name: "photos", Size: 0x1_0000_0005, Mtime: 0x65937d25, Attr: 0x102},
		{ID: 1073741824, Name: "clip.png", Size: 0x4d2, Mtime: 0x65937d25, Attr: TypeClipboard, Ext: []Ext{{ExtClipboardPos, "1a"}}},
		{ID: 0, Name: "a:b", Size: 0, Mtime: 0, Attr: 1},
	}
	const want = "123456789:report.pdf:1f400:65937d25:8001:\a" +
		"123456790:photos:100000005:65937d25:102:\a" +
		"1073741824:clip.png:4d2:65937d25:20:8=1a:\a" +
		"0:a::b:0:0:1:\a"
	if got := string(AppendFileList(nil, files)); got != want {
		t.Errorf("AppendFileList\n got %q\nwant %q", got, want)
	}
	// It appends: the message body before the list is kept.
	if got := string(AppendFileList([]byte("see file\x00"), files[:1])); got != "see file\x00123456789:report.pdf:1f400:65937d25:8001:\a" {
		t.Errorf("AppendFileList after a body: %q", got)
	}
	if got := AppendFileList(nil, nil); len(got) != 0 {
		t.Errorf("AppendFileList of nothing: %q", got)
	}
	// A time before 1970 goes out as its 64-bit two's complement, which ParseFileList reads back.
	if got := string(AppendFileList(nil, []File{{ID: 1, Name: "old", Size: 1, Mtime: -100, Attr: 1}})); got != "1:old:1:ffffffffffffff9c:1:\a" {
		t.Errorf("AppendFileList(mtime -100) = %q", got)
	}
	// The same text as iptux's own offer.
	iptux := []File{{ID: 10000, Name: "iptux-to-probe.txt", Size: 0x29d, Mtime: 0x6b0280fc, Attr: 1}}
	if got := string(AppendFileList(nil, iptux)); got != "10000:iptux-to-probe.txt:29d:6b0280fc:1:\a" {
		t.Errorf("AppendFileList(iptux offer) = %q", got)
	}
}

func TestFileListRoundTrip(t *testing.T) {
	lists := [][]File{
		{{ID: 1, Name: "a.txt", Size: 5, Attr: 1}},
		{
			{ID: 1<<64 - 1, Name: ":x::y:", Size: 1<<63 - 1, Mtime: 1<<63 - 1, Attr: 1<<32 - 1 - 0xfd},
			{ID: 0, Name: "日本語 folder", Size: 0x1_0000_0005, Mtime: 0x65937d25, Attr: 0x102},
			{ID: 7, Name: "clip", Size: 0x10, Attr: 0x20, Ext: []Ext{{8, "1a"}, {0x14, "65937D25"}, {0x16, ""}}},
			{ID: 8, Name: " spaced name ", Size: 1, Attr: 0x8001},
			{ID: 9, Name: "1969.txt", Size: 1, Mtime: -1, Attr: 1}, // a file's time can be before 1970
			{ID: 10, Name: "oldest", Mtime: -1 << 63, Attr: 2},
		},
	}
	for _, v := range fileListVectors {
		if v.want != nil {
			lists = append(lists, v.want)
		}
	}
	for _, files := range lists {
		b := AppendFileList(nil, files)
		got, err := ParseFileList(string(b))
		if err != nil || !reflect.DeepEqual(got, files) {
			t.Errorf("round trip of %q\n got %+v, %v\nwant %+v", b, got, err, files)
		}
	}
}
