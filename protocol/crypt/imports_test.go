package crypt

import (
	"testing"

	"hato/internal/purity"
)

// The package stays pure: no sockets, no files, no Fyne, and no randomness of its own (Encrypt takes
// an io.Reader, so the caller decides and tests can pin it).
func TestImportsNoIO(t *testing.T) {
	purity.CheckImports(t, "crypto/rand", "math/rand", "math/rand/v2")
}
