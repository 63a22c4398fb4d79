//go:build !windows && !darwin

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// path is the XDG autostart entry: $XDG_CONFIG_HOME/autostart (~/.config/autostart).
func path() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(dir, "autostart", Name+".desktop"), nil
}

// desktopEntry is the autostart file for e.
func desktopEntry(e Entry) string {
	exec := []string{desktopQuote(e.Exe)}
	for _, a := range e.Args {
		exec = append(exec, desktopQuote(a))
	}
	return "[Desktop Entry]\nType=Application\nName=Hato\nComment=IP Messenger compatible LAN messenger\n" +
		"Exec=" + strings.Join(exec, " ") + "\nIcon=" + Name + "\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
}

func enable(e Entry) error {
	p, err := path()
	if err != nil {
		return err
	}
	return writeEntry(p, desktopEntry(e))
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
