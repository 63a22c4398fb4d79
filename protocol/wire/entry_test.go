package wire

import (
	"bytes"
	"testing"
)

func TestParseEntry(t *testing.T) {
	iptux := func(nick, group string) Entry {
		return Entry{Nick: []byte(nick), Group: []byte(group), Icon: "icon-tux.png", Encoding: "utf-8", Iptux: true}
	}
	taro := Entry{Nick: []byte("Taro"), Group: []byte("Dev"), UN: "taro", HN: "PC01", NN: "Taro", GN: "Dev", HasUTF8: true}
	cases := []struct {
		name string
		raw  string
		want Entry
	}{
		// Every entry packet of packet_test.go's vectors.
		{"WIN all capabilities", "1:1700000001:taro:PC01:258211841:Taro\x00Dev\x00" + winLines, taro},
		{"WIN, sent with a final NUL", "1:1700000001:taro:PC01:153092097:Taro\x00Dev\x00" + winLines + "\x00", taro},
		{"WIN ANSENTRY with only VS", "1:1700000005:taro:PC01:27262979:Taro\x00Dev\x00\nVS:00010002:4:99:3",
			Entry{Nick: []byte("Taro"), Group: []byte("Dev")}},
		{"WIN member master with IP line", "1:1:taro:PC01:493092865:Taro\x00Dev\x00" + winLines + "\nIP:SVAyOjE=\x00",
			withIP(taro, "IP2:1")},
		// docs/member-master.md §1.7: an agent's sweep BR_ENTRY, {DRB:1, SVADR:"192.168.10.5"}.
		{"WIN agent's sweep", "1:1:taro:PC01:493092865:Taro\x00Dev\x00" + winLines + "\nIP:SVAyOjFjOkRSQjoxOjE6U1ZBRFI6YzoxOTIuMTY4LjEwLjU6Wg==",
			withIP(taro, "IP2:1c:DRB:1:1:SVADR:c:192.168.10.5:Z")},
		{"probe", "1:1795326206:probeuser:probehost:18874369:ProbeNick\x00ProbeGroup\x00\nUN:probeuser\nHN:probehost\nNN:ProbeNick\nGN:ProbeGroup",
			Entry{Nick: []byte("ProbeNick"), Group: []byte("ProbeGroup"), UN: "probeuser", HN: "probehost", NN: "ProbeNick", GN: "ProbeGroup", HasUTF8: true}},
		{"iptux BR_ENTRY", "1_iptux 0.8.3:1:root:iptuxhost:257:IptuxPeer\x00InteropLab" + iptuxExt + "\x00", iptux("IptuxPeer", "InteropLab")},
		{"iptux ANSENTRY, empty group", "1_iptux 0.8.3:3:root:vm:259:root\x00" + iptuxExt + "\x00", iptux("root", "")},
		{"iptux-style from a probe", "1_iptux 0.9.9:1700000001:taro:PC01:1:Taro\x00Dev" + iptuxExt + "\x00", iptux("Taro", "Dev")},
		{"iptux test vector, invalid nick", "1_iptux 0.8.0-b1:6:lidaobing:LIs-MacBook-Pro.local:259:中\xe4\xb8\x00" + iptuxExt + "\x00",
			iptux("中\xe4\xb8", "")},
		{"iptux, other icon and encoding", "1_iptux 0.9.4:2:u:h:1:n\x00g\x00\xffme.png\x00gb18030\x00",
			Entry{Nick: []byte("n"), Group: []byte("g"), Icon: "\uFFFDme.png", Encoding: "gb18030", Iptux: true}},
		{"内网通 GBK", "1@shiyeline:12:\xd5\xc5\xc8\xfd:PC-01:1:\xd5\xc5\xc8\xfd\x00\xbf\xaa\xb7\xa2\x00",
			Entry{Nick: []byte("\xd5\xc5\xc8\xfd"), Group: []byte("\xbf\xaa\xb7\xa2")}},
		// Shapes from the draft and odd senders.
		{"nick only", "1:1:u:h:1:Jack", Entry{Nick: []byte("Jack")}},
		{"nothing", "1:1:u:h:1:", Entry{Nick: []byte{}}},
		{"draft example", "1:24:user:host:1:Jack\x00WorkGroup\x00\x00", Entry{Nick: []byte("Jack"), Group: []byte("WorkGroup")}},
		{"empty group, then lines", "1:1:u:h:1:n\x00\x00\nNN:名前", Entry{Nick: []byte("n"), Group: []byte{}, NN: "名前", HasUTF8: true}},
		{"values with colons, junk lines, invalid UTF-8", "1:1:u:h:1:n\x00g\x00\nNN:a:b\nXX\n\nGN:\xff\nIP:abc\nVS:1:2",
			Entry{Nick: []byte("n"), Group: []byte("g"), NN: "a:b", GN: "\uFFFD", HasUTF8: true}},
		{"empty values still count", "1:1:u:h:1:n\x00g\x00\nUN:\nGN:",
			Entry{Nick: []byte("n"), Group: []byte("g"), HasUTF8: true}},
		{"lines must start with a line feed", "1:1:u:h:1:n\x00g\x00UN:taro\nNN:Taro",
			Entry{Nick: []byte("n"), Group: []byte("g")}},
		{"later value wins, keys are case-sensitive", "1:1:u:h:1:n\x00g\x00\nNN:one\nnn:x\nNN:two",
			Entry{Nick: []byte("n"), Group: []byte("g"), NN: "two", HasUTF8: true}},
		{"a NUL after the lines", "1:1:u:h:1:n\x00g\x00\nUN:u\x00TO:x\x00",
			Entry{Nick: []byte("n"), Group: []byte("g"), UN: "u", HasUTF8: true}},
	}
	for _, c := range cases {
		p, err := Parse([]byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := ParseEntry(p); !equalEntry(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestEntryIptuxNick(t *testing.T) {
	// iptux's UdpDataService.CreatePalInfo: nick "中" and replacement characters, empty group, utf-8.
	p, err := Parse([]byte("1_iptux 0.8.0-b1:6:lidaobing:LIs-MacBook-Pro.local:259:中\xe4\xb8\x00\x00icon-tux.png\x00utf-8\x00"))
	if err != nil {
		t.Fatal(err)
	}
	e := ParseEntry(p)
	if nick := Decode(e.Nick, UTF8); nick != "中\uFFFD\uFFFD" || len(e.Group) != 0 || e.Encoding != "utf-8" {
		t.Errorf("nick %q group %q encoding %q", nick, e.Group, e.Encoding)
	}
}

func TestAppendEntry(t *testing.T) {
	cases := []struct {
		nick, group string
		text        EntryText
		msg, extra  string
	}{
		{"Taro", "Dev", EntryText{"taro", "PC01", "Taro", "Dev", "", nil}, "Taro", "Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev"},
		{"", "", EntryText{"taro", "PC01", "", "", "", nil}, "", "\x00\nUN:taro\nHN:PC01\nNN:\nGN:"},
		{"a:b", "c:d", EntryText{"u", "h", "a:b", "c:d", "", nil}, "a:b", "c:d\x00\nUN:u\nHN:h\nNN:a:b\nGN:c:d"},
		{"\x92\xb9", "\x8aJ\x94\xad", EntryText{"taro", "PC01", "鳩", "開発", "", nil}, "\x92\xb9", "\x8aJ\x94\xad\x00\nUN:taro\nHN:PC01\nNN:鳩\nGN:開発"},
		{"Taro", "Dev", EntryText{"taro", "PC01", "Taro", "Dev", "1", nil}, "Taro", "Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nHATO:1"},
		{"Taro", "Dev", EntryText{"taro", "PC01", "Taro", "Dev", "1", []byte("IP2:1c:DRB:1:1:SVADR:c:192.168.10.5:Z")}, "Taro",
			"Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nHATO:1\nIP:SVAyOjFjOkRSQjoxOjE6U1ZBRFI6YzoxOTIuMTY4LjEwLjU6Wg=="},
		{"n\x00ick", "gr\x00oup", EntryText{"u\n", "h\r\n", "two\nlines", "nul\x00here", "", nil}, "nick", "group\x00\nUN:u \nHN:h \nNN:two lines\nGN:nulhere"},
	}
	for _, c := range cases {
		msg, extra := AppendEntry([]byte(c.nick), []byte(c.group), c.text)
		if string(msg) != c.msg || string(extra) != c.extra {
			t.Errorf("AppendEntry(%q, %q, %+v) = %q, %q; want %q, %q", c.nick, c.group, c.text, msg, extra, c.msg, c.extra)
		}
	}
}

func TestAppendEntryRoundTrip(t *testing.T) {
	text := EntryText{User: "taro", Host: "PC01", Nick: "鳩\nハト", Group: "開発部", Hato: "1"}
	msg, extra := AppendEntry(Encode(text.Nick, CP932), Encode(text.Group, CP932), text)
	p, err := Parse(Packet{No: 1, User: "taro", Host: "PC01", Cmd: BrEntry | CapUTF8Opt, Msg: msg, Extra: extra}.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e := ParseEntry(p)
	want := Entry{Nick: Encode("鳩\nハト", CP932), Group: Encode("開発部", CP932), UN: "taro", HN: "PC01", NN: "鳩 ハト", GN: "開発部", HasUTF8: true, Hato: "1"}
	if !equalEntry(e, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", e, want)
	}
}

func equalEntry(a, b Entry) bool {
	return bytes.Equal(a.Nick, b.Nick) && bytes.Equal(a.Group, b.Group) && a.UN == b.UN && a.HN == b.HN &&
		a.NN == b.NN && a.GN == b.GN && a.HasUTF8 == b.HasUTF8 && a.Icon == b.Icon && a.Encoding == b.Encoding &&
		a.Iptux == b.Iptux && a.Hato == b.Hato && bytes.Equal(a.IP, b.IP)
}

func withIP(e Entry, ip string) Entry {
	e.IP = []byte(ip)
	return e
}
