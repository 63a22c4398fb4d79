package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"unicode/utf8"
)

const (
	version  = 1       // the "v" of every request
	maxLine  = 1 << 20 // longest line either side sends, without its '\n'
	maxChunk = 32 << 10

	opRun      = "run"
	opActivate = "activate"
	opPing     = "ping"
)

// request is what a client asks, one per connection.
type request struct {
	V    int      `json:"v"`
	Op   string   `json:"op"`
	Args []string `json:"args,omitempty"` // run only
	Cwd  string   `json:"cwd,omitempty"`  // run only
}

// response is one line of the server's answer; each line sets one field (ok goes with pid).
type response struct {
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	Exit   *int   `json:"exit,omitempty"`
	OK     bool   `json:"ok,omitempty"`
	PID    int    `json:"pid,omitempty"`
	Error  string `json:"error,omitempty"`
}

// parseRequest checks one request line (without its '\n') strictly; the error names the field at fault.
func parseRequest(line []byte) (request, error) {
	var fields map[string]any
	if err := json.Unmarshal(line, &fields); err != nil {
		if _, syntax := errors.AsType[*json.SyntaxError](err); syntax {
			return request{}, fmt.Errorf("request is not valid JSON: %v", err)
		}
		return request{}, errors.New("request is not a JSON object")
	}
	if fields == nil {
		return request{}, errors.New("request is not a JSON object")
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if name != "v" && name != "op" && name != "args" && name != "cwd" {
			return request{}, fmt.Errorf("unknown field %s (want v, op, args, cwd)", quote(name))
		}
	}

	v, ok := fields["v"]
	if !ok {
		return request{}, errors.New(`missing field "v" (the protocol version, 1)`)
	}
	if n, ok := v.(float64); !ok || n != version {
		return request{}, fmt.Errorf(`field "v": %s is not 1, the protocol version this Hato speaks`, brief(v))
	}

	op, ok := fields["op"]
	if !ok {
		return request{}, errors.New(`missing field "op" (run, activate or ping)`)
	}
	req := request{V: version}
	if req.Op, ok = op.(string); !ok {
		return request{}, fmt.Errorf(`field "op": %s is not a string`, brief(op))
	}
	switch req.Op {
	case opActivate, opPing:
		for _, name := range []string{"args", "cwd"} {
			if _, ok := fields[name]; ok {
				return request{}, fmt.Errorf("field %q is not allowed with op %q", name, req.Op)
			}
		}
		return req, nil
	case opRun:
	default:
		return request{}, fmt.Errorf(`field "op": unknown op %s (want run, activate or ping)`, quote(req.Op))
	}

	args, ok := fields["args"]
	if !ok {
		return request{}, errors.New(`missing field "args" (the subcommand and its arguments)`)
	}
	list, ok := args.([]any)
	if !ok {
		return request{}, fmt.Errorf(`field "args": %s is not an array of strings`, brief(args))
	}
	if len(list) == 0 {
		return request{}, errors.New(`field "args" is empty (want the subcommand and its arguments)`)
	}
	req.Args = make([]string, len(list))
	for i, a := range list {
		if req.Args[i], ok = a.(string); !ok {
			return request{}, fmt.Errorf(`field "args": element %d, %s, is not a string`, i, brief(a))
		}
	}

	cwd, ok := fields["cwd"]
	if !ok {
		return request{}, errors.New(`missing field "cwd" (the client's working folder)`)
	}
	if req.Cwd, ok = cwd.(string); !ok {
		return request{}, fmt.Errorf(`field "cwd": %s is not a string`, brief(cwd))
	}
	if !filepath.IsAbs(req.Cwd) {
		return request{}, fmt.Errorf(`field "cwd": %s is not an absolute path`, quote(req.Cwd))
	}
	return req, nil
}

// brief shows a decoded JSON value in an error message, cut short.
func brief(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return shorten(string(b))
}

// quote shows a string in an error message, cut short.
func quote(s string) string {
	return shorten(fmt.Sprintf("%q", s))
}

func shorten(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
