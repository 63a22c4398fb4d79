package crypt

import (
	"bytes"
	"reflect"
	"testing"
)

func TestAppendPlaintext(t *testing.T) {
	files := []byte("1:a.txt:10:5f000000:1:\a")
	to := []Recipient{{"User1", "Host1"}, {"User2", "Host2"}, {"User3", "Host3"}}
	for _, tc := range []struct {
		text, files []byte
		to          []Recipient
		want        string
	}{
		{[]byte("hi"), nil, nil, "hi\x00"},
		{nil, nil, nil, "\x00"},
		{[]byte("hi"), files, nil, "hi\x00" + string(files) + "\x00"},
		// draft-14 §3 6): text\0\0 when there is no file list, then the example list.
		{[]byte("hi"), nil, to, "hi\x00\x00TO:User1:Host1\aUser2:Host2\aUser3:Host3\x00"},
		{[]byte("hi"), files, to[:1], "hi\x00" + string(files) + "\x00TO:User1:Host1\x00"},
	} {
		got := AppendPlaintext([]byte(">"), tc.text, tc.files, tc.to)
		if string(got) != ">"+tc.want {
			t.Errorf("AppendPlaintext(%q, %q, %v) = %q, want %q", tc.text, tc.files, tc.to, got, ">"+tc.want)
		}
		text, files, to := SplitPlaintext(got[1:])
		if !bytes.Equal(text, tc.text) || !bytes.Equal(files, tc.files) || !reflect.DeepEqual(to, tc.to) {
			t.Errorf("SplitPlaintext(%q) = %q, %q, %v", got[1:], text, files, to)
		}
	}
}

func TestSplitPlaintext(t *testing.T) {
	for _, tc := range []struct {
		in          string
		text, files string
		to          []Recipient
	}{
		{"", "", "", nil},
		{"no NUL at all", "no NUL at all", "", nil},
		{"hello\x00", "hello", "", nil},
		{"hello\x00\x00\x00\x00", "hello", "", nil},
		{"hello\x00files", "hello", "files", nil},
		{"hello\x00files\x00\x00", "hello", "files", nil},
		{"hi\x00\x00TO:User1:Host1\aUser2:Host2\aUser3:Host3\x00", "hi", "", []Recipient{{"User1", "Host1"}, {"User2", "Host2"}, {"User3", "Host3"}}},
		{"hi\x00\x00TO:u:h", "hi", "", []Recipient{{"u", "h"}}},
		// A trailing '\a' (each entry ended by one) and entries that are not exactly user:host.
		{"hi\x00f\x00TO:u1:h1\a\au2\a:h\au:\ax:y:z\au3:h3\a\x00junk", "hi", "f", []Recipient{{"u1", "h1"}, {"u3", "h3"}}},
		{"hi\x00f\x00TO:\x00", "hi", "f", nil},
		{"hi\x00f\x00to:u:h\x00", "hi", "f", nil},
		{"hi\x00TO:u:h\x00", "hi", "TO:u:h", nil}, // the file list comes first
	} {
		text, files, to := SplitPlaintext([]byte(tc.in))
		if string(text) != tc.text || string(files) != tc.files || !reflect.DeepEqual(to, tc.to) {
			t.Errorf("SplitPlaintext(%q) = %q, %q, %v; want %q, %q, %v", tc.in, text, files, to, tc.text, tc.files, tc.to)
		}
	}
}
