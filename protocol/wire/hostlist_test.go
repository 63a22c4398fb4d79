package wire

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Ports travel byte-swapped, as Windows writes them: 2425 is "30985", 2426 "31241" (listPort).
var taroRow = ListEntry{User: "taro", Host: "PC01", Status: 16777473, Addr: "192.168.0.5", Port: 2425, Nick: "Taro", Group: "Dev"}

func TestAnsListWindowsExample(t *testing.T) {
	// INTEROP.md §5.3, as carried in an ANSLIST's message.
	p, err := Parse([]byte("1:1700000033:jiro:PC02:8388627:" + ansListExample + "\x00"))
	if err != nil {
		t.Fatal(err)
	}
	next, rows, err := ParseAnsList(p.Msg)
	if err != nil || next != 0 || !reflect.DeepEqual(rows, []ListEntry{taroRow}) {
		t.Fatalf("next %d rows %+v err %v", next, rows, err)
	}
	page, n := AnsListPage(rows, 0, 32768)
	if string(page) != ansListExample || n != 0 {
		t.Errorf("page %q next %d", page, n)
	}
}

func TestParseAnsList(t *testing.T) {
	jiro := ListEntry{User: "jiro", Host: "PC02", Status: BrEntry | AbsenceOpt, Addr: "10.0.0.2", Port: 2426}
	cases := []struct {
		name string
		ext  string
		next int
		rows []ListEntry
	}{
		{"empty list", "    0\a    0\a", 0, []ListEntry{}},
		{"empty list without final separator", "    0\a    0", 0, []ListEntry{}},
		{"unpadded numbers", "0\a1\ataro\aPC01\a16777473\a192.168.0.5\a30985\aTaro\aDev\a", 0, []ListEntry{taroRow}},
		{"more to come", "  100\a    2\ataro\aPC01\a16777473\a192.168.0.5\a30985\aTaro\aDev\ajiro\aPC02\a257\a10.0.0.2\a31241\a\b\a\b\a",
			100, []ListEntry{taroRow, jiro}},
		{"missing final separator", "    0\a    1\ajiro\aPC02\a257\a10.0.0.2\a31241\a\b\a\b", 0, []ListEntry{jiro}},
		{"empty fields written empty", "    0\a    1\ajiro\aPC02\a257\a10.0.0.2\a31241\a\a\a", 0, []ListEntry{jiro}},
		{"count says more than present", "    0\a    5\ataro\aPC01\a16777473\a192.168.0.5\a30985\aTaro\aDev\a", 0, []ListEntry{taroRow}},
		{"count says fewer than present", "    0\a    0\ataro\aPC01\a16777473\a192.168.0.5\a30985\aTaro\aDev\a", 0, []ListEntry{taroRow}},
		{"names with spaces and colons", "    0\a    1\ajiro\aPC02\a257\a10.0.0.2\a31241\aJ: Ji\aQA team\a", 0,
			[]ListEntry{{User: "jiro", Host: "PC02", Status: 257, Addr: "10.0.0.2", Port: 2426, Nick: "J: Ji", Group: "QA team"}}},
		{"gone host", "    0\a    1\ajiro\aPC02\a0\a10.0.0.2\a30985\a\b\a\b\a", 0,
			[]ListEntry{{User: "jiro", Host: "PC02", Addr: "10.0.0.2", Port: 2425}}},
	}
	for _, c := range cases {
		next, rows, err := ParseAnsList([]byte(c.ext))
		if err != nil || next != c.next || !reflect.DeepEqual(rows, c.rows) {
			t.Errorf("%s: next %d rows %+v err %v", c.name, next, rows, err)
		}
	}
}

func TestAnsListErrors(t *testing.T) {
	const good = "taro\aPC01\a16777473\a192.168.0.5\a30985\aTaro\aDev\a"
	cases := []struct {
		ext, want string
		rows      int
	}{
		{"", "anslist: next index: missing", 0},
		{"    0", "anslist: count: missing", 0},
		{"x\a1\a", `anslist: next index "x"`, 0},
		{"-1\a1\a", `next index "-1"`, 0},
		{"    0\a    x\a", `anslist: count "    x"`, 0},
		{"    0\a    1\ata\aho\ax\a1.2.3.4\a30985\a\b\a\b\a", `anslist entry 0: status "x"`, 0},
		{"    0\a    1\ata\aho\a\a1.2.3.4\a30985\a\b\a\b\a", `anslist entry 0: status ""`, 0},
		{"    0\a    1\ata\aho\a4294967296\a1.2.3.4\a30985\a\b\a\b\a", "entry 0: status", 0},
		{"    0\a    2\a" + good + "a\ah\a1\a1.2.3.4\a99999\a\b\a\b\a", `anslist entry 1: port "99999"`, 1},
		{"    0\a    1\aa\ah\a1\a1.2.3.4\a-1\a\b\a\b\a", `entry 0: port "-1"`, 0},
		{"    0\a    1\aa\ah\a1\a1.2.3.4\a\b\a\b\a\b\a", "entry 0: port", 0},
		{"    0\a    1\aa\ah\a1\a1.2.3\a30985\a\b\a\b\a", `entry 0: address "1.2.3"`, 0},
		{"    0\a    1\aa\ah\a1\a1.2.3.256\a30985\a\b\a\b\a", "entry 0: address", 0},
		{"    0\a    1\aa\ah\a1\a01.2.3.4\a30985\a\b\a\b\a", "entry 0: address", 0},
		{"    0\a    1\aa\ah\a1\a1.2.3.4.5\a30985\a\b\a\b\a", "entry 0: address", 0},
		{"    0\a    1\aa\ah\a1\a::1\a30985\a\b\a\b\a", "entry 0: address", 0},
		{"    0\a    1\aa\ah\a1\a\b\a30985\a\b\a\b\a", "entry 0: address", 0},
		{"    0\a    2\a" + good + "b\ah2\a", "anslist entry 1: status: missing (row has 2 of 7 fields)", 1},
		{"    0\a    2\a" + good + "b\ah2\a1\a1.2.3.4\a30985\anick", "anslist entry 1: group: missing", 1},
	}
	for _, c := range cases {
		_, rows, err := ParseAnsList([]byte(c.ext))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.ext, err, c.want)
		}
		if len(rows) != c.rows {
			t.Errorf("%q: %d rows before the error, want %d", c.ext, len(rows), c.rows)
		}
	}
}

func TestAnsListPage(t *testing.T) {
	rows := []ListEntry{
		{User: "a\ab", Host: "h\x00", Status: BrEntry, Addr: "10.0.0.1", Port: 2425},
		{User: "u", Host: "h", Status: 0, Addr: "10.0.0.2", Port: 1, Nick: "\b", Group: "g"},
	}
	page, next := AnsListPage(rows, 0, 32768)
	want := "    0\a    2\aa b\ah\a1\a10.0.0.1\a30985\a\b\a\b\au\ah\a0\a10.0.0.2\a256\a\b\ag\a"
	if string(page) != want || next != 0 {
		t.Errorf("page %q next %d\nwant %q", page, next, want)
	}
	// Start beyond the end, or before it: an empty page or the whole list.
	if page, next := AnsListPage(rows, 5, 100); string(page) != "    0\a    0\a" || next != 0 {
		t.Errorf("start past the end: %q %d", page, next)
	}
	if page, _ := AnsListPage(rows, -1, 32768); string(page) != want {
		t.Errorf("negative start: %q", page)
	}
	if page, next := AnsListPage(nil, 0, 100); string(page) != "    0\a    0\a" || next != 0 {
		t.Errorf("no rows: %q %d", page, next)
	}
	// A row larger than the page still goes out alone, so paging moves on.
	if page, next := AnsListPage(rows, 0, 20); next != 1 || !strings.HasPrefix(string(page), "    1\a    1\aa b\a") {
		t.Errorf("tiny page: %q next %d", page, next)
	}
}

func TestAnsListPaging(t *testing.T) {
	var rows []ListEntry
	for i := range 1000 {
		rows = append(rows, ListEntry{User: fmt.Sprint("user", i), Host: "host", Status: BrEntry | CapUTF8Opt,
			Addr: fmt.Sprintf("10.0.%d.%d", i/256, i%256), Port: 2425, Nick: "ニック", Group: fmt.Sprint("g", i%7)})
	}
	for _, size := range []int{200, 4096, 8192, 32768} {
		var got []ListEntry
		pages := 0
		for start := 0; ; pages++ {
			page, next := AnsListPage(rows, start, size)
			if len(page) > size {
				t.Fatalf("size %d: page of %d bytes", size, len(page))
			}
			n, part, err := ParseAnsList(page)
			if err != nil || n != next {
				t.Fatalf("size %d start %d: next %d/%d err %v", size, start, n, next, err)
			}
			if want := fmt.Sprintf("%5d\a%5d\a", next, len(part)); !strings.HasPrefix(string(page), want) {
				t.Fatalf("header %q", page[:12])
			}
			got = append(got, part...)
			if next == 0 {
				break
			}
			if next <= start {
				t.Fatalf("no progress at %d", start)
			}
			start = next
		}
		if !reflect.DeepEqual(got, rows) {
			t.Errorf("size %d: paged list differs: %d rows in %d pages", size, len(got), pages)
		}
	}
}
