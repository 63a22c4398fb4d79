package transfer

import (
	"runtime"
	"strings"
)

// localName is a received name as this system can store it: on Windows windowsName, elsewhere the name
// as sent.
func localName(name string) string {
	if runtime.GOOS == "windows" {
		return windowsName(name)
	}
	return name
}

// windowsFullwidth maps the characters Windows forbids in names to their fullwidth forms, which look
// alike and are allowed: what?.txt arrives as what？.txt.
var windowsFullwidth = strings.NewReplacer(`<`, "＜", `>`, "＞", `:`, "：", `"`, "＂", `|`, "｜", `?`, "？", `*`, "＊")

// windowsName makes name one Windows can hold, so that one odd name from a Linux or Mac sender never
// fails a file or a whole folder: the forbidden characters <>:"|?* become their fullwidth forms, trailing
// dots and spaces (which Windows drops) become '_', and a device name (CON, lpt1.txt) gets '_' after its
// base (CON_, lpt1_.txt). Separators, control characters and "." or ".." are left for CheckName to refuse.
func windowsName(name string) string {
	name = windowsFullwidth.Replace(name)
	if trimmed := strings.TrimRight(name, ". "); len(trimmed) < len(name) && trimmed != "" {
		name = trimmed + strings.Repeat("_", len(name)-len(trimmed))
	}
	if reservedWindowsName(name) {
		base, ext, dotted := strings.Cut(name, ".")
		name = strings.TrimRight(base, " ") + "_"
		if dotted {
			name += "." + ext
		}
	}
	return name
}
