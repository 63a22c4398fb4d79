//go:build unix

package transfer

import "syscall"

// oNoFollow makes opening a .part fail when it is a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW
