package ui

import (
	"context"
	"errors"
	"sync"

	"golang.design/x/clipboard"
)

// imageSource reads a picture off the system clipboard. Fyne's own clipboard holds text only.
type imageSource interface {
	// ReadPNG returns the clipboard's picture as PNG, or nil when it holds none (or cannot be read:
	// then the paste is a text paste).
	ReadPNG(ctx context.Context) ([]byte, error)
}

// systemClipboard is the real clipboard through golang.design/x/clipboard. The package is set up on
// the first paste, and only with a display: its Init fails (or worse) without one.
type systemClipboard struct {
	once sync.Once
	err  error
}

var theClipboard = &systemClipboard{} // one per process: clipboard.Init is global

func (c *systemClipboard) ReadPNG(ctx context.Context) ([]byte, error) {
	c.once.Do(func() {
		if !HasDisplay() {
			c.err = errors.New("no display")
			return
		}
		c.err = clipboard.Init()
	})
	if c.err != nil {
		return nil, c.err
	}
	b, err := clipboard.Read(ctx, clipboard.FmtImage)
	if errors.Is(err, clipboard.ErrNoData) {
		return nil, nil
	}
	return b, err
}
