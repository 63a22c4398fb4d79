package transfer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mountTmpfs mounts a tmpfs with opts (e.g. "size=32m") on a new folder and unmounts it at the end.
// It needs root; without, the test is skipped.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root to mount a tmpfs (%s)", opts)
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs -o %s: %v %s", opts, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// A download folder too small for the file: the fetch is refused before the file is asked for, saying
// why, and nothing is left behind. A file system that runs out of something the free space does not show
// (here inodes) fails the fetch saying the disk is full. Neither leaves anything under the final name.
func TestDiskFull(t *testing.T) {
	a, b := pair(t)
	src := filepath.Join(t.TempDir(), "big.bin")
	writeFile(t, src, randomBytes(t, 3<<20))
	for _, c := range []struct{ name, opts, want string }{
		{"no room", "size=1m", "stopped: less than 51 KiB would be left free on "},
		{"no inodes", "size=16m,nr_inodes=1", "disk full"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := mountTmpfs(t, c.opts)
			b.fetcher.Dir = dir
			m, file := offerOne(t, a, b, src)
			_, err := b.fetcher.Fetch(context.Background(), m, file)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "big.bin") {
				t.Fatalf("fetch onto a full disk: %v, want an error naming big.bin and saying %q", err, c.want)
			}
			t.Logf("error: %v", err)
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("the download folder holds %s after a refused fetch", entries[0].Name())
			}
		})
	}
	if served := a.transferEvents(EventServed); len(served) > 0 {
		t.Errorf("big.bin was served %d times: a file that cannot fit must not be asked for", len(served))
	}
}
