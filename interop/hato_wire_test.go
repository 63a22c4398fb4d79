//go:build linux

package interop

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHatoWire drives `hato serve` with the raw peer and checks the packets
// it sends, so a failure shows the exact bytes: BR_ENTRY at start-up with
// CAPUTF8OPT and the UTF-8 NN/GN entries, ANSENTRY to a Windows-style
// BR_ENTRY, RECVMSG (decimal packet number) for SENDMSG|SENDCHECKOPT also for
// a duplicate while showing it once, and BR_EXIT twice on SIGTERM.
func TestHatoWire(t *testing.T) {
	needLab(t)
	hatoBinary(t)
	lab := newLab(t, 2)
	p := newPeer(t, lab.Host(1), "probeuser", "probehost")
	me := identity{Nick: "鳩ハト", Group: "開発部", User: "hatouser", Host: "hatohost"}
	srv := startServe(t, lab.Host(0), me)
	hatoIP := lab.Host(0).IP
	from := func(mode uint32) func(packet) bool {
		return func(pk packet) bool { return pk.From.IP.Equal(hatoIP) && pk.From.Port == 2425 && pk.Mode() == mode }
	}

	t.Run("BR_ENTRY at start-up", func(t *testing.T) {
		br := p.expect(t, 10*time.Second, "BR_ENTRY from hato", from(cmdBrEntry))
		if br.Version != "1" || br.User != me.User || br.Host != me.Host {
			t.Errorf("BR_ENTRY %s: want version 1, user %s, host %s", br, me.User, me.Host)
		}
		if br.Cmd&optCapUTF8 == 0 {
			t.Errorf("BR_ENTRY %s: no CAPUTF8OPT", br)
		}
		if s := string(br.Body); !strings.Contains(s, "\nNN:"+me.Nick) || !strings.Contains(s, "\nGN:"+me.Group) {
			t.Errorf("BR_ENTRY %s: want the UTF-8 entries NN:%s and GN:%s", br, me.Nick, me.Group)
		}
	})

	t.Run("ANSENTRY", func(t *testing.T) {
		p.send(t, net.IPv4bcast, p.next(), cmdBrEntry|optCapUTF8, p.entryBody("探针", "测试"))
		ans := p.expect(t, 10*time.Second, "ANSENTRY from hato", from(cmdAnsEntry))
		if s := string(ans.Body); !strings.Contains(s, "\nNN:"+me.Nick) && !strings.HasPrefix(s, me.Nick+"\x00") {
			t.Errorf("ANSENTRY %s: nickname %s neither in the UTF-8 NN entry nor as UTF-8 in the legacy field", ans, me.Nick)
		}
		srv.waitHost(t, 10*time.Second, lab.Host(1).Addr(2425), "host-joined for the raw peer as 探针/测试", func(h jsonHost) bool {
			return h.Nick == "探针" && h.Group == "测试" && h.User == "probeuser" && h.Host == "probehost"
		})
	})

	t.Run("SENDMSG", func(t *testing.T) {
		no := p.next()
		text := "raw → hato こんにちは 你好"
		body := append([]byte(text), 0)
		isAck := func(pk packet) bool { return from(cmdRecvMsg)(pk) && pk.Text() == strconv.FormatUint(no, 10) }
		p.send(t, hatoIP, no, cmdSendMsg|optSendCheck|optUTF8, body)
		p.expect(t, 10*time.Second, "RECVMSG with the decimal packet number "+strconv.FormatUint(no, 10), isAck)
		e := srv.wait(t, 10*time.Second, "message event", func(e event) bool { return e.Event == "message" && e.Text != nil && *e.Text == text })
		if e.From == nil || e.From.Nick != "探针" || e.Packet != uint32(no) {
			t.Errorf("message event %s: want from.nick 探针, packet %d", e.line, no)
		}
		// A retry of the same packet: acknowledged again, shown once.
		p.send(t, hatoIP, no, cmdSendMsg|optSendCheck|optUTF8, body)
		deadline := time.Now().Add(5 * time.Second)
		for p.count(isAck) < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := p.count(isAck); n < 2 {
			t.Errorf("a resent SENDMSG (same packet number) was not acknowledged again (%d RECVMSG); packets:\n%s", n, p.dump())
		}
		time.Sleep(500 * time.Millisecond)
		srv.mu.Lock()
		n := 0
		for _, e := range srv.events {
			if e.Event == "message" && e.Text != nil && *e.Text == text {
				n++
			}
		}
		srv.mu.Unlock()
		if n != 1 {
			t.Errorf("the message was shown %d times after a resend, want once\n%s", n, srv.report())
		}
	})

	t.Run("BR_EXIT twice on SIGTERM", func(t *testing.T) {
		srv.stop(t)
		deadline := time.Now().Add(3 * time.Second)
		for p.count(from(cmdBrExit)) < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := p.count(from(cmdBrExit)); n < 2 {
			t.Errorf("got %d BR_EXIT after SIGTERM, want 2; packets:\n%s", n, p.dump())
		}
	})
}
