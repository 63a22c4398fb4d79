package control

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

const (
	socketName = "control.sock"
	lockName   = "control.lock"
)

// socketPath is the endpoint of the profile folder dir, or an error naming it when the system
// cannot bind a path that long.
func socketPath(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("control: no profile folder given")
	}
	path := filepath.Join(dir, socketName)
	if len(path) > maxSocketPath {
		return path, fmt.Errorf("control %s: the path is %d bytes long, but a socket path may have at most %d; use a shorter profile folder",
			path, len(path), maxSocketPath)
	}
	return path, nil
}

// prepareFolder creates dir with mode 0700 if it is missing, and checks that no other user may
// write to it (which would let them replace the socket). An existing folder keeps its mode.
func prepareFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("control: %w", err)
	}
	return checkFolder(dir)
}
