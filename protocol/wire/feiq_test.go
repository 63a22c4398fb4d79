package wire

import "testing"

func TestStripFontTag(t *testing.T) {
	const tag = feiqFont
	cases := []struct{ in, want string }{
		{"你好" + tag, "你好"},
		{tag, ""}, // a message that is only a tag
		{"line one\nline two" + tag, "line one\nline two"},
		{"/~#>1A2B3C4D<B~" + tag, "/~#>1A2B3C4D<B~"},
		{"x" + tag + tag, "x" + tag},               // two tags: only the trailing one is FeiQ's
		{"a" + tag + "b", "a" + tag + "b"},         // in the middle
		{"a" + tag + " ", "a" + tag + " "},         // not quite at the end
		{"x{/font;-16 0 0;}", "x{/font;-16 0 0;}"}, // too few numbers
		{"x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992", "x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992"}, // incomplete
		{"x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992;", "x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992;"},
		{"x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 微软雅黑 8404992;}", "x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 微软雅黑 8404992;}"}, // 12 numbers
		{"x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 blue;}", "x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 blue;}"}, // colour not a number
		{"x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 a;b 0;}", "x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 a;b 0;}"},         // ';' in the face name
		{"x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 a}b 0;}", "x{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 a}b 0;}"},         // '}' in the face name
		{"{font;-16 0 0 0 400 0 0 0 134 0 0 2 32 Arial 0;}", "{font;-16 0 0 0 400 0 0 0 134 0 0 2 32 Arial 0;}"},         // not "{/font;"
		{"hi{/font;1 2 3 4 5 6 7 8 9 10 11 12 13 Microsoft YaHei UI 0;}", "hi"},                                          // face name with spaces
		{"hi{/font;-12 0 0 0 700 1 1 1 0 3 2 1 34  255;}", "hi"},                                                         // empty face name
		{"plain ;}", "plain ;}"},
		{"", ""},
		{";}", ";}"},
	}
	for _, c := range cases {
		if got := StripFontTag(c.in); got != c.want {
			t.Errorf("StripFontTag(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReplaceImageRefs(t *testing.T) {
	cases := []struct{ in, want string }{
		{"look /~#>1A2B3C4D<B~ here", "look [image] here"},
		{"/~#>1A2B3C4D<B~", "[image]"},
		{"/~#>abcdefgh<B~/~#>12345678<B~", "[image][image]"},
		{"/~#>图片图片图片图片<B~", "[image]"}, // eight characters, not bytes
		{"/~#>short<B~", "/~#>short<B~"},
		{"/~#>123456789<B~", "/~#>123456789<B~"},
		{"/~#>1A2B3C4D<B", "/~#>1A2B3C4D<B"},
		{"/~#>1A2B3C4D", "/~#>1A2B3C4D"},
		{"no image", "no image"},
		{"$1 /~#>1A2B3C4D<B~", "$1 [image]"},
	}
	for _, c := range cases {
		if got := ReplaceImageRefs(c.in); got != c.want {
			t.Errorf("ReplaceImageRefs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// What the receiver shows for a FeiQ picture message.
	if got := ReplaceImageRefs(StripFontTag("/~#>1A2B3C4D<B~" + feiqFont)); got != "[image]" {
		t.Errorf("picture message shows %q", got)
	}
}
