package control

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer refuses a connection from another user than us, by its SO_PEERCRED. The socket's mode
// (0600) normally keeps them out already; this still holds when someone loosened the modes.
func checkPeer(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	var cred *syscall.Ucred
	var credErr error
	err = raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err == nil {
		err = credErr
	}
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if int(cred.Uid) != os.Geteuid() {
		return fmt.Errorf("permission denied: this Hato belongs to uid %d, the connection comes from uid %d", os.Geteuid(), cred.Uid)
	}
	return nil
}
