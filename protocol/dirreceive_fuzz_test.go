package protocol

import (
	"crypto/rsa"
	"net/netip"
	"testing"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// fuzzMember is a member node that never runs: the fuzz targets call its receive path directly. The
// master's key is configured, so that packets the harness signs with it are taken; the rate limit is
// lifted, so that every input gets that far.
func fuzzMember(f *testing.F) (*Node, *rsa.PrivateKey) {
	mk := testKeys(f, 5).RSA2048
	cfg := DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast, cfg.MaxHosts = 0, "127.0.0.2", true, 64
	cfg.Master, cfg.MasterKey = addr("127.0.0.9", 2425), crypt.Fingerprint(&mk.PublicKey)
	n, err := Listen(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.udp.Close(); n.tcp.Close() })
	n.member.limit = newLimiter(1e9, 1e9, 1e9, 1e9)
	return n, mk
}

// checkTable holds whatever the packets did: no more than MaxHosts hosts, each at an IPv4 address.
func checkTable(t *testing.T, n *Node) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hosts.len() > n.cfg.MaxHosts {
		t.Fatalf("%d hosts, MaxHosts %d", n.hosts.len(), n.cfg.MaxHosts)
	}
	n.hosts.each(func(e *hostEntry) bool {
		if !e.Addr.Addr().Is4() || e.Addr.Port() == 0 {
			t.Fatalf("host at %v", e.Addr)
		}
		return true
	})
}

// fuzzSeeds are packets a master and its agents send, and some near misses.
func fuzzSeeds(f *testing.F, mk *rsa.PrivateKey) [][]byte {
	m := &fakeMaster{key: mk, user: "master", host: "SRV", no: 1}
	list := m.ansList(f, mk, listHost{"a", "PC1", "A", "G", "10.0.0.1", 2425, true},
		listHost{"b", "PC2", "", "", "10.0.0.2", 2425, false})
	dp := m.dirPacket(f, mk, list)
	order := func(cmd wire.Command) []byte {
		d := m.header(cmd)
		d.SetInt(dkAgs, 190)
		d.SetStr(dkTAdr, "127.0.0.2")
		return wire.AppendIPDict(nil, m.sign(f, d, mk))
	}
	req := m.header(wire.DirRequest)
	req.SetDict(dkWrap, dp)
	req.SetStr(dkTAdr, "127.0.0.2")
	return [][]byte{
		wire.AppendIPDict(nil, list),
		wire.AppendIPDict(nil, dp),
		wire.AppendIPDict(nil, agentPacket(dp)),
		wire.AppendIPDict(nil, m.sign(f, req, mk)),
		order(wire.DirBroadcast),
		order(wire.DirPollAgent),
		wire.AppendIPDict(nil, m.ansList(f, nil, listHost{"c", "PC3", "", "", "10.0.0.3", 1, true})),
		[]byte("IP2:0::Z"),
		[]byte("IP2:7:VER:1:3:Z"),
	}
}

// FuzzDirDatagram: whatever datagram starting with "IP2:" arrives, from the master or from anyone, the
// node never panics and its host table stays bounded.
func FuzzDirDatagram(f *testing.F) {
	n, mk := fuzzMember(f)
	for _, s := range fuzzSeeds(f, mk) {
		f.Add(s)
	}
	master, agent := n.member.master, addr("127.0.0.5", 2425)
	f.Fuzz(func(t *testing.T, b []byte) {
		n.onDirDatagram(master, b)
		n.onDirDatagram(agent, b)
		checkTable(t, n)
	})
}

// FuzzDirHostList: an HLST of any bytes, in a list the master signed: the node never panics, and takes
// only IPv4 hosts, at most MaxHosts. The signature is taken as checked (the seeds go the whole way, through
// FuzzDirDatagram): signing each input would slow the fuzzer a hundredfold.
func FuzzDirHostList(f *testing.F) {
	n, _ := fuzzMember(f)
	e0 := listHost{"a", "PC1", "A", "G", "10.0.0.1", 2425, true}.dict()
	e1 := listHost{"b", "PC2", "", "", "10.0.0.2", 2425, false}.dict()
	f.Add(wire.AppendIPDictList(nil, [][]byte{wire.AppendIPDictContent(nil, e0), wire.AppendIPDictContent(nil, e1)}), int64(2))
	f.Add([]byte("5:UID:0:"), int64(1))
	f.Add([]byte(""), int64(0))
	m := &fakeMaster{user: "master", host: "SRV"}
	f.Fuzz(func(t *testing.T, hlst []byte, num int64) {
		list := m.header(wire.AnsListDict)
		list.SetRaw(dkHList, hlst)
		list.SetInt(dkNum, num)
		d, err := wire.ParseIPDict(wire.AppendIPDict(nil, list)) // as received: values nested below a datagram
		if err != nil {
			t.Fatal(err)
		}
		n.applyDirList(&d, 1)
		checkTable(t, n)
	})
}

// FuzzMasterDatagram: whatever IPDict a master gets, from a member, an agent or anyone (polls, agents'
// reports), it never panics and its table stays bounded.
func FuzzMasterDatagram(f *testing.F) {
	cfg := DefaultConfig()
	cfg.Port, cfg.BindAddr, cfg.NoBroadcast, cfg.MaxHosts = 0, "127.0.0.2", true, 64
	cfg.Keys, cfg.BeMaster = testKeys(f, 5), true
	n, err := Listen(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.udp.Close(); n.tcp.Close() })
	n.master.limit = newLimiter(1e9, 1e9, 1e9, 1e9)
	key := testKeys(f, 6).RSA2048
	m := &fakeMaster{key: key, user: "taro", host: "PC06", no: 1}
	poll := m.header(wire.DirPoll)
	poll.SetDictList(dkNAdrs, dirNetworks([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}))
	f.Add(wire.AppendIPDict(nil, m.sign(f, poll, key)))
	for _, cmd := range []wire.Command{wire.DirAnsBroad, wire.DirEvBroad} {
		d := m.header(cmd)
		d.SetDictList(dkHList, []wire.Dict{listHost{"a", "PC1", "A", "G", "127.0.0.50", 2425, true}.dict()})
		f.Add(wire.AppendIPDict(nil, m.sign(f, d, key)))
	}
	member, other := addr("127.0.0.6", 2425), addr("127.0.0.7", 2425)
	f.Fuzz(func(t *testing.T, b []byte) {
		n.onDirDatagram(member, b)
		n.onDirDatagram(other, b)
		checkTable(t, n)
	})
}
