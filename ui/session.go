package ui

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"hato/history"
	"hato/protocol"
	"hato/transfer"
)

// session is the running messenger behind the windows: the node, its file server and fetcher, and the
// settings they were made from. Node events reach the windows on the UI goroutine (through fyne.Do);
// network work runs on goroutines the session owns and waits for in close.
type session struct {
	app     fyne.App
	do      func(func())    // runs a function on the UI goroutine: fyne.Do, or the tests' queue
	base    protocol.Config // names and keys; settings are applied on top
	set     settings
	log     *slog.Logger
	hist    *history.Store // every message sent and received; nil when it could not be opened
	histErr error          // why it could not be opened: each message is marked not saved

	ctx    context.Context // ends when the app quits
	cancel context.CancelFunc
	work   sync.WaitGroup // goroutines started for the UI (sends, fetches, key generation)

	// The node and what hangs off it; replaced together by restart. UI goroutine only.
	node    *protocol.Node
	files   *transfer.Server
	fetcher *transfer.Fetcher
	stop    func() // stops the node and its event pump, waits for both

	// Handlers for what the node reports, set by the windows; called on the UI goroutine.
	onEvent    func(protocol.Event)
	onTransfer func(transfer.Event)
}

// sessionHistory is the history a session keeps messages in, or why it could not be opened.
type sessionHistory struct {
	store *history.Store
	err   error
}

// newSession starts a node with base and the settings, keeping messages in hist. do runs functions on
// the UI goroutine; nil means fyne.Do.
func newSession(a fyne.App, base protocol.Config, set settings, hist sessionHistory, do func(func())) (*session, error) {
	ctx, cancel := context.WithCancel(context.Background())
	if do == nil {
		do = fyne.Do
	}
	s := &session{app: a, do: do, base: base, set: set, hist: hist.store, histErr: hist.err, log: base.Logger, ctx: ctx, cancel: cancel,
		onEvent: func(protocol.Event) {}, onTransfer: func(transfer.Event) {}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.start(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// start makes and runs a node from base and the current settings.
func (s *session) start() error {
	cfg := s.base
	if err := s.set.apply(&cfg); err != nil {
		return err
	}
	xfer := make(chan transfer.Event, 64)
	files := transfer.NewServer(transfer.ServerConfig{Events: xfer, Logger: s.log})
	cfg.Files = files
	cfg.InlineImages = true // receive windows show pictures in place
	// Stored before it is acknowledged or shown; a failure (or a history that could not be opened)
	// shows the message marked not saved.
	cfg.Record, cfg.RecordNoLog = s.record, s.set.KeepNoLog
	node, err := protocol.Listen(cfg)
	if err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	s.node, s.files = node, files
	s.fetcher = &transfer.Fetcher{Node: node, Dir: s.set.DownloadDir, Events: xfer, ProgressEvery: 250 * time.Millisecond}

	ctx, cancel := context.WithCancel(s.ctx)
	events := make(chan protocol.Event, 64)
	var wg sync.WaitGroup
	wg.Go(func() { node.Run(ctx, events) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-events:
				s.do(func() { s.onEvent(ev) })
			case ev := <-xfer:
				s.do(func() { s.onTransfer(ev) })
			}
		}
	})
	s.stop = func() { cancel(); wg.Wait() }
	return nil
}

// restart replaces the node (new port, address, charset or user name); peers see us leave and come back.
func (s *session) restart() error {
	s.stop()
	return s.start()
}

// applySettings saves new settings and puts them to work: nick, group and downloads at once, the rest
// through a new node.
func (s *session) applySettings(t settings) error {
	if err := t.validate(); err != nil {
		return err
	}
	old := s.set
	s.set = t
	restart := old.needsRestart(t)
	if restart {
		if err := s.restart(); err != nil {
			// Nothing is saved: the next start must not trip over the same setting.
			s.set = old
			if err2 := s.start(); err2 != nil {
				return fmt.Errorf("%w (and the old settings failed too: %v)", err, err2)
			}
			return err
		}
	}
	t.save(s.app.Preferences())
	s.fetcher.Dir = t.DownloadDir
	if restart {
		return nil
	}
	p := s.presence()
	p.Nick, p.Group = t.Nick, t.Group
	s.node.SetPresence(p)
	return nil
}

func (s *session) presence() protocol.Presence {
	cfg := s.node.Config()
	return protocol.Presence{Nick: cfg.Nick, Group: cfg.Group, Absent: cfg.Absent, AbsenceText: cfg.AbsenceText}
}

// setAbsence turns absence mode on with text, or off with "".
func (s *session) setAbsence(text string) {
	p := s.presence()
	p.Absent, p.AbsenceText = text != "", text
	s.base.Absent, s.base.AbsenceText = p.Absent, p.AbsenceText // kept across restarts
	s.node.SetPresence(p)
}

// absence is the current absence text, "" when present.
func (s *session) absence() string {
	if cfg := s.node.Config(); cfg.Absent {
		return cfg.AbsenceText
	}
	return ""
}

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
	node, files := s.node, s.files
	s.work.Go(func() {
		var r sent
		sources, err := transfer.Sources(paths)
		if err != nil {
			r.Err = err
		} else {
			r.Packet, r.Deliveries, r.Err = transfer.SendMessage(s.ctx, node, files, to, text, sources, images, opt)
		}
		if r.Err == nil {
			s.recordSent(r, text, opt, sources, images)
		}
		s.do(func() { done(r) })
	})
}

// record stores a received message in the history (Config.Record).
func (s *session) record(m *protocol.Message) error {
	if s.hist == nil {
		if s.histErr != nil {
			return s.histErr
		}
		return nil
	}
	r := history.Received(m)
	if err := s.hist.Add(&r); err != nil {
		return err
	}
	m.RecordID = r.ID
	return nil
}

// recordSent keeps a sent message in the history, one record per recipient.
func (s *session) recordSent(r sent, text string, opt protocol.SendOptions, sources []transfer.Source, images []transfer.InlineImage) {
	if s.hist == nil {
		return
	}
	files := make([]transfer.File, len(sources))
	for i, src := range sources {
		files[i] = src.File
	}
	for _, d := range r.Deliveries {
		rec := history.Sent(d, r.Packet, text, opt, files, images, len(r.Deliveries) > 1)
		if err := s.hist.Add(&rec); err != nil {
			s.log.Warn("sent message not saved in the history", "err", err)
			return
		}
	}
}

// fetch downloads one attachment of m into the download folder; cancel stops it. done runs on the UI
// goroutine with the saved paths or the error; progress arrives as transfer events.
func (s *session) fetch(m *protocol.Message, f transfer.File, done func([]string, error)) (cancel func()) {
	ctx, cancel := context.WithCancel(s.ctx)
	fetcher := s.fetcher
	s.work.Go(func() {
		defer cancel()
		paths, err := fetcher.Fetch(ctx, m, f)
		s.do(func() { done(paths, err) })
	})
	return cancel
}

// open tells the sender its sealed message was opened (READMSG, resent until ANSREADMSG).
func (s *session) open(m *protocol.Message) {
	node, hist := s.node, s.hist
	s.work.Go(func() {
		if hist != nil && m.RecordID != 0 {
			if err := hist.SetOpened(m.RecordID); err != nil {
				s.log.Warn("history: mark opened", "err", err)
			}
		}
		if err := node.Open(s.ctx, m); err != nil {
			s.log.Info("open receipt", "err", err)
		}
	})
}

// markSentOpened records that a peer opened our sealed message (its READMSG arrived).
func (s *session) markSentOpened(ev protocol.Event) {
	if s.hist == nil {
		return
	}
	hist := s.hist
	s.work.Go(func() {
		if _, err := hist.SetSentOpened(ev.Packet, ev.Host.Addr.String()); err != nil {
			s.log.Warn("history: mark opened", "err", err)
		}
	})
}

// discard tells the sender its sealed message was closed unopened (DELMSG).
func (s *session) discard(m *protocol.Message) {
	if err := s.node.Discard(m); err != nil {
		s.log.Info("discard", "err", err)
	}
}

// release declines the files of m that were not fetched (RELEASEFILES).
func (s *session) release(m *protocol.Message) {
	if err := s.node.Release(m); err != nil {
		s.log.Info("release", "err", err)
	}
}

// refresh asks everyone to announce themselves again.
func (s *session) refresh() {
	if err := s.node.Announce(); err != nil {
		s.log.Info("refresh", "err", err)
	}
}

// close stops the node (BR_EXIT goes out) and waits for every goroutine the session started.
func (s *session) close() {
	s.cancel()
	s.stop()
	s.work.Wait()
}
