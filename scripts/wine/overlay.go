//go:build ignore

// Command overlay writes a `go build -overlay` file that lets Hato's Windows build run under Wine 8.0
// (Debian 12's wine), for the Wine test only (interop/wine_test.go, make test-windows). It never goes
// into a build that is shipped: `make windows` and `make package` build from the untouched standard
// library.
//
//	go run scripts/wine/overlay.go DIR    # writes DIR/overlay.json and the patched files beside it
//
// It copies two files of the installed Go's standard library ($(go env GOROOT)/src) and changes one
// line in each, where Go relies on something Windows 10 and later have and Wine 8.0 does not:
//
//   - net/fd_windows.go: Go 1.24 and later switch off SIO_UDP_NETRESET on every UDP socket and fail
//     the socket when that is refused; Wine 8.0 refuses the control code (WSAEOPNOTSUPP, printed as
//     "wsaioctl: winapi error #10045"), so no UDP socket could be opened. The patched file lets exactly
//     that error pass (the socket then keeps Windows' default, which only matters for ICMP "network
//     unreachable" reports, go.dev/issue/68614).
//   - internal/syscall/windows/at_windows.go: os.Root removes a file with NtSetInformationFile
//     (FileDispositionInformationEx, POSIX semantics) and falls back to the old FileDispositionInformation
//     when the system says it does not know that class. Wine 8.0 says so with STATUS_NOT_IMPLEMENTED
//     ("Invalid function"), which Go does not expect, so every removal through os.Root failed (Hato's
//     downloads remove their .part file that way). The patched file takes the fallback for that status
//     too.
//
// Each change is made by replacing an exact piece of text; when the installed Go's source differs (a
// new Go version), the command fails and says which, so that someone checks whether Wine still needs
// the change.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

type patch struct {
	file     string // under GOROOT/src
	old, new string
}

var patches = []patch{
	{
		file: "net/fd_windows.go",
		old: `		err = syscall.WSAIoctl(fd.pfd.Sysfd, windows.SIO_UDP_NETRESET, (*byte)(unsafe.Pointer(&flag)), size, nil, 0, &ret, nil, 0)
		if err != nil {`,
		new: `		err = syscall.WSAIoctl(fd.pfd.Sysfd, windows.SIO_UDP_NETRESET, (*byte)(unsafe.Pointer(&flag)), size, nil, 0, &ret, nil, 0)
		if err != nil && err != syscall.Errno(10045) { // Hato's Wine test: Wine 8.0 refuses SIO_UDP_NETRESET (WSAEOPNOTSUPP)`,
	},
	{
		file: "internal/syscall/windows/at_windows.go",
		old: `	case STATUS_INVALID_INFO_CLASS, // the operating system doesn't support FileDispositionInformationEx
`,
		new: `	case STATUS_INVALID_INFO_CLASS, // the operating system doesn't support FileDispositionInformationEx
		NTStatus(0xC0000002), // STATUS_NOT_IMPLEMENTED: Wine 8.0's answer for that class (Hato's Wine test)
`,
	},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/wine/overlay.go DIR")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "overlay:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	// The standard library of the Go that runs this (go run), which is the one that builds with the overlay.
	goroot := runtime.GOROOT()
	if goroot == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("go env GOROOT: %w", err)
		}
		goroot = strings.TrimSpace(string(out))
	}
	src := filepath.Join(goroot, "src")
	replace := map[string]string{}
	for _, p := range patches {
		from := filepath.Join(src, filepath.FromSlash(p.file))
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if strings.Count(string(b), p.old) != 1 {
			return fmt.Errorf("%s: the text to patch is not there (once) in this Go's source; check whether Wine still needs this change:\n%s", from, p.old)
		}
		to, err := filepath.Abs(filepath.Join(dir, filepath.FromSlash(p.file)))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(to, []byte(strings.Replace(string(b), p.old, p.new, 1)), 0o644); err != nil {
			return err
		}
		replace[from] = to
	}
	out, err := json.MarshalIndent(map[string]any{"Replace": replace}, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "overlay.json"), append(out, '\n'), 0o644)
}
