//go:build linux

package netlab

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// setns(2) numbers; the syscall package lacks SYS_SETNS on some arches.
var setnsNR = map[string]uintptr{
	"amd64": 308, "arm64": 268, "riscv64": 268, "386": 346, "arm": 375,
	"ppc64le": 350, "s390x": 339, "loong64": 268,
}

// Do runs fn on an OS thread that has joined the host's network namespace
// and waits for it. Sockets that fn opens belong to that namespace and stay
// there; they may be used from any goroutine afterwards. The thread is
// discarded when fn returns, so no other goroutine ever runs in the namespace.
func (h *Host) Do(fn func() error) error {
	nr, ok := setnsNR[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("netlab: setns: unsupported GOARCH %s", runtime.GOARCH)
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the runtime terminates the thread when this
		// goroutine exits, so the namespace does not leak to other goroutines.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", h.NS))
		if err != nil {
			errc <- fmt.Errorf("netlab: open namespace %s: %w", h.NS, err)
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(nr, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			errc <- fmt.Errorf("netlab: setns %s: %w", h.NS, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
