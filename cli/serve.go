package cli

import (
	"context"
	"fmt"
	"io"
	"sync"

	"hato/protocol"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("serve", stderr)
	openSealed := fs.Bool("open-sealed", false, "open sealed messages at once (the sender is told)")
	absent := fs.String("absent", "", "absence mode with this auto-reply text")
	getList := fs.Bool("get-list", false, "ask peers for their host lists at start (Windows' host-list exchange)")
	cfg, code, ok := c.parse(fs, args, stderr)
	if !ok {
		return code
	}
	if *absent != "" {
		cfg.Absent, cfg.AbsenceText = true, *absent
	}
	node, err := listen(cfg, false)
	if err != nil {
		fmt.Fprintln(stderr, "hato serve:", err)
		return 1
	}
	out := newLineWriter(stdout)
	events := make(chan protocol.Event, 64)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var receipts sync.WaitGroup
	defer receipts.Wait()
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(ctx, events)
	}()
	<-node.Ready()
	out.write(jsonEvent{Event: "ready", Addr: node.Addr().String()})
	if *getList {
		if err := node.RequestHostList(); err != nil {
			out.write(jsonEvent{Event: "error", Error: err.Error()})
		}
	}
	for {
		select {
		case <-done:
			out.write(jsonEvent{Event: "stopped"})
			return 0
		case ev := <-events:
			out.write(fromEvent(ev))
			if m := ev.Message; m != nil && m.Sealed && *openSealed {
				receipts.Go(func() { openReceipt(ctx, node, m, out) })
			}
		}
	}
}

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
