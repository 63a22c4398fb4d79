package protocol

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hato/protocol/wire"
)

// startMaster runs a member master on ip with key set 5 and a short cycle.
func startMaster(t *testing.T, ip string, port int, span time.Duration) *testNode {
	t.Helper()
	return startNode(t, ip, port, func(c *Config) {
		c.Keys, c.BeMaster, c.DirSpan, c.User, c.Nick = testKeys(t, 5), true, span, "master", "Master"
	})
}

// startMember runs a member of master on ip with key set i, heard by nobody else (no destinations).
func startMember(t *testing.T, ip string, port int, master *testNode, i int) *testNode {
	t.Helper()
	return startNode(t, ip, port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, i), master.Addr(), 500*time.Millisecond
	})
}

// waitHosts waits until n's host table holds exactly want (addresses), up to within.
func waitHosts(t *testing.T, n *testNode, within time.Duration, want ...string) {
	t.Helper()
	slices.Sort(want)
	var got []string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n.drain(0)
		if got = hostAddrs(n); slices.Equal(got, want) {
			return
		}
	}
	t.Fatalf("%s lists %v, want %v", n.Addr(), got, want)
}

// Members who cannot hear each other (no broadcast, no destinations but the master) all list each other
// through the master: the whole list at their first poll, the others' arrival as pushed changes. One
// that says goodbye is gone everywhere at the master's next tick.
func TestMasterSite(t *testing.T) {
	port := testPort(t)
	master := startMaster(t, "127.0.0.2", port, time.Minute)
	at := func(ip string) string { return fmt.Sprintf("%s:%d", ip, port) }
	a := startMember(t, "127.0.0.3", port, master, 0)
	waitHosts(t, master, 5*time.Second, at("127.0.0.3"))
	b := startMember(t, "127.0.0.4", port, master, 1)
	c := startMember(t, "127.0.0.5", port, master, 2)

	all := []string{at("127.0.0.2"), at("127.0.0.3"), at("127.0.0.4"), at("127.0.0.5")}
	for _, n := range []*testNode{a, b, c} {
		var want []string
		for _, s := range all {
			if s != n.Addr().String() {
				want = append(want, s)
			}
		}
		waitHosts(t, n, 6*time.Second, want...)
	}
	// The lists name the members as they call themselves.
	for _, h := range a.Hosts() {
		if h.Addr.String() == at("127.0.0.4") && (h.User != "u127.0.0.4" || h.Nick != "n127.0.0.4" || !h.Caps.Has(wire.EncryptOpt)) {
			t.Errorf("a lists b as %+v", h)
		}
	}
	if got := master.Config().Keys; got == nil {
		t.Fatal("master without keys")
	}

	c.stop()
	waitHosts(t, a, 5*time.Second, at("127.0.0.2"), at("127.0.0.4"))
	waitHosts(t, b, 5*time.Second, at("127.0.0.2"), at("127.0.0.3"))
}

// A member that falls silent without a goodbye (a pulled cable) is probed, then dropped after the
// master's cycle, and the drop reaches the other members. Its whole list arrived signed, chunked as WIN
// reads it.
func TestMasterExpiresSilentMember(t *testing.T) {
	port := testPort(t)
	span := 3 * time.Second
	master := startMaster(t, "127.0.0.2", port, span)
	a := startMember(t, "127.0.0.3", port, master, 0)
	at := func(ip string) string { return fmt.Sprintf("%s:%d", ip, port) }
	waitHosts(t, master, 5*time.Second, at("127.0.0.3"))

	// A WIN member made by hand: BR_ENTRY to the master, then a signed DIR_POLL.
	win := newFakeMaster(t, "127.0.0.6", port, testKeys(t, 6).RSA2048)
	win.user, win.host = "taro", "PC06"
	entry := wire.Packet{No: win.next(), User: "taro", Host: "PC06", Cmd: wire.BrEntry | wire.CapUTF8Opt | wire.EncryptOpt,
		Msg: []byte("Taro"), Extra: []byte("Dev")}
	sendFrom(t, win.conn, master.Addr(), entry.Bytes())
	poll := win.header(wire.DirPoll)
	poll.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt))
	poll.SetStr(dkNick, "Taro")
	win.send(t, master.Addr(), win.sign(t, poll, win.key))

	list := win.waitDict(t, wire.AnsListDict, 0)
	pub, err := verifyDict(list)
	if err != nil || !pub.Equal(&testKeys(t, 5).RSA2048.PublicKey) {
		t.Fatalf("whole list: signature %v", err)
	}
	h, _ := readDirHeader(&list)
	start, _ := list.Int(dkStart)
	num, _ := list.Int(dkNum)
	total, _ := list.Int(dkTotal)
	rows, _ := list.DictList(dkHList)
	var names []string
	for i := range rows {
		r, ok, err := readDirRow(&rows[i])
		if err != nil || !ok || !r.active {
			t.Errorf("row %d: %+v %v %v", i, r, ok, err)
		}
		names = append(names, r.host.User+"@"+r.host.Addr.String())
	}
	slices.Sort(names)
	want := []string{"taro@" + at("127.0.0.6"), "u127.0.0.3@" + at("127.0.0.3")}
	if h.user != "master" || start != 0 || num != 2 || total != 2 || !slices.Equal(names, want) {
		t.Errorf("whole list from %q: START %d NUM %d TOTAL %d rows %v, want %v", h.user, start, num, total, names, want)
	}
	waitHosts(t, a, 5*time.Second, at("127.0.0.2"), at("127.0.0.6"))

	// Silent now: probed with BR_ENTRY, then dropped, and the drop pushed to a.
	mark := a.mark()
	a.waitAfterWithin(t, mark, 6*span, "taro left", func(ev Event) bool {
		return ev.Kind == EventHostLeft && ev.Host.Addr.String() == at("127.0.0.6")
	})
	probes := 0
	win.mu.Lock()
	for _, p := range win.classic {
		if p.Cmd.Mode() == wire.BrEntry {
			probes++
		}
	}
	win.mu.Unlock()
	if probes == 0 {
		t.Error("the silent member was dropped without a probe")
	}
	// a polls on: it stays.
	if got := hostAddrs(master); !slices.Equal(got, []string{at("127.0.0.3")}) {
		t.Errorf("master lists %v after the expiry", got)
	}
}

// Polls that are unsigned, signed by another key than the member's earlier ones, or that name a host
// known at another address change nothing and are reported.
func TestMasterRefusesBadPolls(t *testing.T) {
	port := testPort(t)
	master := startMaster(t, "127.0.0.2", port, time.Minute)
	win := newFakeMaster(t, "127.0.0.6", port, testKeys(t, 6).RSA2048)
	win.user, win.host = "taro", "PC06"
	poll := func(key int) wire.Dict {
		d := win.header(wire.DirPoll)
		d.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt))
		if key < 0 {
			return d
		}
		return win.sign(t, d, testKeys(t, key).RSA2048)
	}

	mark := master.mark()
	win.send(t, master.Addr(), poll(-1))
	master.waitAfter(t, mark, "unsigned poll rejected", rejected("unsigned"))
	if len(master.Hosts()) != 0 {
		t.Errorf("an unsigned poll added %v", master.Hosts())
	}

	win.send(t, master.Addr(), poll(6))
	master.waitEvent(t, "taro joined", joinedAt(fmt.Sprintf("127.0.0.6:%d", port)))
	mark = master.mark()
	win.send(t, master.Addr(), poll(7))
	master.waitAfter(t, mark, "other key rejected", rejected("as its earlier polls"))

	// The same names from another address: not a move.
	other := newFakeMaster(t, "127.0.0.7", port, testKeys(t, 6).RSA2048)
	other.user, other.host = "taro", "PC06"
	d := other.header(wire.DirPoll)
	d.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt))
	mark = master.mark()
	other.send(t, master.Addr(), other.sign(t, d, other.key))
	master.waitAfter(t, mark, "poll from another address rejected", rejected("another host's address"))
	if got := hostAddrs(master); !slices.Equal(got, []string{fmt.Sprintf("127.0.0.6:%d", port)}) {
		t.Errorf("master lists %v", got)
	}
	if s := strings.Join(master.kinds(), " "); strings.Contains(s, string(EventHostMoved)) {
		t.Errorf("events %s", s)
	}
}

// A flood of invented hosts cannot grow the master's queue of changes without bound: beyond twice the
// host table the oldest go unsent (here the master has no keys yet, so nothing is pushed at all).
func TestMasterChangesBounded(t *testing.T) {
	port := testPort(t)
	master := startNode(t, "127.0.0.2", port, func(c *Config) { c.BeMaster, c.MaxHosts = true, 50 })
	for i := range 300 {
		c := udpAt(t, "127.0.0.7", 0)
		p := wire.Packet{No: uint32(i + 1), User: fmt.Sprintf("x%d", i), Host: "flood", Cmd: wire.BrEntry}
		sendFrom(t, c, master.Addr(), p.Bytes())
		c.Close()
		if i%50 == 49 {
			time.Sleep(50 * time.Millisecond) // the node's answers to unknown sources are budgeted, not its table
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := master.master
		m.mu.Lock()
		pending, dropped := len(m.order), m.dropped
		m.mu.Unlock()
		if dropped > 0 && pending <= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d changes pending (at most 100), %d dropped", pending, dropped)
		}
		master.drain(20 * time.Millisecond)
	}
}

// The master's first BR_ENTRY says it just started (UPT in its IP: line), later ones do not; a member
// that hears it polls at once instead of at its next period.
func TestMasterStartMakesMembersPoll(t *testing.T) {
	port := testPort(t)
	member := newFakeMaster(t, "127.0.0.6", port, nil) // records what the master sends it
	master := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.BeMaster, c.User = testKeys(t, 5), true, "master"
	}, "127.0.0.6")
	first := member.waitClassic(t, wire.BrEntry)
	if _, upt := entryHints(wire.ParseEntry(first).IP); !upt {
		t.Errorf("the master's first BR_ENTRY has no UPT: %q", first.Extra)
	}
	master.Announce()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		member.mu.Lock()
		var entries []wire.Packet
		for _, p := range member.classic {
			if p.Cmd.Mode() == wire.BrEntry {
				entries = append(entries, p)
			}
		}
		member.mu.Unlock()
		if len(entries) >= 2 {
			if _, upt := entryHints(wire.ParseEntry(entries[1]).IP); upt {
				t.Error("a later BR_ENTRY says UPT too")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no second BR_ENTRY")
		}
	}

	// A member polls at start and, with an hour to its next poll, at once when its master starts.
	fake := newFakeMaster(t, "127.0.0.9", port, testKeys(t, 5).RSA2048)
	n := startNode(t, "127.0.0.3", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, 0), fake.addr(), time.Hour
	})
	fake.waitDict(t, wire.DirPoll, 0)
	var hint wire.Dict
	hint.SetInt(dkUPT, 0)
	msg, extra := wire.AppendEntry([]byte("M"), nil, wire.EntryText{User: "master", Host: "SRV", IP: wire.AppendIPDict(nil, hint)})
	entry := wire.Packet{No: fake.next(), User: "master", Host: "SRV", Cmd: wire.BrEntry | wire.CapUTF8Opt | wire.DirMasterOpt, Msg: msg, Extra: extra}
	sendFrom(t, fake.conn, n.Addr(), entry.Bytes())
	fake.waitDict(t, wire.DirPoll, 1)
}
