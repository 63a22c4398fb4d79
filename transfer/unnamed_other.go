//go:build !linux

package transfer

import (
	"errors"
	"os"
)

// Unnamed files exist only on Linux (see unnamed_linux.go); elsewhere a folder's files go to .part files.

func openUnnamed(dir *os.File) (*os.File, error) { return nil, errors.ErrUnsupported }

func linkUnnamed(dir, f *os.File, name string) error { return errors.ErrUnsupported }
