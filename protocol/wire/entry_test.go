package wire

import (
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want Entry
	}{
		{"windows", "1:1:taro:PC01:258211841:Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3",
			Entry{Nick: []byte("Taro"), Group: []byte("Dev"), UN: "taro", HN: "PC01", NN: "Taro", GN: "Dev", HasUTF8: true}},
		{"windows ANSENTRY with only VS", "1:1:taro:PC01:8388611:Taro\x00Dev\x00\nVS:00010002:4:99:3",
			Entry{Nick: []byte("Taro"), Group: []byte("Dev")}},
		{"iptux", "1_iptux 0.8.3:1:root:iptuxhost:257:IptuxPeer\x00InteropLab\x00icon-tux.png\x00utf-8\x00",
			Entry{Nick: []byte("IptuxPeer"), Group: []byte("InteropLab"), Icon: "icon-tux.png", Encoding: "utf-8", Iptux: true}},
		{"iptux empty group, invalid nick", "1_iptux 0.8.0-b1:6:lidaobing:LIs-MacBook-Pro.local:259:中\xe4\xb8\x00\x00icon-tux.png\x00utf-8\x00",
			Entry{Nick: []byte("中\xe4\xb8"), Group: []byte{}, Icon: "icon-tux.png", Encoding: "utf-8", Iptux: true}},
		{"nick only", "1:1:u:h:1:Jack", Entry{Nick: []byte("Jack")}},
		{"spec example", "1:24:user:host:1:Jack\x00WorkGroup\x00\x00", Entry{Nick: []byte("Jack"), Group: []byte("WorkGroup")}},
		{"lines with colons and junk", "1:1:u:h:1:n\x00g\x00\nNN:a:b\nXX\nGN:\xff\nIP:abc",
			Entry{Nick: []byte("n"), Group: []byte("g"), NN: "a:b", GN: "\uFFFD", HasUTF8: true}},
	}
	for _, c := range cases {
		p, err := Parse([]byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ParseEntry(p)
		if string(got.Nick) != string(c.want.Nick) || string(got.Group) != string(c.want.Group) ||
			got.UN != c.want.UN || got.HN != c.want.HN || got.NN != c.want.NN || got.GN != c.want.GN ||
			got.HasUTF8 != c.want.HasUTF8 || got.Icon != c.want.Icon || got.Encoding != c.want.Encoding || got.Iptux != c.want.Iptux {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
	// iptux's test: the invalid nick decodes to 中 and replacement characters.
	p, _ := Parse([]byte(cases[3].raw))
	if nick := Decode(ParseEntry(p).Nick, UTF8); !strings.HasPrefix(nick, "中\uFFFD") {
		t.Errorf("nick %q", nick)
	}
}

func TestAppendEntryRoundTrip(t *testing.T) {
	text := EntryText{User: "taro", Host: "PC01", Nick: "鳩\nハト", Group: "開発部"}
	msg, extra := AppendEntry(Encode(text.Nick, CP932), Encode(text.Group, CP932), text)
	p, err := Parse(Packet{No: 1, User: "taro", Host: "PC01", Cmd: BrEntry | CapUTF8Opt, Msg: msg, Extra: extra}.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e := ParseEntry(p)
	if e.NN != "鳩 ハト" || e.GN != "開発部" || e.UN != "taro" || Decode(e.Group, CP932) != "開発部" || e.Iptux {
		t.Errorf("round trip %+v", e)
	}
}
