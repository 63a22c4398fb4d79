//go:build darwin

package autostart

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// path is the LaunchAgent that starts Hato at login.
func path() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", Name+".plist"), nil
}

// plist is the LaunchAgent for e: run at load (login), once.
func plist(e Entry) string {
	esc := func(s string) string {
		var b strings.Builder
		xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var args strings.Builder
	for _, a := range append([]string{e.Exe}, e.Args...) {
		args.WriteString("\t\t<string>" + esc(a) + "</string>\n")
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Name + `</string>
	<key>ProgramArguments</key>
	<array>
` + args.String() + `	</array>
	<key>RunAtLoad</key>
	<true/>
</dict>
</plist>
`
}

func enable(e Entry) error {
	p, err := path()
	if err != nil {
		return err
	}
	return writeEntry(p, plist(e))
}

func disable() error {
	p, err := path()
	if err != nil {
		return err
	}
	return removeEntry(p)
}

func enabled() (bool, error) {
	p, err := path()
	if err != nil {
		return false, err
	}
	return entryExists(p)
}
