//go:build linux

package interop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"hato/internal/netlab"
)

// required reports whether HATO_INTEROP=require is set: missing
// prerequisites then fail the tests instead of skipping them.
func required() bool { return os.Getenv("HATO_INTEROP") == "require" }

// skipOrFail skips the test, or fails it under HATO_INTEROP=require.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if required() {
		t.Fatalf("HATO_INTEROP=require but %s", msg)
	}
	t.Skipf("%s (set HATO_INTEROP=require to make this a failure)", msg)
}

// needLab checks that namespaces can be built here.
func needLab(t *testing.T) {
	t.Helper()
	if reason := netlab.Unavailable(); reason != "" {
		skipOrFail(t, "%s", reason)
	}
}

// needTools checks that each program is installed; pkg maps it to its Debian package.
func needTools(t *testing.T, tools map[string]string) {
	t.Helper()
	var missing []string
	for prog, pkg := range tools {
		if _, err := exec.LookPath(prog); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", prog, pkg))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		skipOrFail(t, "missing: %s", strings.Join(missing, ", "))
	}
}

// newLab builds a lab of n hosts or fails the test.
func newLab(t *testing.T, n int) *netlab.Lab {
	t.Helper()
	needLab(t)
	lab, err := netlab.New(t, n)
	if err != nil {
		t.Fatalf("building a lab of %d namespaces: %v", n, err)
	}
	return lab
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
