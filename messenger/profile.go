package messenger

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// AppID names the app to the OS; the app's storage folder, which is the default profile, is named after it.
const AppID = "io.github.hato.messenger"

// Files in a profile folder (besides the key files, named by package protocol).
const (
	settingsFile = "settings.json"
	historyFile  = "history.db"
)

// DefaultProfile is the desktop app's own storage folder (Fyne's per-app folder), so that the command
// line speaks as the user's Hato, with its nickname, keys and history, unless told otherwise.
func DefaultProfile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("default profile: %w", err)
	}
	if runtime.GOOS == "darwin" {
		// Fyne keeps app storage under ~/Library/Preferences on macOS.
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, "Library", "Preferences")
		}
	}
	return filepath.Join(dir, "fyne", AppID), nil
}

// HistoryPath is where a profile keeps its message history.
func HistoryPath(profile string) string { return filepath.Join(profile, historyFile) }

// LoadSettings reads a profile's settings; a profile without any yet gives the zero Settings.
func LoadSettings(profile string) (Settings, error) {
	var s Settings
	path := filepath.Join(profile, settingsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("profile: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("profile %s: %w", path, err)
	}
	return s, nil
}

// HasSettings reports whether a profile has kept settings yet.
func HasSettings(profile string) bool {
	_, err := os.Stat(filepath.Join(profile, settingsFile))
	return err == nil
}

// SaveSettings writes a profile's settings (through a temporary file: a crash never leaves half of them).
func SaveSettings(profile string, s Settings) error {
	if err := os.MkdirAll(profile, 0o700); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	path := filepath.Join(profile, settingsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}
