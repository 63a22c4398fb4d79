package ui

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"hato/protocol/wire"
)

// Refresh asks the LAN again: who answers never leaves the list, not even for a moment, and who stays
// silent is gone at the end.
func TestMainWindowRefreshKeepsWhoAnswers(t *testing.T) {
	m := newMainSetup(t)
	w := m.win
	// A peer that announces itself once, then never answers again (switched off without a goodbye).
	silent, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.4:"+strconv.Itoa(m.port))))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	entry := wire.Packet{No: uint32(time.Now().Unix()), User: "gone", Host: "pc", Cmd: wire.BrEntry}
	entry.Msg, entry.Extra = wire.AppendEntry([]byte("gone"), nil, wire.EntryText{User: "gone", Host: "pc", Nick: "gone"})
	silent.WriteToUDPAddrPort(entry.Bytes(), netip.MustParseAddrPort("127.0.0.2:"+strconv.Itoa(m.port)))
	m.tx.q.until(t, "both peers listed", func() bool { return m.rowOf("gone") >= 0 && m.rowOf("受信者") >= 0 })
	w.hosts.setSelected(*w.hosts.rows[m.rowOf("受信者")].host, true)

	w.onRefresh()
	if !w.refresh.Disabled() {
		t.Error("the refresh button stays enabled while refreshing")
	}
	m.tx.q.until(t, "the refresh to end", func() bool {
		if m.rowOf("受信者") < 0 {
			t.Fatalf("the peer that answers left the list during the refresh (%s)", w.hosts.count.Text)
		}
		return !w.refresh.Disabled()
	})
	if m.rowOf("gone") >= 0 || len(w.hosts.rows) != 1 || w.hosts.count.Text != "1 on the LAN, 1 selected" {
		t.Errorf("after the refresh: %d rows, %q; want only 受信者, still checked", len(w.hosts.rows), w.hosts.count.Text)
	}
}
