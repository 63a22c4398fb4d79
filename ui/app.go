// Package ui is Hato's desktop app. It is the only package that imports Fyne; the node it drives lives in
// protocol and knows nothing of windows.
package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"hato/assets"
	"hato/protocol"
)

// AppID names the app to the OS and keys its preferences.
const AppID = "io.github.hato.messenger"

// Run opens the main window on a running node and returns when the app quits; the node then says
// goodbye to the LAN.
func Run(base protocol.Config) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	keyDir := a.Storage().RootURI().Path()
	k, err := protocol.LoadKeys(keyDir)
	firstStart := errors.Is(err, fs.ErrNotExist)
	switch {
	case err == nil:
		base.Keys = k
	case !firstStart:
		// Damaged keys are kept for the user to look at; messages go in the clear meanwhile.
		slog.Error("keys unusable, encryption off", "err", err)
	}
	set := loadSettings(a.Preferences())
	if firstStart && set.FingerprintName {
		// The user name carries the key's fingerprint: the node cannot start without keys.
		if base.Keys, _, err = protocol.LoadOrCreateKeys(keyDir); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		firstStart = false
	}
	s, err := newSession(a, base, set, nil)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if firstStart {
		s.makeKeys(keyDir)
	}
	main := newMainWindow(s)
	s.onEvent = main.onEvent
	main.window.SetMaster()
	main.window.ShowAndRun()
	s.close()
	return nil
}

// makeKeys makes our keys on a first start without holding up the window, keeps them in dir and gives
// them to the node.
func (s *session) makeKeys(dir string) {
	s.work.Go(func() {
		k, _, err := protocol.LoadOrCreateKeys(dir)
		if err != nil {
			s.log.Error("keys", "err", err)
			return
		}
		s.do(func() {
			s.base.Keys = k
			s.node.SetKeys(k)
		})
	})
}
