package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

const (
	socketName = "control.sock"
	lockName   = "control.lock"
)

// socketPath is the endpoint of the profile folder dir: control.sock in it, or, when that path is
// longer than a socket path may be (a deep profile folder), a socket named after a hash of the folder
// in the user's own runtime folder (shortFolder).
func socketPath(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("control: no profile folder given")
	}
	path := filepath.Join(dir, socketName)
	if len(path) <= maxSocketPath {
		return path, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return path, fmt.Errorf("control %s: %w", path, err)
	}
	sum := sha256.Sum256([]byte(abs))
	short := filepath.Join(shortFolder(), "hato-"+hex.EncodeToString(sum[:8])+".sock")
	if len(short) > maxSocketPath {
		return path, fmt.Errorf("control %s: the path is %d bytes long, and %s %d, but a socket path may have at most %d",
			path, len(path), short, len(short), maxSocketPath)
	}
	return short, nil
}

// shortFolder is where sockets of deep profile folders go: $XDG_RUNTIME_DIR (the user's own, 0700 by
// the standard) when set, else a hato-<uid> folder in the temporary folder.
func shortFolder() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("hato-%d", os.Getuid()))
}

// prepareFolder creates dir with mode 0700 if it is missing, and checks that no other user may
// write to it (which would let them replace the socket). An existing folder keeps its mode.
func prepareFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("control: %w", err)
	}
	return checkFolder(dir)
}
