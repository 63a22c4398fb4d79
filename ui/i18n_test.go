package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
)

// uiKeys are the English texts the UI translates: every string literal given to lang.L or lang.N
// (their first argument) in the package's non-test files, and the host table's column titles.
func uiKeys(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !isIdent(sel.X, "lang") || (sel.Sel.Name != "L" && sel.Sel.Name != "N") {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				seen[s] = true
			}
			return true
		})
	}
	// Texts kept in tables and translated where they are shown.
	for _, c := range columnTitles {
		if c != "" {
			seen[c] = true
		}
	}
	for _, c := range codepages {
		seen[c.label] = true
	}
	for _, c := range themes {
		seen[c.label] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// Every text the UI shows has a Japanese and a Chinese translation, and no translation is left over.
func TestTranslationsComplete(t *testing.T) {
	keys := uiKeys(t)
	if len(keys) < 50 {
		t.Fatalf("found only %d texts: the extraction is broken", len(keys))
	}
	for _, file := range []string{"ja.json", "zh_Hans.json"} {
		b, err := os.ReadFile(filepath.Join("translation", file))
		if err != nil {
			t.Fatal(err)
		}
		var tr map[string]any
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, k := range keys {
			if v, ok := tr[k]; !ok || v == "" {
				t.Errorf("%s: no translation of %q", file, k)
			}
		}
		want := map[string]bool{}
		for _, k := range keys {
			want[k] = true
		}
		for k := range tr {
			if !want[k] {
				t.Errorf("%s: %q is not used any more", file, k)
			}
		}
	}
}

// With a Japanese or Chinese system locale the UI speaks that language.
func TestTranslationsFollowLocale(t *testing.T) {
	for _, c := range []struct{ locale, want string }{{"ja_JP.UTF-8", "送信"}, {"zh_CN.UTF-8", "发送"}, {"en_US.UTF-8", "Send"}} {
		t.Setenv("LANGUAGE", "")
		t.Setenv("LC_ALL", c.locale)
		t.Setenv("LC_MESSAGES", c.locale)
		t.Setenv("LANG", c.locale)
		if err := loadTranslations(); err != nil {
			t.Fatal(err)
		}
		if got := lang.L("Send"); got != c.want {
			t.Errorf("%s: Send is %q, want %q", c.locale, got, c.want)
		}
	}
}
