package messenger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"hato/history"
	"hato/messenger/control"
	"hato/protocol"
	"hato/protocol/wire"
	"hato/transfer"
)

// Config says how to run a Hato. Only Settings is needed; the rest has sane defaults.
type Config struct {
	// Profile is the folder that keeps settings, keys, history and packet numbers, and holds the
	// control endpoint. "" keeps nothing: keys live as long as the process, nothing is recorded.
	Profile  string
	Settings Settings
	Logger   *slog.Logger
	// Tune adjusts the node's configuration after the settings are applied (timings; tests).
	Tune func(*protocol.Config)
	// KeysFirst makes missing keys before the node starts, so that a short-lived command's one
	// message goes encrypted; otherwise they are made in the background (EventKeys).
	KeysFirst bool
	// Keys, when set, are used instead of the profile's (and never saved there).
	Keys          *protocol.Keys
	OfferExpiry   time.Duration // how long offers are honoured (transfer.DefaultExpiry)
	ProgressEvery time.Duration // transfer progress events at most this often (250 ms)
	// Commands runs a subcommand that arrived on the control endpoint, on this Hato. Nil refuses them.
	Commands func(ctx context.Context, h *Hato, args []string, cwd string, stdout, stderr io.Writer) int
	// Window says that activation (a second start) has a window to show; see EventActivate.
	Window bool
}

// Hato is one user's running messenger. New binds it; Run speaks until its context ends.
type Hato struct {
	cfg     Config
	log     *slog.Logger
	events  *broker
	files   *transfer.Server
	fetcher *transfer.Fetcher
	xfer    chan transfer.Event // from the file server and the fetcher, for the Hato's whole life
	flush   chan chan struct{}  // FlushTransfers' requests to the pump
	hist    *history.Store      // nil without a profile, or when it could not be opened
	histErr error               // why it could not be opened: every message is marked not saved
	ctrl    *control.Server     // nil without a profile

	ready  chan struct{}   // closed once Run has started the node
	ctx    context.Context // ends when Run ends
	cancel context.CancelFunc
	work   sync.WaitGroup // goroutines started for operations (key making, pumps)

	applyMu sync.Mutex // one settings change at a time, and none while Run ends

	mu       sync.Mutex
	set      Settings
	keys     *protocol.Keys
	presence protocol.Presence
	node     *protocol.Node
	nodeStop func() // stops the node and its pump, waits for both
	running  bool
}

// ErrRunning means another process already runs a Hato for this profile (see control.ErrRunning).
var ErrRunning = control.ErrRunning

// New claims the profile (one Hato per profile: ErrRunning when another runs), opens its history,
// loads its keys and binds the node. Nothing is sent before Run.
func New(cfg Config) (*Hato, error) {
	if err := cfg.Settings.Validate(); err != nil {
		return nil, err
	}
	if cfg.Settings.FingerprintName && cfg.Profile == "" {
		return nil, errNoFingerprintProfile
	}
	if cfg.Settings.BeMaster && cfg.Profile == "" && cfg.Keys == nil {
		return nil, errNoMasterProfile
	}
	h := &Hato{cfg: cfg, log: cfg.Logger, events: newBroker(), xfer: make(chan transfer.Event, 64), set: cfg.Settings,
		ready: make(chan struct{}), flush: make(chan chan struct{})}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.presence = protocol.Presence{Nick: cfg.Settings.Nick, Group: cfg.Settings.Group}
	ok := false
	defer func() {
		if !ok {
			h.closeFiles()
			h.cancel()
		}
	}()
	h.keys = cfg.Keys
	if cfg.Profile != "" {
		srv, err := control.Listen(cfg.Profile, handler{h})
		if err != nil {
			return nil, err
		}
		h.ctrl = srv
		if h.keys == nil {
			if err := h.loadKeys(); err != nil {
				return nil, err
			}
		}
		h.hist, h.histErr = history.Open(HistoryPath(cfg.Profile))
		if h.histErr != nil {
			h.histErr = fmt.Errorf("history: %w", h.histErr)
			h.log.Error("history unusable, messages will not be saved", "err", h.histErr)
		}
	} else if cfg.KeysFirst && h.keys == nil {
		k, err := protocol.GenerateKeys(nil)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		h.keys = k
	}
	h.files = transfer.NewServer(transfer.ServerConfig{Expiry: cfg.OfferExpiry, Events: h.xfer, Logger: h.log})
	progress := cfg.ProgressEvery
	if progress == 0 {
		progress = 250 * time.Millisecond
	}
	h.fetcher = &transfer.Fetcher{Node: current{h}, Events: h.xfer, ProgressEvery: progress,
		MaxFolderFiles: h.set.MaxFolderFiles, KeepFree: h.set.keepFree()}
	node, err := h.listen(h.set, 0)
	if err != nil {
		return nil, err
	}
	h.node = node
	ok = true
	return h, nil
}

// loadKeys reads the profile's keys. Missing ones are made now when the user name needs them or the
// caller asked to, else in the background once Run started.
func (h *Hato) loadKeys() error {
	k, err := protocol.LoadKeys(h.cfg.Profile)
	switch {
	case err == nil:
		h.keys = k
	case !errors.Is(err, fs.ErrNotExist):
		// Damaged keys are kept for the user to look at; messages go in the clear meanwhile.
		h.log.Error("keys unusable, encryption off", "err", err)
	case h.cfg.KeysFirst || h.set.FingerprintName:
		if h.keys, _, err = protocol.LoadOrCreateKeys(h.cfg.Profile); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
	}
	return nil
}

// listen binds a node for s. lastNo continues the numbering of a node this one replaces.
func (h *Hato) listen(s Settings, lastNo uint32) (*protocol.Node, error) {
	cfg := protocol.DefaultConfig()
	cfg.Logger = h.log
	if err := s.apply(&cfg); err != nil {
		return nil, err
	}
	h.mu.Lock()
	cfg.Keys = h.keys
	cfg.Absent, cfg.AbsenceText = h.presence.Absent, h.presence.AbsenceText
	h.mu.Unlock()
	cfg.Files, cfg.InlineImages = h.files, true
	cfg.Record = h.record
	if h.cfg.Profile != "" {
		saved, err := loadLastPacket(h.cfg.Profile)
		if err != nil {
			h.log.Warn("packet numbers", "err", err)
		}
		cfg.LastPacketNo = max(saved, lastNo)
		profile := h.cfg.Profile
		cfg.ReservePackets = func(upTo uint32) error { return saveLastPacket(profile, upTo) }
	} else {
		cfg.LastPacketNo = lastNo
	}
	if h.cfg.Tune != nil {
		h.cfg.Tune(&cfg)
	}
	node, err := protocol.Listen(cfg)
	if err != nil {
		return nil, fmt.Errorf("start node: %w", explainListen(err, s))
	}
	return node, nil
}

// Run announces us, serves peers and the control endpoint and reports events until ctx ends; then it
// says goodbye to the LAN, closes everything and waits for every goroutine it started. Call it once.
func (h *Hato) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return errors.New("run: already running")
	}
	h.running = true
	h.mu.Unlock()
	stop := context.AfterFunc(ctx, h.cancel)
	defer stop()

	var pumps sync.WaitGroup
	pumps.Go(func() {
		for {
			select {
			case <-h.ctx.Done():
				return
			case ev := <-h.xfer:
				h.publishTransfer(ev)
			case done := <-h.flush:
				h.drainTransfers()
				close(done)
			}
		}
	})
	// The control endpoint, and with it the profile's lock, lasts until the node has said goodbye and
	// freed the port: a Hato started the moment this one quits finds the port free.
	ctrlCtx, stopCtrl := context.WithCancel(context.Background())
	defer stopCtrl()
	if h.ctrl != nil {
		pumps.Go(func() {
			if err := h.ctrl.Serve(ctrlCtx); err != nil {
				h.log.Warn("control endpoint", "err", err)
			}
		})
	}
	h.startNode(h.Node())
	close(h.ready)
	keys := h.Keys()
	if keys != nil {
		h.events.publish(Event{Event: protocol.Event{Kind: EventKeys}, Keys: keys})
	} else {
		h.work.Go(h.makeKeys)
	}

	<-h.ctx.Done()
	h.applyMu.Lock()
	h.mu.Lock()
	nodeStop := h.nodeStop
	h.mu.Unlock()
	nodeStop()
	h.applyMu.Unlock()
	h.work.Wait()
	stopCtrl() // the commands it carried out were cancelled with h.ctx
	pumps.Wait()
	h.drainTransfers() // what the last fetches reported after the pump stopped still reaches the subscribers
	h.events.close()
	h.closeFiles()
	return nil
}

func (h *Hato) publishTransfer(ev transfer.Event) {
	h.events.publish(Event{Event: protocol.Event{Kind: EventTransfer, Packet: ev.Packet, Host: ev.Host}, Transfer: &ev})
}

// drainTransfers publishes the transfer events waiting in the channel.
func (h *Hato) drainTransfers() {
	for {
		select {
		case ev := <-h.xfer:
			h.publishTransfer(ev)
		default:
			return
		}
	}
}

// FlushTransfers returns once every transfer event reported so far has reached the subscribers'
// queues: WaitFetched returns when a file was served, and the "served" event must not come later.
func (h *Hato) FlushTransfers() {
	done := make(chan struct{})
	select {
	case h.flush <- done:
		<-done
	case <-h.ctx.Done():
	}
}

// closeFiles closes what New opened.
func (h *Hato) closeFiles() {
	if h.hist != nil {
		h.hist.Close()
	}
	if h.ctrl != nil {
		h.ctrl.Close()
	}
}

// startNode runs node, with a pump that turns its events into the Hato's, as the current node.
func (h *Hato) startNode(node *protocol.Node) {
	ctx, cancel := context.WithCancel(h.ctx)
	events := make(chan protocol.Event, 64)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		node.Run(ctx, events)
	})
	wg.Go(func() {
		for {
			select {
			case ev := <-events:
				h.onNodeEvent(ev)
			case <-done:
				// Run has returned: nothing more is sent on events; hand on what is buffered.
				for {
					select {
					case ev := <-events:
						h.onNodeEvent(ev)
					default:
						return
					}
				}
			}
		}
	})
	<-node.Ready()
	h.mu.Lock()
	h.node, h.nodeStop = node, func() { cancel(); wg.Wait() }
	h.mu.Unlock()
}

// onNodeEvent keeps the history up to date with receipts and hands the event on.
func (h *Hato) onNodeEvent(ev protocol.Event) {
	switch ev.Kind {
	case protocol.EventOpened:
		if h.hist != nil {
			if _, err := h.hist.SetSentOpened(ev.Packet, ev.Host.Addr.String()); err != nil {
				h.log.Warn("history: mark opened", "err", err)
			}
		}
	case protocol.EventActivate:
		if !h.cfg.Window {
			return
		}
	case protocol.EventMasterKey:
		h.keepMasterKey(ev.Text)
	}
	h.events.publish(newMessageEvent(ev))
}

// keepMasterKey saves the fingerprint of the key the member master first signed with, so that a list
// signed by another key is refused from now on, across restarts too. The running node pinned it already.
func (h *Hato) keepMasterKey(fp string) {
	h.mu.Lock()
	if h.set.UseMaster == "" || strings.EqualFold(h.set.MasterKey, fp) {
		h.mu.Unlock()
		return
	}
	h.set.MasterKey = fp
	set := h.set
	h.mu.Unlock()
	if h.cfg.Profile != "" {
		if err := SaveSettings(h.cfg.Profile, set); err != nil {
			h.log.Warn("the member master's key fingerprint not saved", "err", err)
		}
	}
}

// makeKeys makes the keys a first start lacks without holding anything up, keeps them in the profile
// and gives them to the node (which tells the LAN).
func (h *Hato) makeKeys() {
	var (
		k   *protocol.Keys
		err error
	)
	if h.cfg.Profile != "" {
		k, _, err = protocol.LoadOrCreateKeys(h.cfg.Profile)
	} else {
		k, err = protocol.GenerateKeys(nil)
	}
	if err != nil {
		h.events.publish(Event{Event: protocol.Event{Kind: EventKeys}, Err: fmt.Errorf("keys: %w", err)})
		return
	}
	h.mu.Lock()
	h.keys = k
	node := h.node
	h.mu.Unlock()
	node.SetKeys(k)
	h.events.publish(Event{Event: protocol.Event{Kind: EventKeys}, Keys: k})
}

// Ready is closed once Run has started: the node answers peers.
func (h *Hato) Ready() <-chan struct{} { return h.ready }

// Subscribe returns every event from now on, in order; cancel ends the subscription. The channel is
// closed after cancel, or once Run ended and every event was read. Read it promptly: events queue up.
func (h *Hato) Subscribe() (<-chan Event, func()) { return h.events.subscribe() }

// Node is the node now running (it changes when settings restart it).
func (h *Hato) Node() *protocol.Node {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.node
}

// Addr is the node's bound address.
func (h *Hato) Addr() netip.AddrPort { return h.Node().Addr() }

// Me is the node's configuration: our names as peers see them (the user name carries the key's
// fingerprint with FingerprintName).
func (h *Hato) Me() protocol.Config { return h.Node().Config() }

// Profile is the profile folder, "" for none.
func (h *Hato) Profile() string { return h.cfg.Profile }

// Settings are the settings in force.
func (h *Hato) Settings() Settings {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.set
}

// Keys are our keys, nil until made.
func (h *Hato) Keys() *protocol.Keys {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.keys
}

// Files is the file server: what we offer, to whom, until when.
func (h *Hato) Files() *transfer.Server { return h.files }

// Hosts lists the peers the node knows.
func (h *Hato) Hosts() []protocol.Host { return h.Node().Hosts() }

// RequestHostList asks the peers for their host lists (Windows' exchange); EventListReceived ends it.
func (h *Hato) RequestHostList() error { return h.Node().RequestHostList() }

// current is the Fetcher's view of the node: whichever runs now.
type current struct{ h *Hato }

func (c current) Addr() netip.AddrPort    { return c.h.Node().Addr() }
func (c current) Config() protocol.Config { return c.h.Node().Config() }
func (c current) FileRequestPacket(host protocol.Host, cmd wire.Command, args string, utf8 bool) []byte {
	return c.h.Node().FileRequestPacket(host, cmd, args, utf8)
}
func (c current) SealedFileRequest(ctx context.Context, host protocol.Host, cmd wire.Command, utf8 bool,
	args func(reqNo uint32, key []byte) []byte) ([]byte, []byte, uint32, error) {
	return c.h.Node().SealedFileRequest(ctx, host, cmd, utf8, args)
}
