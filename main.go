// Hato is an IP Messenger compatible LAN messenger: the desktop app by default, headless subcommands
// (serve, list, send) for scripts and servers.
package main

import (
	"fmt"
	"os"

	"hato/cli"
	"hato/protocol"
	"hato/ui"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	if !ui.HasDisplay() {
		fmt.Fprintln(os.Stderr, "hato: no display, running the node headless (hato serve); see hato help")
		os.Exit(cli.Main([]string{"serve"}, os.Stdout, os.Stderr))
	}
	if err := ui.Run(protocol.DefaultConfig()); err != nil {
		fmt.Fprintln(os.Stderr, "hato:", err)
		os.Exit(1)
	}
}
