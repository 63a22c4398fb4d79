package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

var (
	errLineTooLong  = fmt.Errorf("line longer than 1 MiB (%d bytes)", maxLine)
	errUnterminated = errors.New(`line not ended by "\n" before the connection closed`)
)

// readLine reads one line of at most maxLine bytes and returns it without its '\n'.
// It returns io.EOF only when the connection closed before the line began.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		if err == nil {
			line = line[:len(line)-1]
		}
		if len(line) > maxLine {
			return nil, errLineTooLong
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, errUnterminated
		default:
			return nil, err
		}
	}
}

// writeLine sends v as one JSON line in a single Write.
func writeLine(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// closeOnDone closes c when ctx ends, which interrupts a read or write blocked on it.
// stop ends the watch and waits for it.
func closeOnDone(ctx context.Context, c io.Closer) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			c.Close()
		case <-done:
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
