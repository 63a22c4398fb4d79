package transfer

import (
	"reflect"
	"strings"
	"testing"
)

// GETFILEDATA / GETDIRFILES message parts as each client writes them (INTEROP.md §3.3, §5.2, §5.3;
// notes/IPTUX.md "Byte-exact packets").
var requestVectors = []struct {
	name string
	msg  string
	want RequestArgs
}{
	{"iptux GETFILEDATA (captured)", "6b028113:0:0", RequestArgs{Packet: 0x6b028113, FileID: "0"}},
	{"iptux GETDIRFILES (captured)", "6b028114:0:0", RequestArgs{Packet: 0x6b028114, FileID: "0"}},
	{"iptux GETFILEDATA with offset", "6b028113:2710:1f4", RequestArgs{Packet: 0x6b028113, FileID: "2710", Offset: 0x1f4}},
	{"iptux decimal file id", "6b028113:10000:0", RequestArgs{Packet: 0x6b028113, FileID: "10000"}},
	{"WIN GETFILEDATA", "65937d25:3ade68b1:0:", RequestArgs{Packet: 0x65937d25, FileID: "3ade68b1"}},
	{"WIN GETFILEDATA, trailing NUL", "65937d25:3ade68b1:0:\x00", RequestArgs{Packet: 0x65937d25, FileID: "3ade68b1"}},
	{"WIN GETDIRFILES, two fields", "65937d25:3ade68b2:", RequestArgs{Packet: 0x65937d25, FileID: "3ade68b2"}},
	{"two fields, nothing after", "5:2", RequestArgs{Packet: 5, FileID: "2"}},
	{"Mac, uppercase", "65937D25:1F:0:", RequestArgs{Packet: 0x65937d25, FileID: "1F"}},
	{"§5.2 capture request", "5:1:0:", RequestArgs{Packet: 5, FileID: "1"}},
	{"largest values", "ffffffff:ffffffffffffffff:7fffffffffffffff:",
		RequestArgs{Packet: 1<<32 - 1, FileID: "ffffffffffffffff", Offset: 1<<63 - 1}},
	{"4 GiB+ offset", "1:2:100000005", RequestArgs{Packet: 1, FileID: "2", Offset: 0x1_0000_0005}},
	{"empty offset", "1:2::", RequestArgs{Packet: 1, FileID: "2"}},
}

func TestParseRequestArgs(t *testing.T) {
	for _, v := range requestVectors {
		got, err := ParseRequestArgs(v.msg)
		if err != nil || got != v.want {
			t.Errorf("%s: ParseRequestArgs(%q) = %+v, %v; want %+v", v.name, v.msg, got, err, v.want)
		}
	}
}

func TestParseRequestArgsErrors(t *testing.T) {
	cases := []struct {
		msg   string
		field string
	}{
		{"", "packetNo:fileID"},
		{"\x00", "packetNo:fileID"},
		{"5", "packetNo:fileID"},
		{"5:", "packetNo:fileID"},
		{"5:::", "packetNo:fileID"},
		{"zz:1:0", "packet number"},
		{":1:0", "packet number"},
		{"100000000:1:0:", "packet number"}, // 33 bits
		{"-1:1:0", "packet number"},
		{"0x5:1:0", "packet number"},
		{"5:zz:0", "file id"},
		{"5::0", "file id"},
		{"5:10000000000000000:0", "file id"}, // 65 bits
		{"5:1:zz", "offset"},
		{"5:1:-1:", "offset"},
		{"5:1:8000000000000000:", "offset"}, // 2^63
	}
	for _, c := range cases {
		got, err := ParseRequestArgs(c.msg)
		if err == nil {
			t.Errorf("ParseRequestArgs(%q) = %+v, no error", c.msg, got)
			continue
		}
		if !strings.Contains(err.Error(), c.field) || !strings.HasPrefix(err.Error(), "file request") {
			t.Errorf("ParseRequestArgs(%q): error %q does not name %s", c.msg, err, c.field)
		}
	}
}

func TestRequestArgsIDs(t *testing.T) {
	cases := []struct {
		id   string
		want []uint64
	}{
		{"10000", []uint64{0x10000, 10000}}, // iptux's first id, sent as decimal digits
		{"10", []uint64{0x10, 10}},
		{"ff", []uint64{0xff}},
		{"FF", []uint64{0xff}},
		{"3ade68b1", []uint64{0x3ade68b1}},
		{"0", []uint64{0}}, // the same either way: once
		{"9", []uint64{9}},
		{"09", []uint64{9}},
		{"ffffffffffffffff", []uint64{1<<64 - 1}},
		{"9999999999999999", []uint64{0x9999999999999999, 9999999999999999}},
		{"18446744073709551615", []uint64{1<<64 - 1}}, // decimal only: too long for 64-bit hex
		{"", nil},
		{"zz", nil},
	}
	for _, c := range cases {
		if got := (RequestArgs{FileID: c.id}).IDs(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("IDs(%q) = %v, want %v", c.id, got, c.want)
		}
	}
	// Through the parser, as iptux sends it.
	a, err := ParseRequestArgs("6b028113:10000:0")
	if err != nil || !reflect.DeepEqual(a.IDs(), []uint64{0x10000, 10000}) {
		t.Errorf("IDs of iptux's decimal request: %v, %v", a.IDs(), err)
	}
}

func TestRequestFileDataArgs(t *testing.T) {
	cases := []struct {
		packet uint32
		id     uint64
		offset int64
		want   string
	}{
		{0x6b028113, 0, 0, "6b028113:0:0:"},
		{0x65937d25, 0x3ade68b1, 0, "65937d25:3ade68b1:0:"},
		{5, 10000, 0, "5:2710:0:"},
		{1, 2, 0x1_0000_0005, "1:2:100000005:"},
		{1<<32 - 1, 1<<64 - 1, 1<<63 - 1, "ffffffff:ffffffffffffffff:7fffffffffffffff:"},
	}
	for _, c := range cases {
		got := FileDataArgs(c.packet, c.id, c.offset)
		if got != c.want {
			t.Errorf("FileDataArgs(%#x, %#x, %#x) = %q, want %q", c.packet, c.id, c.offset, got, c.want)
		}
		a, err := ParseRequestArgs(got)
		if err != nil || a.Packet != c.packet || a.Offset != c.offset || a.IDs()[0] != c.id {
			t.Errorf("ParseRequestArgs(%q) = %+v, %v", got, a, err)
		}
	}
}

func TestRequestDirFilesArgs(t *testing.T) {
	cases := []struct {
		packet uint32
		id     uint64
		want   string
	}{
		{0x6b028114, 0, "6b028114:0:0:"}, // Mac wants the offset field even here
		{0x65937d25, 0x3ade68b2, "65937d25:3ade68b2:0:"},
		{1<<32 - 1, 1<<64 - 1, "ffffffff:ffffffffffffffff:0:"},
	}
	for _, c := range cases {
		got := DirFilesArgs(c.packet, c.id)
		if got != c.want {
			t.Errorf("DirFilesArgs(%#x, %#x) = %q, want %q", c.packet, c.id, got, c.want)
		}
		a, err := ParseRequestArgs(got)
		if err != nil || a.Packet != c.packet || a.Offset != 0 || a.IDs()[0] != c.id {
			t.Errorf("ParseRequestArgs(%q) = %+v, %v", got, a, err)
		}
	}
}
