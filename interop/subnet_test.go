//go:build linux

package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hato/internal/netlab"
)

// TestSendToAnotherSubnet runs `hato serve` on subnet B and a one-shot `hato send` on subnet A, the
// two joined by a router that forwards no broadcast, and no --broadcast-addr: the serve node never
// hears the sender's BR_ENTRY. Before its message the sender must introduce itself by a unicast
// BR_ENTRY and wait for the ANSENTRY, so that serve knows its nick first (host event before the
// message event, listing the sender's address) and the sender writes in the charset serve asked for:
// the text, which CP932 cannot hold, must arrive intact rather than with '?'. Then the other
// direction: the serve node answers the sender's address (a serve there now) through its profile.
func TestSendToAnotherSubnet(t *testing.T) {
	needLab(t)
	hatoBinary(t)
	lab, err := netlab.NewRouted(t, []int{1, 1})
	if err != nil {
		t.Fatalf("building a routed lab of two subnets: %v", err)
	}
	a, b := lab.Subnet(0).Host(0), lab.Subnet(1).Host(0)
	rx, tx := identity{Nick: "受信者", User: "rx", Host: "host-b"}, identity{Nick: "送信者", User: "tx", Host: "host-a"}
	srv := startServe(t, b, rx)

	text := "你好 こんにちは 한국어"
	args := append([]string{"send", "--profile", t.TempDir(), "--to", b.IP.String()}, tx.flags()...)
	sendAcross(t, a, tx, srv, rx, append(args, text), text)

	t.Run("answer", func(t *testing.T) {
		// The one-shot sender is gone (and said BR_EXIT): the serve node must introduce itself in turn.
		back := startServe(t, a, tx)
		text := "谢谢 ありがとう 감사합니다"
		sendAcross(t, b, rx, back, tx, []string{"send", "--profile", srv.profile, "--to", a.IP.String(), text}, text)
	})
}

// sendAcross runs `hato send args` in h under identity from and checks that it exits 0 delivered to
// dst (named to), and that dst printed a host event with from's nick for h's address before the
// message, whose text must be text byte for byte. Failures list everything dst printed.
func sendAcross(t *testing.T, h *netlab.Host, from identity, dst *server, to identity, args []string, text string) {
	t.Helper()
	out, errOut, err := runHato(t, h, 30*time.Second, args...)
	var problems []string
	delivered := fmt.Sprintf("delivered to %s (%s)", to.Nick, dst.host.Addr(2425))
	if err != nil || !strings.Contains(out, delivered) {
		problems = append(problems, fmt.Sprintf("hato send exited with %v, want exit 0 and %q", err, delivered))
	}
	// The message (garbled or not) from h's address; dst prints it at once when it acks.
	addr := h.Addr(2425)
	fromH := func(e event) bool { return e.Event == "message" && e.From != nil && e.From.Addr == addr }
	dst.poll(5*time.Second, fromH)
	events := dst.snapshot()
	msg, intro := -1, -1
	for i, e := range events {
		if msg < 0 && fromH(e) {
			msg = i
		}
		if intro < 0 && (e.Event == "host-joined" || e.Event == "host-updated") && e.Host != nil && e.Host.Addr == addr && e.Host.Nick == from.Nick {
			intro = i
		}
	}
	switch {
	case msg < 0:
		problems = append(problems, fmt.Sprintf("no message event from %s", addr))
	case events[msg].Text == nil || *events[msg].Text != text:
		got := "no text"
		if events[msg].Text != nil {
			got = fmt.Sprintf("%q (% x)", *events[msg].Text, *events[msg].Text)
		}
		problems = append(problems, fmt.Sprintf("message text is %s, want %q (% x) byte for byte (written in CP932 without asking the peer?)", got, text, text))
	case events[msg].From.Nick != from.Nick:
		problems = append(problems, fmt.Sprintf("message is from %+v, want nick %s", *events[msg].From, from.Nick))
	}
	switch {
	case intro < 0:
		problems = append(problems, fmt.Sprintf("no host-joined/host-updated for %s with nick %s (no unicast BR_ENTRY before the message?)", addr, from.Nick))
	case msg >= 0 && intro > msg:
		problems = append(problems, fmt.Sprintf("the sender's nick came (event %d) only after the message (event %d); the introduction must come first", intro, msg))
	}
	if len(problems) > 0 {
		t.Errorf("sending from %s to %s across the router:\n- %s\n--- hato %s\nstdout:\n%s\nstderr:\n%s\n%s",
			h.IP, dst.host.IP, strings.Join(problems, "\n- "), strings.Join(args, " "), out, tail(errOut, 40), dst.report())
	}
}

// poll is wait without failing the test: it reports whether an event that matches came within timeout.
func (s *server) poll(timeout time.Duration, match func(event) bool) bool {
	deadline := time.After(timeout)
	for {
		_, ok, changed, eof := s.find(match)
		if ok || eof {
			return ok
		}
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

// snapshot returns the events printed so far, in order.
func (s *server) snapshot() []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event(nil), s.events...)
}
