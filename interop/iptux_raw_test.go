//go:build linux

package interop

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIptuxRawPeer checks the harness against iptux with a raw IPMsg peer
// (no Hato code involved) and documents what iptux 0.8.3 does: it answers a
// Windows-style BR_ENTRY, shows UTF-8 names from the legacy fields,
// acknowledges SENDMSG|SENDCHECKOPT with RECVMSG, logs the text, sends what is
// typed into its chat window, drops a pal on BR_EXIT and sends BR_EXIT on quit.
func TestIptuxRawPeer(t *testing.T) {
	needIptux(t)
	lab := newLab(t, 2)
	x := startIptux(t, lab.Host(0), iptuxConfig{Nick: "イプタックス", Group: "测试组"})
	iptuxIP := lab.Host(0).IP
	p := newPeer(t, lab.Host(1), "probeuser", "probehost")
	peerIP := lab.Host(1).IP.String()
	const nick, group = "探针プローブ", "探测组"
	from := func(mode uint32) func(packet) bool {
		return func(pk packet) bool { return pk.From.IP.Equal(iptuxIP) && pk.Mode() == mode }
	}

	p.send(t, net.IPv4bcast, p.next(), cmdBrEntry|optCapUTF8, p.entryBody(nick, group))
	ans := p.expect(t, 10*time.Second, "ANSENTRY from iptux", from(cmdAnsEntry))
	if f := ans.Fields(); len(f) < 2 || f[0] != "イプタックス" || f[1] != "测试组" || !strings.HasPrefix(ans.Version, "1_iptux") ||
		ans.User != "root" || ans.Host != iptuxHostName {
		t.Errorf("ANSENTRY %s: want version 1_iptux..., user root, host %s, nick イプタックス, group 测试组", ans, iptuxHostName)
	}
	x.waitPal(20*time.Second, peerIP, "iptux listing the raw peer as "+nick+"/"+group, func(pal iptuxPal) bool {
		return pal.Nick == nick && pal.Group == group && pal.User == "probeuser" && pal.Host == "probehost"
	})

	text := "raw → iptux こんにちは 你好 " + strconv.Itoa(int(time.Now().Unix()))
	no := p.next()
	p.send(t, iptuxIP, no, cmdSendMsg|optSendCheck|optUTF8, append([]byte(text), 0))
	p.expect(t, 10*time.Second, "RECVMSG for packet "+strconv.FormatUint(no, 10), func(pk packet) bool {
		return from(cmdRecvMsg)(pk) && pk.Text() == strconv.FormatUint(no, 10)
	})
	if e := x.waitChat(10*time.Second, text); e.Nick != nick || e.User != "probeuser" || e.Host != "probehost" {
		t.Errorf("chat log entry %+v: want nick %s, user probeuser, host probehost", e, nick)
	}

	typed := "iptux → raw テスト 中文 ok"
	win := x.chatWindow(peerIP)
	x.typeMessage(win, peerIP, typed)
	msg := p.expect(t, 15*time.Second, "SENDMSG with the typed text "+typed, func(pk packet) bool {
		return from(cmdSendMsg)(pk) && pk.Text() == typed
	})
	if msg.Cmd&optSendCheck == 0 {
		t.Errorf("typed SENDMSG %s has no SENDCHECKOPT", msg)
	}
	p.send(t, iptuxIP, p.next(), cmdRecvMsg, []byte(strconv.FormatUint(msg.No, 10)+"\x00"))
	x.closeChat(peerIP)

	p.send(t, net.IPv4bcast, p.next(), cmdBrExit, []byte(nick+"\x00"+group+"\x00"))
	x.waitNoPal(10*time.Second, peerIP, "iptux dropping the raw peer after its BR_EXIT")

	// Back in, then iptux quits: it must send BR_EXIT to us.
	p.send(t, net.IPv4bcast, p.next(), cmdBrEntry|optCapUTF8, p.entryBody(nick, group))
	x.waitPal(20*time.Second, peerIP, "iptux listing the raw peer again", func(iptuxPal) bool { return true })
	x.quit()
	p.expect(t, 5*time.Second, "BR_EXIT from iptux after quit", from(cmdBrExit))
}
