package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
)

func TestSplitText(t *testing.T) {
	for _, c := range []struct {
		text string
		at   []int
		want []string
	}{
		{"見てそれから以上", []int{6, 18}, []string{"見て", "それから", "以上"}},
		{"no pictures", nil, []string{"no pictures"}},
		{"ab", []int{0, 0, 2}, []string{"", "", "ab", ""}},
		// A picture is a block: the line breaks around it go.
		{"see:\nthanks", []int{5}, []string{"see:", "thanks"}},
		{"see:\r\n\r\n\r\nthanks", []int{6}, []string{"see:", "\r\nthanks"}},
		{"a\n\nb", []int{2, 2}, []string{"a", "", "b"}},
		// Offsets out of order or past the end are clamped, never sliced out of range.
		{"abc", []int{2, 1, 9}, []string{"ab", "", "c", ""}},
	} {
		if got := splitText(c.text, c.at); !slices.Equal(got, c.want) {
			t.Errorf("splitText(%q, %v) = %q, want %q", c.text, c.at, got, c.want)
		}
	}
}

func TestInlineSize(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want fyne.Size
	}{
		{40, 30, fyne.NewSize(40, 30)},
		{500, 300, fyne.NewSize(360, 216)},
		{300, 1200, fyne.NewSize(60, 240)},
		{4000, 10, fyne.NewSize(360, minInline)},
		{1, 1, fyne.NewSquareSize(minInline)},
		{0, 5, fyne.NewSquareSize(minInline)},
	} {
		if got := inlineSize(c.w, c.h); got != c.want {
			t.Errorf("inlineSize(%d, %d) = %v, want %v", c.w, c.h, got, c.want)
		}
	}
}

func TestImageFileName(t *testing.T) {
	for name, want := range map[string]string{
		"ipmsgclip_s_1_5.png": "ipmsgclip_s_1_5.png",
		"Shot.PNG":            "Shot.PNG",
		"../../etc/x.png":     "x.png",
		"notes.txt":           "image.png",
		"":                    "image.png",
	} {
		if got := imageFileName(name); got != want {
			t.Errorf("imageFileName(%q) = %q, want %q", name, got, want)
		}
	}
}
