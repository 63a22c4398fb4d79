package transfer

import (
	"errors"
	"fmt"
)

// spaceLookEvery is how much a fetch writes between two looks at the free space: other programs (and
// other fetches) fill the disk too. A look is one statfs, about a microsecond.
const spaceLookEvery = 8 << 20

// space keeps a fetch from leaving less than keep bytes free on the download folder's file system. Bytes
// are reserved before they are asked for or written (a file's whole announced size at once) and counted
// as they are written; the free space is looked at again every spaceLookEvery bytes and whenever a
// reservation would not fit. A nil *space checks nothing (a system where free space cannot be read).
type space struct {
	dir     string
	keep    int64
	free    int64 // free bytes at the last look
	since   int64 // reserved since the last look, written or not
	pending int64 // reserved and not yet written
	written int64 // written since the last look
}

// newSpace looks at the free space of dir's file system, or returns nil where it cannot.
func (f *Fetcher) newSpace(dir string) (*space, error) {
	free, total, err := freeSpace(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("free space on %s: %w", dir, err)
	}
	return &space{dir: dir, keep: f.keepFree(total), free: free}, nil
}

// look reads the free space again; what was written since is in it, what is still to come is not.
func (s *space) look() error {
	free, _, err := freeSpace(s.dir)
	if err != nil {
		return fmt.Errorf("free space on %s: %w", s.dir, err)
	}
	s.free, s.since, s.written = free, s.pending, 0
	return nil
}

// fits reports, with the error to give, whether n more bytes would leave keep free.
func (s *space) fits(n int64) error {
	if s == nil || s.free-s.since-n >= s.keep {
		return nil
	}
	if err := s.look(); err != nil {
		return err
	}
	if s.free-s.since-n >= s.keep {
		return nil
	}
	return s.short(n)
}

// reserve makes room for n more bytes, rounded up to whole 4 KiB blocks, or says why not.
func (s *space) reserve(n int64) error {
	n = (n + 4095) &^ 4095
	if err := s.fits(n); err != nil || s == nil {
		return err
	}
	s.since += n
	s.pending += n
	return nil
}

// wrote counts n bytes written of what was reserved, and every spaceLookEvery looks whether the rest
// still fits.
func (s *space) wrote(n int64) error {
	if s == nil {
		return nil
	}
	s.pending = max(s.pending-n, 0)
	if s.written += n; s.written < spaceLookEvery {
		return nil
	}
	if err := s.look(); err != nil {
		return err
	}
	if s.free-s.since < s.keep {
		return s.short(s.pending)
	}
	return nil
}

// settle drops what was reserved and not written: the file ended, or failed.
func (s *space) settle() {
	if s != nil {
		s.since -= s.pending
		s.pending = 0
	}
}

// short is the error for n bytes to receive that do not fit.
func (s *space) short(n int64) error {
	left := fmt.Sprintf("%s free", sizeText(max(s.free-s.since+s.pending, 0)))
	if n > 0 {
		left = fmt.Sprintf("%s to receive, %s", sizeText(n), left)
	}
	if s.keep == 0 {
		return fmt.Errorf("%w: %s has no room left (%s)", ErrStopped, s.dir, left)
	}
	return fmt.Errorf("%w: less than %s would be left free on %s (%s)", ErrStopped, sizeText(s.keep), s.dir, left)
}
