package crypt

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package stays pure: no sockets, no files, no Fyne, and no randomness of its own (Encrypt takes
// an io.Reader, so the caller decides and tests can pin it).
func TestImportsNoIO(t *testing.T) {
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
				path == "crypto/rand" || path == "math/rand" || path == "math/rand/v2" {
				t.Errorf("%s imports %s", f, path)
			}
		}
	}
}
