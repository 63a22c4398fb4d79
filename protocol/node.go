package protocol

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Datagram limits: Windows reads 32 KB and iptux 8 KB, so larger packets would be cut by the receiver.
const (
	maxRecv      = 65535
	maxSend      = 32 * 1024
	maxSendIptux = 8 * 1024
)

// ErrClosed is returned by calls made after Run ended.
var ErrClosed = errors.New("node closed")

// Node is one IPMsg endpoint. Listen binds it, Run speaks until its context ends.
type Node struct {
	cfg   Config
	log   *slog.Logger
	udp   *net.UDPConn
	tcp   *net.TCPListener
	addr  netip.AddrPort // bound UDP address
	dests []netip.AddrPort
	local map[netip.Addr]bool
	start time.Time

	mu           sync.Mutex
	closed       bool            // Run has ended or is ending
	ctx          context.Context // Run's context: handlers start goroutines under it
	events       chan<- Event
	hosts        *hostTable
	seen         *dedup                   // packets received lately, and what became of them
	gate         *answerGate              // what each source may be answered (amplification)
	acks         map[ackKey]chan struct{} // RECVMSG / ANSREADMSG we wait for
	autoReplied  *lru[hostKey, struct{}]
	list         listRequest
	keys         *Keys
	peerKeys     *lru[netip.AddrPort, peerKey]   // by the address that sent the ANSPUBKEY
	keyWait      map[netip.AddrPort]*keyWaiter   // waiting for that address's ANSPUBKEY
	introWait    map[netip.AddrPort]*introWaiter // Introduce waits for an entry packet from that address
	lostTold     *lru[hostKey, string]           // per peer: the characters of our names its charset lacks, as reported
	claims       map[netip.AddrPort]*claim       // addresses that claim a known host's names, being checked
	probed       map[netip.AddrPort]int          // old addresses of those hosts: any packet from one counts
	answering    int                             // ANSENTRY answers waiting for their delay
	entryAnswers *limiter                        // ANSENTRY answers
	asked        *lru[netip.AddrPort, time.Time] // addresses we sent a BR_ENTRY, and when
	broadcastAt  time.Time                       // our last broadcast BR_ENTRY
	unknownMsgs  *limiter                        // messages from unknown sources
	decrypts     *limiter                        // encrypted messages
	decrypting   int                             // encrypted messages queued or being decrypted
	verifying    int                             // decrypted messages whose signature is being checked
	decryptSem   chan struct{}                   // decryptWorkers() slots
	member       *member                         // the member-master role (member.go); nil unless Config.Master
	master       *dirMaster                      // the master role (master.go); nil unless Config.BeMaster
	agent        agentState                      // the window a member master granted us as its agent

	// entryMu keeps each entry packet's build and write together (a delayed ANSENTRY is built at once,
	// in the peer's charset, and written later), and a broadcast together with the copies that follow
	// it, so that a peer's last entry packet from us is always in its charset.
	entryMu sync.Mutex

	noMu     sync.Mutex // packet numbering; held while Config.ReservePackets runs
	lastNo   uint32     // the last number used
	reserved uint32     // the highest number Config.ReservePackets was told about

	ready chan struct{}  // closed once Run has started
	wg    sync.WaitGroup // every goroutine the node starts
}

type ackKey struct {
	mode wire.Command // RecvMsg or AnsReadMsg
	no   uint32
	addr netip.AddrPort
}

// Listen binds UDP and TCP on the configured port. With Port 0 it picks a number free for both.
func Listen(cfg Config) (*Node, error) {
	if cfg.User == "" || cfg.Host == "" {
		d := DefaultConfig()
		cfg.User, cfg.Host = cmp.Or(cfg.User, d.User), cmp.Or(cfg.Host, d.Host)
	}
	cfg.User, cfg.Host = cleanName(cfg.User), cleanName(cfg.Host)
	if cfg.FingerprintName {
		if cfg.Keys == nil {
			return nil, errors.New("listen: a fingerprinted user name needs keys")
		}
		if _, _, ok := crypt.SplitFingerprintName(cfg.User); !ok {
			cfg.User = crypt.FingerprintName(cfg.User, &cfg.Keys.RSA2048.PublicKey)
		}
	}
	cfg.KeyInterval, cfg.KeyTries = cmp.Or(cfg.KeyInterval, 500*time.Millisecond), cmp.Or(cfg.KeyTries, 3)
	cfg.IntroduceWait = cmp.Or(cfg.IntroduceWait, defaultIntroduceWait)
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("listen: port %d out of range 0..65535", cfg.Port)
	}
	bind := netip.IPv4Unspecified()
	if cfg.BindAddr != "" {
		a, err := netip.ParseAddr(cfg.BindAddr)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("listen: bind address %q is not an IPv4 address", cfg.BindAddr)
		}
		bind = a
	}
	cfg.PeerPort = cmp.Or(cfg.PeerPort, cfg.Port, DefaultPort)
	dests, err := ParseDestinations(cfg.Destinations, cfg.PeerPort)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = DefaultMaxHosts
	}
	// Member master (member.go): the master also gets our entry packets, by unicast.
	member, dests, err := newMember(&cfg, dests)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	var master *dirMaster
	if cfg.BeMaster {
		if member != nil {
			return nil, errors.New("listen: the member master cannot be a member of another master")
		}
		master = newDirMaster(&cfg)
	}
	n := &Node{
		cfg:          cfg,
		log:          cfg.Logger,
		dests:        dests,
		local:        localAddrs(),
		hosts:        newHostTableMax(cfg.MaxHosts),
		seen:         newDedup(),
		gate:         newAnswerGate(),
		acks:         map[ackKey]chan struct{}{},
		autoReplied:  newLRU[hostKey, struct{}](maxAutoReplied),
		keys:         cfg.Keys,
		peerKeys:     newLRU[netip.AddrPort, peerKey](cfg.MaxHosts),
		keyWait:      map[netip.AddrPort]*keyWaiter{},
		introWait:    map[netip.AddrPort]*introWaiter{},
		lostTold:     newLRU[hostKey, string](cfg.MaxHosts),
		claims:       map[netip.AddrPort]*claim{},
		probed:       map[netip.AddrPort]int{},
		asked:        newLRU[netip.AddrPort, time.Time](maxSources),
		entryAnswers: newLimiter(entryAnswerRate, entryAnswerBurst, 1000, 1000),
		unknownMsgs:  newLimiter(unknownMsgRate, unknownMsgBurst, unknownMsgGlobalRate, unknownMsgGlobalBurst),
		decrypts:     newLimiter(decryptRate, decryptBurst, 1000, 1000),
		decryptSem:   make(chan struct{}, decryptWorkers()),
		member:       member,
		master:       master,
		lastNo:       cfg.LastPacketNo,
		reserved:     cfg.LastPacketNo,
		ready:        make(chan struct{}),
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if master != nil {
		master.log = n.log
	}
	if err := n.bind(bind, cfg.Port); err != nil {
		return nil, err
	}
	return n, nil
}

// bind opens UDP and then TCP on the same port number, retrying with new numbers when port is 0.
func (n *Node) bind(ip netip.Addr, port int) error {
	tries := 1
	if port == 0 {
		tries = 50
	}
	var lastErr error
	for range tries {
		udp, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			return fmt.Errorf("listen udp %s: %w", netip.AddrPortFrom(ip, uint16(port)), err)
		}
		ap := udp.LocalAddr().(*net.UDPAddr).AddrPort()
		tcp, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, ap.Port())))
		if err != nil {
			udp.Close()
			lastErr = fmt.Errorf("listen tcp %s: %w", netip.AddrPortFrom(ip, ap.Port()), err)
			continue
		}
		if err := udp.SetReadBuffer(1 << 20); err != nil {
			n.log.Debug("udp read buffer", "err", err)
		}
		n.udp, n.tcp, n.addr = udp, tcp, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		return nil
	}
	return lastErr
}

// Addr is the bound UDP address (and TCP port).
func (n *Node) Addr() netip.AddrPort { return n.addr }

// Ready is closed once Run has started and announced us (NOOPERATION, BR_ENTRY).
func (n *Node) Ready() <-chan struct{} { return n.ready }

// PeerPort is the port peers are assumed to listen on (broadcasts, bare IP targets).
func (n *Node) PeerPort() uint16 { return uint16(n.cfg.PeerPort) }

// Config returns the configuration the node runs with: SetPresence's names and absence, SetKeys' keys.
func (n *Node) Config() Config {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.cfg
	c.Keys = n.keys
	return c
}

// Run announces the node, answers peers and reports events on events (which the caller owns and may
// leave nil) until ctx ends; then it says goodbye (BR_EXIT twice), closes the sockets and waits for every
// goroutine. A slow events reader slows the node down; it never loses events. Run can be called once.
func (n *Node) Run(ctx context.Context, events chan<- Event) error {
	n.mu.Lock()
	if n.ctx != nil {
		n.mu.Unlock()
		return errors.New("run: node already ran")
	}
	n.ctx, n.events, n.start = ctx, events, time.Now()
	n.mu.Unlock()

	n.wg.Add(2)
	go n.readLoop(ctx)
	go n.acceptLoop(ctx)

	n.broadcast(n.packet(wire.UTF8, wire.NoOperation, nil, nil))
	n.spread(wire.BrEntry, false)
	if n.cfg.EntryRepeat > 0 {
		n.after(n.cfg.EntryRepeat, func() { n.spread(wire.BrEntry, false) })
	}
	// Ready only now: whatever a caller sends next comes after our announcement (iptux, for one, takes
	// a BR_ENTRY after a message's offer as a new start of ours).
	close(n.ready)
	n.startMember(ctx) // DIR_POLL to the member master, if there is one
	n.startMaster(ctx) // or, as the master, its lists

	<-ctx.Done()
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	exit := n.packet(wire.UTF8, wire.BrExit|n.entryOpts(), nil, nil)
	n.broadcast(exit)
	n.unicastKnown(exit)
	time.Sleep(100 * time.Millisecond)
	exit.No = n.nextNo()
	n.broadcast(exit)
	n.unicastKnown(exit)
	n.udp.Close()
	n.tcp.Close()
	n.wg.Wait()
	return nil
}

// runContext is Run's context, for goroutines a handler starts.
func (n *Node) runContext() context.Context {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ctx
}

// after runs fn once d has passed, unless the node stops first.
func (n *Node) after(d time.Duration, fn func()) {
	n.mu.Lock()
	ctx := n.ctx
	n.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			fn()
		}
	}()
}

func (n *Node) readLoop(ctx context.Context) {
	defer n.wg.Done()
	buf := make([]byte, maxRecv)
	for {
		size, from, err := n.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Warn("udp read", "err", err)
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		// Member-master packets are whole IPDicts, not classic packets (dirreceive.go).
		if isDirDatagram(buf[:size]) {
			n.onDirDatagram(from, buf[:size])
			continue
		}
		p, err := wire.Parse(buf[:size])
		if err != nil {
			n.log.Debug("dropped datagram", "from", from, "err", err)
			continue
		}
		// Parse keeps slices into buf; copy what outlives this iteration.
		p.Msg, p.Extra = clone(p.Msg), clone(p.Extra)
		n.handle(from, p, size)
	}
}

// acceptLoop takes TCP connections on the node's port; each request is read and served on its own
// goroutine (without a file server the connection is closed at once: a refusal, not a hang).
func (n *Node) acceptLoop(ctx context.Context) {
	defer n.wg.Done()
	for {
		c, err := n.tcp.AcceptTCP()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Warn("tcp accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		n.wg.Go(func() {
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			n.serveConn(ctx, c)
		})
	}
}

// emit hands an event to the caller, waiting for it unless the node is stopping.
func (n *Node) emit(ev Event) {
	if n.master != nil {
		n.master.observe(ev) // the site's list changed: push it
	}
	n.mu.Lock()
	ch, ctx := n.events, n.ctx
	n.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- ev:
	case <-ctx.Done():
	}
}

// Hosts lists the peers the node knows, sorted by name.
func (n *Node) Hosts() []Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hosts.list()
}

// self reports whether a datagram is our own broadcast coming back.
func (n *Node) self(from netip.AddrPort) bool {
	if from.Port() != n.addr.Port() {
		return false
	}
	if n.addr.Addr().IsUnspecified() {
		return n.local[from.Addr()] || from.Addr().IsLoopback()
	}
	return from.Addr() == n.addr.Addr()
}

// answerDelay is the random ANSENTRY delay Windows uses so that a BR_ENTRY does not trigger a storm.
func (n *Node) answerDelay(from netip.Addr) time.Duration {
	limit := n.cfg.AnswerDelayMax
	if limit == 0 {
		n.mu.Lock()
		count := n.hosts.len()
		n.mu.Unlock()
		switch {
		case count < 50 || n.sameSubnet24(from):
			limit = 1024 * time.Millisecond
		case count < 300:
			limit = 2048 * time.Millisecond
		default:
			limit = 4096 * time.Millisecond
		}
	}
	if limit <= 0 {
		return 0
	}
	return rand.N(limit)
}

func (n *Node) sameSubnet24(a netip.Addr) bool {
	p, err := a.Prefix(24)
	if err != nil {
		return false
	}
	for l := range n.local {
		if l.Is4() && p.Contains(l) {
			return true
		}
	}
	return false
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
