package protocol

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// ErrNoKey means a peer that advertises encryption did not answer GETPUBKEY in time.
var ErrNoKey = errors.New("no public key")

// peerKey is what a peer's ANSPUBKEY told us: its capabilities and the key it chose for us.
type peerKey struct {
	caps crypt.Caps
	key  *rsa.PublicKey
}

// keyWaiter hands an ANSPUBKEY to those waiting for it. It carries the key itself: the cache may lose it
// again before they wake (the peer's BR_EXIT right after its message).
type keyWaiter struct {
	done  chan struct{}
	pk    peerKey
	users int // keyOrWaiter calls not yet matched by dropKeyWaiter
}

// SetKeys gives the node its RSA keys (generated in the background on a first start). From then on entry
// packets advertise ENCRYPTOPT; peers hear it at once through a BR_ABSENCE.
func (n *Node) SetKeys(k *Keys) {
	n.mu.Lock()
	n.keys = k
	closed, started := n.closed, n.ctx != nil
	n.mu.Unlock()
	if started && !closed {
		n.spread(wire.BrAbsence, false)
	}
}

func (n *Node) currentKeys() *Keys {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.keys
}

// onGetPubKey answers with the key for the best RSA size we share (WIN's rule), and asks back for the
// requester's own key when it signs, so that its signatures can be verified. Only a known address (an
// entry exchange completed) gets our key: a 40-byte request must not bring 600 bytes to a forged
// source. Anyone else gets our BR_ENTRY (within its budget), so that its ANSENTRY makes it known and its
// next GETPUBKEY gets the key (WIN and Hato ask again). That happens between two Hatos when one sends
// right after the other's BR_ENTRY, before our delayed ANSENTRY made it known: a resend gets the key.
func (n *Node) onGetPubKey(in inbound) {
	from, p, size := in.from, in.p, in.size
	if !n.knownAddr(from) {
		n.forgetSeen(in.key) // its resend (the same packet) is read afresh, once it is known
		h := n.sender(from, p)
		n.answerEntry(wire.BrEntry, &h, from, size)
		return
	}
	caps, err := crypt.ParseCaps(bytes.TrimSpace(p.Msg))
	if err != nil {
		n.log.Debug("bad GETPUBKEY", "from", from, "err", err)
		return
	}
	keys := n.currentKeys()
	if keys == nil {
		return // not made yet; the peer sends in the clear meanwhile
	}
	var priv *rsa.PrivateKey
	switch crypt.KeyBitsFor(caps) {
	case 2048:
		priv = keys.RSA2048
	case 1024:
		priv = keys.RSA1024
	default:
		n.log.Debug("GETPUBKEY without a common RSA size", "from", from, "caps", caps)
		return
	}
	n.reply(from, p, size, wire.AnsPubKey, string(crypt.AppendPublicKey(nil, crypt.Supported, &priv.PublicKey)))
	if caps&(crypt.SignSHA1|crypt.SignSHA256) != 0 && !p.Cmd.Has(wire.AutoRetOpt) {
		if _, ok := n.cachedKey(from); !ok {
			h := n.sender(from, p)
			n.answer(from, size, n.packetFor(&h, wire.GetPubKey|wire.AutoRetOpt, capsText(), nil))
		}
	}
}

// onAnsPubKey keeps the key an address answered with, by that address: a message is verified with the
// key of the address its sender is known at, never with one another address gave. Answers are taken
// from known addresses and from those we asked. A fingerprinted user name (in the header, or the known
// host's at that address) must match the key's fingerprint (and offer RSA-2048 with SHA-1 signatures,
// draft-14): otherwise someone else is using that name and the answer is dropped.
func (n *Node) onAnsPubKey(from netip.AddrPort, p wire.Packet) {
	n.mu.Lock()
	_, waited := n.keyWait[from]
	_, claimed := n.claims[from]
	known := n.knownAddrLocked(from)
	n.mu.Unlock()
	if !waited && !claimed && !known {
		n.log.Debug("ANSPUBKEY nobody asked for", "from", from)
		return
	}
	h := n.sender(from, p)
	caps, pub, err := crypt.ParsePublicKey(bytes.TrimSpace(p.Msg))
	if err != nil {
		n.reject(h, p.No, fmt.Sprintf("ANSPUBKEY: %v", err))
		return
	}
	for _, user := range []string{h.User, n.headerHost(from, p).User} {
		if _, fp, ok := crypt.SplitFingerprintName(user); ok {
			switch {
			case !caps.Has(crypt.RSA2048 | crypt.SignSHA1):
				n.reject(h, p.No, fmt.Sprintf("ANSPUBKEY: fingerprinted user %q without RSA-2048 and SHA-1 signatures", user))
				n.claimKey(from, 0, nil)
				return
			case crypt.Fingerprint(pub) != fp:
				n.reject(h, p.No, fmt.Sprintf("ANSPUBKEY: key does not match the fingerprint of user %q (spoofed name)", user))
				n.claimKey(from, 0, nil)
				return
			}
		}
	}
	n.claimKey(from, caps, pub)
	pk := peerKey{caps: caps, key: pub}
	n.mu.Lock()
	// Unasked, a known address's answer is taken only if we have no key for it: a forged one must not
	// replace a key we asked for.
	if _, cached := n.peerKeys.peek(from); waited || known && !cached {
		n.peerKeys.put(from, pk)
	}
	if w, ok := n.keyWait[from]; ok {
		w.pk = pk
		close(w.done)
		delete(n.keyWait, from)
	}
	n.mu.Unlock()
}

// forgetKey drops a peer's cached key, which may be stale: it may come back with a new one.
func (n *Node) forgetKey(k netip.AddrPort) {
	n.mu.Lock()
	n.peerKeys.remove(k)
	n.mu.Unlock()
}

// cachedKey is the key address a answered with, if we have it.
func (n *Node) cachedKey(a netip.AddrPort) (peerKey, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.peerKeys.get(a)
}

// publicKey returns h's key (the one its main address answers with), asking with GETPUBKEY every
// KeyInterval, KeyTries times, when none is cached.
func (n *Node) publicKey(ctx context.Context, h *Host) (peerKey, error) {
	pk, w, _ := n.keyOrWaiter(h.Addr, false)
	if w == nil {
		return pk, nil
	}
	return n.awaitKey(ctx, h, h.Addr, w, -1)
}

// keyOrWaiter returns a's cached key, or (with w non-nil) what a's next ANSPUBKEY will wake. With
// bounded, no new waiter is made beyond maxKeyWaits (ok false: no key and nothing to wait for).
func (n *Node) keyOrWaiter(a netip.AddrPort, bounded bool) (pk peerKey, w *keyWaiter, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if pk, ok := n.peerKeys.get(a); ok {
		return pk, nil, true
	}
	w, ok = n.keyWait[a]
	if !ok {
		if bounded && len(n.keyWait) >= maxKeyWaits {
			return peerKey{}, nil, false
		}
		w = &keyWaiter{done: make(chan struct{})}
		n.keyWait[a] = w
	}
	w.users++
	return peerKey{}, w, true
}

// awaitKey asks a for its key with GETPUBKEY every KeyInterval, KeyTries times, until w wakes. h says
// how to write to it. reqLen < 0: our own request; otherwise the requests answer a packet of that size
// (see answer).
func (n *Node) awaitKey(ctx context.Context, h *Host, a netip.AddrPort, w *keyWaiter, reqLen int) (peerKey, error) {
	req := n.packetFor(h, wire.GetPubKey, capsText(), nil).Bytes()
	t := time.NewTimer(0)
	defer t.Stop()
	defer n.dropKeyWaiter(a, w)
	for sent := 0; ; {
		select {
		case <-w.done:
			return w.pk, nil
		case <-ctx.Done():
			return peerKey{}, ctx.Err()
		case <-t.C:
			if sent == n.cfg.KeyTries {
				return peerKey{}, fmt.Errorf("public key of %s: no ANSPUBKEY after %d requests: %w",
					h.DisplayName(), sent, ErrNoKey)
			}
			if reqLen < 0 {
				n.writeRaw(req, a)
			} else {
				n.answerRaw(a, reqLen, req)
			}
			sent++
			t.Reset(n.cfg.KeyInterval)
		}
	}
}

// dropKeyWaiter ends one use of a waiter (from keyOrWaiter); the last one forgets a waiter nobody
// answered, so that the table of waiters stays small.
func (n *Node) dropKeyWaiter(a netip.AddrPort, w *keyWaiter) {
	if w == nil {
		return
	}
	n.mu.Lock()
	if w.users--; w.users <= 0 && n.keyWait[a] == w {
		delete(n.keyWait, a)
	}
	n.mu.Unlock()
}

// capsText is our capability as GETPUBKEY carries it: lowercase hex, as WIN writes it.
func capsText() string { return strconv.FormatUint(uint64(crypt.Supported), 16) }

// reject reports a packet the node dropped or could not read, with the reason.
func (n *Node) reject(h Host, no uint32, why string) {
	n.log.Debug("rejected", "from", h.Addr, "user", h.User, "why", why)
	n.emit(Event{Kind: EventRejected, Host: h, Packet: no, Text: why})
}
