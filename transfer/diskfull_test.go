package transfer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A download folder on a full file system: the fetch fails saying so, and nothing is left under the
// final name. Needs root to mount a small tmpfs.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a 1 MiB tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })

	a, b := pair(t)
	b.fetcher.Dir = dir
	src := filepath.Join(t.TempDir(), "big.bin")
	writeFile(t, src, randomBytes(t, 3<<20))
	m, file := offerOne(t, a, b, src)
	_, err := b.fetcher.Fetch(context.Background(), m, file)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("fetch onto a full disk: %v, want an error saying disk full", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "big.bin")); !os.IsNotExist(err) {
		t.Errorf("big.bin exists after a failed fetch: %v", err)
	}
	failed := b.waitTransfer(t, EventFetchFailed, nil)
	if !strings.Contains(failed.Err.Error(), "big.bin") {
		t.Errorf("fetch-failed event %v does not name the file", failed.Err)
	}
}
