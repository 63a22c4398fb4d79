//go:build linux || darwin || freebsd

package transfer

import "golang.org/x/sys/unix"

// freeSpace returns the bytes this user may still write on the file system holding dir (without the
// blocks reserved for root), and that file system's size.
func freeSpace(dir string) (free, total int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bsize := int64(st.Bsize)
	return max(int64(st.Bavail), 0) * bsize, int64(st.Blocks) * bsize, nil
}
