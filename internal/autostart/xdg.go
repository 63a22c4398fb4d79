//go:build !windows && !darwin

package autostart

import (
	"errors"
	"fmt"
	"io/fs"
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
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(desktopEntry(e)), 0o644); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func disable() error {
	p, err := path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

func enabled() (bool, error) {
	p, err := path()
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("autostart: %w", err)
}
