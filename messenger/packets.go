package messenger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// packetFile keeps the highest packet number a profile's node may have used. Every number a Hato sends
// is reserved there first, so that the next process of the same user (a script's next `hato send` a
// second later, or the app restarted after a crash) continues after it: peers that drop repeats by
// packet number and sender, as Windows does, never take a new message for an old one.
const packetFile = "packet-number"

// loadLastPacket reads the reserved number; a profile without one gives 0.
func loadLastPacket(profile string) (uint32, error) {
	b, err := os.ReadFile(filepath.Join(profile, packetFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("packet number: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		// A damaged file must not stop the user: the clock still gives growing numbers.
		return 0, nil
	}
	return uint32(n), nil
}

// saveLastPacket records upTo as reserved, through a temporary file.
func saveLastPacket(profile string, upTo uint32) error {
	path := filepath.Join(profile, packetFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(uint64(upTo), 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("packet number: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("packet number: %w", err)
	}
	return nil
}
