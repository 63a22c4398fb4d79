package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Calls os.Root lacks, on the folders of a folder stream and the files in them (see also
// unnamed_linux.go). They take the folder's descriptor and one name: nothing to walk, no link followed.

// dirCalls: folders are opened as files too, for these calls.
const dirCalls = true

// renameNoReplace moves part to final in the folder open as dir in one call that fails with fs.ErrExist
// when final exists (renameat2 RENAME_NOREPLACE). errors.ErrUnsupported: the file system cannot.
func renameNoReplace(dir *os.File, part, final string) error {
	d := int(dir.Fd())
	err := unix.Renameat2(d, part, d, final, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST):
		return fs.ErrExist
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return errors.ErrUnsupported
	}
	return fmt.Errorf("rename %s: %w", part, err)
}

// setMtime sets an open file's access and modification times through its descriptor: utimensat with no
// path (futimens), which x/sys/unix lacks.
func setMtime(f *os.File, t time.Time) error {
	ts := [2]unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, f.Fd(), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
