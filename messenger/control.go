package messenger

import (
	"context"
	"errors"
	"fmt"
	"io"

	"hato/protocol"
)

// handler carries out what arrives on the profile's control endpoint, on this Hato.
type handler struct{ h *Hato }

func (c handler) Run(ctx context.Context, args []string, cwd string, stdout, stderr io.Writer) int {
	if c.h.cfg.Commands == nil {
		fmt.Fprintln(stderr, "hato: this Hato takes no commands")
		return 2
	}
	// The command ends with the Hato, or when its caller hangs up.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.h.ctx, cancel)
	defer stop()
	return c.h.cfg.Commands(ctx, c.h, args, cwd, stdout, stderr)
}

// Activate shows the window of an app started a second time; a Hato without one says so.
func (c handler) Activate() error {
	if !c.h.cfg.Window {
		return errors.New("this Hato has no window (it runs headless)")
	}
	c.h.events.publish(Event{Event: protocol.Event{Kind: protocol.EventActivate}})
	return nil
}
