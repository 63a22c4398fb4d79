//go:build ignore

// Command exeres checks that a Windows executable carries an icon and version information: the
// resource types RT_GROUP_ICON (14) and RT_VERSION (16) in its .rsrc section, and that it is a GUI
// program (no console window on a double click). With "console" it checks instead that it is a console
// program (the command-line companion, which cmd and PowerShell wait for). Usage: go run
// scripts/exeres.go hato.exe [console]
package main

import (
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 || len(os.Args) == 3 && os.Args[2] != "console" {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/exeres.go FILE.exe [console]")
		os.Exit(2)
	}
	want := uint16(pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	if len(os.Args) == 3 {
		want = pe.IMAGE_SUBSYSTEM_WINDOWS_CUI
	}
	if got, err := subsystem(os.Args[1]); err != nil || got != want {
		fmt.Fprintf(os.Stderr, "exeres: %s: subsystem %d, want %d (%v)\n", os.Args[1], got, want, err)
		os.Exit(1)
	}
	if want == pe.IMAGE_SUBSYSTEM_WINDOWS_CUI {
		fmt.Printf("%s: a console program\n", os.Args[1])
		return
	}
	types, err := resourceTypes(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "exeres:", err)
		os.Exit(1)
	}
	missing := ""
	for id, name := range map[uint32]string{14: "an icon (RT_GROUP_ICON)", 16: "version information (RT_VERSION)"} {
		if !types[id] {
			missing += " " + name
		}
	}
	if missing != "" {
		fmt.Fprintf(os.Stderr, "exeres: %s has no%s\n", os.Args[1], missing)
		os.Exit(1)
	}
	fmt.Printf("%s: icon and version information present\n", os.Args[1])
}

// subsystem is the executable's subsystem: 2 GUI, 3 console.
func subsystem(path string) (uint16, error) {
	f, err := pe.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if h, ok := f.OptionalHeader.(*pe.OptionalHeader64); ok {
		return h.Subsystem, nil
	}
	if h, ok := f.OptionalHeader.(*pe.OptionalHeader32); ok {
		return h.Subsystem, nil
	}
	return 0, fmt.Errorf("%s: no optional header", path)
}

// resourceTypes lists the type ids at the root of the resource directory.
func resourceTypes(path string) (map[uint32]bool, error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".rsrc")
	if s == nil {
		return nil, fmt.Errorf("%s: no .rsrc section", path)
	}
	b, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) < 16 {
		return nil, fmt.Errorf("%s: resource directory cut short", path)
	}
	named, ids := int(binary.LittleEndian.Uint16(b[12:])), int(binary.LittleEndian.Uint16(b[14:]))
	out := map[uint32]bool{}
	for i := range named + ids {
		off := 16 + 8*i
		if off+8 > len(b) {
			return nil, fmt.Errorf("%s: resource directory cut short", path)
		}
		if id := binary.LittleEndian.Uint32(b[off:]); id&0x80000000 == 0 {
			out[id] = true
		}
	}
	return out, nil
}
