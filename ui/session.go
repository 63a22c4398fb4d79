package ui

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"hato/history"
	"hato/internal/autostart"
	"hato/messenger"
	"hato/protocol"
	"hato/transfer"
)

// session is the windows' side of the running Hato (package messenger): it pumps the Hato's events
// onto the UI goroutine (through fyne.Do) and runs the Hato's slow operations on goroutines it owns
// and waits for in close. It holds no network state of its own.
type session struct {
	app  fyne.App
	do   func(func()) // runs a function on the UI goroutine: fyne.Do, or the tests' queue
	h    *messenger.Hato
	set  settings // what the settings window shows; the Hato runs with set.core()
	log  *slog.Logger
	hist *history.Store // every message sent and received; nil when it could not be opened

	ctx    context.Context // ends when the app quits
	cancel context.CancelFunc
	work   sync.WaitGroup // goroutines started for the UI (sends, fetches, searches)
	ran    chan struct{}  // closed when the Hato's Run and the event pump have ended

	keys func() *protocol.Keys // our keys, nil while they are being made
	// login is what starts at login when the user asks for it (the running program, --minimized);
	// an empty Exe leaves the setting off.
	login autostart.Entry

	// Handlers for what the Hato reports, set by the windows; called on the UI goroutine.
	onEvent    func(protocol.Event)
	onTransfer func(transfer.Event)
	onBatchEnd func() // after each batch of events: the windows redraw what changed
}

// newSession starts a Hato with cfg and the settings. do runs functions on the UI goroutine; nil means
// fyne.Do.
func newSession(a fyne.App, cfg messenger.Config, set settings, do func(func())) (*session, error) {
	if err := set.validate(); err != nil {
		return nil, err
	}
	if do == nil {
		do = fyne.Do
	}
	cfg.Settings, cfg.Window = set.core(), true
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h, err := messenger.New(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{app: a, do: do, h: h, set: set, log: cfg.Logger, ctx: ctx, cancel: cancel, ran: make(chan struct{}),
		keys: h.Keys, onEvent: func(protocol.Event) {}, onTransfer: func(transfer.Event) {}, onBatchEnd: func() {}}
	s.hist, _ = h.History()
	events, _ := h.Subscribe()
	var wg sync.WaitGroup
	wg.Go(func() { h.Run(ctx) })
	wg.Go(func() { s.pump(events) })
	go func() { wg.Wait(); close(s.ran) }()
	<-h.Ready()
	return s, nil
}

// maxBatch bounds the events handed to the windows in one go.
const maxBatch = 1024

// pump hands the Hato's events to the windows in batches: it waits until the UI goroutine has taken
// one batch, and whatever arrived meanwhile makes the next, so that 1,000 peers answering a BR_ENTRY
// cost a few table updates, not 1,000. Once the app quits it only drains the stream.
func (s *session) pump(events <-chan messenger.Event) {
	for ev := range events {
		if s.ctx.Err() != nil {
			continue
		}
		batch := []messenger.Event{ev}
	more:
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					break more
				}
				batch = append(batch, ev)
			default:
				break more
			}
		}
		taken := make(chan struct{})
		s.do(func() { s.dispatch(batch); close(taken) })
		select {
		case <-taken:
		case <-s.ctx.Done():
		}
	}
}

// dispatch hands a batch of events to the windows, in order; the host list is redrawn once per batch.
func (s *session) dispatch(batch []messenger.Event) {
	for _, ev := range batch {
		s.dispatchOne(ev)
	}
	s.onBatchEnd()
}

func (s *session) dispatchOne(ev messenger.Event) {
	switch ev.Kind {
	case messenger.EventTransfer:
		s.onTransfer(*ev.Transfer)
	case messenger.EventKeys, messenger.EventRestarted:
		if ev.Err != nil {
			s.log.Error("keys", "err", ev.Err)
		}
	case messenger.EventError:
		s.log.Warn("hato", "err", ev.Err)
	default:
		s.onEvent(ev.Event)
	}
}

// applySettings puts new settings to work: nick, group and downloads at once, the rest through a new
// node (peers see us leave and come back). Nothing is saved when the new settings cannot start.
func (s *session) applySettings(t settings) error {
	if err := t.validate(); err != nil {
		return err
	}
	// Over the Hato's settings as they are now: the node may have changed some (the master's key).
	if err := s.h.Apply(t.coreOver(s.h.Settings())); err != nil {
		if se, ok := errors.AsType[*messenger.SettingError](err); ok {
			return &settingError{Field: uiField(se.Field), Err: se.Err} // under the field to change
		}
		return err
	}
	s.set = t
	t.save(s.app.Preferences())
	return nil
}

// setStartAtLogin registers Hato to start at login, or removes that, when it changes.
func (s *session) setStartAtLogin(on bool) error {
	was, _ := autostart.Enabled()
	switch {
	case on == was:
		return nil
	case on:
		return autostart.Enable(s.login)
	}
	return autostart.Disable()
}

// setAbsence turns absence mode on with text, or off with "".
func (s *session) setAbsence(text string) { s.h.SetAbsence(text) }

// absence is the current absence text, "" when present.
func (s *session) absence() string { return s.h.Absence() }

// sent is the outcome of one send: who got it, who did not (and why), or why nothing was sent.
type sent struct {
	Packet     uint32
	Deliveries []protocol.Delivery
	Err        error
}

// send sends text with images inside it (and offers paths) to hosts on a goroutine, then calls done on
// the UI goroutine.
func (s *session) send(to []protocol.Host, text string, opt protocol.SendOptions, paths []string,
	images []transfer.InlineImage, done func(sent)) {
	s.work.Go(func() {
		var r sent
		sources, err := transfer.Sources(paths)
		if err != nil {
			r.Err = err
		} else {
			var out messenger.Sent
			out, r.Err = s.h.Send(s.ctx, messenger.Outgoing{To: to, Text: text, Options: opt, Sources: sources, Images: images})
			r.Packet, r.Deliveries = out.Packet, out.Deliveries
		}
		s.do(func() { done(r) })
	})
}

// fetch downloads one attachment of m into the download folder; cancel stops it. done runs on the UI
// goroutine with where it was saved, or the error; progress arrives as transfer events.
func (s *session) fetch(m *protocol.Message, f transfer.File, done func(saved string, err error)) (cancel func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	dir := s.set.DownloadDir
	s.work.Go(func() {
		defer cancel()
		paths, err := s.h.Fetch(ctx, m, f, dir)
		s.do(func() { done(messenger.SavedPath(dir, f, paths), err) })
	})
	return cancel
}

// open tells the sender its sealed message was opened (READMSG, resent until ANSREADMSG).
func (s *session) open(m *protocol.Message) {
	s.work.Go(func() {
		if err := s.h.Open(s.ctx, m); err != nil {
			s.log.Info("open receipt", "err", err)
		}
	})
}

// discard tells the sender its sealed message was closed unopened (DELMSG).
func (s *session) discard(m *protocol.Message) {
	if err := s.h.Discard(m); err != nil {
		s.log.Info("discard", "err", err)
	}
}

// release declines the files of m that were not fetched (RELEASEFILES).
func (s *session) release(m *protocol.Message) {
	if err := s.h.Release(m); err != nil {
		s.log.Info("release", "err", err)
	}
}

// refresh asks everyone to announce themselves again; done gets who answered, on the UI goroutine.
func (s *session) refresh(done func([]protocol.Host, error)) {
	s.work.Go(func() {
		hosts, err := s.h.Refresh(s.ctx, 0)
		s.do(func() { done(hosts, err) })
	})
}

// after runs fn on the UI goroutine once d has passed, unless the app quits first.
func (s *session) after(d time.Duration, fn func()) {
	s.work.Go(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			s.do(fn)
		case <-s.ctx.Done():
		}
	})
}

// close stops the Hato (BR_EXIT goes out) and waits for every goroutine the session started.
func (s *session) close() {
	s.cancel()
	<-s.ran
	s.work.Wait()
}
