//go:build unix

package transfer

import "syscall"

// oNoFollow makes opening a .part fail when it is a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW

// oNonblock, given to os.OpenFile for a regular file, saves four fcntl calls per file: without it Go sets
// the descriptor non-blocking, tries the poller (which refuses regular files) and sets it back. Regular
// files ignore the flag.
const oNonblock = syscall.O_NONBLOCK
