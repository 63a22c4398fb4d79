package control

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrRunning means another process runs a Hato for this profile: it holds the profile's lock.
var ErrRunning = errors.New("another Hato is already running with this profile")

// errLocked is what lockFile says when another holds the lock.
var errLocked = errors.New("locked")

// profileLock is the exclusive lock on a profile's control.lock, which holds the owner's pid.
// The file is never removed: a process that opened it must lock the same file as the others.
type profileLock struct{ f *os.File }

// lockProfile takes the lock at path without waiting, or returns an error wrapping ErrRunning.
func lockProfile(path string) (*profileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("control %s: %w%s", path, ErrRunning, ownerPID(path))
		}
		return nil, fmt.Errorf("control %s: lock: %w", path, err)
	}
	// Tell the next one who we are.
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(pid, 0)
	}
	if err != nil {
		unlockFile(f)
		f.Close()
		return nil, fmt.Errorf("control: writing our pid: %w", err)
	}
	return &profileLock{f}, nil
}

// release forgets our pid and lets the lock go.
func (l *profileLock) release() error {
	l.f.Truncate(0)
	return errors.Join(unlockFile(l.f), l.f.Close())
}

// ownerPID says " (pid N)" with the pid the lock holder wrote at path, or nothing when unknown.
func ownerPID(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}
