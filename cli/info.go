package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"hato/messenger"
)

// info asks a peer about itself (GETINFO, GETABSENCEINFO) and prints that with what its entry said.
func info(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return infoIn(ctx, localEnv("info", args), args, stdout, stderr)
}

// jsonInfo is `hato info --json`.
type jsonInfo struct {
	Host         jsonHost `json:"host"`
	Addrs        []string `json:"addrs"`
	Charset      string   `json:"charset"`
	Capabilities []string `json:"capabilities"`
	Version      *string  `json:"version"` // null: the peer did not answer
	Absence      *string  `json:"absence"`
}

func infoIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("info", e, stderr)
	target := fs.String("to", "", "the peer: IP[:PORT], user@host or nickname")
	asJSON := fs.Bool("json", false, "print a JSON object")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	if *target == "" {
		fmt.Fprintln(stderr, "hato info: give --to TARGET")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	h, stop, code, done := c.hato(ctx, messenger.Config{Tune: shortLived}, stdout, stderr)
	if done {
		return code
	}
	defer stop()
	hosts, err := h.Resolve(ctx, []string{*target}, 3*time.Second)
	if err != nil {
		fmt.Fprintln(stderr, "hato info:", err)
		return 1
	}
	pi, err := h.AskPeer(ctx, hosts[0])
	if err != nil {
		fmt.Fprintln(stderr, "hato info:", err)
		return 1
	}
	out := jsonInfo{Host: toJSONHost(pi.Host), Charset: messenger.Charset(pi.Host, c.set.Codepage),
		Capabilities: messenger.Capabilities(pi.Host)}
	for _, a := range pi.Host.Addrs {
		out.Addrs = append(out.Addrs, a.String())
	}
	if out.Addrs == nil {
		out.Addrs = []string{pi.Host.Addr.String()}
	}
	if pi.Version != "" || !slices.Contains(pi.Missing, "version") {
		out.Version = &pi.Version
	}
	if pi.Absence != "" || !slices.Contains(pi.Missing, "absence") {
		out.Absence = &pi.Absence
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	answer := func(s *string) string {
		if s == nil {
			return "(no answer)"
		}
		return *s
	}
	fmt.Fprintf(stdout, "nick:         %s\ngroup:        %s\nuser@host:    %s@%s\naddresses:    %s\ncharset:      %s\n"+
		"capabilities: %s\nversion:      %s\nabsence:      %s\n", pi.Host.DisplayName(), pi.Host.Group, pi.Host.User, pi.Host.Host,
		strings.Join(out.Addrs, ", "), out.Charset, strings.Join(out.Capabilities, ", "), answer(out.Version), answer(out.Absence))
	return 0
}
