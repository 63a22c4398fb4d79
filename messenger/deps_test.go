package messenger

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The core and the command line never pull in Fyne: the CLI runs on servers without a display, and
// dependencies run one way, downwards from ui.
func TestNoFyneBelowUI(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-deps", "hato/messenger", "hato/cli").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/") || pkg == "hato/ui" {
			t.Errorf("messenger or cli depends on %s", pkg)
		}
	}
}
