package transfer

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits on what a fetch may write, against a sender that streams without end: a folder that sends more
// than it announced or more files than anyone sends, a file larger than the disk. Partial data stays in
// .part files; nothing takes a final name.

// ErrStopped marks a fetch stopped by one of the Fetcher's limits; the error says which.
var ErrStopped = errors.New("stopped")

// DefaultMaxFolderFiles is the most files and folders one folder stream may create when
// Fetcher.MaxFolderFiles is 0: a large source tree still goes through (Linux has about 90,000 files),
// while a stream of tiny files stops within seconds, long before it uses up a file system's inodes.
const DefaultMaxFolderFiles = 100_000

// DefaultKeepFree is the most free space a fetch keeps back when Fetcher.KeepFree is 0; on a file system
// smaller than 20 GiB it keeps 5% of it instead (see keepFree).
const DefaultKeepFree = 1 << 30

// SetLimits changes MaxFolderFiles and KeepFree while fetches may run (new settings); a fetch already
// running may go on under the old ones.
func (f *Fetcher) SetLimits(maxFolderFiles int, keepFree int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.MaxFolderFiles, f.KeepFree = maxFolderFiles, keepFree
}

func (f *Fetcher) maxFolderFiles() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.MaxFolderFiles <= 0 {
		return DefaultMaxFolderFiles
	}
	return f.MaxFolderFiles
}

// keepFree is the free space to keep on a file system of total bytes. By default 1 GiB, enough for the
// system and the programs running to go on (logs, caches, Hato's own history), but at most 5%: on a
// small volume (a USB stick, an SD card) 1 GiB would forbid most of it.
func (f *Fetcher) keepFree(total int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.KeepFree < 0:
		return 0
	case f.KeepFree > 0:
		return f.KeepFree
	}
	return min(DefaultKeepFree, total/20)
}

// errOverTotal says a folder stream went past the total its offer announced.
func errOverTotal(total int64) error {
	return fmt.Errorf("%w: the folder sent more than its announced %s bytes", ErrStopped, commas(total))
}

// errTooMany says a folder stream went past the file count limit.
func errTooMany(limit int) error {
	return fmt.Errorf("%w: the folder sent more than %s files and folders, the limit", ErrStopped, commas(int64(limit)))
}

// commas writes n with thousands separators: 1,000.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	start := 0
	if n < 0 {
		start = 1
	}
	for i := len(s) - 3; i > start; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sizeText writes a byte count for people: "900 bytes", "32 MiB", "1.5 GiB".
func sizeText(n int64) string {
	if n < 1<<10 {
		return commas(n) + " bytes"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < len(units)-1 {
		v, u = v/1024, u+1
	}
	if v >= 10 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f %s", v, units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}
