//go:build unix

package control

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// maxSocketPath is the longest path a Unix socket can be bound to: sun_path holds 108 bytes on
// Linux and 104 on macOS and the BSDs, the final NUL included.
var maxSocketPath = func() int {
	if runtime.GOOS == "linux" || runtime.GOOS == "android" {
		return 107
	}
	return 103
}()

// checkFolder refuses a folder that another user owns or may write to.
func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("control %s: not a folder", dir)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("control %s: the folder belongs to another user (uid %d, we are uid %d)", dir, st.Uid, os.Geteuid())
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("control %s: the folder is writable by other users (mode %04o); remove that with chmod go-w", dir, perm)
	}
	return nil
}

// restrictSocket lets only us connect to the socket at path.
func restrictSocket(path string) error {
	return os.Chmod(path, 0o600)
}

// isRefused tells whether a connect failed because nobody listens on the socket (a stale one).
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// noUnixSockets: every Unix has AF_UNIX sockets.
func noUnixSockets(error) bool { return false }
