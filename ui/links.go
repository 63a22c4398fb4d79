package ui

import (
	"net/url"
	"regexp"
	"strings"
)

// textLink is a link found in a message: the text as written and what opening it opens.
type textLink struct {
	Text string
	URL  *url.URL
}

// linkPattern finds web and mail links (ASCII only: Japanese right after a URL ends it, as people
// write "https://example.com/です"), file:// URLs and Windows shares (\\server\share\...), whose
// folder names are often Japanese, so they run to the next space or quote.
var linkPattern = regexp.MustCompile(`(?i)(?:\b(?:https?|ftp)://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+` +
	`|\bmailto:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+` +
	`|\bfile://[^\s\x{3000}"<>|「」『』（）【】]+` +
	`|\\\\[^\s\x{3000}\\/:*?"<>|「」『』（）【】]+(?:\\[^\s\x{3000}\\/:*?"<>|「」『』（）【】]*)+)`)

// findLinks returns the links in text in order, without punctuation that ends a sentence around them.
func findLinks(text string) []textLink {
	var links []textLink
	for _, m := range linkPattern.FindAllString(text, -1) {
		m = trimLinkEnd(m)
		if u := linkURL(m); u != nil {
			links = append(links, textLink{Text: m, URL: u})
		}
	}
	return links
}

// trimLinkEnd drops trailing sentence punctuation, and a closing bracket the link did not open:
// "(see https://example.com/a)." links to https://example.com/a.
func trimLinkEnd(s string) string {
	for s != "" {
		last := s[len(s)-1]
		switch {
		case strings.ContainsRune(".,;:!?'\"", rune(last)):
		case last == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
		case last == ']' && strings.Count(s, "[") < strings.Count(s, "]"):
		default:
			if r, ok := strings.CutSuffix(s, "。"); ok {
				s = r
				continue
			}
			if r, ok := strings.CutSuffix(s, "、"); ok {
				s = r
				continue
			}
			return s
		}
		s = s[:len(s)-1]
	}
	return s
}

// linkURL is what a found link opens; a share becomes file://server/share/..., which Windows opens in
// Explorer. nil when the text is not a usable link.
func linkURL(s string) *url.URL {
	if rest, ok := strings.CutPrefix(s, `\\`); ok {
		server, path, _ := strings.Cut(rest, `\`)
		if server == "" || path == "" {
			return nil
		}
		return &url.URL{Scheme: "file", Host: server, Path: "/" + strings.ReplaceAll(path, `\`, "/")}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return nil
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp":
		if u.Host == "" {
			return nil
		}
	case "mailto":
		if u.Opaque == "" {
			return nil
		}
	}
	return u
}
