package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"hato/messenger"
	"hato/protocol"
)

func list(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return listIn(ctx, localEnv("list", args), args, stdout, stderr)
}

func listIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("list", e, stderr)
	wait := fs.Duration("wait", 3*time.Second, "how long to collect answers")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	h, stop, code, done := c.hato(ctx, messenger.Config{Tune: shortLived}, stdout, stderr)
	if done {
		return code
	}
	defer stop()
	<-h.Ready()
	var hosts []protocol.Host
	if e.running != nil {
		// A running Hato knows the LAN already; it asks again and lists who answered, as a new node would.
		var err error
		if hosts, err = h.Refresh(ctx, *wait); err != nil {
			fmt.Fprintln(stderr, "hato list:", err)
			return 1
		}
	} else {
		select {
		case <-ctx.Done():
		case <-time.After(*wait):
		}
		hosts = h.Hosts()
	}
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
