package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"hato/messenger"
)

// doctor checks what keeps peers from showing up: the port, the interfaces and broadcasts, whether
// anyone answers, the firewall, and with --to a GETINFO round trip. One line per check; exit 1 when one
// fails.
func doctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return doctorIn(ctx, localEnv("doctor", args), args, stdout, stderr)
}

func doctorIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("doctor", e, stderr)
	to := fs.String("to", "", "also send GETINFO to this peer (IP[:PORT], user@host or nickname) and time the answer")
	wait := fs.Duration("wait", 3*time.Second, "how long to wait for peers to answer")
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	port := c.set.Port
	if port == 0 {
		port = 2425
	}
	var checks []messenger.Check
	if e.running == nil {
		if code, ok := c.forward(ctx, stdout, stderr); ok {
			return code // the running Hato has the port: it runs the checks
		}
		checks = append(checks, messenger.PortCheck(port, false))
	} else {
		checks = append(checks, messenger.PortCheck(port, true))
	}
	h, stop, code, done := c.hato(ctx, messenger.Config{Tune: shortLived}, stdout, stderr)
	if done {
		return code
	}
	defer stop()
	checks = append(checks, h.Diagnose(ctx, *wait, *to)...)
	failed := 0
	for _, ch := range checks {
		mark := "ok  "
		if !ch.OK {
			mark, failed = "FAIL", failed+1
		}
		fmt.Fprintf(stdout, "%s %-10s %s\n", mark, ch.Name+":", ch.Detail)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
