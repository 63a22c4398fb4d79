package ui

import (
	"context"
	"runtime"
	"testing"
)

// Without a display the system clipboard is never set up (its Init would fail or worse), and Ctrl+V
// pastes text as always.
func TestSystemClipboardWithoutDisplay(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("a display is assumed on", runtime.GOOS)
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	clip := &systemClipboard{}
	if b, err := clip.ReadPNG(context.Background()); b != nil || err == nil {
		t.Errorf("ReadPNG without a display: %d bytes, %v", len(b), err)
	}

	m := newMainSetup(t)
	m.win.clip = clip
	m.tx.app.Clipboard().SetContent("plain text")
	m.paste(t, "the text pasted", func() bool { return m.win.compose.entry.Text == "plain text" })
	if len(m.win.compose.images) != 0 || m.win.compose.status.Text != "" {
		t.Errorf("%d pictures, status %q", len(m.win.compose.images), m.win.compose.status.Text)
	}
}
