//go:build !linux

package transfer

import (
	"errors"
	"os"
	"time"
)

// Elsewhere a received file is written to a .part, takes its name by link and unlink and its time by
// name (see finish).

const dirCalls = false

func renameNoReplace(dir *os.File, part, final string) error { return errors.ErrUnsupported }

func setMtime(f *os.File, t time.Time) error { return errors.ErrUnsupported }
