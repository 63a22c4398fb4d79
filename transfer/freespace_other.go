//go:build !linux && !darwin && !freebsd && !windows

package transfer

import "errors"

// freeSpace cannot look here: fetches then have no free-space limit, only a full disk stops them.
func freeSpace(dir string) (free, total int64, err error) { return 0, 0, errors.ErrUnsupported }
