package wire

import (
	"testing"

	"hato/internal/purity"
)

// The codec stays pure: no sockets, no files, no Fyne. Callers bring the bytes.
func TestCodecImportsNoIO(t *testing.T) { purity.CheckImports(t) }
