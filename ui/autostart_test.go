package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"hato/internal/autostart"
)

// The first start asks once whether Hato should start at login (Yes is the default); Settings turns
// it on and off, writing the desktop's own autostart entry.
func TestStartAtLogin(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	entry := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", autostart.Name+".desktop")
	a := newTestApp(t)
	ts := newTestSession(t, a, "127.0.0.2", testPort(t), nil)
	ts.login = autostart.Entry{Exe: "/usr/local/bin/hato", Args: []string{"--minimized"}}
	d := newShell(ts.session)
	t.Cleanup(d.main.window.Close)

	d.offerAutostart()
	if d.autostartDialog == nil {
		t.Fatal("the first start did not ask")
	}
	d.autostartDialog.Confirm()
	b, err := os.ReadFile(entry)
	if err != nil || !strings.Contains(string(b), "Exec=/usr/local/bin/hato --minimized\n") {
		t.Fatalf("after Yes: %q %v", b, err)
	}
	again := newShell(ts.session)
	t.Cleanup(again.main.window.Close)
	again.offerAutostart()
	if again.autostartDialog != nil {
		t.Error("asked a second time")
	}

	w := newSettingsWindow(ts.session)
	if !w.atLogin.Checked || w.atLogin.Disabled() {
		t.Fatalf("settings: checked %v, disabled %v", w.atLogin.Checked, w.atLogin.Disabled())
	}
	w.atLogin.SetChecked(false)
	test.Tap(w.save)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("the entry is still there after unchecking: %v", err)
	}
}
