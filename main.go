// Hato is an IP Messenger compatible LAN messenger: the desktop app by default, headless subcommands
// (serve, list, send, fetch, history) for scripts and servers.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"hato/cli"
	"hato/ui"
)

// appFlag reports whether arg is one of the app's own flags (not a subcommand).
func appFlag(arg string) bool {
	for _, f := range []string{"--profile", "--port", "--bind", "--minimized", "-profile", "-port", "-bind", "-minimized"} {
		if arg == f || strings.HasPrefix(arg, f+"=") {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) > 1 && !appFlag(os.Args[1]) {
		attachConsole()
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	// The app: `hato [--profile DIR] [--port N] [--bind ADDR]`; each profile is its own Hato.
	fs := flag.NewFlagSet("hato", flag.ExitOnError)
	o := ui.Options{Commands: cli.Remote}
	fs.StringVar(&o.Profile, "profile", "", "the folder of this Hato's settings, keys and history (default: the app's)")
	fs.IntVar(&o.Port, "port", 0, "UDP and TCP port for this start (saved in the profile)")
	fs.StringVar(&o.Bind, "bind", "", "local IPv4 address for this start (saved in the profile)")
	fs.BoolVar(&o.Minimized, "minimized", false, "start hidden in the tray (as at login)")
	fs.Parse(os.Args[1:])
	if rest := fs.Args(); len(rest) > 0 {
		// `hato --profile DIR send ...`: a subcommand after the common flags.
		flags := os.Args[1 : len(os.Args)-len(rest)]
		attachConsole()
		os.Exit(cli.Main(append(append([]string{rest[0]}, flags...), rest[1:]...), os.Stdout, os.Stderr))
	}
	if os.Getenv("HATO_LOG") == "debug" {
		slog.SetLogLoggerLevel(slog.LevelDebug) // what the windows do, for tests under Xvfb and bug reports
	}
	if !ui.HasDisplay() {
		attachConsole()
		fmt.Fprintln(os.Stderr, "hato: no display, running the node headless (hato serve); see hato help")
		os.Exit(cli.Main(append([]string{"serve"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	if err := ui.Run(o); err != nil {
		fmt.Fprintln(os.Stderr, "hato:", err)
		os.Exit(1)
	}
}
