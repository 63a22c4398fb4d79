// Package ui is Hato's desktop app. It is the only package that imports Fyne; the node it drives lives in
// protocol and knows nothing of windows.
package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"hato/assets"
	"hato/protocol"
)

// AppID names the app to the OS and keys its preferences.
const AppID = "io.github.hato.messenger"

// Run opens the main window on a running node and returns when the window closes; the node then says
// goodbye to the LAN.
func Run(cfg protocol.Config) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	keyDir := a.Storage().RootURI().Path()
	k, err := protocol.LoadKeys(keyDir)
	firstStart := errors.Is(err, fs.ErrNotExist)
	switch {
	case err == nil:
		cfg.Keys = k
	case !firstStart:
		// Damaged keys are kept for the user to look at; messages go in the clear meanwhile.
		slog.Error("keys unusable, encryption off", "err", err)
	}
	node, err := protocol.Listen(cfg)
	if err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	w := a.NewWindow("Hato")
	hosts := newHostList()
	w.SetContent(hosts.content)
	w.Resize(fyne.NewSize(480, 560))
	w.SetMaster()

	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan protocol.Event, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		node.Run(ctx, events)
	}()
	var keygen sync.WaitGroup
	if firstStart {
		// First start: the keys take a second to make, the window does not wait for them.
		keygen.Go(func() {
			k, _, err := protocol.LoadOrCreateKeys(keyDir)
			if err != nil {
				slog.Error("keys", "err", err)
				return
			}
			node.SetKeys(k)
		})
	}
	go func() {
		for {
			select {
			case <-done:
				return
			case ev := <-events:
				fyne.Do(func() { hosts.apply(ev) })
			}
		}
	}()
	w.ShowAndRun()
	cancel()
	<-done
	keygen.Wait()
	return nil
}
