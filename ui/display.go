package ui

import (
	"os"
	"runtime"
)

// HasDisplay reports whether a window can be opened: on Linux and the BSDs that needs an X11 or Wayland
// display; without one Fyne would panic at the first window.
func HasDisplay() bool {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}
