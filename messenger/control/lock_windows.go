package control

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive LockFileEx lock on f without waiting: errLocked when another handle
// holds it. Windows lets it go when the process dies.
func lockFile(f *os.File) error {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY,
		0, 1, 0, lockedByte())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockedByte())
}

// lockedByte is the byte we lock: at 4 GiB, far past the pid, because Windows locks are
// mandatory and a second Hato must still read the pid.
func lockedByte() *windows.Overlapped {
	return &windows.Overlapped{Offset: 0, OffsetHigh: 1}
}
