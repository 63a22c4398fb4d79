package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"hato/messenger"
	"hato/protocol"
	"hato/protocol/wire"
	"hato/transfer"
)

// fetch downloads attachments of an offer that `hato serve` printed (its packet and offer fields), for
// instance to resume a download that was interrupted.
func fetch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return fetchIn(ctx, localEnv("fetch", args), args, stdout, stderr)
}

func fetchIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("fetch", e, stderr)
	from := fs.String("from", "", "the sender: IP[:PORT], user@host or nickname")
	packet := fs.Uint("packet", 0, "the offer's packet number (the message event's packet)")
	offer := fs.String("offer", "", "the attachment list (the message event's offer)")
	dir := fs.String("download", ".", "folder to save into")
	var ids stringList
	fs.Var(&ids, "id", "fetch only this file id (repeatable; default all)")
	timeout := fs.Duration("timeout", time.Hour, "give up after this long")
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	if *from == "" || *packet == 0 || *packet > 1<<32-1 || *offer == "" {
		fmt.Fprintln(stderr, "hato fetch: give --from, --packet and --offer")
		return 2
	}
	files, err := transfer.ParseFileList(*offer)
	if err != nil {
		fmt.Fprintln(stderr, "hato fetch: --offer:", err)
		if len(files) == 0 {
			return 2
		}
	}
	files = pick(files, ids)
	if len(files) == 0 {
		fmt.Fprintln(stderr, "hato fetch: no file of the offer matches --id")
		return 2
	}
	*dir = e.path(*dir)
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "hato fetch: --download %s: not a folder\n", *dir)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	h, stop, code, done := c.hato(ctx, messenger.Config{Tune: shortLived, ProgressEvery: time.Second}, stdout, stderr)
	if done {
		return code
	}
	defer stop()

	// The sender's entry tells whether it is Hato (resume) and whether it reads UTF-8.
	hosts, err := h.Resolve(ctx, []string{*from}, 3*time.Second)
	if err != nil {
		fmt.Fprintln(stderr, "hato fetch:", err)
		return 1
	}
	sender := hosts[0]
	m := &protocol.Message{Packet: uint32(*packet), From: sender, Files: *offer}
	if sender.Caps.Has(wire.CapUTF8Opt) {
		m.Cmd |= wire.UTF8Opt
	}
	out := newLineWriter(stdout)
	events, unsubscribe := h.Subscribe()
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for ev := range events {
			if t := ev.Transfer; t != nil && t.Packet == m.Packet && t.Addr == sender.Addr && fetchEvent(t.Kind) {
				out.write(fromTransfer(*t))
			}
		}
	}()
	failed := 0
	for _, file := range files {
		if _, err := h.Fetch(ctx, m, file, *dir); err != nil {
			failed++
		}
	}
	h.FlushTransfers()
	unsubscribe()
	<-printed
	if failed > 0 {
		fmt.Fprintf(stderr, "hato fetch: %d of %d failed\n", failed, len(files))
		return 1
	}
	return 0
}

// pick keeps the files whose ids are listed (all when none are).
func pick(files []transfer.File, ids []string) []transfer.File {
	if len(ids) == 0 {
		return files
	}
	var out []transfer.File
	for _, f := range files {
		for _, id := range ids {
			if id == fmt.Sprint(f.ID) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// fetchEvent reports whether a transfer event is a fetch's (not our file server's).
func fetchEvent(k transfer.EventKind) bool {
	return k == transfer.EventProgress || k == transfer.EventSaved || k == transfer.EventFetchFailed
}
