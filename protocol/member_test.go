package protocol

import (
	"crypto/rsa"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// fakeMaster is a member master made of a UDP socket and a key: it records what members send it (classic
// packets and IPDicts) and writes signed IPDicts built by hand, as a WIN master does.
type fakeMaster struct {
	conn *net.UDPConn
	key  *rsa.PrivateKey
	user string
	host string

	mu      sync.Mutex
	no      uint32
	classic []wire.Packet
	dicts   []wire.Dict
	keyFor  *rsa.PublicKey // answers GETPUBKEY with this key, when set
}

func newFakeMaster(t *testing.T, ip string, port int, key *rsa.PrivateKey) *fakeMaster {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr(ip, port)))
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeMaster{conn: c, key: key, user: "master", host: "SRV", no: 1800000000}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxRecv)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			b := slices.Clone(buf[:n])
			if d, err := wire.ParseIPDict(b); err == nil {
				m.mu.Lock()
				m.dicts = append(m.dicts, d)
				m.mu.Unlock()
				continue
			}
			p, err := wire.Parse(b)
			if err != nil {
				continue
			}
			m.mu.Lock()
			m.classic = append(m.classic, p)
			answer := m.keyFor
			m.mu.Unlock()
			if p.Cmd.Mode() == wire.GetPubKey && answer != nil {
				ans := wire.Packet{No: m.next(), User: m.user, Host: m.host, Cmd: wire.AnsPubKey,
					Msg: crypt.AppendPublicKey(nil, crypt.Supported, answer)}
				c.WriteToUDPAddrPort(ans.Bytes(), from)
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return m
}

// answerKey makes the master answer GETPUBKEY with pub.
func (m *fakeMaster) answerKey(pub *rsa.PublicKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keyFor = pub
}

func (m *fakeMaster) addr() netip.AddrPort { return m.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (m *fakeMaster) next() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.no++
	return m.no
}

// waitDict returns the first IPDict with command mode cmd received after skip others of that mode.
func (m *fakeMaster) waitDict(t *testing.T, cmd wire.Command, skip int) wire.Dict {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		m.mu.Lock()
		seen := 0
		for _, d := range m.dicts {
			if c, _ := d.Int(dkCmd); wire.Command(c) == cmd {
				if seen == skip {
					m.mu.Unlock()
					return d
				}
				seen++
			}
		}
		m.mu.Unlock()
	}
	t.Fatalf("master: no %v #%d within 5 s", cmd, skip+1)
	return wire.Dict{}
}

// waitClassic returns the first classic packet of the mode received.
func (m *fakeMaster) waitClassic(t *testing.T, mode wire.Command) wire.Packet {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		m.mu.Lock()
		for _, p := range m.classic {
			if p.Cmd.Mode() == mode {
				m.mu.Unlock()
				return p
			}
		}
		m.mu.Unlock()
	}
	t.Fatalf("master: no %v within 5 s", mode)
	return wire.Packet{}
}

// header starts a packet of the master's, as WIN's InitIPDict does.
func (m *fakeMaster) header(cmd wire.Command) wire.Dict {
	var d wire.Dict
	d.SetInt(dkVer, 3)
	d.SetInt(dkPkt, int64(m.next()))
	d.SetInt(dkDate, time.Now().Unix())
	d.SetStr(dkUID, m.user)
	d.SetStr(dkHID, m.host)
	d.SetInt(dkCmd, int64(cmd))
	d.SetInt(dkFlg, 0)
	d.SetStr(dkCVer, "00010002:4:99:3")
	d.SetStr(dkGrp, "")
	d.SetStr(dkNick, "Master")
	d.SetInt(dkStat, int64(wire.DirMasterOpt|wire.DialupOpt|wire.CapUTF8Opt|wire.EncryptOpt))
	return d
}

// listHost is a host entry of an HLST.
type listHost struct {
	user, host, nick, group, ip string
	port                        int
	active                      bool
}

func (e listHost) dict() wire.Dict {
	var d wire.Dict
	d.SetStr(dkUID, e.user)
	d.SetStr(dkHID, e.host)
	d.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt))
	act := int64(0)
	if e.active {
		act = 1
	}
	d.SetInt(dkAct, act)
	d.SetStr(dkIPAd, e.ip)
	d.SetInt(dkPort, int64(e.port))
	d.SetStr(dkNick, e.nick)
	d.SetStr(dkGrp, e.group)
	d.SetStr(dkCVer, "00010002:4:99:3")
	return d
}

// ansList is an ANSLIST_DICT of entries, signed with key (nil: unsigned).
func (m *fakeMaster) ansList(t testing.TB, key *rsa.PrivateKey, entries ...listHost) wire.Dict {
	t.Helper()
	d := m.header(wire.AnsListDict)
	list := make([]wire.Dict, len(entries))
	for i, e := range entries {
		list[i] = e.dict()
	}
	d.SetDictList(dkHList, list)
	d.SetInt(dkStart, 0)
	d.SetInt(dkNum, int64(len(entries)))
	d.SetInt(dkTotal, int64(len(entries)))
	return m.sign(t, d, key)
}

// dirPacket wraps inner in a DIR_PACKET signed with key.
func (m *fakeMaster) dirPacket(t testing.TB, key *rsa.PrivateKey, inner wire.Dict) wire.Dict {
	t.Helper()
	d := m.header(wire.DirPacket)
	d.SetDict(dkWrap, inner)
	d.SetStr("TADR", "127.0.0.5")
	return m.sign(t, d, key)
}

// agentPacket wraps a DIR_PACKET as an agent relays it: a header of the agent's own, not signed.
func agentPacket(dirPacket wire.Dict) wire.Dict {
	var d wire.Dict
	d.SetInt(dkVer, 3)
	d.SetInt(dkPkt, 4242)
	d.SetInt(dkDate, time.Now().Unix())
	d.SetStr(dkUID, "agent")
	d.SetStr(dkHID, "PC05")
	d.SetInt(dkCmd, int64(wire.DirAgentPacket))
	d.SetInt(dkFlg, 0)
	d.SetDict(dkWrap, dirPacket)
	return d
}

func (m *fakeMaster) sign(t testing.TB, d wire.Dict, key *rsa.PrivateKey) wire.Dict {
	t.Helper()
	if key != nil {
		if err := signDict(&d, key, 0x65920006); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (m *fakeMaster) send(t *testing.T, to netip.AddrPort, d wire.Dict) {
	t.Helper()
	if _, err := m.conn.WriteToUDPAddrPort(wire.AppendIPDict(nil, d), to); err != nil {
		t.Fatal(err)
	}
}

// sendFrom writes d from another socket (an agent, a forger).
func sendFrom(t *testing.T, c *net.UDPConn, to netip.AddrPort, b []byte) {
	t.Helper()
	if _, err := c.WriteToUDPAddrPort(b, to); err != nil {
		t.Fatal(err)
	}
}

func udpAt(t *testing.T, ip string, port int) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr(ip, port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func joinedAt(a string) func(Event) bool {
	return func(ev Event) bool { return ev.Kind == EventHostJoined && ev.Host.Addr.String() == a }
}

func rejected(substr string) func(Event) bool {
	return func(ev Event) bool { return ev.Kind == EventRejected && strings.Contains(ev.Text, substr) }
}

// mark is the number of events the node reported so far: waitAfter looks only at later ones.
func (tn *testNode) mark() int {
	tn.drain(10 * time.Millisecond)
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return len(tn.seen)
}

// waitAfter returns the first event after mark that matches, waiting up to 5 s.
func (tn *testNode) waitAfter(t *testing.T, mark int, what string, match func(Event) bool) Event {
	t.Helper()
	return tn.waitAfterWithin(t, mark, 5*time.Second, what, match)
}

// waitAfterWithin is waitAfter with another limit.
func (tn *testNode) waitAfterWithin(t *testing.T, mark int, within time.Duration, what string, match func(Event) bool) Event {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); {
		tn.mu.Lock()
		for _, ev := range tn.seen[mark:] {
			if match(ev) {
				tn.mu.Unlock()
				return ev
			}
		}
		tn.mu.Unlock()
		tn.drain(20 * time.Millisecond)
	}
	tn.mu.Lock()
	defer tn.mu.Unlock()
	t.Fatalf("%s: no %s within %v; saw %+v", tn.addr, what, within, tn.seen[mark:])
	return Event{}
}

// hostAddrs lists the addresses of the node's hosts, sorted.
func hostAddrs(n *testNode) []string {
	var out []string
	for _, h := range n.Hosts() {
		out = append(out, h.Addr.String())
	}
	slices.Sort(out)
	return out
}

// A member polls its master with a signed DIR_POLL at start and every MasterPoll, and sends it its
// BR_ENTRY by unicast; without MasterAgent its poll names no network (no agent duty it cannot do).
func TestMemberPolls(t *testing.T) {
	port := testPort(t)
	mk := testKeys(t, 5).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	keys := testKeys(t, 0)
	startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll, c.MasterAgent = keys, master.addr(), 300*time.Millisecond, true
		c.Nick, c.Group = "鳩", "開発"
	})

	entry := master.waitClassic(t, wire.BrEntry)
	if entry.User != "u127.0.0.2" || entry.Cmd.Has(wire.CapIPDictOpt) {
		t.Errorf("BR_ENTRY to the master: %v from %q", entry.Cmd, entry.User)
	}
	poll := master.waitDict(t, wire.DirPoll, 0)
	wantKeys := "VER,PKT,DATE,UID,HID,CMD,FLG,CVER,GRP,NCK,STAT,NADRS,PUBE,PUBN,EF,EC,SIGN"
	if got := strings.Join(poll.Keys(), ","); got != wantKeys {
		t.Errorf("DIR_POLL keys %s, want %s", got, wantKeys)
	}
	h, err := readDirHeader(&poll)
	if err != nil || h.user != "u127.0.0.2" || h.host != "h127.0.0.2" || h.cmd != wire.DirPoll {
		t.Errorf("DIR_POLL header %+v: %v", h, err)
	}
	nick, _ := poll.Str(dkNick)
	group, _ := poll.Str(dkGrp)
	stat, _ := poll.Int(dkStat)
	if nick != "鳩" || group != "開発" || !wire.Command(stat).Has(wire.EncryptOpt|wire.CapUTF8Opt) ||
		wire.Command(stat).Has(wire.CapIPDictOpt) {
		t.Errorf("DIR_POLL nick %q group %q STAT %v", nick, group, wire.Command(stat))
	}
	nets, err := poll.DictList(dkNAdrs)
	if err != nil || len(nets) != 1 {
		t.Fatalf("NADRS %v: %v", nets, err)
	}
	adr, _ := nets[0].Str(dkAdr)
	mask, _ := nets[0].Int(dkMask)
	if adr != "127.0.0.0" || mask != 8 {
		t.Errorf("NADRS {%s, %d}, want the network of the bound address, {127.0.0.0, 8}", adr, mask)
	}
	pub, err := verifyDict(poll)
	if err != nil || !pub.Equal(&keys.RSA2048.PublicKey) {
		t.Errorf("DIR_POLL signature: %v", err)
	}
	again := master.waitDict(t, wire.DirPoll, 1)
	if h2, _ := readDirHeader(&again); h2.no <= h.no {
		t.Errorf("second DIR_POLL numbered %d after %d", h2.no, h.no)
	}

	// Not offered as an agent: an empty NADRS.
	plain := newFakeMaster(t, "127.0.0.10", port, mk)
	startNode(t, "127.0.0.3", port, func(c *Config) { c.Keys, c.Master = keys, plain.addr() })
	plainPoll := plain.waitDict(t, wire.DirPoll, 0)
	if nets, err := plainPoll.DictList(dkNAdrs); err != nil || len(nets) != 0 {
		t.Errorf("NADRS without MasterAgent: %v %v", nets, err)
	}
}

// A member takes the master's signed lists: the full list (ANSLIST_DICT, pinning the master's key on
// first use), changes in a DIR_PACKET, and a DIR_PACKET an agent relays from elsewhere. Unsigned,
// otherwise signed, misdirected or malformed packets change nothing and are reported.
func TestMemberTakesMasterLists(t *testing.T) {
	port := testPort(t)
	mk, other := testKeys(t, 5).RSA2048, testKeys(t, 6).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, 0), master.addr(), time.Hour
	})
	me := n.Addr()
	agent := udpAt(t, "127.0.0.5", port)
	forger := udpAt(t, "127.0.0.6", port)
	master.waitDict(t, wire.DirPoll, 0)

	alice := listHost{"alice", "PC01", "Alice", "営業", "10.1.2.11", 2425, true}
	bob := listHost{"bob", "PC02", "ボブ", "Dev", "10.1.2.12", 2425, true}
	carol := listHost{"carol", "PC03", "", "", "10.1.2.13", 2426, true}
	dave := listHost{"dave", "PC04", "Dave", "Ops", "10.1.3.14", 2425, true}

	// Before the master showed its key, a relayed packet cannot be checked.
	sendFrom(t, agent, me, wire.AppendIPDict(nil, agentPacket(master.dirPacket(t, mk, master.ansList(t, mk, dave)))))
	n.waitEvent(t, "relayed before the key", rejected("not known yet"))

	// The full list, sent directly by the master: the key is pinned, the hosts listed.
	master.send(t, me, master.ansList(t, mk, alice, bob, carol))
	pin := n.waitEvent(t, "master key", func(ev Event) bool { return ev.Kind == EventMasterKey })
	if fp := crypt.Fingerprint(&mk.PublicKey); pin.Text != fp || n.Config().MasterKey != fp || pin.Host.User != "master" {
		t.Errorf("pinned %q (config %q) shown by %q, want %s", pin.Text, n.Config().MasterKey, pin.Host.User, fp)
	}
	for _, e := range []listHost{alice, bob, carol} {
		ev := n.waitEvent(t, e.user, joinedAt(fmt.Sprintf("%s:%d", e.ip, e.port)))
		if h := ev.Host; h.User != e.user || h.Host != e.host || h.Nick != e.nick || h.Group != e.group ||
			!h.Caps.Has(wire.EncryptOpt) || !h.Entry {
			t.Errorf("%s listed as %+v", e.user, h)
		}
	}

	// A DIR_PACKET deletes bob and renames alice.
	gone, renamed := bob, alice
	gone.active, renamed.nick = false, "Alice K."
	master.send(t, me, master.dirPacket(t, mk, master.ansList(t, mk, gone, renamed)))
	n.waitEvent(t, "bob gone", func(ev Event) bool { return ev.Kind == EventHostLeft && ev.Host.User == "bob" })
	n.waitEvent(t, "alice renamed", func(ev Event) bool { return ev.Kind == EventHostUpdated && ev.Host.Nick == "Alice K." })

	// An agent's DIR_AGENTPACKET from another address, relaying the master's DIR_PACKET, is taken; its
	// repeat (and the master's own broadcast of it) is not taken twice.
	relayed := master.dirPacket(t, mk, master.ansList(t, mk, dave))
	sendFrom(t, agent, me, wire.AppendIPDict(nil, agentPacket(relayed)))
	n.waitEvent(t, "dave", joinedAt("10.1.3.14:2425"))
	master.send(t, me, relayed)
	want := []string{"10.1.2.11:2425", "10.1.2.13:2426", "10.1.3.14:2425"}

	// Rejected, each changing nothing.
	eve := listHost{"eve", "PC66", "Eve", "", "10.6.6.6", 2425, true}
	forged := []struct {
		why string
		do  func()
	}{
		{"unsigned", func() { master.send(t, me, master.ansList(t, nil, eve)) }},
		{"not the master's", func() { master.send(t, me, master.ansList(t, other, eve)) }},
		{"not by the master", func() {
			sendFrom(t, forger, me, wire.AppendIPDict(nil, master.ansList(t, mk, eve)))
		}},
		{"WAPD: signed by key", func() {
			sendFrom(t, agent, me, wire.AppendIPDict(nil, agentPacket(master.dirPacket(t, other, master.ansList(t, other, eve)))))
		}},
		{"WAPD: WAPD: unsigned", func() {
			sendFrom(t, agent, me, wire.AppendIPDict(nil, agentPacket(master.dirPacket(t, mk, master.ansList(t, nil, eve)))))
		}},
		{"WAPD: signed by key", func() {
			// The master's DIR_PACKET around a list signed by someone else.
			master.send(t, me, master.dirPacket(t, mk, master.ansList(t, other, eve)))
		}},
		{"verify", func() {
			b := wire.AppendIPDict(nil, master.ansList(t, mk, eve))
			b[len(b)-10] ^= 1 // inside SIGN
			master.conn.WriteToUDPAddrPort(b, me)
		}},
		{"verify", func() {
			b := wire.AppendIPDict(nil, master.ansList(t, mk, eve))
			i := strings.Index(string(b), "10.6.6.6")
			b[i+7] = '7' // the address, as someone on the path would change it
			master.conn.WriteToUDPAddrPort(b, me)
		}},
		{"ipdict", func() { master.conn.WriteToUDPAddrPort([]byte("IP2:ff:VER:1:3:Z"), me) }},
		{"header", func() { master.conn.WriteToUDPAddrPort([]byte("IP2:7:VER:1:4:Z"), me) }},
		{"NUM is 2", func() {
			d := master.ansList(t, nil, eve)
			d.SetInt(dkNum, 2)
			master.send(t, me, master.sign(t, d, mk))
		}},
		{"HLST entry 0", func() {
			d := master.ansList(t, nil, eve)
			d.SetList(dkHList, [][]byte{[]byte("UID:3:eve")})
			master.send(t, me, master.sign(t, d, mk))
		}},
	}
	for _, f := range forged {
		mark := n.mark()
		f.do()
		n.waitAfter(t, mark, f.why, rejected(f.why))
	}
	time.Sleep(100 * time.Millisecond)
	if got := hostAddrs(n); !slices.Equal(got, want) {
		t.Errorf("hosts after the forgeries %v, want %v", got, want)
	}
	for _, ev := range n.drain(0) {
		if ev.Kind == EventHostJoined && ev.Host.User == "eve" {
			t.Errorf("forged host listed: %+v", ev.Host)
		}
	}

	// The master's genuine packets still count after all that.
	master.send(t, me, master.ansList(t, mk, eve))
	n.waitEvent(t, "eve", joinedAt("10.6.6.6:2425"))
}

// A member's Refresh keeps the hosts the master lists even once heard directly: a host on another
// subnet we exchanged entries with (we sent it a message) cannot hear our broadcast BR_ENTRY, and
// dropped out of the list at every Refresh. The master deleting it takes it out of Listed, not out of
// the host table: we heard it ourselves.
func TestMemberListedKeepsHostsHeardDirectly(t *testing.T) {
	port := testPort(t)
	mk := testKeys(t, 5).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, 0), master.addr(), time.Hour
	})
	me := n.Addr()
	master.waitDict(t, wire.DirPoll, 0)
	far := udpAt(t, "127.0.0.4", port)
	farAddr := fmt.Sprintf("127.0.0.4:%d", port)
	msg, extra := wire.AppendEntry([]byte("Far"), nil, wire.EntryText{User: "far", Host: "pcfar", Nick: "Far"})
	entry := wire.Packet{No: 1, User: "far", Host: "pcfar", Cmd: wire.BrEntry | wire.CapUTF8Opt, Msg: msg, Extra: extra}
	sendFrom(t, far, me, entry.Bytes())
	n.waitEvent(t, "far heard directly", joinedAt(farAddr))
	listed := func() bool {
		return slices.ContainsFunc(n.Listed(), func(h Host) bool { return h.Addr.String() == farAddr })
	}
	waitListed := func(want bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); listed() != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("far in Listed: %v, want %v (hosts %v)", !want, want, hostAddrs(n))
			}
		}
	}
	if listed() {
		t.Fatalf("far in Listed before the master lists it")
	}

	row := listHost{"far", "pcfar", "Far", "", "127.0.0.4", port, true}
	master.send(t, me, master.ansList(t, mk, row))
	waitListed(true)

	row.active = false
	master.send(t, me, master.dirPacket(t, mk, master.ansList(t, mk, row)))
	waitListed(false)
	if !slices.Contains(hostAddrs(n), farAddr) {
		t.Errorf("far, heard directly, dropped by the master's delete: hosts %v", hostAddrs(n))
	}
}

// A member on a segment of its own hears the master only through agents: it asks the master's address for
// its key (GETPUBKEY, as WIN does), pins what it answers, and then takes relayed packets.
func TestMemberPinsAnsweredKey(t *testing.T) {
	port := testPort(t)
	mk := testKeys(t, 5).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	master.answerKey(&mk.PublicKey)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.Keys, c.Master = testKeys(t, 0), master.addr() })
	master.waitClassic(t, wire.GetPubKey)
	pin := n.waitEvent(t, "master key", func(ev Event) bool { return ev.Kind == EventMasterKey })
	if pin.Text != crypt.Fingerprint(&mk.PublicKey) || pin.Host.Addr != master.addr() {
		t.Errorf("pinned %q from %v", pin.Text, pin.Host.Addr)
	}
	agent := udpAt(t, "127.0.0.5", port)
	frank := listHost{"frank", "PC07", "Frank", "", "10.7.7.7", 2425, true}
	sendFrom(t, agent, n.Addr(), wire.AppendIPDict(nil, agentPacket(master.dirPacket(t, mk, master.ansList(t, mk, frank)))))
	n.waitEvent(t, "frank", joinedAt("10.7.7.7:2425"))
}

// A configured master key is trusted at once, relayed or not, and no other key is, whoever shows it.
func TestMemberConfiguredKey(t *testing.T) {
	port := testPort(t)
	mk, other := testKeys(t, 5).RSA2048, testKeys(t, 6).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	master.answerKey(&other.PublicKey) // a forger answering for the master
	fp := crypt.Fingerprint(&mk.PublicKey)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterKey = testKeys(t, 0), master.addr(), strings.ToUpper(fp)
	})
	n.waitEvent(t, "forged ANSPUBKEY", rejected("ANSPUBKEY of the master: signed by key "+crypt.Fingerprint(&other.PublicKey)))
	master.send(t, n.Addr(), master.ansList(t, other, listHost{"eve", "PC66", "", "", "10.6.6.6", 2425, true}))
	n.waitEvent(t, "other key", rejected("not the configured master key "+fp))

	agent := udpAt(t, "127.0.0.5", port)
	gina := listHost{"gina", "PC08", "Gina", "", "10.8.8.8", 2425, true}
	sendFrom(t, agent, n.Addr(), wire.AppendIPDict(nil, agentPacket(master.dirPacket(t, mk, master.ansList(t, mk, gina)))))
	n.waitEvent(t, "gina", joinedAt("10.8.8.8:2425"))
	if got := n.Config().MasterKey; got != fp {
		t.Errorf("MasterKey %q, want %q", got, fp)
	}
	for _, ev := range n.drain(100 * time.Millisecond) {
		if ev.Kind == EventMasterKey {
			t.Error("EventMasterKey for a configured key")
		}
	}
}

// A master's list of 10,000 hosts fills a table of MaxHosts at most, and never pushes out a host heard
// directly.
func TestMemberListFlood(t *testing.T) {
	port := testPort(t)
	mk := testKeys(t, 5).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MaxHosts = testKeys(t, 0), master.addr(), 100
	})
	peer := newRawPeer(t, "127.0.0.3", port, n.Addr())
	peer.send(t, "1:1:direct:PC:1:Direct\x00\x00")
	n.waitEvent(t, "direct", joined("direct"))

	const total, chunk = 10_000, 250
	for start := 0; start < total; start += chunk {
		entries := make([]listHost, chunk)
		for i := range entries {
			k := start + i
			entries[i] = listHost{fmt.Sprintf("u%d", k), "PC", "", "", fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255), 2425, true}
		}
		master.send(t, n.Addr(), master.ansList(t, mk, entries...))
		time.Sleep(2 * time.Millisecond)
	}
	// The read loop handles packets in order: once the deletion is seen, the flood has been taken.
	mark := n.mark()
	master.send(t, n.Addr(), master.dirPacket(t, mk, master.ansList(t, mk,
		listHost{"u0", "PC", "", "", "10.0.0.0", 2425, false})))
	n.waitAfter(t, mark, "u0 deleted", func(ev Event) bool { return ev.Kind == EventHostLeft && ev.Host.User == "u0" })
	hosts := n.Hosts()
	if len(hosts) > 100 || len(hosts) < 99 {
		t.Errorf("%d hosts after the flood, want 99 to 100 (MaxHosts)", len(hosts))
	}
	if !slices.ContainsFunc(hosts, func(h Host) bool { return h.User == "direct" }) {
		t.Error("the host heard directly was pushed out by the master's list")
	}
	n.mu.Lock()
	tableLen := n.hosts.len()
	n.mu.Unlock()
	if tableLen > 100 {
		t.Errorf("host table holds %d", tableLen)
	}
}

// A node with no master configured takes no directory packet, signed or not, and says nothing of them.
func TestNotMemberIgnoresDirectory(t *testing.T) {
	port := testPort(t)
	mk := testKeys(t, 5).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	n := startNode(t, "127.0.0.2", port, func(c *Config) { c.Keys = testKeys(t, 0) })
	master.send(t, n.Addr(), master.ansList(t, mk, listHost{"x", "PC", "", "", "10.9.9.9", 2425, true}))
	master.conn.WriteToUDPAddrPort([]byte("IP2:0::Z"), n.Addr())
	if evs := n.drain(300 * time.Millisecond); len(evs) != 0 || len(n.Hosts()) != 0 {
		t.Errorf("events %v, hosts %v", evs, n.Hosts())
	}
	master.mu.Lock()
	defer master.mu.Unlock()
	if len(master.dicts) != 0 {
		t.Errorf("a node with no master sent %d directory packets", len(master.dicts))
	}
}

func TestMasterSettings(t *testing.T) {
	for in, want := range map[string]string{
		"192.168.1.5": "192.168.1.5:2425", "192.168.1.5:2426": "192.168.1.5:2426", "::ffff:10.0.0.1": "10.0.0.1:2425",
	} {
		if got, err := ParseMasterAddr(in); err != nil || got.String() != want {
			t.Errorf("ParseMasterAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "master.example", "::1", "[::1]:2425", "10.0.0.1:0", "10.0.0.1:x", "10.0.0.256"} {
		if got, err := ParseMasterAddr(in); err == nil {
			t.Errorf("ParseMasterAddr(%q) = %v", in, got)
		}
	}
	bad := map[string]func(*Config){
		"ipv6":           func(c *Config) { c.Master = netip.MustParseAddrPort("[::1]:2425") },
		"port 0":         func(c *Config) { c.Master = netip.MustParseAddrPort("127.0.0.9:0") },
		"short key":      func(c *Config) { c.Master, c.MasterKey = netip.MustParseAddrPort("127.0.0.9:2425"), "abc" },
		"not hex":        func(c *Config) { c.Master, c.MasterKey = netip.MustParseAddrPort("127.0.0.9:2425"), "30a70db77433793g" },
		"key, no master": func(c *Config) { c.MasterKey = "30a70db77433793e" },
	}
	for name, mutate := range bad {
		cfg := DefaultConfig()
		cfg.Port, cfg.BindAddr = 0, "127.0.0.2"
		mutate(&cfg)
		if n, err := Listen(cfg); err == nil {
			n.udp.Close()
			n.tcp.Close()
			t.Errorf("%s: listened", name)
		}
	}
}

// A member of a WIN master (its entry has no HATO: line) asks it for its list the classic way
// (GETLIST): WIN sends its signed list only to members that advertise CAPIPDICTOPT. The rows answer our
// request, so they are taken, as hearsay; a Hato master is not asked.
func TestMemberAsksWinMasterForClassicList(t *testing.T) {
	port := testPort(t)
	master := newFakeMaster(t, "127.0.0.9", port, testKeys(t, 5).RSA2048)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, 0), master.addr(), time.Hour
	})
	master.waitClassic(t, wire.BrEntry)
	msg, extra := wire.AppendEntry([]byte("Master"), nil, wire.EntryText{User: "master", Host: "SRV", Nick: "Master"})
	ans := wire.Packet{No: master.next(), User: "master", Host: "SRV", Cmd: wire.AnsEntry | wire.CapUTF8Opt | wire.DirMasterOpt | wire.DialupOpt,
		Msg: msg, Extra: extra}
	sendFrom(t, master.conn, n.Addr(), ans.Bytes())
	req := master.waitClassic(t, wire.GetList)
	if strings.TrimRight(string(req.Msg), "\x00") != "0" {
		t.Errorf("GETLIST %q", req.Msg)
	}
	rows := wire.AppendListRow(nil, wire.ListEntry{User: "bob", Host: "PC07", Status: wire.BrEntry | wire.CapUTF8Opt,
		Addr: "10.1.2.7", Port: 2425, Nick: "Bob", Group: "Dev"})
	list := wire.Packet{No: master.next(), User: "master", Host: "SRV", Cmd: wire.AnsList | wire.UTF8Opt,
		Msg: append(wire.AppendAnsListHeader(nil, 0, 1), rows...)}
	sendFrom(t, master.conn, n.Addr(), list.Bytes())
	n.waitEvent(t, "bob from the classic list", joinedAt("10.1.2.7:2425"))

	// A Hato master says so in its entry (HATO:): not asked.
	hato := newFakeMaster(t, "127.0.0.10", port, testKeys(t, 5).RSA2048)
	m := startNode(t, "127.0.0.3", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, 1), hato.addr(), time.Hour
	})
	hato.waitClassic(t, wire.BrEntry)
	msg, extra = wire.AppendEntry([]byte("Master"), nil, wire.EntryText{User: "master", Host: "SRV", Nick: "Master", Hato: HatoLevel})
	ans.Msg, ans.Extra = msg, extra
	sendFrom(t, hato.conn, m.Addr(), ans.Bytes())
	m.waitEvent(t, "the Hato master", joinedAt(hato.addr().String()))
	time.Sleep(200 * time.Millisecond)
	hato.mu.Lock()
	defer hato.mu.Unlock()
	for _, p := range hato.classic {
		if p.Cmd.Mode() == wire.GetList {
			t.Error("a Hato master was asked for its classic list")
		}
	}
}
