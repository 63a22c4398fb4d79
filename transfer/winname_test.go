package transfer

import (
	"runtime"
	"testing"
)

// Names Windows cannot hold become names it can, readable and distinct; elsewhere nothing changes.
func TestWindowsName(t *testing.T) {
	for in, want := range map[string]string{
		"what?.txt":      "what？.txt",
		"a|b.txt":        "a｜b.txt",
		`<q>"x"*.md`:     "＜q＞＂x＂＊.md",
		"time 10:30.log": "time 10：30.log",
		"dot.":           "dot_",
		"trailing  ":     "trailing__",
		"a. .":           "a___",
		"CON":            "CON_",
		"con.txt":        "con_.txt",
		"lpt1.tar.gz":    "lpt1_.tar.gz",
		"CON .txt":       "CON_.txt",
		"CONSOLE.txt":    "CONSOLE.txt",
		"普通の名前.txt":      "普通の名前.txt",
		".bashrc":        ".bashrc",
	} {
		got := windowsName(in)
		if got != want {
			t.Errorf("windowsName(%q) = %q, want %q", in, got, want)
		}
		if err := CheckName(got); err != nil {
			t.Errorf("windowsName(%q) = %q, which CheckName refuses: %v", in, got, err)
		}
		if again := windowsName(got); again != got {
			t.Errorf("windowsName(%q) = %q, not stable", got, again)
		}
	}
	if runtime.GOOS != "windows" && localName("what?.txt") != "what?.txt" {
		t.Error("a name changed outside Windows")
	}
}
