package ui

import (
	"net/netip"
	"testing"

	"fyne.io/fyne/v2/test"

	"hato/protocol"
)

func host(user, nick string, ip string) protocol.Host {
	return protocol.Host{User: user, Host: "pc", Nick: nick, Group: "開発", Addr: netip.MustParseAddrPort(ip + ":2425")}
}

func TestHostListFollowsEvents(t *testing.T) {
	test.NewTempApp(t)
	h := newHostList()
	w := test.NewTempWindow(t, h.content)
	_ = w

	h.apply(protocol.Event{Kind: protocol.EventHostJoined, Host: host("taro", "Taro", "192.0.2.2")})
	h.apply(protocol.Event{Kind: protocol.EventHostJoined, Host: host("anna", "Anna", "192.0.2.3")})
	if got := h.list.Length(); got != 2 {
		t.Fatalf("%d rows, want 2", got)
	}
	if got, want := h.row(0), "Anna (開発)  anna@pc  192.0.2.3"; got != want {
		t.Errorf("row 0 = %q, want %q (sorted by name)", got, want)
	}
	if h.status.Text != "2 on the LAN" {
		t.Errorf("status %q", h.status.Text)
	}

	away := host("taro", "Taro", "192.0.2.2")
	away.Absent = true
	h.apply(protocol.Event{Kind: protocol.EventHostUpdated, Host: away})
	if got, want := h.row(1), "Taro (開発)  taro@pc  192.0.2.2  [absent]"; got != want {
		t.Errorf("row 1 = %q, want %q", got, want)
	}

	h.apply(protocol.Event{Kind: protocol.EventHostLeft, Host: host("anna", "Anna", "192.0.2.3")})
	if got := h.list.Length(); got != 1 || h.status.Text != "1 on the LAN" {
		t.Errorf("after BR_EXIT: %d rows, status %q", got, h.status.Text)
	}
	h.apply(protocol.Event{Kind: protocol.EventMessage})
	if h.list.Length() != 1 {
		t.Error("a message event changed the host list")
	}
}
