package protocol

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"hato/protocol/wire"
)

// dirRequest wraps a DIR_PACKET into a DIR_REQUEST for the agent at tadr, signed with the master's key.
func (m *fakeMaster) dirRequest(t *testing.T, packet wire.Dict, tadr string) wire.Dict {
	t.Helper()
	d := m.header(wire.DirRequest)
	d.SetDict(dkWrap, packet)
	d.SetStr(dkTAdr, tadr)
	return m.sign(t, d, m.key)
}

// A member asked by its master to relay (DIR_REQUEST) takes the changes itself and broadcasts them on its
// network as a DIR_AGENTPACKET: the master's DIR_PACKET untouched, under a header of ours, unsigned. A
// request from another address or signed by another key changes nothing and is relayed nowhere.
func TestMemberRelaysDirRequest(t *testing.T) {
	port := testPort(t)
	mk := testKeys(t, 5).RSA2048
	master := newFakeMaster(t, "127.0.0.9", port, mk)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Master, c.MasterPoll = testKeys(t, 0), master.addr(), time.Hour
	})
	segment := udpAt(t, "127.255.255.255", port) // what our broadcast on 127.0.0.0/8 reaches
	heard := make(chan []byte, 8)
	go func() {
		buf := make([]byte, maxRecv)
		for {
			k, _, err := segment.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			heard <- slices.Clone(buf[:k])
		}
	}()
	bob := listHost{user: "bob", host: "PC07", nick: "Bob", ip: "10.1.2.7", port: 2425, active: true}
	packet := master.dirPacket(t, mk, master.ansList(t, mk, bob))

	master.send(t, n.Addr(), master.dirRequest(t, packet, "127.0.0.2"))
	var relayed wire.Dict
	select {
	case b := <-heard:
		d, err := wire.ParseIPDict(b)
		if err != nil {
			t.Fatalf("relayed %q: %v", b, err)
		}
		relayed = d
	case <-time.After(5 * time.Second):
		t.Fatalf("nothing relayed on the segment; events %+v", n.drain(0))
	}
	h, err := readDirHeader(&relayed)
	if err != nil || h.cmd != wire.DirAgentPacket || h.user != "u127.0.0.2" || relayed.Has(wire.KeySign) {
		t.Errorf("relayed header %+v (%v), signed %v", h, err, relayed.Has(wire.KeySign))
	}
	inner, err := relayed.Dict(dkWrap)
	if err != nil || !slices.Equal(wire.AppendIPDict(nil, inner), wire.AppendIPDict(nil, packet)) {
		t.Errorf("WAPD is not the master's DIR_PACKET as it came: %v", err)
	}
	if pub, err := verifyDict(inner); err != nil || !pub.Equal(&mk.PublicKey) {
		t.Errorf("relayed DIR_PACKET signature: %v", err)
	}
	if got := hostAddrs(n); !slices.Contains(got, "10.1.2.7:2425") {
		t.Errorf("the agent took no change itself: %v", got)
	}
	// Forged: from another address, then from the master's address signed by another key. Nothing is
	// taken or relayed.
	carol := listHost{user: "carol", host: "PC08", ip: "10.1.2.8", port: 2425, active: true}
	forger := newFakeMaster(t, "127.0.0.5", port, mk)
	mark := n.mark()
	forger.send(t, n.Addr(), master.dirRequest(t, master.dirPacket(t, mk, master.ansList(t, mk, carol)), "127.0.0.2"))
	n.waitAfter(t, mark, "request from another address rejected", rejected("not by the master"))
	other := &fakeMaster{conn: master.conn, key: testKeys(t, 6).RSA2048, user: "master", host: "SRV", no: 1900000000}
	mark = n.mark()
	other.send(t, n.Addr(), other.dirRequest(t, other.dirPacket(t, other.key, other.ansList(t, other.key, carol)), "127.0.0.2"))
	n.waitAfter(t, mark, "request signed by another key rejected", rejected("signed by key"))
	select {
	case b := <-heard:
		t.Errorf("a forged request was relayed: %q", b)
	case <-time.After(200 * time.Millisecond):
	}
	if got := hostAddrs(n); slices.Contains(got, "10.1.2.8:2425") {
		t.Errorf("a forged request was taken: %v", got)
	}

	// TADR on none of our networks: taken, but relayed nowhere.
	mark = n.mark()
	master.send(t, n.Addr(), master.dirRequest(t, master.dirPacket(t, mk, master.ansList(t, mk, carol)), "192.0.2.200"))
	n.waitAfter(t, mark, "foreign TADR reported", rejected("on none of our networks"))
	select {
	case b := <-heard:
		t.Errorf("relayed for a TADR not ours: %q", b)
	case <-time.After(200 * time.Millisecond):
	}
}

// fakePoller is a member made by hand that polls the master and names its segment (NADRS).
func fakePoller(t *testing.T, ip string, port int, master *testNode) *fakeMaster {
	t.Helper()
	p := newFakeMaster(t, ip, port, testKeys(t, 6).RSA2048)
	p.user, p.host = "u"+ip, "h"+ip
	d := p.header(wire.DirPoll)
	d.SetInt(dkStat, int64(wire.CapUTF8Opt|wire.EncryptOpt))
	d.SetDictList(dkNAdrs, dirNetworks([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}))
	p.send(t, master.Addr(), p.sign(t, d, p.key))
	return p
}

// The master reaches a segment it is not on through two agents among the members that named it: each is
// sent every change in a DIR_REQUEST naming its own address (TADR); a third member there gets nothing
// directly. When an agent leaves, another takes its place.
func TestMasterPushesThroughAgents(t *testing.T) {
	port := testPort(t)
	master := startMaster(t, "127.0.0.2", port, time.Minute)
	var members []*fakeMaster
	for _, ip := range []string{"127.0.0.6", "127.0.0.7", "127.0.0.8"} {
		members = append(members, fakePoller(t, ip, port, master))
		time.Sleep(20 * time.Millisecond) // the latest pollers are picked: .8 and .7
		master.waitEvent(t, ip+" joined", joinedAt(fmt.Sprintf("%s:%d", ip, port)))
	}
	// A change: a member elsewhere joins (its poll names no network: it is sent changes directly).
	startMember(t, "127.0.0.3", port, master, 0)
	for _, a := range members[1:] {
		reqs := a.waitDicts(t, wire.DirRequest, 1, 5*time.Second)
		req := reqs[len(reqs)-1]
		if pub, err := verifyDict(req); err != nil || !pub.Equal(&testKeys(t, 5).RSA2048.PublicKey) {
			t.Errorf("DIR_REQUEST signature: %v", err)
		}
		tadr, _ := req.Str(dkTAdr)
		packet, _ := req.Dict(dkWrap)
		list, _ := packet.Dict(dkWrap)
		rows, _ := list.DictList(dkHList)
		if "u"+tadr != a.user || len(rows) == 0 {
			t.Errorf("%s: TADR %q, %d rows", a.user, tadr, len(rows))
		}
		if _, err := verifyDict(packet); err != nil {
			t.Errorf("wrapped DIR_PACKET: %v", err)
		}
	}
	members[0].mu.Lock()
	for _, d := range members[0].dicts {
		c, _ := d.Int(dkCmd)
		t.Errorf("the member an agent covers got a %v directly", wire.Command(c))
	}
	members[0].mu.Unlock()

	// Agent .8 says goodbye: .6 becomes an agent and hears of it.
	exit := wire.Packet{No: members[2].next(), User: members[2].user, Host: members[2].host, Cmd: wire.BrExit}
	sendFrom(t, members[2].conn, master.Addr(), exit.Bytes())
	if tadr, _ := members[0].waitDicts(t, wire.DirRequest, 1, 5*time.Second)[0].Str(dkTAdr); tadr != "127.0.0.6" {
		t.Errorf("the new agent's TADR %q", tadr)
	}
}
