//go:build linux

package interop

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIptux checks Hato against iptux 0.8.3 (the Debian package) on a real
// bridge: discovery both ways with non-ASCII names, messages both ways, and
// BR_EXIT both ways. iptux runs on 192.0.2.2, `hato serve` on 192.0.2.3 and
// the one-shot commands (hato list, hato send) on 192.0.2.4.
func TestIptux(t *testing.T) {
	needIptux(t)
	hatoBinary(t)
	lab := newLab(t, 3)
	iptuxHost, hatoHost, cliHost := lab.Host(0), lab.Host(1), lab.Host(2)
	ix := startIptux(t, iptuxHost, iptuxConfig{Nick: "イプタックス", Group: "测试组"})
	me := identity{Nick: "鳩ハト", Group: "開発部", User: "hatouser", Host: "hatohost"}
	srv := startServe(t, hatoHost, me)
	iptuxAddr, hatoIP := iptuxHost.Addr(2425), hatoHost.IP.String()
	isIptux := func(h jsonHost) bool {
		return h.Nick == "イプタックス" && h.Group == "测试组" && h.User == "root" && h.Host == iptuxHostName
	}

	t.Run("hato lists iptux", func(t *testing.T) {
		h := srv.waitHost(t, 15*time.Second, iptuxAddr, "host-joined for iptux as イプタックス/测试组 root@"+iptuxHostName, isIptux)
		if h.Absent {
			// iptux sets ABSENCEOPT in every BR_ENTRY/ANSENTRY (IPTUX.md, fact 5).
			t.Errorf("hato shows iptux as absent: %+v (iptux always sets ABSENCEOPT: 257/259)", h)
		}
		hosts := listHosts(t, cliHost, identity{Nick: "一覧", User: "lister", Host: "clihost"}, 3*time.Second)
		found := false
		for _, h := range hosts {
			if h.Addr == iptuxAddr {
				found = true
				if !isIptux(h) {
					t.Errorf("hato list --json shows iptux as %+v, want nick イプタックス group 测试组 user root host %s", h, iptuxHostName)
				}
			}
		}
		if !found {
			t.Errorf("hato list --json does not list iptux (%s): %+v", iptuxAddr, hosts)
		}
	})

	t.Run("iptux lists hato", func(t *testing.T) {
		ix.in(t).waitPal(20*time.Second, hatoIP, "iptux listing hato as 鳩ハト/開発部 hatouser@hatohost", func(p iptuxPal) bool {
			return p.Nick == me.Nick && p.Group == me.Group && p.User == me.User && p.Host == me.Host
		})
	})

	t.Run("hato send to iptux", func(t *testing.T) {
		text := "こんにちは 你好 Hato→iptux ✓ " + strconv.FormatInt(time.Now().Unix(), 10)
		sender := identity{Nick: "送信者", Group: "開発部", User: "sender", Host: "clihost"}
		args := append([]string{"send", "--profile", t.TempDir(), "--timeout", "10s", "--to", iptuxHost.IP.String()}, sender.flags()...)
		args = append(args, text)
		out, errOut, err := runHato(t, cliHost, 30*time.Second, args...)
		if err != nil {
			ix.in(t).fail("hato %s: %v (want exit 0: iptux acknowledged?)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
		}
		e := ix.in(t).waitChat(10*time.Second, text)
		if e.User != sender.User || e.Host != sender.Host {
			t.Errorf("iptux logged the message from %+v, want user %s host %s", e, sender.User, sender.Host)
		}
	})

	// A script beside the running Hato: `hato send` on the serve's profile goes out from the serve node
	// (whose port iptux answers to), under its nickname, in UTF-8, and lands in its history.
	t.Run("hato send through the running serve", func(t *testing.T) {
		text := "through serve 日本語 中文 한국어 ✓ " + strconv.FormatInt(time.Now().UnixNano(), 10)
		args := []string{"send", "--profile", srv.profile, "--timeout", "10s", "--to", iptuxHost.IP.String(), text}
		out, errOut, err := runHato(t, hatoHost, 30*time.Second, args...)
		if err != nil || !strings.Contains(out, "delivered to イプタックス") {
			ix.in(t).fail("hato %s: %v (want exit 0, delivered)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
		}
		e := ix.in(t).waitChat(10*time.Second, text)
		if e.User != me.User || e.Host != me.Host {
			t.Errorf("iptux logged the message from %+v, want the serve node %s@%s", e, me.User, me.Host)
		}
		out, errOut, err = runHato(t, hatoHost, 30*time.Second, "history", "--profile", srv.profile, "--json", "through serve")
		if err != nil || !strings.Contains(out, `"dir": "out"`) || !strings.Contains(out, text) {
			t.Errorf("serve's history: %v\n%s\n%s", err, out, errOut)
		}
	})

	t.Run("hato send to iptux by nickname", func(t *testing.T) {
		text := "by nickname ニックネーム 昵称 " + strconv.FormatInt(time.Now().UnixNano(), 10)
		args := append([]string{"send", "--profile", t.TempDir(), "--timeout", "10s", "--to", "イプタックス"}, identity{Nick: "送信者"}.flags()...)
		args = append(args, text)
		out, errOut, err := runHato(t, cliHost, 30*time.Second, args...)
		if err != nil {
			ix.in(t).fail("hato %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
		}
		ix.in(t).waitChat(10*time.Second, text)
	})

	t.Run("iptux message to hato", func(t *testing.T) {
		x := ix.in(t)
		typed := "iptux→hato テスト 中文 ok " + strconv.FormatInt(time.Now().Unix(), 10)
		entryRepeated(srv.started)
		win := x.chatWindow(hatoIP)
		x.typeMessage(win, hatoIP, typed)
		e := srv.wait(t, 15*time.Second, "message event with the typed text "+typed, func(e event) bool {
			return e.Event == "message" && e.Text != nil && e.From != nil && e.From.Addr == iptuxAddr && strings.Contains(*e.Text, "iptux→hato")
		})
		if *e.Text != typed {
			t.Errorf("hato got the text %q, want %q", *e.Text, typed)
		}
		if e.From.Nick != "イプタックス" || e.Sealed {
			t.Errorf("message event %s: want from.nick イプタックス, sealed false", e.line)
		}
		x.closeChat(hatoIP)
	})

	t.Run("hato exit removes it from iptux", func(t *testing.T) {
		srv.stop(t)
		ix.in(t).waitNoPal(10*time.Second, hatoIP, "iptux dropping hato after hato serve stopped (BR_EXIT)")
	})

	t.Run("iptux quit removes it from hato", func(t *testing.T) {
		srv2 := startServe(t, hatoHost, me)
		srv2.waitHost(t, 15*time.Second, iptuxAddr, "host-joined for iptux (second hato serve)", isIptux)
		ix.in(t).waitPal(20*time.Second, hatoIP, "iptux listing the second hato serve", func(iptuxPal) bool { return true })
		ix.in(t).quit()
		srv2.wait(t, 10*time.Second, "host-left for iptux after its quit action (BR_EXIT)", func(e event) bool {
			return e.Event == "host-left" && e.Host != nil && e.Host.Addr == iptuxAddr
		})
	})
}
