//go:build unix

package netlab

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// reservePort takes an exclusive lock on a file named after port, shared by every test process on the
// machine; the lock goes with release or with the process.
func reservePort(port int) (release func(), ok bool) {
	dir := filepath.Join(os.TempDir(), "hato-test-ports")
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return func() {}, true // no place for locks: rely on the bind check alone
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint(port)), os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return func() {}, true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}
