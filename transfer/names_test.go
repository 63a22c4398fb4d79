package transfer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckNameAccepts(t *testing.T) {
	names := []string{
		"report.txt",
		"README",
		"日本語.txt",
		"项目 文件.docx",
		"한국어",
		"with spaces and (parens) [1].pdf",
		".bashrc",
		".hidden folder",
		"..x",   // not "..": a plain name that starts with two dots
		"a.b.c", // several extensions
		"emoji 🎉.png",
		"100%_done&more#!$'@~=+,;.txt",
		"-rf",
		"CONSOLE.txt", // reserved names only count whole: CON, not CONSOLE
		"con-artist.txt",
		"COM10",
		"LPT",
		"COMA",
		"aux_data.csv",
		"nul (1).txt",
		"NULL",
		"Clock$",
		"1:2", // a ':' after the first byte is no drive letter (accepted off Windows, see below)
		strings.Repeat("a", MaxNameBytes),
		strings.Repeat("日", MaxNameBytes/3), // 255 bytes of 3-byte characters
		"\u00a0nbsp",
		"tab-free\u2028", // Unicode line separator: not an ASCII control character
	}
	for _, n := range names {
		if strings.ContainsRune(n, ':') && filepath.Separator == '\\' {
			continue
		}
		if err := CheckName(n); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", n, err)
		}
	}
}

func TestCheckNameRejects(t *testing.T) {
	cases := []struct{ name, why string }{
		{"", "empty"},
		{".", "relative"},
		{"..", "relative"},
		{"../x", "separator"},
		{"../../etc/passwd", "separator"},
		{"/etc/x", "separator"},
		{"/", "separator"},
		{"a/b", "separator"},
		{"a/", "separator"},
		{`a\b`, "separator"},
		{`..\x`, "separator"},
		{`\\server\share`, "separator"},
		{"C:x", "drive letter"},
		{"c:", "drive letter"},
		{"Z:file.txt", "drive letter"},
		{"a\x00b", "control"},
		{"\x00", "control"},
		{"line\nbreak", "control"},
		{"cr\r", "control"},
		{"\ttab", "control"},
		{"bell\a", "control"},
		{"esc\x1b[31m", "control"},
		{"del\x7f", "control"},
		{"\x1f", "control"},
		{"CON", "reserved"},
		{"con", "reserved"},
		{"Con", "reserved"},
		{"CON.txt", "reserved"},
		{"con.tar.gz", "reserved"},
		{"CON .txt", "reserved"}, // Windows drops the spaces before the dot
		{"CON.", "reserved"},
		{"con  ", "reserved"},
		{"PRN", "reserved"},
		{"prn.log", "reserved"},
		{"AUX", "reserved"},
		{"aux.c", "reserved"},
		{"NUL", "reserved"},
		{"nul.txt", "reserved"},
		{"COM0", "reserved"},
		{"COM1", "reserved"},
		{"com9.log", "reserved"},
		{"LPT1", "reserved"},
		{"lpt9.txt", "reserved"},
		{"Lpt5.tar.gz", "reserved"},
		{"COM¹", "reserved"},
		{"lpt³.txt", "reserved"},
		{"CONIN$", "reserved"},
		{"conout$.txt", "reserved"},
		{strings.Repeat("a", MaxNameBytes+1), "limit"},
		{strings.Repeat("n", 300), "limit"},
		{strings.Repeat("日", MaxNameBytes/3) + "x", "limit"}, // 256 bytes, 86 characters
		{"\xff\xfe.txt", "not valid"},
		{"a\xc3", "not valid"},        // truncated sequence
		{"\xc0\xaf", "not valid"},     // overlong '/'
		{"\xed\xa0\x80", "not valid"}, // UTF-16 surrogate
	}
	for _, c := range cases {
		err := CheckName(c.name)
		switch {
		case err == nil:
			t.Errorf("CheckName(%q) = nil, want an error (%s)", c.name, c.why)
		case !errors.Is(err, ErrUnsafeName):
			t.Errorf("CheckName(%q) = %v, which is not ErrUnsafeName", c.name, err)
		case !strings.Contains(err.Error(), c.why):
			t.Errorf("CheckName(%q) = %v, want the reason to say %q", c.name, err, c.why)
		}
	}
}

// On Windows any ':' opens an alternate data stream; elsewhere only a drive letter is refused.
func TestCheckNameColon(t *testing.T) {
	err := CheckName("notes:stream")
	if filepath.Separator == '\\' {
		if err == nil {
			t.Error(`CheckName("notes:stream") = nil on Windows`)
		}
	} else if err != nil {
		t.Errorf(`CheckName("notes:stream") = %v, want nil off Windows`, err)
	}
}

// The error quotes the name shortened, so that a hostile 1000-byte name does not flood a log line.
func TestCheckNameErrorShort(t *testing.T) {
	err := CheckName(strings.Repeat("x", 1000) + "/")
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error %d bytes long: %.80q", len(err.Error()), err)
	}
}

// numbered follows iptux's dupFilename (iptux-utils/utils.cpp): the number goes before the last
// extension, "a.b" → "a (1).b", "a.tar.gz" → "a.tar (1).gz", "folder" → "folder (1)". The one departure is
// a name whose only dot leads: iptux makes ".bashrc" " (1).bashrc" (an empty base), Hato keeps the name
// whole and hidden, ".bashrc (1)".
func TestNameNumbered(t *testing.T) {
	cases := []struct {
		name string
		k    int
		want string
	}{
		{"a.b", 0, "a.b"},
		{"a.b", 1, "a (1).b"},
		{"a.b", 2, "a (2).b"},
		{"c.d", 1, "c (1).d"}, // iptux's /a.b/c.d → /a.b/c (1).d: only the base name is numbered
		{"folder", 1, "folder (1)"},
		{"folder", 12, "folder (12)"},
		{".bashrc", 1, ".bashrc (1)"},
		{".hidden.txt", 1, ".hidden (1).txt"},
		{"a.tar.gz", 1, "a.tar (1).gz"},
		{"report (1).txt", 1, "report (1) (1).txt"},
		{"a.", 1, "a (1)."}, // as iptux: the empty extension after the last dot stays
		{"..x", 1, ". (1).x"},
		{"日本語.txt", 3, "日本語 (3).txt"},
		{"my file.final.pdf", 1, "my file.final (1).pdf"},
	}
	for _, c := range cases {
		if got := numbered(c.name, c.k); got != c.want {
			t.Errorf("numbered(%q, %d) = %q, want %q", c.name, c.k, got, c.want)
		}
		if c.k > 0 && CheckName(c.name) == nil {
			if err := CheckName(numbered(c.name, c.k)); err != nil {
				t.Errorf("numbered(%q, %d) is unsafe: %v", c.name, c.k, err)
			}
		}
	}
}

// finish and mkdirFree number a taken name inside its folder, whatever dots the folder's name has
// (iptux: "/a.b/c.d" → "/a.b/c (1).d"), and never replace what is there: with one rename that refuses to
// replace (Linux) and with link and unlink (elsewhere).
func TestNameNumberedOnDisk(t *testing.T) {
	for _, fast := range []bool{true, false} {
		t.Run(map[bool]string{true: "rename", false: "link"}[fast], func(t *testing.T) {
			dir := t.TempDir()
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			writeFile(t, filepath.Join(dir, "a.b", "c.d"), []byte("old"))
			writeFile(t, filepath.Join(dir, "a.b", "c (1).d"), []byte("old 1"))
			in, err := openFolder(root, "a.b")
			if err != nil {
				t.Fatal(err)
			}
			defer in.close()
			if !fast {
				in = folder{root: in.root}
			}
			for i, want := range []string{"c (2).d", "c (3).d"} {
				part := filepath.Join("a.b", "c.d.part")
				writeFile(t, filepath.Join(dir, part), []byte{byte('0' + i)})
				got, err := finish(in, "c.d.part", "c.d", 0, false)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("finish saved %s, want %s", got, want)
				}
				if b, _ := os.ReadFile(filepath.Join(dir, "a.b", got)); string(b) != string([]byte{byte('0' + i)}) {
					t.Errorf("%s holds %q", got, b)
				}
				if _, err := os.Stat(filepath.Join(dir, part)); !os.IsNotExist(err) {
					t.Errorf("the .part remains after finish: %v", err)
				}
			}
			for name, want := range map[string]string{"c.d": "old", "c (1).d": "old 1"} {
				if b, _ := os.ReadFile(filepath.Join(dir, "a.b", name)); string(b) != want {
					t.Errorf("%s changed to %q", name, b)
				}
			}

			for _, want := range []string{"folder.v2", "folder (1).v2", "folder (2).v2"} {
				got, err := mkdirFree(root, "a.b", "folder.v2")
				if err != nil {
					t.Fatal(err)
				}
				if got != filepath.Join("a.b", want) {
					t.Errorf("mkdirFree made %s, want %s", got, filepath.Join("a.b", want))
				}
			}
		})
	}
}

// A name at the limit must still be receivable: CheckName lets MaxNameBytes through, so the .part
// beside it (5 bytes longer) and the numbered name used when it is taken (" (1)", 4 bytes longer) must
// fit the file system's 255-byte limit too.
func TestNameLongestReceivable(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	name := strings.Repeat("a", MaxNameBytes-4) + ".txt"
	if err := CheckName(name); err != nil {
		t.Fatalf("a %d-byte name is refused: %v", len(name), err)
	}
	f := &Fetcher{Dir: dir}
	for k, want := range []string{name, numbered(name, 1)} {
		part, release, err := f.claimPart(dir, ".", name, "0123abcd")
		if err != nil {
			t.Fatal(err)
		}
		err = root.WriteFile(part, []byte("data"), 0o644)
		release()
		if err != nil {
			t.Fatalf("BUG: CheckName accepts a %d-byte name, but its .part (%d bytes) cannot be written, so "+
				"such a file can never be received: %.120v", len(name), len(filepath.Base(part)), err)
		}
		final, err := finish(folder{root: root}, part, name, 0, false)
		if err != nil {
			t.Fatalf("BUG: the %d-byte name is taken (fetch %d) and its numbered form (%d bytes) cannot be "+
				"created: %.120v", len(name), k+1, len(want), err)
		}
		if final != want {
			t.Errorf("fetch %d saved as %.20s... (%d bytes), want %d bytes", k+1, final, len(final), len(want))
		}
	}
}
