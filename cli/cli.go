// Package cli holds Hato's headless subcommands. It never initialises Fyne, so it runs with no display.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"hato/messenger"
)

// command is a subcommand: it parses args and runs in e (its own process, or a running Hato).
type command func(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int

// commands are the subcommands by name (filled in init: they refer to Remote, which refers to them).
var commands map[string]command

func init() {
	commands = map[string]command{"serve": serveIn, "list": listIn, "send": sendIn, "history": historyIn, "fetch": fetchIn,
		"info": infoIn, "doctor": doctorIn}
}

// remoteCommands are those a running Hato carries out for another process (serve is a Hato itself).
var remoteCommands = map[string]bool{"list": true, "send": true, "history": true, "fetch": true, "info": true, "doctor": true}

// IsCommand reports whether arg names a headless subcommand (or asks for help).
// IsCommand is kept for callers that dispatch themselves.
func IsCommand(arg string) bool {
	_, ok := commands[arg]
	return ok || arg == "help" || arg == "-h" || arg == "--help"
}

// Main runs a subcommand until it finishes or SIGINT/SIGTERM arrives, and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	run, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hato: unknown command %q\n%s", args[0], usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, localEnv(args[0], args[1:]), args[1:], stdout, stderr)
}

// localEnv is the env of a command run in this process.
func localEnv(name string, args []string) *env {
	cwd, _ := os.Getwd()
	return &env{args: append([]string{name}, args...), cwd: cwd}
}

// Remote runs a subcommand that arrived on h's control endpoint (messenger.Config.Commands): args are
// the caller's command line after "hato", cwd its folder.
func Remote(ctx context.Context, h *messenger.Hato, args []string, cwd string, stdout, stderr io.Writer) int {
	if len(args) == 0 || !remoteCommands[args[0]] {
		fmt.Fprintf(stderr, "hato: a running Hato carries out list, send, fetch, info, doctor and history, not %q\n", strings.Join(args, " "))
		return 2
	}
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	return commands[args[0]](ctx, &env{args: args, running: h, cwd: cwd}, args[1:], stdout, stderr)
}

const usage = `Hato: an IP Messenger compatible LAN messenger.

Usage:
  hato [--profile DIR] [--port N] [--bind ADDR]
                            start the desktop app (on that profile: each profile is its own Hato)
  hato serve [common] [--open-sealed] [--absent TEXT] [--get-list]
                            run a node; print one JSON object per event per line
  hato list  [common] [--wait 3s] [--json]
                            announce, collect answers, print the hosts
  hato serve ... --download DIR
                            also fetch every offered file and folder into DIR ("saved" events)
  hato serve ... --master   be the site's member master: members on every subnet (--use-master
                            ADDR, or WIN's "use a master") poll it and get everyone's signed list
  hato send  [common] --to TARGET [--to TARGET]... [--sealed] [--broadcast] [--timeout 10s] TEXT
                            send a message; exit 0 only when every recipient acknowledged
  hato send  [common] --to TARGET... --file PATH [--file PATH]... [--timeout 1h] [--offer-expiry 24h] [TEXT]
                            offer files and folders; serve them until every recipient fetched them
  hato fetch [common] --from TARGET --packet N --offer LIST [--id ID]... [--download DIR]
                            fetch an offer that serve printed (resumes an interrupted file from Hato)

  hato doctor [common] [--to TARGET] [--wait 3s]
                            check why nobody shows up: port, interfaces, answers, firewall
  hato info  [common] --to TARGET [--json]
                            ask a peer its version and absence text; show what it can do
  hato history [common] [--peer P] [--since 7d] [--limit 100] [--json] [QUERY]
                            the profile's messages, newest first (QUERY: words, Japanese and Chinese too)

Common flags:
  --port N                  UDP and TCP port (default 2425)
  --bind ADDR               local IPv4 address to bind (default all)
  --nick S, --group S       what peers see
  --user S, --host S        login and host name in every packet (default: this machine's)
  --broadcast-addr A        extra destination for presence: IP[:PORT], CIDR or a.b.c.d-e (repeatable)
  --codepage C              charset for peers without UTF-8: cp932 (default), gbk or utf-8
  --profile DIR             this Hato's settings, keys and history (default: the app's own folder;
                            flags given with --profile are saved there)
  --require-encryption      never send in the clear: fail for peers that cannot be sent encrypted
  --fingerprint-name        user name user-<16 hex> from our key, which nobody else can use
  --use-master ADDR[:PORT]  be a member of that member master (port 2425): poll it and take the
                            host list of the whole site it signs (its key is pinned on first use)

When a Hato (the app or serve) runs for the profile, list, send, fetch and history are carried out
by it: its port, its names, its history.

Messages are encrypted (RSA2048+AES256 or RSA1024+Blowfish128) and signed whenever the peer can.

TARGET is IP[:PORT], user@host or a nickname.
`
