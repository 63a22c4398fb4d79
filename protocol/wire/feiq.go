package wire

import (
	"regexp"
	"strings"
)

// FeiQ appends a rich-text tag to its messages: "{/font;" LOGFONT numbers, a face name and a colour, ";}".
// fontTag matches one complete tag at the very end of the text.
var fontTag = regexp.MustCompile(`\{/font;-?\d+(?: -?\d+){12} [^;{}]*? \d+;\}$`)

// StripFontTag removes a complete FeiQ font tag from the end of s; anything else is left alone.
func StripFontTag(s string) string {
	if !strings.HasSuffix(s, ";}") {
		return s
	}
	if loc := fontTag.FindStringIndex(s); loc != nil {
		return s[:loc[0]]
	}
	return s
}

// imageRef is FeiQ's reference to an inline picture sent in its own fragments.
var imageRef = regexp.MustCompile(`/~#>[^<]{8}<B~`)

// ReplaceImageRefs shows each FeiQ image reference as "[image]": the picture itself travels in FeiQ's
// private UDP fragments, which Hato does not assemble.
func ReplaceImageRefs(s string) string {
	if !strings.Contains(s, "/~#>") {
		return s
	}
	return imageRef.ReplaceAllString(s, "[image]")
}
