package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// folder is a folder received files are written to: a root, through which every call stays inside it
// and follows no link, and on Linux the same folder open as a file, for the calls os.Root lacks (see
// dirops_linux.go). dir is nil elsewhere, and for a single file's download folder.
type folder struct {
	root *os.Root
	dir  *os.File
}

// openFolder opens name in parent as a folder.
func openFolder(parent *os.Root, name string) (folder, error) {
	root, err := parent.OpenRoot(name)
	if err != nil {
		return folder{}, err
	}
	in := folder{root: root}
	if dirCalls {
		if dir, err := root.Open("."); err == nil {
			in.dir = dir
		}
	}
	return in, nil
}

func (d folder) close() {
	if d.dir != nil {
		d.dir.Close()
	}
	d.root.Close()
}

// finish gives the complete .part its name in d, or "name (k).ext" when name is taken, never replacing
// anything, and sets its modification time unless timed (already set). It returns the final name.
func finish(d folder, part, name string, mtime int64, timed bool) (string, error) {
	for k := 0; k < 10000; k++ {
		final := numbered(name, k)
		err := d.rename(part, final)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if mtime > 0 && !timed {
			t := time.Unix(mtime, 0)
			d.root.Chtimes(final, t, t)
		}
		return final, nil
	}
	return "", fmt.Errorf("no free name for %s", name)
}

// rename moves part to final, failing with fs.ErrExist when final exists: no check-then-rename race.
func (d folder) rename(part, final string) error {
	if d.dir != nil {
		if err := renameNoReplace(d.dir, part, final); !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	err := d.root.Link(part, final)
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if err != nil { // a file system without hard links
		if _, serr := d.root.Lstat(final); serr == nil {
			return fs.ErrExist
		}
		if err := d.root.Rename(part, final); err != nil {
			return fmt.Errorf("rename %s: %w", part, err)
		}
		return nil
	}
	if err := d.root.Remove(part); err != nil {
		return fmt.Errorf("remove %s: %w", part, err)
	}
	return nil
}

// linkFree gives the unnamed file f (see openUnnamed) the first free name of name(0), name(1), ...,
// never replacing anything, and returns that name.
func (d folder) linkFree(f *os.File, name func(k int) string) (string, error) {
	for k := 0; k < 10000; k++ {
		err := linkUnnamed(d.dir, f, name(k))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return name(k), nil
	}
	return "", fmt.Errorf("no free name for %s", name(0))
}
