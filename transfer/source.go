package transfer

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Source is a local file or folder being offered: the attachment-list entry and where it lives: a path,
// or for an inline image its bytes in memory (served without a temporary file).
type Source struct {
	File
	Path string
	Data []byte
}

// Sources describes local paths for an offer, with ids 0, 1, 2, ... (ids are scoped to one offer).
// A folder's size is the total of the regular files under it (iptux ignores a folder offered with 0);
// symbolic links, special files and unsafe names inside folders are never served and not counted.
func Sources(paths []string) ([]Source, error) {
	out := make([]Source, 0, len(paths))
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("offer %s: %w", p, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("offer %s: %w", p, err)
		}
		name := filepath.Base(abs)
		if err := CheckName(name); err != nil {
			return nil, fmt.Errorf("offer %s: %w", p, err)
		}
		f := File{ID: uint64(i), Name: name, Mtime: fi.ModTime().Unix(), Attr: TypeRegular}
		switch {
		case fi.Mode().IsRegular():
			f.Size = fi.Size()
		case fi.IsDir():
			f.Attr = TypeDir
			if f.Size, err = treeSize(abs); err != nil {
				return nil, fmt.Errorf("offer %s: %w", p, err)
			}
		default:
			return nil, fmt.Errorf("offer %s: not a regular file or folder", p)
		}
		out = append(out, Source{File: f, Path: abs})
	}
	return out, nil
}

// treeSize adds up the sizes of the regular files under dir, as the folder stream will send them.
func treeSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && CheckName(d.Name()) != nil {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // not served, see serveTree
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			total += fi.Size()
		}
		return nil
	})
	return total, err
}

// FileList is the attachment list for sources, to put in a message.
func FileList(sources []Source) string {
	files := make([]File, len(sources))
	for i, s := range sources {
		files[i] = s.File
	}
	return string(AppendFileList(nil, files))
}
