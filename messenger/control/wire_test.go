package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// absCwd is an absolute path on every system, as JSON.
func absCwd(t testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(wd)
	return string(b)
}

// badRequests are request lines that must be refused, with a part of the reason that names what is wrong.
func badRequests(t testing.TB) []struct{ line, want string } {
	cwd := absCwd(t)
	return []struct{ line, want string }{
		{``, "not valid JSON"},
		{`{"v":1,"op":"ping"`, "not valid JSON"},
		{`{"v":1,"op":"ping"}{}`, "not valid JSON"},
		{`{"v":1,"op":"ping"} x`, "not valid JSON"},
		{`[1,2]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`"ping"`, "not a JSON object"},
		{`{"op":"ping"}`, `missing field "v"`},
		{`{"v":"1","op":"ping"}`, `field "v": "1" is not 1`},
		{`{"v":2,"op":"ping"}`, `field "v": 2 is not 1`},
		{`{"v":null,"op":"ping"}`, `field "v"`},
		{`{"v":1}`, `missing field "op"`},
		{`{"v":1,"op":7}`, `field "op": 7 is not a string`},
		{`{"v":1,"op":"shutdown"}`, `field "op": unknown op "shutdown"`},
		{`{"v":1,"op":"Ping"}`, `unknown op "Ping"`},
		{`{"v":1,"op":"ping","extra":true}`, `unknown field "extra"`},
		{`{"V":1,"op":"ping"}`, `unknown field "V"`},
		{`{"v":1,"op":"ping","args":["x"]}`, `field "args" is not allowed with op "ping"`},
		{`{"v":1,"op":"activate","cwd":"/"}`, `field "cwd" is not allowed with op "activate"`},
		{`{"v":1,"op":"run","cwd":` + cwd + `}`, `missing field "args"`},
		{`{"v":1,"op":"run","args":"send","cwd":` + cwd + `}`, `field "args": "send" is not an array of strings`},
		{`{"v":1,"op":"run","args":null,"cwd":` + cwd + `}`, `field "args"`},
		{`{"v":1,"op":"run","args":[],"cwd":` + cwd + `}`, `field "args" is empty`},
		{`{"v":1,"op":"run","args":["send",1],"cwd":` + cwd + `}`, `field "args": element 1, 1, is not a string`},
		{`{"v":1,"op":"run","args":["send",null],"cwd":` + cwd + `}`, `element 1, null,`},
		{`{"v":1,"op":"run","args":["send"]}`, `missing field "cwd"`},
		{`{"v":1,"op":"run","args":["send"],"cwd":null}`, `field "cwd": null is not a string`},
		{`{"v":1,"op":"run","args":["send"],"cwd":"rel/dir"}`, `field "cwd": "rel/dir" is not an absolute path`},
		{`{"v":1,"op":"` + strings.Repeat("x", 100) + `"}`, `unknown op "xxxxxxxx`},
	}
}

func TestParseRequestRefuses(t *testing.T) {
	for _, tc := range badRequests(t) {
		_, err := parseRequest([]byte(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.line, err, tc.want)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("%s: reason too long: %s", tc.line, err)
		}
	}
}

func TestParseRequestAccepts(t *testing.T) {
	wd, _ := os.Getwd()
	cwd := absCwd(t)
	for line, want := range map[string]request{
		`{"v":1,"op":"ping"}`:         {V: 1, Op: opPing},
		` {"op":"activate","v":1.0} `: {V: 1, Op: opActivate},
		`{"v":1,"op":"run","args":["send","--to","x","hi ünï"],"cwd":` + cwd + `}`: {
			V: 1, Op: opRun, Args: []string{"send", "--to", "x", "hi ünï"}, Cwd: wd},
	} {
		got, err := parseRequest([]byte(line))
		if err != nil || got.V != want.V || got.Op != want.Op || !slices.Equal(got.Args, want.Args) || got.Cwd != want.Cwd {
			t.Errorf("%s: %+v, %v; want %+v", line, got, err, want)
		}
	}
}

func TestReadLine(t *testing.T) {
	read := func(s string) ([]byte, error) { return readLine(bufio.NewReader(strings.NewReader(s))) }
	if line, err := read("abc\nrest"); string(line) != "abc" || err != nil {
		t.Errorf("line %q, %v", line, err)
	}
	if line, err := read(strings.Repeat("x", maxLine) + "\n"); len(line) != maxLine || err != nil {
		t.Errorf("longest line: %d bytes, %v", len(line), err)
	}
	if _, err := read(strings.Repeat("x", maxLine+1) + "\n"); !errors.Is(err, errLineTooLong) {
		t.Errorf("too long: %v", err)
	}
	if _, err := read("abc"); !errors.Is(err, errUnterminated) {
		t.Errorf("unterminated: %v", err)
	}
	if _, err := read(""); !errors.Is(err, io.EOF) {
		t.Errorf("empty: %v", err)
	}
}

// FuzzParseRequest: the parser never panics, and what it accepts is a well-formed request that
// reads back the same after encoding.
func FuzzParseRequest(f *testing.F) {
	cwd := absCwd(f)
	for _, s := range []string{
		`{"v":1,"op":"ping"}`,
		`{"v":1,"op":"activate"}`,
		`{"v":1,"op":"run","args":["send","--to","x","hi"],"cwd":` + cwd + `}`,
		`{"v":1,"op":"run","args":["send",1],"cwd":"/"}`,
		`{"v":1,"op":"run","args":[],"cwd":"/"}`,
		`{"v":2,"op":"ping"}`,
		`[{"v":1}]`,
		"{\"v\":1,\"op\":\"run\",\"args\":[\"\xff\"],\"cwd\":\"/\"}",
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := parseRequest(line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty reason")
			}
			return
		}
		if req.V != version {
			t.Fatalf("accepted version %d", req.V)
		}
		switch req.Op {
		case opPing, opActivate:
			if req.Args != nil || req.Cwd != "" {
				t.Fatalf("%s with args %q, cwd %q", req.Op, req.Args, req.Cwd)
			}
		case opRun:
			if len(req.Args) == 0 || !filepath.IsAbs(req.Cwd) {
				t.Fatalf("run with args %q, cwd %q", req.Args, req.Cwd)
			}
		default:
			t.Fatalf("accepted op %q", req.Op)
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseRequest(b)
		if err != nil || again.Op != req.Op || !slices.Equal(again.Args, req.Args) || again.Cwd != req.Cwd {
			t.Fatalf("%s reads back as %+v, %v; want %+v", b, again, err, req)
		}
	})
}
