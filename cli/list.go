package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"hato/protocol"
)

func list(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("list", stderr)
	wait := fs.Duration("wait", 3*time.Second, "how long to collect answers")
	asJSON := fs.Bool("json", false, "print a JSON array")
	cfg, code, ok := c.parse(fs, args, stderr)
	if !ok {
		return code
	}
	cfg.EntryRepeat = 0
	node, err := listen(cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "hato list:", err)
		return 1
	}
	hosts := runFor(ctx, node, *wait)
	if *asJSON {
		out := make([]jsonHost, 0, len(hosts))
		for _, h := range hosts {
			out = append(out, toJSONHost(h))
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NICK\tGROUP\tUSER@HOST\tADDRESS\tSTATUS")
	for _, h := range hosts {
		status := "present"
		if h.Absent {
			status = "absent"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s@%s\t%s\t%s\n", h.DisplayName(), h.Group, h.User, h.Host, h.Addr, status)
	}
	tw.Flush()
	return 0
}

// runFor runs the node for d (or until ctx ends), then stops it and returns the hosts it learned.
func runFor(ctx context.Context, node *protocol.Node, d time.Duration) []protocol.Host {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(ctx, nil)
	}()
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	hosts := node.Hosts()
	cancel()
	<-done
	return hosts
}
