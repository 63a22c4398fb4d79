// Package purity checks from tests that a codec package stays pure: no sockets, no files, no Fyne.
package purity

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// CheckImports fails t for each non-test Go file in the current folder that imports net, os or Fyne,
// or one of also.
func CheckImports(t *testing.T, also ...string) {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "net" || strings.HasPrefix(path, "net/") || path == "os" || strings.HasPrefix(path, "fyne.io/") ||
				slices.Contains(also, path) {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
