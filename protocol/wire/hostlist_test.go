package wire

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestAnsListWindowsExample(t *testing.T) {
	// INTEROP.md §5.3.
	ext := "    0\a    1\ataro\aPC01\a16777473\a192.168.0.5\a2425\aTaro\aDev\a"
	next, rows, err := ParseAnsList([]byte(ext))
	if err != nil || next != 0 {
		t.Fatalf("next %d err %v", next, err)
	}
	want := []ListEntry{{User: "taro", Host: "PC01", Status: 16777473, Addr: "192.168.0.5", Port: 2425, Nick: "Taro", Group: "Dev"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %+v", rows)
	}
	page, n := AnsListPage(want, 0, 32768)
	if string(page) != ext || n != 0 {
		t.Errorf("page %q next %d", page, n)
	}
}

func TestAnsListEmptyFieldsAndPaging(t *testing.T) {
	var rows []ListEntry
	for i := range 300 {
		rows = append(rows, ListEntry{User: fmt.Sprint("user", i), Host: "h", Status: BrEntry, Addr: "10.0.0.1", Port: 2425})
	}
	page, next := AnsListPage(rows, 0, 4096)
	if len(page) > 4096 || next == 0 {
		t.Fatalf("page of %d bytes, next %d", len(page), next)
	}
	if !strings.Contains(string(page), "\a\b\a\b\a") {
		t.Error("empty nick and group not written as \\b")
	}
	var got []ListEntry
	for start := 0; ; {
		page, next := AnsListPage(rows, start, 4096)
		n, part, err := ParseAnsList(page)
		if err != nil || n != next {
			t.Fatalf("start %d: next %d/%d err %v", start, n, next, err)
		}
		got = append(got, part...)
		if next == 0 {
			break
		}
		start = next
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("paged list differs: %d rows", len(got))
	}
}

func TestAnsListErrors(t *testing.T) {
	cases := map[string]string{
		"":       "header",
		"x\a1\a": "next index",
		"    0\a    1\ata\aho\ax\a1.2.3.4\a2425\a\b\a\b\a":    "status",
		"    0\a    1\aa\ah\a1\a1.2.3.4\a99999\a\b\a\b\a":     "port",
		"    0\a    2\aa\ah\a1\a1.2.3.4\a2425\an\ag\ab\ah2\a": "entry 1",
	}
	for in, want := range cases {
		if _, _, err := ParseAnsList([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %q", in, err, want)
		}
	}
}
