package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// A received file of a folder stream is created with no name (O_TMPFILE) and linked under its name once
// complete: that costs what a plain create costs, where a .part created and then renamed costs twice the
// directory updates (receiving a folder of small files was 1.5x slower than tar).

// openUnnamed creates an unnamed file in the folder open as dir. errors.ErrUnsupported: the file
// system cannot, or /proc, through which it may have to be linked, is missing.
func openUnnamed(dir *os.File) (*os.File, error) {
	if !procFD() {
		return nil, errors.ErrUnsupported
	}
	fd, err := unix.Openat(int(dir.Fd()), ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	switch {
	case err == nil:
		return os.NewFile(uintptr(fd), dir.Name()), nil
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EINVAL),
		errors.Is(err, unix.ENOENT):
		return nil, errors.ErrUnsupported // EISDIR and ENOENT: kernels before 3.11
	}
	return nil, fmt.Errorf("create a file in %s: %w", dir.Name(), err)
}

// linkUnnamed gives f, from openUnnamed, name in dir; fs.ErrExist when the name is taken. linkat with
// AT_EMPTY_PATH needs no privilege since Linux 6.10 (for the file's opener); before, it goes through
// /proc/self/fd, which any user may.
func linkUnnamed(dir, f *os.File, name string) error {
	var err error
	viaProc := noEmptyPath.Load()
	if !viaProc {
		err = unix.Linkat(int(f.Fd()), "", int(dir.Fd()), name, unix.AT_EMPTY_PATH)
		if viaProc = errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM); viaProc {
			noEmptyPath.Store(true)
		}
	}
	if viaProc {
		err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), int(dir.Fd()), name,
			unix.AT_SYMLINK_FOLLOW)
	}
	switch {
	case errors.Is(err, unix.EEXIST):
		return fs.ErrExist
	case err != nil:
		return fmt.Errorf("link %s: %w", name, err)
	}
	return nil
}

// noEmptyPath is set once linkat with AT_EMPTY_PATH was refused: an older kernel, without privilege.
var noEmptyPath atomic.Bool

// procFD reports whether /proc/self/fd is there, once.
var procFD = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
})
