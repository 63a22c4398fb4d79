package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"hato/protocol"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func send(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("send", stderr)
	var targets stringList
	fs.Var(&targets, "to", "recipient: IP[:PORT], user@host or nickname (repeatable)")
	sealed := fs.Bool("sealed", false, "seal the message: the recipient opens it with a click and we are told")
	broadcast := fs.Bool("broadcast", false, "send to everyone (nobody acknowledges a broadcast)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	cfg, code, ok := c.parse(fs, args, stderr)
	if !ok {
		return code
	}
	text := strings.Join(fs.Args(), " ")
	switch {
	case text == "":
		fmt.Fprintln(stderr, "hato send: no message text")
		return 2
	case len(targets) == 0 && !*broadcast:
		fmt.Fprintln(stderr, "hato send: give --to TARGET or --broadcast")
		return 2
	}
	cfg.EntryRepeat = 0
	node, err := listen(cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	runCtx, stopNode := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(runCtx, nil)
	}()
	defer func() { stopNode(); <-done }()

	if *broadcast {
		if err := node.Broadcast(text); err != nil {
			fmt.Fprintln(stderr, "hato send:", err)
			return 1
		}
		if len(targets) == 0 {
			return 0
		}
	}
	to, err := resolve(ctx, node, targets)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	_, deliveries, err := node.Send(ctx, to, text, protocol.SendOptions{Sealed: *sealed})
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	var failed []string
	for _, d := range deliveries {
		if d.Err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s): %v", d.Host.DisplayName(), d.Host.Addr, d.Err))
		} else {
			fmt.Fprintf(stdout, "delivered to %s (%s)\n", d.Host.DisplayName(), d.Host.Addr)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(stderr, "hato send: not delivered to", strings.Join(failed, "; "))
		return 1
	}
	return 0
}

// resolve waits (up to 3 s of the timeout) for the targets to answer our BR_ENTRY, so that names resolve
// and known peers get their own charset; bare IPs that stay silent are sent to anyway.
func resolve(ctx context.Context, node *protocol.Node, targets []string) ([]protocol.Host, error) {
	deadline := time.Now().Add(3 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		hosts, err, complete := resolveAll(node, targets)
		if complete || time.Now().After(deadline) {
			return hosts, err
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return hosts, errors.Join(errors.New("resolving recipients"), err)
		case <-tick.C:
		}
	}
}

// resolveAll resolves every target; complete means each one matched a host that announced itself.
func resolveAll(node *protocol.Node, targets []string) ([]protocol.Host, error, bool) {
	known := node.Hosts()
	out := make([]protocol.Host, 0, len(targets))
	complete := true
	for _, t := range targets {
		h, err := protocol.ResolveTarget(known, t, node.PeerPort())
		if err != nil {
			return nil, err, false
		}
		if h.User == "" {
			complete = false
		}
		out = append(out, h)
	}
	return out, nil, complete
}
