package transfer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An entry packet with the recipient's names from another machine adds that address to the host, but
// A .part that is already complete (the receiver died before the rename) is finished without data, and
// A folder that holds both "x.part" and "x", in that order (iptux sends directory order), arrives whole.
func TestFolderWithPartNamedFile(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 4, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{top}))
	e.fake.respond(sendAll(stream(hdr(t, "top", 0, TypeDir),
		hdr(t, "x.part", 2, TypeRegular), []byte("p1"),
		hdr(t, "x", 2, TypeRegular), []byte("x1"),
		retParent(t))))
	_, dl, err := e.fetch(t, top)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x.part": "p1", "x": "x1"} {
		if b, _ := os.ReadFile(filepath.Join(dl, "top", name)); string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
	}
}

// A folder stream that sends one name twice in a folder is refused: numbering thousands of copies would
// cost a quadratic number of file system calls.
func TestFolderStreamRepeatedName(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 4, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{top}))
	e.fake.respond(sendAll(stream(hdr(t, "top", 0, TypeDir),
		hdr(t, "a", 2, TypeRegular), []byte("a1"),
		hdr(t, "a", 2, TypeRegular), []byte("a2"),
		retParent(t))))
	_, _, err := e.fetch(t, top)
	if err == nil || !strings.Contains(err.Error(), `"a" sent twice`) {
		t.Fatalf("repeated name: %v", err)
	}
}

// Received folders keep the modification time of their headers.
func TestFolderMtime(t *testing.T) {
	top := File{ID: 1, Name: "top", Size: 1, Attr: TypeDir}
	e := startHostile(t, AppendFileList(nil, []File{top}))
	withTime := func(name string, attr uint32, size int64, mtime int64) []byte {
		b, ok := AppendDirHeader(nil, DirHeader{Name: name, Size: size, Attr: attr,
			Ext: []Ext{{ExtMtime, fmt.Sprintf("%x", mtime)}}})
		if !ok {
			t.Fatal("header")
		}
		return b
	}
	e.fake.respond(sendAll(stream(withTime("top", TypeDir, 0, 1700000000),
		withTime("sub", TypeDir, 0, 1600000000), withTime("f", TypeRegular, 1, 1500000000), []byte("f"),
		retParent(t), retParent(t))))
	_, dl, err := e.fetch(t, top)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int64{"top": 1700000000, "top/sub": 1600000000, "top/sub/f": 1500000000} {
		fi, err := os.Stat(filepath.Join(dl, path))
		if err != nil || fi.ModTime().Unix() != want {
			t.Errorf("%s: mtime %v (%v), want %d", path, fi.ModTime().Unix(), err, want)
		}
	}
}

// Where the file system has no unnamed files (or the system: not Linux), a folder's files are written to
// .part files and renamed: the same behaviour.
func TestFolderWithPartFiles(t *testing.T) {
	unnamedFiles = false
	defer func() { unnamedFiles = true }()
	for name, test := range map[string]func(*testing.T){
		"part named file": TestFolderWithPartNamedFile, "repeated name": TestFolderStreamRepeatedName,
		"mtime": TestFolderMtime, "hostile streams": TestHostileFolderStreams,
		"over announced total": TestFolderOverAnnouncedTotal, "stopped by free space": TestFolderStoppedByFreeSpace,
		"past announced size": TestStreamPastAnnouncedSize,
	} {
		t.Run(name, test)
	}
}
