package transfer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fileIn sends the regular file name of the folder open as d (and as root). A small file is opened and
// read through its descriptor alone: an os.File costs a try at the poller, a finalizer and a FileInfo
// per file, a third of the sending side's work on a folder of small files. A large one goes by sendfile.
// What is found open is what is sent: a link or a folder by now is skipped.
func (t *treeWriter) fileIn(root *os.Root, d *os.File, name string) error {
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	for errors.Is(err, unix.EINTR) {
		fd, err = unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	}
	if errors.Is(err, unix.ELOOP) {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: filepath.Join(d.Name(), name), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err != nil {
			return &fs.PathError{Op: "stat", Path: filepath.Join(d.Name(), name), Err: err}
		}
		return nil
	}
	if st.Size > smallFile {
		f := os.NewFile(uintptr(fd), filepath.Join(d.Name(), name))
		defer f.Close()
		return t.file(f, name, st.Size, int64(st.Mtim.Sec))
	}
	defer unix.Close(fd)
	if err := t.header(name, st.Size, TypeRegular, int64(st.Mtim.Sec)); err != nil {
		return err
	}
	return t.small(name, st.Size, func(b []byte) (int, error) {
		for {
			n, err := unix.Read(fd, b)
			if !errors.Is(err, unix.EINTR) {
				return max(n, 0), err
			}
		}
	})
}
