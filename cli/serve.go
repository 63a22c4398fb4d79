package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"hato/messenger"
	"hato/messenger/control"
	"hato/protocol"
	"hato/transfer"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return serveIn(ctx, localEnv("serve", args), args, stdout, stderr)
}

func serveIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("serve", e, stderr)
	openSealed := fs.Bool("open-sealed", false, "open sealed messages at once (the sender is told)")
	absent := fs.String("absent", "", "absence mode with this auto-reply text")
	getList := fs.Bool("get-list", false, "ask peers for their host lists at start (Windows' host-list exchange)")
	download := fs.String("download", "", "fetch every offered file and folder into this folder")
	keepNoLog := fs.Bool("keep-nolog", false, "also keep messages whose sender asked for no log (NOLOGOPT)")
	beMaster := fs.Bool("master", false, "be the site's member master: members on other subnets poll it and get everyone's list")
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	dir := e.path(*download)
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "hato serve: --download %s: not a folder\n", dir)
			return 2
		}
	}
	set := c.set
	if *keepNoLog {
		set.KeepNoLog = true
	}
	if *beMaster {
		set.BeMaster = true
		if err := set.Validate(); err != nil {
			fmt.Fprintf(stderr, "hato serve: --master: %v\n", err)
			return 2
		}
	}
	h, err := messenger.New(messenger.Config{Profile: c.dir, Settings: set, Logger: c.logger(stderr),
		ProgressEvery: time.Second, Commands: Remote})
	if errors.Is(err, messenger.ErrRunning) {
		// One Hato per profile: the running one (the app shows its window) stays the user's node.
		if cl, derr := control.Dial(c.dir); derr == nil {
			if aerr := cl.Activate(); aerr == nil {
				fmt.Fprintf(stderr, "hato serve: a Hato already runs for profile %s; its window was brought up\n", c.dir)
				return 1
			}
		}
		fmt.Fprintf(stderr, "hato serve: a Hato already runs for profile %s (use another --profile to run a second one)\n", c.dir)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "hato serve:", err)
		return 1
	}
	if *absent != "" {
		h.SetAbsence(*absent)
	}
	events, unsubscribe := h.Subscribe()
	defer unsubscribe()
	runCtx, stopHato := context.WithCancel(context.Background())
	defer stopHato()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(runCtx)
	}()
	<-h.Ready()
	out := newLineWriter(stdout)
	me := h.Me()
	out.write(jsonEvent{Event: "ready", Addr: h.Addr().String(),
		Host: &jsonHost{Addr: h.Addr().String(), User: me.User, Host: me.Host, Nick: me.Nick, Group: me.Group}})
	if *getList {
		if err := h.RequestHostList(); err != nil {
			out.write(jsonEvent{Event: "error", Error: err.Error()})
		}
	}
	var workers sync.WaitGroup
	fetching := make(chan struct{}, maxFetches)
	stopping := ctx.Done()
	for {
		select {
		case <-stopping:
			// Fetches end with the context; the Hato stops after them, so their last events get printed.
			stopping = nil
			go func() { workers.Wait(); stopHato() }()
		case ev, ok := <-events:
			if !ok {
				<-done
				out.write(jsonEvent{Event: "stopped"})
				return 0
			}
			printEvent(ev, out)
			m := ev.Message
			if ev.Kind != protocol.EventMessage || m == nil || ctx.Err() != nil {
				continue
			}
			if m.Sealed && *openSealed {
				workers.Go(func() { openReceipt(ctx, h, m, out) })
			}
			if len(ev.Images) > 0 {
				workers.Go(func() { fetchImages(ctx, h, m, ev.Images, dir, out) })
			}
			if dir != "" && len(ev.Files) > 0 {
				workers.Go(func() { fetchAll(ctx, h, m, ev.Files, dir, fetching) })
			}
		}
	}
}

// printEvent prints one event of the Hato as a JSON line.
func printEvent(ev messenger.Event, out *lineWriter) {
	switch ev.Kind {
	case messenger.EventTransfer:
		out.write(fromTransfer(*ev.Transfer))
	case messenger.EventKeys:
		if ev.Err != nil {
			out.write(jsonEvent{Event: "error", Error: ev.Err.Error()})
		} else {
			out.write(keysEvent(ev.Keys))
		}
	case messenger.EventError:
		out.write(jsonEvent{Event: "error", Error: ev.Err.Error()})
	case messenger.EventRestarted, protocol.EventActivate:
	default:
		out.write(fromEvent(ev))
	}
}

// maxFetches bounds the downloads that run at once (each holds buffers); further offers wait their turn.
const maxFetches = 4

// fetchAll fetches every attachment of m, one after another, holding one of the slots; each outcome
// is reported as a transfer event.
func fetchAll(ctx context.Context, h *messenger.Hato, m *protocol.Message, files []transfer.File, dir string, slots chan struct{}) {
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return
	}
	for _, file := range files {
		if ctx.Err() != nil {
			return
		}
		if file.Type() == transfer.TypeClipboard {
			continue // fetched into memory by fetchImages
		}
		h.Fetch(ctx, m, file, dir)
	}
}

// fetchImages fetches m's inline images into memory, as the Windows client does as soon as a message is
// shown, and prints an "image" event for each (saving it into dir when one is given).
func fetchImages(ctx context.Context, h *messenger.Hato, m *protocol.Message, images []transfer.Placed, dir string, out *lineWriter) {
	for _, img := range images {
		ev := jsonEvent{Event: "image", Packet: m.Packet, File: ptr(toJSONFile(img.File)), At: ptr(utf8.RuneCountInString(m.Text[:img.At]))}
		b, err := h.FetchImage(ctx, m, img.File)
		if err == nil && dir != "" {
			ev.Path, err = transfer.SaveImage(dir, img.File.Name, b)
		}
		if err != nil {
			ev.Event, ev.Error = "image-failed", err.Error()
		} else {
			cfg, _ := transfer.CheckPNG(b)
			sum := sha256.Sum256(b)
			ev.Bytes, ev.Width, ev.Height, ev.SHA256 = ptr(int64(len(b))), cfg.Width, cfg.Height, hex.EncodeToString(sum[:])
		}
		out.write(ev)
	}
}

func ptr[T any](v T) *T { return &v }

// openReceipt opens a sealed message and reports whether the sender confirmed the receipt.
func openReceipt(ctx context.Context, h *messenger.Hato, m *protocol.Message, out *lineWriter) {
	from := toJSONHost(m.From)
	if err := h.Open(ctx, m); err != nil {
		if ctx.Err() == nil {
			out.write(jsonEvent{Event: "open-failed", From: &from, Packet: m.Packet, Error: err.Error()})
		}
		return
	}
	out.write(jsonEvent{Event: "open-sent", From: &from, Packet: m.Packet})
}
