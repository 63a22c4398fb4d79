// Package autostart makes Hato start when the user logs in, as IP Messenger does by default: an XDG
// autostart entry on Linux and the BSDs, the HKCU Run key on Windows, a LaunchAgent on macOS.
package autostart

import (
	"strings"
)

// Name identifies Hato's entry: the file name, the registry value, the LaunchAgent's label.
const Name = "io.github.hato.messenger"

// Entry is what starts at login: the program and its arguments (e.g. --minimized).
type Entry struct {
	Exe  string
	Args []string
}

// Enable registers e to run at every login, replacing an earlier entry.
func Enable(e Entry) error { return enable(e) }

// Disable removes the entry; nothing to remove is no error.
func Disable() error { return disable() }

// Enabled reports whether an entry is registered.
func Enabled() (bool, error) { return enabled() }

// desktopQuote quotes an argument for a desktop entry's Exec key, as the freedesktop specification
// asks: inside double quotes, with ", `, $ and \ escaped by a backslash.
func desktopQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`=") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}

// windowsQuote quotes an argument for a Windows command line (the Run key's value).
func windowsQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
