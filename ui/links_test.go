package ui

import (
	"slices"
	"testing"
)

func TestFindLinks(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string // text, then URL, for each link
	}{
		{"no links here", nil},
		{"see https://example.com/a?b=1&c=%E3%81%82#x.", []string{"https://example.com/a?b=1&c=%E3%81%82#x", "https://example.com/a?b=1&c=%E3%81%82#x"}},
		{"資料はhttp://intra.example/docs/です。", []string{"http://intra.example/docs/", "http://intra.example/docs/"}},
		{"(https://en.wikipedia.org/wiki/Go_(language)) and (ftp://ftp.example.org/pub)", []string{
			"https://en.wikipedia.org/wiki/Go_(language)", "https://en.wikipedia.org/wiki/Go_(language)",
			"ftp://ftp.example.org/pub", "ftp://ftp.example.org/pub"}},
		{"mail mailto:taro@example.jp, please", []string{"mailto:taro@example.jp", "mailto:taro@example.jp"}},
		{`共有は \\fileserv\共有\2024年\資料.xlsx にあります`, []string{`\\fileserv\共有\2024年\資料.xlsx`, "file://fileserv/%E5%85%B1%E6%9C%89/2024%E5%B9%B4/%E8%B3%87%E6%96%99.xlsx"}},
		{`「\\srv\share」　file:///C:/Users/太郎/メモ.txt。`, []string{`\\srv\share`, "file://srv/share",
			"file:///C:/Users/太郎/メモ.txt", "file:///C:/Users/%E5%A4%AA%E9%83%8E/%E3%83%A1%E3%83%A2.txt"}},
		{"HTTPS://EXAMPLE.COM and https:// alone", []string{"HTTPS://EXAMPLE.COM", "https://EXAMPLE.COM"}},
		{`a lone \\server is not a share`, nil},
	} {
		var got []string
		for _, l := range findLinks(c.text) {
			got = append(got, l.Text, l.URL.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("findLinks(%q)\n got %q\nwant %q", c.text, got, c.want)
		}
	}
}

func TestQuoteText(t *testing.T) {
	if got := quoteText("一行目\r\n二行目\n\n"); got != "> 一行目\n> 二行目" {
		t.Errorf("quoteText: %q", got)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KB", 3 << 20: "3.0 MB", 5 << 30: "5.0 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
