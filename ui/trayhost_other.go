//go:build !linux

package ui

// trayHostShown: Windows and macOS always show tray (menu bar) icons.
func trayHostShown() bool { return true }
