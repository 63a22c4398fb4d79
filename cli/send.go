package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hato/messenger"
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
	return sendIn(ctx, localEnv("send", args), args, stdout, stderr)
}

func sendIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	fs, c := newFlags("send", e, stderr)
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
	if code, ok := c.parse(args, stderr); !ok {
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
	for i := range imagePaths {
		if n, p, ok := strings.Cut(imagePaths[i], ":"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			imagePaths[i] = n + ":" + e.path(p)
		} else {
			imagePaths[i] = e.path(imagePaths[i])
		}
	}
	images, err := readImages(text, imagePaths)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 2
	}
	var sources []transfer.Source
	if len(paths) > 0 {
		for i := range paths {
			paths[i] = e.path(paths[i])
		}
		var err error
		if sources, err = transfer.Sources(paths); err != nil {
			fmt.Fprintln(stderr, "hato send:", err)
			return 2
		}
	}
	if len(paths)+len(images) > 0 && !flagGiven(fs, "timeout") {
		*timeout = time.Hour
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	h, stop, code, done := c.hato(ctx, messenger.Config{KeysFirst: true, OfferExpiry: *expiry, Tune: shortLived}, stdout, stderr)
	if done {
		return code
	}
	defer stop()

	if *broadcast {
		if err := h.Broadcast(text); err != nil {
			fmt.Fprintln(stderr, "hato send:", err)
			return 1
		}
		if len(targets) == 0 {
			return 0
		}
	}
	to, err := h.Resolve(ctx, targets, 3*time.Second)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	o := messenger.Outgoing{To: to, Text: text, Options: protocol.SendOptions{Sealed: *sealed}, Sources: sources, Images: images}
	if len(sources)+len(images) > 0 {
		return sendFiles(ctx, h, o, stdout, stderr)
	}
	sent, err := h.Send(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	if reportDeliveries(sent.Deliveries, stdout, stderr) {
		return 0
	}
	return 1
}

// shortLived tunes the node of a command that runs only while it works: no second BR_ENTRY.
func shortLived(cfg *protocol.Config) { cfg.EntryRepeat = 0 }

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
		if d.Lost != "" {
			fmt.Fprintf(stderr, "hato send: warning: %s (%s) reads only its legacy code page, which cannot hold %s: sent as '?'\n",
				d.Host.DisplayName(), d.Host.Addr, quoteRunes(d.Lost))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintln(stderr, "hato send: not delivered to", strings.Join(failed, "; "))
		return false
	}
	return true
}

// quoteRunes lists characters for a warning: "你", "😀".
func quoteRunes(s string) string {
	var q []string
	for _, r := range s {
		q = append(q, strconv.Quote(string(r)))
	}
	return strings.Join(q, ", ")
}

// sendFiles offers files (and pictures) with the message and serves them until every recipient fetched
// them (or released the offer), printing each file served; it exits 1 if the message or a fetch did not
// get through before the timeout.
func sendFiles(ctx context.Context, h *messenger.Hato, o messenger.Outgoing, stdout, stderr io.Writer) int {
	o.Options.Packet = h.NextPacket()
	events, unsubscribe := h.Subscribe()
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for ev := range events {
			if ev.Kind == messenger.EventTransfer && ev.Packet == o.Options.Packet {
				printTransfer(*ev.Transfer, stdout, stderr)
			}
		}
	}()
	// What was served reaches the output before the verdict.
	defer func() { unsubscribe(); <-printed }()
	sent, err := h.Send(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "hato send:", err)
		return 1
	}
	delivered := reportDeliveries(sent.Deliveries, stdout, stderr)
	err = h.WaitFetched(ctx, sent.Packet)
	h.FlushTransfers()
	if err != nil {
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
		how := "in the clear"
		if ev.Encrypted {
			how = "encrypted"
		}
		fmt.Fprintf(stdout, "served %s to %s: %d bytes, %s\n", ev.File.Name, who, ev.Bytes, how)
	case transfer.EventReleased:
		fmt.Fprintf(stdout, "%s declined the files\n", who)
	case transfer.EventServeFailed:
		fmt.Fprintf(stderr, "hato send: serving %s to %s failed (it may ask again): %v\n", ev.File.Name, who, ev.Err)
	case transfer.EventRefused:
		fmt.Fprintf(stderr, "hato send: refused a request from %s: %v\n", who, ev.Err)
	}
}
