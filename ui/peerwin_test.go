package ui

import (
	"strings"
	"testing"
)

// The peer window shows what the peer's entry said and what it answers when asked (GETINFO,
// GETABSENCEINFO).
func TestPeerWindowAsks(t *testing.T) {
	m := newMainSetup(t)
	m.rx.setAbsence("会議中")
	w := m.win
	w.onInfo()
	if w.compose.status.Text != "Check a person first." {
		t.Errorf("info with nobody checked: status %q", w.compose.status.Text)
	}
	p := newPeerWindow(m.tx.session, *w.hosts.rows[m.rowOf("受信者")].host)
	t.Cleanup(p.window.Close)
	m.tx.q.until(t, "the answers", func() bool { return p.version.Text != "Asking…" && p.absence.Text != "Asking…" })
	if p.version.Text != "Hato IP Messenger compatible client" || p.absence.Text != "会議中" {
		t.Errorf("version %q, absence %q", p.version.Text, p.absence.Text)
	}
	if all := allText(t, p.window.Content()); !strings.Contains(all, "utf-8") || !strings.Contains(all, "encryption") ||
		!strings.Contains(all, "127.0.0.3") {
		t.Errorf("the window shows %q", all)
	}
}
