package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Packets as real clients send them (shared/spec/INTEROP.md §3.1, §5; shared/notes/IPTUX.md).
var packetVectors = []struct {
	name string
	raw  string
	want Packet
}{
	{"windows BR_ENTRY with UTF-8 lines", "1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3",
		Packet{Version: "1", No: 1700000001, User: "taro", Host: "PC01", Cmd: 258211841, Msg: []byte("Taro"),
			Extra: []byte("Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3")}},
	{"iptux BR_ENTRY", "1_iptux 0.8.3:1:root:iptuxhost:257:IptuxPeer\x00InteropLab\x00icon-tux.png\x00utf-8\x00",
		Packet{Version: "1_iptux 0.8.3", No: 1, User: "root", Host: "iptuxhost", Cmd: BrEntry | AbsenceOpt,
			Msg: []byte("IptuxPeer"), Extra: []byte("InteropLab\x00icon-tux.png\x00utf-8")}},
	{"iptux ANSENTRY", "1_iptux 0.8.3:5:root:iptuxhost:259:IptuxPeer\x00InteropLab\x00icon-tux.png\x00utf-8\x00",
		Packet{Version: "1_iptux 0.8.3", No: 5, User: "root", Host: "iptuxhost", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("IptuxPeer"), Extra: []byte("InteropLab\x00icon-tux.png\x00utf-8")}},
	{"iptux RECVMSG", "1_iptux 0.8.3:11:root:iptuxhost:289:1795326211\x00",
		Packet{Version: "1_iptux 0.8.3", No: 11, User: "root", Host: "iptuxhost", Cmd: RecvMsg | SendCheckOpt, Msg: []byte("1795326211")}},
	{"iptux SENDMSG in UTF-8", "1_iptux 0.8.3:34:root:iptuxhost:288:iptux\xe2\x86\x92probe \xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 \xe4\xb8\xad\xe6\x96\x87 1795326239\x00",
		Packet{Version: "1_iptux 0.8.3", No: 34, User: "root", Host: "iptuxhost", Cmd: SendMsg | SendCheckOpt, Msg: []byte("iptux→probe テスト 中文 1795326239")}},
	{"iptux file offer", "1_iptux 0.8.3:35:root:iptuxhost:2097184:\x0010000:iptux-to-probe.txt:29d:6b0280fc:1:\a\x00",
		Packet{Version: "1_iptux 0.8.3", No: 35, User: "root", Host: "iptuxhost", Cmd: SendMsg | FileAttachOpt,
			Msg: []byte{}, Extra: []byte("10000:iptux-to-probe.txt:29d:6b0280fc:1:\a")}},
	{"iptux BR_EXIT", "1_iptux 0.8.3:41:root:iptuxhost:65538:\x00",
		Packet{Version: "1_iptux 0.8.3", No: 41, User: "root", Host: "iptuxhost", Cmd: BrExit | DialupOpt, Msg: []byte{}}},
	{"iptux ask-shared reply", "1_iptux 0.8.3:5:root:vm:2149580832:\x001:a.txt:5:0:1:\a2:proj:1a:0:2:\a\x00",
		Packet{Version: "1_iptux 0.8.3", No: 5, User: "root", Host: "vm", Cmd: 0x80200020, Msg: []byte{},
			Extra: []byte("1:a.txt:5:0:1:\a2:proj:1a:0:2:\a")}},
	{"SENDMSG with UTF8OPT, colon in body", "1:1700000002:taro:PC01:8388896:hello 世界 a:b:c\x00",
		Packet{Version: "1", No: 1700000002, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt | UTF8Opt, Msg: []byte("hello 世界 a:b:c")}},
	{"windows last retry with 64 NULs", "1:7:taro:PC01:288:hi\x00" + strings.Repeat("\x00", 64),
		Packet{Version: "1", No: 7, User: "taro", Host: "PC01", Cmd: SendMsg | SendCheckOpt, Msg: []byte("hi")}},
	{"no trailing NUL (old scripts)", "1:100:shirouzu:jupiter:32:Hello",
		Packet{Version: "1", No: 100, User: "shirouzu", Host: "jupiter", Cmd: SendMsg, Msg: []byte("Hello")}},
	{"FeiQ version field", "1_lbt6_0#128#000C29D4F5A8#0#0#0#4001#9:1700000003:feiq:WIN-PC:288:你好\x00",
		Packet{Version: "1_lbt6_0#128#000C29D4F5A8#0#0#0#4001#9", No: 1700000003, User: "feiq", Host: "WIN-PC", Cmd: SendMsg | SendCheckOpt, Msg: []byte("你好")}},
	{"iptux test vector with invalid UTF-8", "1_iptux 0.8.0-b1:6:lidaobing:LIs-MacBook-Pro.local:259:中\xe4\xb8\x00\x00icon-tux.png\x00utf-8\x00",
		Packet{Version: "1_iptux 0.8.0-b1", No: 6, User: "lidaobing", Host: "LIs-MacBook-Pro.local", Cmd: AnsEntry | AbsenceOpt,
			Msg: []byte("中\xe4\xb8"), Extra: []byte("\x00icon-tux.png\x00utf-8")}},
	{"max packet number", "1:4294967295:a:b:0:\x00",
		Packet{Version: "1", No: 4294967295, User: "a", Host: "b", Cmd: NoOperation, Msg: []byte{}}},
}

func TestParseVectors(t *testing.T) {
	for _, v := range packetVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := Parse([]byte(v.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !equalPacket(got, v.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", v.raw, got, v.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"iptux 0.8.0:1:lidaobing:lidaobing.lan:257:lidaobing", "version"}, // iptux's own test: no "1" prefix
		{"10:1:a:b:32:x", "version"},
		{"2\x00binary", "missing"},
		{"", "missing version"},
		{"1:2:user:host", "missing host"},
		{"1:2:user:host:", "missing command"},
		{"1:abc:u:h:32:x", "packet number"},
		{"1:4294967296:u:h:32:x", "packet number"},
		{"1:1::h:32:x", "user"},
		{"1:1:u::32:x", "host"},
		{"1:1:u:h:0x120:x", "command"}, // iptux reads hex as 0; we refuse it
		{"1:1:u:h:-1:x", "command"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error = %v, want one naming %q", c.raw, err, c.want)
		}
	}
	if _, err := Parse([]byte("iptux 0.8.0:1:a:b:1:x")); !errors.Is(err, ErrVersion) {
		t.Errorf("version error is not ErrVersion: %v", err)
	}
}

func TestAppendBytes(t *testing.T) {
	cases := []struct {
		p    Packet
		want string
	}{
		// Our BR_ENTRY in the Windows layout (INTEROP.md §5.2 first row), with the trailing NUL.
		{func() Packet {
			msg, extra := AppendEntry([]byte("Taro"), []byte("Dev"), EntryText{"taro", "PC01", "Taro", "Dev"})
			return Packet{No: 1700000001, User: "taro", Host: "PC01", Cmd: BrEntry | CapUTF8Opt | FileAttachOpt, Msg: msg, Extra: extra}
		}(), "1:1700000001:taro:PC01:18874369:Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\x00"},
		{Packet{No: 1700000003, User: "taro", Host: "PC01", Cmd: RecvMsg, Msg: []byte("1700000002")},
			"1:1700000003:taro:PC01:33:1700000002\x00"},
		{Packet{No: 9, User: "u", Host: "h", Cmd: BrExit}, "1:9:u:h:2:\x00"},
		{Packet{Version: "1_iptux 0.8.3", No: 3, User: "root", Host: "vm", Cmd: AnsEntry | AbsenceOpt, Msg: []byte("root"), Extra: []byte("\x00icon-tux.png\x00utf-8")},
			"1_iptux 0.8.3:3:root:vm:259:root\x00\x00icon-tux.png\x00utf-8\x00"},
	}
	for _, c := range cases {
		if got := string(c.p.Bytes()); got != c.want {
			t.Errorf("Append\n got %q\nwant %q", got, c.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, v := range packetVectors {
		b := v.want.Bytes()
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if !equalPacket(got, v.want) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", v.name, got, v.want)
		}
	}
}

func equalPacket(a, b Packet) bool {
	return a.Version == b.Version && a.No == b.No && a.User == b.User && a.Host == b.Host && a.Cmd == b.Cmd &&
		bytes.Equal(a.Msg, b.Msg) && bytes.Equal(a.Extra, b.Extra)
}
