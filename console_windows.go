//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachConsole gives a subcommand of hato.exe, a GUI-subsystem program (a double click opens no console
// window), the console of the cmd or PowerShell it was typed in: Windows starts such a program with no
// standard output unless the shell redirected it. Redirected handles (`hato.exe list --json > hosts.json`,
// a pipe) are kept; missing ones are opened on the parent's console, if there is one (started from
// Explorer, there is nothing to print to). The shells do not wait for a GUI program in an interactive
// prompt: scripts should use hato-cli.exe, the console build of the same program (see README).
func attachConsole() {
	out, _ := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE)
	errh, _ := windows.GetStdHandle(windows.STD_ERROR_HANDLE)
	if usable(out) && usable(errh) {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return
	}
	if !usable(out) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !usable(errh) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
}

// usable reports whether a standard handle leads somewhere (a file, a pipe, a console).
func usable(h windows.Handle) bool {
	if h == 0 || h == windows.InvalidHandle {
		return false
	}
	t, err := windows.GetFileType(h)
	return err == nil && t != windows.FILE_TYPE_UNKNOWN
}
