//go:build windows

package autostart

import "testing"

// The Run key's value quotes a path with spaces; vetted on Linux with GOOS=windows, run on Windows.
func TestCommandLine(t *testing.T) {
	got := commandLine(Entry{Exe: `C:\Program Files\Hato\hato.exe`, Args: []string{"--minimized"}})
	if want := `"C:\Program Files\Hato\hato.exe" --minimized`; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
