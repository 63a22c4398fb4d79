//go:build !windows && !darwin

package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The XDG entry lands in $XDG_CONFIG_HOME/autostart, runs the program with its arguments (quoted as the
// specification asks), passes desktop-file-validate, and goes away again.
func TestXDGAutostart(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	if on, err := Enabled(); on || err != nil {
		t.Fatalf("enabled before: %v %v", on, err)
	}
	e := Entry{Exe: "/opt/my apps/hato", Args: []string{"--minimized", "--profile", `/home/u/a "b" $c`}}
	if err := Enable(e); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", Name+".desktop")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `Exec="/opt/my apps/hato" --minimized --profile "/home/u/a \"b\" \$c"`
	if !strings.Contains(string(b), want+"\n") {
		t.Errorf("the entry:\n%s\nwant the line %s", b, want)
	}
	if on, err := Enabled(); !on || err != nil {
		t.Errorf("enabled after Enable: %v %v", on, err)
	}
	if v, err := exec.LookPath("desktop-file-validate"); err == nil {
		if out, err := exec.Command(v, p).CombinedOutput(); err != nil {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if on, _ := Enabled(); on {
		t.Error("still enabled after Disable")
	}
	if err := Disable(); err != nil {
		t.Errorf("Disable twice: %v", err)
	}
}
