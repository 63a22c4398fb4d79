package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"hato/protocol"
	"hato/transfer"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("serve", stderr)
	openSealed := fs.Bool("open-sealed", false, "open sealed messages at once (the sender is told)")
	absent := fs.String("absent", "", "absence mode with this auto-reply text")
	getList := fs.Bool("get-list", false, "ask peers for their host lists at start (Windows' host-list exchange)")
	download := fs.String("download", "", "fetch every offered file and folder into this folder")
	keepNoLog := fs.Bool("keep-nolog", false, "with --profile, also keep messages whose sender asked for no log (NOLOGOPT)")
	cfg, code, ok := c.parse(fs, args, stderr)
	if !ok {
		return code
	}
	if *absent != "" {
		cfg.Absent, cfg.AbsenceText = true, *absent
	}
	if *download != "" {
		if fi, err := os.Stat(*download); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "hato serve: --download %s: not a folder\n", *download)
			return 2
		}
	}
	if err := c.loadKeys(&cfg, false); err != nil {
		fmt.Fprintln(stderr, "hato serve:", err)
		return 1
	}
	// With a profile every message is stored before it is acknowledged. A history that cannot be opened
	// (damaged, locked) is reported; messages still arrive, not saved.
	st, histErr := c.openHistory()
	if histErr != nil {
		fmt.Fprintln(stderr, "hato serve:", histErr, "(messages will not be saved)")
	} else if st != nil {
		defer st.Close()
	}
	if c.profile != "" {
		recordInto(&cfg, st, histErr)
		cfg.RecordNoLog = *keepNoLog
	}
	xfer := make(chan transfer.Event, 64)
	cfg.Files = transfer.NewServer(transfer.ServerConfig{Events: xfer, Logger: cfg.Logger})
	cfg.InlineImages = true
	node, err := listen(cfg, false)
	if err != nil {
		fmt.Fprintln(stderr, "hato serve:", err)
		return 1
	}
	fetcher := &transfer.Fetcher{Node: node, Dir: *download, Events: xfer, ProgressEvery: time.Second}
	fetching := make(chan struct{}, maxFetches)
	out := newLineWriter(stdout)
	events := make(chan protocol.Event, 64)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var workers sync.WaitGroup
	defer workers.Wait()
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(ctx, events)
	}()
	<-node.Ready()
	me := node.Config()
	out.write(jsonEvent{Event: "ready", Addr: node.Addr().String(),
		Host: &jsonHost{Addr: node.Addr().String(), User: me.User, Host: me.Host, Nick: me.Nick, Group: me.Group}})
	if me.Keys != nil {
		out.write(keysEvent(me.Keys))
	} else {
		workers.Go(func() {
			k, err := c.makeKeys(node)
			if err != nil {
				out.write(jsonEvent{Event: "error", Error: err.Error()})
				return
			}
			out.write(keysEvent(k))
		})
	}
	if *getList {
		if err := node.RequestHostList(); err != nil {
			out.write(jsonEvent{Event: "error", Error: err.Error()})
		}
	}
	for {
		select {
		case <-done:
			// Fetches end with the context; their last events still get printed.
			go func() { workers.Wait(); close(xfer) }()
			for ev := range xfer {
				out.write(fromTransfer(ev))
			}
			out.write(jsonEvent{Event: "stopped"})
			return 0
		case ev := <-xfer:
			out.write(fromTransfer(ev))
		case ev := <-events:
			out.write(fromEvent(ev))
			m := ev.Message
			if m != nil && m.Sealed && *openSealed {
				if st != nil && m.RecordID != 0 {
					if err := st.SetOpened(m.RecordID); err != nil {
						out.write(jsonEvent{Event: "error", Error: "history: " + err.Error()})
					}
				}
				workers.Go(func() { openReceipt(ctx, node, m, out) })
			}
			if m != nil && m.Files != "" {
				images := inlineImages(m)
				if len(images) > 0 {
					workers.Go(func() { fetchImages(ctx, fetcher, m, images, *download, out) })
				}
				if *download != "" {
					workers.Go(func() { fetchAll(ctx, fetcher, m, fetching) })
				}
			}
		}
	}
}

// maxFetches bounds the downloads that run at once (each holds buffers); further offers wait their turn.
const maxFetches = 4

// fetchAll fetches every attachment of m, one after another, holding one of the slots; the fetcher
// reports each outcome.
func fetchAll(ctx context.Context, f *transfer.Fetcher, m *protocol.Message, slots chan struct{}) {
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return
	}
	files, _ := transfer.ParseFileList(m.Files) // malformed entries were reported with the message
	for _, file := range files {
		if ctx.Err() != nil {
			return
		}
		if file.Type() == transfer.TypeClipboard {
			continue // fetched into memory by fetchImages
		}
		f.Fetch(ctx, m, file)
	}
}

// inlineImages are m's pictures placed in its text (at most transfer.MaxInlineImages).
func inlineImages(m *protocol.Message) []transfer.Placed {
	files, _ := transfer.ParseFileList(m.Files)
	return transfer.PlaceImages(m.Text, files)
}

// fetchImages fetches m's inline images into memory, as the Windows client does as soon as a message is
// shown, and prints an "image" event for each (saving it into dir when one is given).
func fetchImages(ctx context.Context, f *transfer.Fetcher, m *protocol.Message, images []transfer.Placed, dir string, out *lineWriter) {
	for _, img := range images {
		ev := jsonEvent{Event: "image", Packet: m.Packet, File: ptr(toJSONFile(img.File)), At: ptr(utf8.RuneCountInString(m.Text[:img.At]))}
		b, err := f.FetchImage(ctx, m, img.File)
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
func openReceipt(ctx context.Context, node *protocol.Node, m *protocol.Message, out *lineWriter) {
	from := toJSONHost(m.From)
	if err := node.Open(ctx, m); err != nil {
		if ctx.Err() == nil {
			out.write(jsonEvent{Event: "open-failed", From: &from, Packet: m.Packet, Error: err.Error()})
		}
		return
	}
	out.write(jsonEvent{Event: "open-sent", From: &from, Packet: m.Packet})
}
