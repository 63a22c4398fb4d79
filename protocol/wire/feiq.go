package wire

import (
	"regexp"
	"strings"
)

// FeiQ ends its messages with a rich-text tag (INTEROP.md §3.9):
//
//	{/font;-16 0 0 0 400 0 0 0 134 0 0 2 32 微软雅黑 8404992;}
//
// that is the 13 LOGFONT numbers (height ... pitch and family), the face name, a COLORREF, ";}".
// fontTag matches exactly one complete tag; the face name may hold spaces but no ';', '{' or '}'.
var fontTag = regexp.MustCompile(`^\{/font;-?\d+(?: -?\d+){12} [^;{}]*? \d+;\}$`)

const fontTagStart = "{/font;"

// StripFontTag removes one complete FeiQ font tag from the end of s; anything else is left alone,
// including a tag in the middle and an incomplete one, since that is text someone typed.
func StripFontTag(s string) string {
	if !strings.HasSuffix(s, ";}") {
		return s
	}
	// A tag holds no '{' after its first byte, so only the last "{/font;" can start one.
	i := strings.LastIndex(s, fontTagStart)
	if i < 0 || !fontTag.MatchString(s[i:]) {
		return s
	}
	return s[:i]
}

// imageRef is FeiQ's reference to an inline picture: "/~#>", an 8-character id, "<B~".
var imageRef = regexp.MustCompile(`/~#>[^<]{8}<B~`)

// ReplaceImageRefs shows each FeiQ image reference as "[image]": the picture itself travels in FeiQ's
// private UDP fragments (command 0xC0), which Hato does not assemble.
func ReplaceImageRefs(s string) string {
	if !strings.Contains(s, "/~#>") {
		return s
	}
	return imageRef.ReplaceAllLiteralString(s, "[image]")
}
