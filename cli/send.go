package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hato/protocol"
	"hato/transfer"
)

// flagGiven reports whether the flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func send(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	fs, c := newFlags("send", stderr)
	var targets stringList
	fs.Var(&targets, "to", "recipient: IP[:PORT], user@host or nickname (repeatable)")
	sealed := fs.Bool("sealed", false, "seal the message: the recipient opens it with a click and we are told")
	broadcast := fs.Bool("broadcast", false, "send to everyone (nobody acknowledges a broadcast)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long (with --file: 1h by default)")
	var paths stringList
	fs.Var(&paths, "file", "offer this file or folder (repeatable); serve until every recipient fetched it")
	expiry := fs.Duration("offer-expiry", transfer.DefaultExpiry, "refuse fetches of the offer after this long")
	var imagePaths stringList
	fs.Var(&imagePaths, "image", "put this PNG inside the message: PATH at the end of the text, or N:PATH after N characters (repeatable)")
	cfg, code, ok := c.parse(fs, args, stderr)
	if !ok {
		return code
	}
	text := strings.Join(fs.Args(), " ")
	switch {
	case text == "" && len(paths) == 0 && len(imagePaths) == 0:
		fmt.Fprintln(stderr, "hato send: no message text")
		return 2
	case len(targets) == 0 && !*broadcast:
		fmt.Fprintln(stderr, "hato send: give --to TARGET or --broadcast")
		return 2
	case (len(paths) > 0 || len(imagePaths) > 0) && *broadcast:
		fmt.Fprintln(stderr, "hato send: files and images go to --to recipients, not in a broadcast")
		return 2
	}
	images, err := readImages(text, imagePaths)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 2
	}
	var sources []transfer.Source
	if len(paths) > 0 {
		var err error
		if sources, err = transfer.Sources(paths); err != nil {
			fmt.Fprintln(stderr, "hato send:", err)
			return 2
		}
	}
	if len(paths)+len(images) > 0 && !flagGiven(fs, "timeout") {
		*timeout = time.Hour
	}
	cfg.EntryRepeat = 0
	if err := c.loadKeys(&cfg, true); err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	xfer := make(chan transfer.Event, 64)
	srv := transfer.NewServer(transfer.ServerConfig{Expiry: *expiry, Events: xfer, Logger: cfg.Logger})
	cfg.Files = srv
	node, err := listen(cfg, true)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	printed := printEach(xfer, func(ev transfer.Event) { printTransfer(ev, stdout, stderr) })
	// Runs after the node stopped (defers run last first): nothing emits any more.
	defer func() { close(xfer); printed() }()
	defer runInBackground(node)()

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
	opt := protocol.SendOptions{Sealed: *sealed}
	if len(sources)+len(images) > 0 {
		return sendFiles(ctx, node, srv, to, text, sources, images, opt, c, stdout, stderr)
	}
	no, deliveries, err := node.Send(ctx, to, text, opt)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	c.recordSent(no, text, opt, nil, nil, deliveries, stderr)
	if reportDeliveries(deliveries, stdout, stderr) {
		return 0
	}
	return 1
}

// reportDeliveries prints who acknowledged and who did not; it reports whether everyone did.
func reportDeliveries(deliveries []protocol.Delivery, stdout, stderr io.Writer) bool {
	var failed []string
	for _, d := range deliveries {
		if d.Err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s): %v", d.Host.DisplayName(), d.Host.Addr, d.Err))
		} else {
			how := "in the clear"
			if d.Cipher != "" {
				how = "encrypted " + d.Cipher
				if d.Signed {
					how += ", signed"
				}
			}
			fmt.Fprintf(stdout, "delivered to %s (%s), %s\n", d.Host.DisplayName(), d.Host.Addr, how)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(stderr, "hato send: not delivered to", strings.Join(failed, "; "))
		return false
	}
	return true
}

// sendFiles offers sources with the message and serves them until every recipient fetched them (or
// released the offer), printing each file served; it exits 1 if the message or a fetch did not get
// through before the timeout.
func sendFiles(ctx context.Context, node *protocol.Node, srv *transfer.Server, to []protocol.Host, text string,
	sources []transfer.Source, images []transfer.InlineImage, opt protocol.SendOptions, c *common, stdout, stderr io.Writer) int {
	no, deliveries, err := transfer.SendMessage(ctx, node, srv, to, text, sources, images, opt)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	c.recordSent(no, text, opt, sources, images, deliveries, stderr)
	delivered := reportDeliveries(deliveries, stdout, stderr)
	if err := srv.Wait(ctx, no); err != nil {
		fmt.Fprintln(stderr, "hato send: not every recipient fetched the files:", err)
		return 1
	}
	if !delivered {
		return 1
	}
	return 0
}

// readImages reads --image arguments: PATH (at the end of the text) or N:PATH (after N characters), each a
// PNG Hato would accept itself.
func readImages(text string, args []string) ([]transfer.InlineImage, error) {
	if len(args) > transfer.MaxInlineImages {
		return nil, fmt.Errorf("--image: %d images, at most %d in one message", len(args), transfer.MaxInlineImages)
	}
	out := make([]transfer.InlineImage, 0, len(args))
	runes := utf8.RuneCountInString(text)
	for _, a := range args {
		at, path := len(text), a
		if n, p, ok := strings.Cut(a, ":"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			k, err := strconv.Atoi(n)
			if err != nil || k > runes {
				return nil, fmt.Errorf("--image %s: position %s is past the text's %d characters", a, n, runes)
			}
			at, path = byteIndex(text, k), p
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--image: %w", err)
		}
		if _, err := transfer.CheckPNG(b); err != nil {
			return nil, fmt.Errorf("--image %s: %w", path, err)
		}
		out = append(out, transfer.InlineImage{At: at, PNG: b})
	}
	return out, nil
}

// byteIndex is the byte offset of the k-th character of s.
func byteIndex(s string, k int) int {
	for i := range s {
		if k == 0 {
			return i
		}
		k--
	}
	return len(s)
}

// printTransfer prints one file-server event as a line: served and released on stdout, the rest on stderr.
func printTransfer(ev transfer.Event, stdout, stderr io.Writer) {
	who := fmt.Sprintf("%s (%s)", ev.Host.DisplayName(), ev.Addr)
	switch ev.Kind {
	case transfer.EventServed:
		fmt.Fprintf(stdout, "served %s to %s: %d bytes\n", ev.File.Name, who, ev.Bytes)
	case transfer.EventReleased:
		fmt.Fprintf(stdout, "%s declined the files\n", who)
	case transfer.EventServeFailed:
		fmt.Fprintf(stderr, "hato send: serving %s to %s failed (it may ask again): %v\n", ev.File.Name, who, ev.Err)
	case transfer.EventRefused:
		fmt.Fprintf(stderr, "hato send: refused a request from %s: %v\n", who, ev.Err)
	}
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

// resolveAll resolves every target; complete means each one matched a host that announced itself with
// an entry packet.
func resolveAll(node *protocol.Node, targets []string) ([]protocol.Host, error, bool) {
	known := node.Hosts()
	out := make([]protocol.Host, 0, len(targets))
	complete := true
	for _, t := range targets {
		h, err := protocol.ResolveTarget(known, t, node.PeerPort())
		if err != nil {
			return nil, err, false
		}
		// Known from an entry packet (its options say how to write to it and whether it is Hato), not
		// merely from another packet of its.
		if h.User == "" || h.Caps == 0 {
			complete = false
		}
		out = append(out, h)
	}
	return out, nil, complete
}
