//go:build !linux

package transfer

import "os"

// fileIn sends the regular file name of the folder open as d (and as root).
func (t *treeWriter) fileIn(root *os.Root, d *os.File, name string) error {
	return t.fileAt(root, name, name)
}
