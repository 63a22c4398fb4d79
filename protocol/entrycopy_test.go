package protocol

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"hato/protocol/wire"
)

// lastEntry is the last entry-family packet a peer got from the node.
func lastEntry(t *testing.T, r *recorder) wire.Packet {
	t.Helper()
	got := r.modes(wire.BrEntry, wire.AnsEntry, wire.BrAbsence)
	if len(got) == 0 {
		t.Fatal("no entry packet")
	}
	return got[len(got)-1]
}

// The keys-ready re-announce on a first start (SetKeys broadcasts a BR_ABSENCE with UTF-8 names) races
// the corrective BR_ABSENCE a CP932 peer gets once it answers. Whichever comes first, the last entry
// packet the peer hears carries our nick in CP932, and our keys (ENCRYPTOPT).
func TestLegacyPeerKeepsNamesWhenKeysArrive(t *testing.T) {
	port := testPort(t)
	keys := testKeys(t, 0)
	const nick = "鳩ハト"
	for round := range 20 {
		// SetKeys from 5 ms before to 4.5 ms after the peer's answer.
		offset := time.Duration(round-10) * 500 * time.Microsecond
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			old := newRecorder(t, "127.0.0.3", port, addr("127.0.0.2", port), nil)
			n := startNode(t, "127.0.0.2", port, func(c *Config) { c.Nick = nick }, "127.0.0.3")
			old.wait(t, wire.BrEntry, nil)
			var wg sync.WaitGroup
			wg.Go(func() {
				time.Sleep(max(0, -offset))
				old.send(t, "1:1700000001:old:pc:"+strconv.Itoa(int(wire.AnsEntry))+":Old\x00\x00")
			})
			wg.Go(func() {
				time.Sleep(max(0, offset))
				n.SetKeys(keys)
			})
			wg.Wait()
			n.waitEvent(t, "old", joined("old"))
			time.Sleep(100 * time.Millisecond) // everything settles
			p := lastEntry(t, old)
			if got := wire.Decode(p.Msg, wire.CP932); got != nick || p.Cmd.Has(wire.UTF8Opt) {
				t.Errorf("last entry packet %v carries nick %q (%q), want %q in CP932", p.Cmd, got, p.Msg, nick)
			}
			if !p.Cmd.Has(wire.EncryptOpt) {
				t.Errorf("last entry packet %v lacks ENCRYPTOPT", p.Cmd)
			}
			n.stop()
		})
	}
}

// Every broadcast entry packet (a nick change, an absence change, Announce, the second BR_ENTRY) is
// followed by a copy in CP932 to a CP932 peer; a CAPUTF8OPT peer and iptux read the broadcast itself.
func TestEntryBroadcastCopies(t *testing.T) {
	port := testPort(t)
	node := addr("127.0.0.2", port)
	old := newRecorder(t, "127.0.0.3", port, node, nil)
	win := newRecorder(t, "127.0.0.4", port, node, nil)
	tux := newRecorder(t, "127.0.0.5", port, node, nil)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Nick, c.Group, c.EntryRepeat = "鳩", "開発", 700*time.Millisecond
	}, "127.0.0.3", "127.0.0.4", "127.0.0.5")
	old.send(t, "1:1700000001:old:pc:"+strconv.Itoa(int(wire.AnsEntry))+":Old\x00\x00")
	win.send(t, "1:1700000001:taro:PC01:"+strconv.Itoa(int(wire.AnsEntry|wire.CapUTF8Opt))+":Taro\x00\x00\nUN:taro\nNN:Taro\x00")
	tux.send(t, "1_iptux 0.8.3:1:root:tux:259:Tux\x00g\x00icon.png\x00utf-8\x00")
	for _, u := range []string{"old", "taro", "root"} {
		n.waitEvent(t, u, joined(u))
	}
	// The second BR_ENTRY, 700 ms after the start, and its copy.
	old.waitCount(t, wire.BrEntry, 2)
	time.Sleep(100 * time.Millisecond)
	if p := lastEntry(t, old); p.Cmd.Mode() != wire.BrAbsence || wire.Decode(p.Msg, wire.CP932) != "鳩" {
		t.Errorf("after the second BR_ENTRY old's last entry packet is %v %q, want a BR_ABSENCE with CP932 鳩", p.Cmd, p.Msg)
	}

	steps := []struct {
		name, nick string
		do         func()
	}{
		{"nick change", "鳩ハト", func() { n.SetPresence(Presence{Nick: "鳩ハト", Group: "開発"}) }},
		{"absence", "鳩ハト", func() { n.SetPresence(Presence{Nick: "鳩ハト", Group: "開発", Absent: true}) }},
		{"announce", "鳩ハト", func() { n.Announce() }},
	}
	for _, s := range steps {
		counts := map[*recorder]int{}
		for _, r := range []*recorder{old, win, tux} {
			counts[r] = len(r.modes(wire.BrEntry, wire.BrAbsence))
		}
		s.do()
		time.Sleep(100 * time.Millisecond)
		p := lastEntry(t, old)
		if got := wire.Decode(p.Msg, wire.CP932); got != s.nick || p.Cmd.Mode() != wire.BrAbsence {
			t.Errorf("%s: old's last entry packet %v nick %q, want a BR_ABSENCE with %q in CP932", s.name, p.Cmd, got, s.nick)
		}
		if len(old.modes(wire.BrEntry, wire.BrAbsence)) != counts[old]+2 {
			t.Errorf("%s: old got %d entry packets, want the broadcast and its copy", s.name,
				len(old.modes(wire.BrEntry, wire.BrAbsence))-counts[old])
		}
		for _, r := range []*recorder{win, tux} {
			p := lastEntry(t, r)
			if len(r.modes(wire.BrEntry, wire.BrAbsence)) != counts[r]+1 {
				t.Errorf("%s: %v got %d entry packets, want only the broadcast", s.name, r.conn.LocalAddr(),
					len(r.modes(wire.BrEntry, wire.BrAbsence))-counts[r])
			}
			if string(p.Msg) != s.nick {
				t.Errorf("%s: %v's last entry nick %q, want UTF-8 %q", s.name, r.conn.LocalAddr(), p.Msg, s.nick)
			}
		}
	}
}
