package control

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// maxSocketPath is the longest path an AF_UNIX socket can be bound to: sun_path holds 108 bytes,
// the final NUL included.
var maxSocketPath = 107

// checkFolder checks that dir is a folder. Windows guards files with ACLs, not mode bits: a profile
// folder under the user's own profile (%AppData%) inherits an ACL that keeps other users out, and
// that ACL is all that guards the socket.
func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("control %s: not a folder", dir)
	}
	return nil
}

// restrictSocket does nothing: the socket inherits the folder's ACL.
func restrictSocket(string) error { return nil }

// isRefused tells whether a connect failed because nobody listens on the socket (a stale one).
func isRefused(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED)
}

// noUnixSockets reports whether err says that this Windows has no AF_UNIX sockets (WSAEAFNOSUPPORT):
// Windows 10 before 1803, Windows Server 2016, the afunix driver switched off, Wine 8. No
// control endpoint can exist there.
func noUnixSockets(err error) bool {
	return errors.Is(err, windows.WSAEAFNOSUPPORT)
}
