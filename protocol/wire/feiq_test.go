package wire

import "testing"

func TestStripFontTag(t *testing.T) {
	const tag = "{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992;}"
	cases := map[string]string{
		"你好" + tag:          "你好",
		tag:                 "",
		"a" + tag + "b":     "a" + tag + "b", // not at the end
		"x{/font;-16 0 0;}": "x{/font;-16 0 0;}",
		"x" + tag + tag:     "x" + tag,
		"plain ;}":          "plain ;}",
		"{/font;1 2 3 4 5 6 7 8 9 10 11 12 13 Arial Bold 0;}": "",
	}
	for in, want := range cases {
		if got := StripFontTag(in); got != want {
			t.Errorf("StripFontTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReplaceImageRefs(t *testing.T) {
	cases := map[string]string{
		"look /~#>1A2B3C4D<B~ here":      "look [image] here",
		"/~#>abcdefgh<B~/~#>12345678<B~": "[image][image]",
		"/~#>short<B~":                   "/~#>short<B~",
		"no image":                       "no image",
	}
	for in, want := range cases {
		if got := ReplaceImageRefs(in); got != want {
			t.Errorf("ReplaceImageRefs(%q) = %q, want %q", in, got, want)
		}
	}
}
