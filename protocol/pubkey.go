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
	done chan struct{}
	pk   peerKey
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
// requester's own key when it signs, so that its signatures can be verified.
func (n *Node) onGetPubKey(from netip.AddrPort, p wire.Packet) {
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
	n.reply(from, p, wire.AnsPubKey, string(crypt.AppendPublicKey(nil, crypt.Supported, &priv.PublicKey)))
	if caps&(crypt.SignSHA1|crypt.SignSHA256) != 0 && !p.Cmd.Has(wire.AutoRetOpt) {
		h := n.sender(from, p)
		if _, ok := n.cachedKey(h); !ok {
			n.writeTo(n.packetFor(&h, wire.GetPubKey|wire.AutoRetOpt, capsText(), nil), from)
		}
	}
}

// onAnsPubKey keeps a peer's key. A fingerprinted user name must match the key's fingerprint (and offer
// RSA-2048 with SHA-1 signatures, draft-14): otherwise someone else is using that name and the answer
// is dropped.
func (n *Node) onAnsPubKey(from netip.AddrPort, p wire.Packet) {
	h := n.sender(from, p)
	caps, pub, err := crypt.ParsePublicKey(bytes.TrimSpace(p.Msg))
	if err != nil {
		n.reject(h, p.No, fmt.Sprintf("ANSPUBKEY: %v", err))
		return
	}
	if _, fp, ok := crypt.SplitFingerprintName(h.User); ok {
		switch {
		case !caps.Has(crypt.RSA2048 | crypt.SignSHA1):
			n.reject(h, p.No, fmt.Sprintf("ANSPUBKEY: fingerprinted user %q without RSA-2048 and SHA-1 signatures", h.User))
			return
		case crypt.Fingerprint(pub) != fp:
			n.reject(h, p.No, fmt.Sprintf("ANSPUBKEY: key does not match the fingerprint of user %q (spoofed name)", h.User))
			return
		}
	}
	k := h.Addr
	n.mu.Lock()
	n.peerKeys[k] = peerKey{caps: caps, key: pub}
	if w, ok := n.keyWait[k]; ok {
		w.pk = n.peerKeys[k]
		close(w.done)
		delete(n.keyWait, k)
	}
	n.mu.Unlock()
}

// forgetKey drops a peer's cached key, which may be stale: it may come back with a new one.
func (n *Node) forgetKey(k netip.AddrPort) {
	n.mu.Lock()
	delete(n.peerKeys, k)
	n.mu.Unlock()
}

func (n *Node) cachedKey(h Host) (peerKey, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	pk, ok := n.peerKeys[h.Addr]
	return pk, ok
}

// publicKey returns h's key, asking with GETPUBKEY every KeyInterval, KeyTries times, when none is cached.
func (n *Node) publicKey(ctx context.Context, h *Host) (peerKey, error) {
	pk, w := n.keyOrWaiter(h)
	if w == nil {
		return pk, nil
	}
	return n.awaitKey(ctx, h, w)
}

// keyOrWaiter returns h's cached key, or (with w non-nil) what its next ANSPUBKEY will wake.
func (n *Node) keyOrWaiter(h *Host) (pk peerKey, w *keyWaiter) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if pk, ok := n.peerKeys[h.Addr]; ok {
		return pk, nil
	}
	w, ok := n.keyWait[h.Addr]
	if !ok {
		w = &keyWaiter{done: make(chan struct{})}
		n.keyWait[h.Addr] = w
	}
	return peerKey{}, w
}

// awaitKey asks h for its key with GETPUBKEY every KeyInterval, KeyTries times, until w wakes.
func (n *Node) awaitKey(ctx context.Context, h *Host, w *keyWaiter) (peerKey, error) {
	req := n.packetFor(h, wire.GetPubKey, capsText(), nil).Bytes()
	t := time.NewTimer(0)
	defer t.Stop()
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
			n.writeRaw(req, h.Addr)
			sent++
			t.Reset(n.cfg.KeyInterval)
		}
	}
}

// capsText is our capability as GETPUBKEY carries it: lowercase hex, as WIN writes it.
func capsText() string { return strconv.FormatUint(uint64(crypt.Supported), 16) }

// reject reports a packet the node dropped or could not read, with the reason.
func (n *Node) reject(h Host, no uint32, why string) {
	n.log.Debug("rejected", "from", h.Addr, "user", h.User, "why", why)
	n.emit(Event{Kind: EventRejected, Host: h, Packet: no, Text: why})
}
