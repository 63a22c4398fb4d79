package control

import (
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

var errRunOver = errors.New("control: the run has ended; its output is closed")

// output sends the answer lines of one connection, one at a time, and nothing after the last.
type output struct {
	mu   sync.Mutex
	w    io.Writer
	over bool
}

// send writes one answer line.
func (o *output) send(r response) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.over {
		return errRunOver
	}
	return writeLine(o.w, r)
}

// finish writes the last answer line.
func (o *output) finish(r response) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.over {
		return errRunOver
	}
	o.over = true
	return writeLine(o.w, r)
}

// stream is the stdout or stderr a run writes to: each Write goes out at once as answer lines,
// of at most maxChunk bytes each, cut at UTF-8 boundaries. It is safe for concurrent use.
type stream struct {
	out    *output
	stderr bool
}

func (s stream) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), maxChunk)
		for k < len(p) && k > maxChunk-utf8.UTFMax && !utf8.RuneStart(p[k]) {
			k--
		}
		r := response{Stdout: string(p[:k])}
		if s.stderr {
			r = response{Stderr: string(p[:k])}
		}
		if err := s.out.send(r); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
	}
	return n, nil
}
