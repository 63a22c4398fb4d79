package protocol

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// The member role of the member master (docs/member-master.md §2.3): with Config.Master set, the node
// polls the master with a signed DIR_POLL every MasterPoll, unicasts its entry packets to it too (WIN adds
// the master to its broadcast list), and takes the host lists the master signs (dirreceive.go). Whose
// lists it takes is decided by the master's key: the one configured (Config.MasterKey), or else the
// first one the master's address shows us (its ANSPUBKEY, or a packet it sends us directly), pinned for
// good (EventMasterKey) so that the messenger can keep it.
//
// Our DIR_POLL names our networks (NADRS), which offers us as the master's agent for them: we relay its
// pushes (DIR_REQUEST, dirrelay.go) and sweep and report our network when asked (diragent.go). A node
// bound to a loopback address names none (its broadcasts reach no other process there), unless
// Config.MasterAgent asks.

// EventMasterKey: the member master's key was pinned on first use (Config.MasterKey was empty). Text is
// its fingerprint, to keep as Config.MasterKey; Host is whoever showed it, at the master's address.
const EventMasterKey EventKind = "master-key"

// defaultMasterPoll is WIN's MasterPoll default: a DIR_POLL a minute.
const defaultMasterPoll = 60 * time.Second

// noKeysRetry is how soon the poller tries again while our keys are still being made: an unsigned
// DIR_POLL would be ignored.
const noKeysRetry = time.Second

// Directory datagrams taken per source IP (a master's full list comes in chunks of about 30 KB, some
// dozens for a site of thousands), and from all sources together: each costs an RSA verification.
const (
	dirBurst, dirRate             = 256, 64
	dirGlobalBurst, dirGlobalRate = 1024, 512
)

// member is the state of the member role. Node.mu guards key, fp and asking.
type member struct {
	master netip.AddrPort
	want   string // the configured fingerprint, "" for trust on first use
	agent  bool   // NADRS lists our networks
	period time.Duration
	limit  *limiter // directory datagrams

	key    *rsa.PublicKey // the master's key, once pinned (configured: once a packet showed the whole key)
	fp     string
	asking bool          // a GETPUBKEY to the master is under way
	repoll chan struct{} // poll again: the master just started (its UPT)
}

// newMember checks the member settings and, with a master configured, adds it to the destinations of
// our entry packets. It returns nil when the node is no member.
func newMember(cfg *Config, dests []netip.AddrPort) (*member, []netip.AddrPort, error) {
	if !cfg.Master.IsValid() {
		if cfg.MasterKey != "" {
			return nil, nil, errors.New("master key without a master address")
		}
		return nil, dests, nil
	}
	a := cfg.Master.Addr().Unmap()
	if !a.Is4() || a.IsUnspecified() || cfg.Master.Port() == 0 {
		return nil, nil, fmt.Errorf("master %s: want an IPv4 address and a port", cfg.Master)
	}
	cfg.Master = netip.AddrPortFrom(a, cfg.Master.Port())
	if cfg.MasterKey != "" {
		fp := strings.ToLower(cfg.MasterKey)
		if len(fp) != 16 || strings.Trim(fp, "0123456789abcdef") != "" {
			return nil, nil, fmt.Errorf("master key %q: want the 16 hex digits of a key fingerprint", cfg.MasterKey)
		}
		cfg.MasterKey = fp
	}
	if cfg.MasterPoll <= 0 {
		cfg.MasterPoll = defaultMasterPoll
	}
	if !slices.Contains(dests, cfg.Master) {
		dests = append(dests, cfg.Master)
	}
	return &member{
		master: cfg.Master, want: cfg.MasterKey, agent: cfg.MasterAgent, period: cfg.MasterPoll,
		limit:  newLimiter(dirRate, dirBurst, dirGlobalRate, dirGlobalBurst),
		repoll: make(chan struct{}, 1),
	}, dests, nil
}

// startMember starts the poller under Run's context; nothing when the node is no member.
func (n *Node) startMember(ctx context.Context) {
	if n.member == nil {
		return
	}
	n.wg.Go(func() { n.pollMaster(ctx) })
}

// pollMaster sends a DIR_POLL at once and then every period, and asks the master for its key while none
// is pinned.
func (n *Node) pollMaster(ctx context.Context) {
	m := n.member
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.repoll:
			t.Stop()
		case <-t.C:
		}
		next := m.period
		if err := n.sendPoll(); err != nil {
			n.log.Debug("DIR_POLL not sent", "to", m.master, "err", err)
			next = min(next, noKeysRetry)
		}
		t.Reset(next)
		n.askMasterKeyOnce(ctx)
	}
}

// askMasterKeyOnce asks for the master's key on a goroutine of its own (the answer may take
// KeyTries × KeyInterval) while none is pinned and no request is under way.
func (n *Node) askMasterKeyOnce(ctx context.Context) {
	m := n.member
	n.mu.Lock()
	ask := m.key == nil && !m.asking
	m.asking = m.asking || ask
	n.mu.Unlock()
	if !ask {
		return
	}
	n.wg.Go(func() {
		defer func() {
			n.mu.Lock()
			m.asking = false
			n.mu.Unlock()
		}()
		n.askMasterKey(ctx)
	})
}

// sendPoll signs and sends one DIR_POLL to the master.
func (n *Node) sendPoll() error {
	keys := n.currentKeys()
	if keys == nil || keys.RSA2048 == nil {
		return errors.New("no keys yet: an unsigned poll would be ignored")
	}
	d := n.dirHeaderDict(wire.DirPoll)
	var nets []netip.Prefix
	if n.member.agent || !n.addr.Addr().IsLoopback() {
		nets = localNetworks(n.addr.Addr())
	}
	d.SetDictList(dkNAdrs, dirNetworks(nets))
	if err := signDict(&d, keys.RSA2048, crypt.Supported); err != nil {
		return err
	}
	return n.writeRaw(wire.AppendIPDict(nil, d), n.member.master)
}

// memberHeardEntry notes an entry packet from the master: one with UPT says it just started and wants
// our poll at once (WIN's MsgBrEntry). The first one from a master that is no Hato has us ask it for
// its list the classic way (see askClassicList).
func (n *Node) memberHeardEntry(from netip.AddrPort, first, upt bool, h Host) {
	m := n.member
	if m == nil || from != m.master {
		return
	}
	if upt {
		select {
		case m.repoll <- struct{}{}:
		default:
		}
	}
	if first && !h.Hato {
		n.askClassicList(from)
	}
}

// askClassicList asks a WIN master for its host list with GETLIST, the classic host-list exchange. A WIN
// master sends its whole list signed (ANSLIST_DICT) only to members that advertise CAPIPDICTOPT, which
// Hato does not (that bit also makes WIN send it messages as encrypted IPDicts, which it cannot read
// yet); to others it sends the classic ANSLIST, unasked, which Hato takes only when it asked. The rows
// are hearsay, as from any host-list exchange; the master's signed pushes keep them current.
func (n *Node) askClassicList(master netip.AddrPort) {
	n.mu.Lock()
	busy := n.list.active
	if !busy {
		n.list = listRequest{active: true, from: master}
	}
	n.mu.Unlock()
	if busy {
		return
	}
	n.writeTo(n.packetFor(n.hostAt(master), wire.GetList|caps, "0", nil), master)
	n.after(10*time.Second, func() { // a master that never answers does not block later requests
		n.mu.Lock()
		if n.list.active && n.list.from == master && n.list.rows == 0 {
			n.list.active = false
		}
		n.mu.Unlock()
	})
}

// askMasterKey asks the master's address for its key (GETPUBKEY, as WIN asks a master it knows) and pins
// what it answers. It waits at most KeyTries × KeyInterval.
func (n *Node) askMasterKey(ctx context.Context) {
	h := n.known(Host{Addr: n.member.master})
	pk, err := n.publicKey(ctx, h)
	if err != nil {
		n.log.Debug("master key", "from", h.Addr, "err", err)
		return
	}
	if pk.key == nil || pk.key.Size() != dirKeyBytes {
		n.log.Debug("master key: not RSA-2048", "from", h.Addr)
		return
	}
	if why := n.pinMasterKey(pk.key, *h); why != "" {
		n.reject(*h, 0, "ANSPUBKEY of the master: "+why)
	}
}

// pinMasterKey takes pub as the master's key, or says why not: another key is pinned, or pub is not the
// configured one. The first key pinned without a configured one is reported (EventMasterKey) and shows in
// Config().MasterKey.
func (n *Node) pinMasterKey(pub *rsa.PublicKey, from Host) (why string) {
	fp := crypt.Fingerprint(pub)
	m := n.member
	n.mu.Lock()
	switch {
	case m.key != nil:
		same := m.key.Equal(pub)
		n.mu.Unlock()
		if !same {
			return fmt.Sprintf("signed by key %s, not the master's %s", fp, m.fp)
		}
		return ""
	case m.want != "" && fp != m.want:
		n.mu.Unlock()
		return fmt.Sprintf("signed by key %s, not the configured master key %s", fp, m.want)
	}
	m.key, m.fp = pub, fp
	first := n.cfg.MasterKey == ""
	n.cfg.MasterKey = fp
	n.mu.Unlock()
	if first {
		n.log.Info("master key pinned", "master", m.master, "fingerprint", fp)
		n.emit(Event{Kind: EventMasterKey, Host: from, Text: fp})
	}
	return ""
}
