package protocol

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// byteCounter reads everything a socket receives and counts it.
type byteCounter struct {
	conn        *net.UDPConn
	bytes, pkts atomic.Int64
	done        chan struct{}
}

func newByteCounter(t *testing.T, ip string, port int) *byteCounter {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr(ip, port)))
	if err != nil {
		t.Fatal(err)
	}
	bc := &byteCounter{conn: c, done: make(chan struct{})}
	go func() {
		defer close(bc.done)
		buf := make([]byte, maxRecv)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			bc.bytes.Add(int64(n))
			bc.pkts.Add(1)
		}
	}()
	t.Cleanup(func() { c.Close(); <-bc.done })
	return bc
}

// quiet waits until nothing arrived for d.
func (bc *byteCounter) quiet(d time.Duration) {
	for last := bc.bytes.Load(); ; {
		time.Sleep(d)
		if now := bc.bytes.Load(); now == last {
			return
		} else {
			last = now
		}
	}
}

// Each request type from a source the node does not know (a forged source address: nobody there
// completed an entry exchange) is sent floodCount times; the node's answers to that address, in bytes,
// stay within what it received from it. The first answer may be one small packet bigger than its
// request (an ANSENTRY for a BR_ENTRY, a RECVMSG for a message): that allowance is paid back from the
// following requests' bytes before anything else is answered. The node has keys, a 5,000-host list to
// give, absence mode with a 200-byte text (auto-replies) and long names. The table is the README's.
func TestAmplification(t *testing.T) {
	const floodCount = 100
	port := testPort(t)
	n := startNode(t, "127.0.0.2", port, func(c *Config) {
		c.Keys, c.Absent, c.AbsenceText = testKeys(t, 0), true, strings.Repeat("I am away. ", 18)
		c.User, c.Host, c.Nick, c.Group = "tanaka", "DESKTOP-AB12CD3", "田中太郎", "営業部"
	})
	go func() { // the events of the 5,000 hosts below and of the requests
		for range n.events {
		}
	}()
	for i := range 5000 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 3, byte(i / 250), byte(i%250 + 1)}), uint16(port))
		p := wire.Packet{No: uint32(i + 1), User: fmt.Sprint("user", i), Host: "PC", Cmd: wire.AnsEntry | wire.CapUTF8Opt,
			Msg: []byte(fmt.Sprint("Nick ", i)), Extra: []byte("Group\x00")}
		n.handle(src, p, len(p.Bytes()))
	}
	n.Node.mu.Lock()
	n.start = time.Now().Add(-time.Minute) // answer host-list requests
	n.Node.mu.Unlock()
	nodeKey := &testKeys(t, 0).RSA2048.PublicKey
	bogus, err := crypt.Encrypt(rand.Reader, 0x01900004, 1, nodeKey, nil, []byte("x\x00"))
	if err != nil {
		t.Fatal(err)
	}
	// Each type comes with its own names: a claim on another row's names would mix the rows.
	row := 0
	win := func(cmd wire.Command, msg string) func(no int) string {
		row++
		user := fmt.Sprint("user", row)
		msg = strings.ReplaceAll(msg, "taro", user)
		return func(no int) string { return fmt.Sprintf("1:%d:%s:PC01:%d:%s\x00", 1700000000+no, user, cmd, msg) }
	}
	types := []struct {
		name string
		req  func(no int) string
	}{
		{"BR_ENTRY (minimal)", func(no int) string { return fmt.Sprintf("1:%d:a:b:1:\x00", no) }},
		{"BR_ENTRY (Windows)", win(wire.BrEntry|wire.CapUTF8Opt|wire.EncryptOpt, "Taro\x00Dev\x00\nUN:taro\nHN:PC01\nNN:Taro\nGN:Dev\nVS:00010002:4:99:3")},
		{"ANSENTRY", win(wire.AnsEntry, "Taro\x00Dev")},
		{"BR_ABSENCE", win(wire.BrAbsence|wire.AbsenceOpt, "Taro\x00Dev")},
		{"BR_ISGETLIST2", win(wire.BrIsGetList2, "")},
		{"GETLIST", win(wire.GetList|wire.CapUTF8Opt, "0")},
		{"GETPUBKEY", win(wire.GetPubKey, "65920006")},
		{"GETINFO", win(wire.GetInfo, "")},
		{"GETABSENCEINFO", win(wire.GetAbsenceInfo, "")},
		{"SENDMSG|SENDCHECKOPT", win(wire.SendMsg|wire.SendCheckOpt, "hi")},
		{"SENDMSG|ENCRYPTOPT", win(wire.SendMsg|wire.SendCheckOpt|wire.EncryptOpt, string(crypt.AppendMessage(nil, bogus)))},
		{"READMSG|READCHECKOPT", win(wire.ReadMsg|wire.ReadCheckOpt, "1700000000")},
		{"RELEASEFILES", win(wire.ReleaseFiles, "1700000000")},
		{"NOOPERATION", win(wire.NoOperation, "")},
		{"BR_EXIT", win(wire.BrExit, "")},
	}
	var table []string
	for i, ty := range types {
		ip := fmt.Sprintf("127.0.4.%d", 10+i)
		bc := newByteCounter(t, ip, port)
		in := 0
		send := func(no int) {
			b := ty.req(no)
			in += len(b)
			if _, err := bc.conn.WriteToUDPAddrPort([]byte(b), n.addr); err != nil {
				t.Fatal(err)
			}
		}
		send(0)
		bc.quiet(100 * time.Millisecond)
		firstReq, firstOut := in, bc.bytes.Load()
		for no := 1; no < floodCount; no++ {
			send(no)
		}
		bc.quiet(200 * time.Millisecond)
		out := bc.bytes.Load()
		ratio := float64(out) / float64(in)
		row := fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %.2f |", ty.name, firstReq, firstOut, in, out, bc.pkts.Load(), ratio)
		table = append(table, row)
		if out > int64(in) {
			t.Errorf("%s from an unknown source: %d bytes out for %d in", ty.name, out, in)
		}
	}
	t.Logf("amplification, %d requests of each type from an unknown source:\n"+
		"| request | first request (bytes) | its answer (bytes) | flood in | flood out | answers | out/in |\n"+
		"| --- | --- | --- | --- | --- | --- | --- |\n%s", floodCount, strings.Join(table, "\n"))
}
