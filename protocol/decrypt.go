package protocol

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Receiving encrypted messages. RSA decryption costs about a millisecond, so a cheap check comes first:
//
//   - Only a known address (an entry exchange completed, see knownAddr) is decrypted for. Anyone else's
//     encrypted message is set aside unacknowledged and the sender gets our BR_ENTRY: its ANSENTRY makes
//     it known, and its resend (WIN and Hato resend every second) is read. A peer that knows us only
//     from a host list and never exchanged entries with us is in that case: its message arrives one
//     resend later. Nothing is lost, and nothing is acknowledged unread.
//   - The shape is checked (crypt.ParseMessage), and a fingerprinted name's message must be signed.
//   - Each IP gets decryptBurst, then decryptRate a second; at most decryptQueue wait, and
//     decryptWorkers() decrypt at once, off the read loop. Over that, the message is set aside
//     unacknowledged, as above.
//
// A signature is verified with the key of the host the message is attributed to, as that host's main
// address answered (for a message from its second interface too): never with a key another address
// gave for those names. A fingerprinted name's key is the one that matches the fingerprint, whichever
// address sent it.

// decrypted is what an encrypted SENDMSG held.
type decrypted struct {
	text, files []byte
	to          []crypt.Recipient
	cipher      crypt.Caps
	signed      bool
	verified    bool
}

// encrypted is an encrypted SENDMSG as the read loop hands it on: parsed, and for a signed one the
// signer's key as it was when the message arrived, or the waiter for it. Taking them in the read loop
// matters: the sender's BR_EXIT, right behind its message, drops the key from the cache.
type encrypted struct {
	msg        crypt.Message
	signerAddr netip.AddrPort // the address whose key verifies the signature
	signer     peerKey        // that key, when cached
	haveKey    bool
	wait       *keyWaiter // or what wakes when it arrives
	fps        []string   // fingerprints the names carry: the key must match each
}

// onEncrypted checks an encrypted message cheaply, then decrypts it off the read loop. h is the known
// host at the source address, or nil.
func (n *Node) onEncrypted(in inbound, h *Host) {
	from, p := in.from, in.p
	if !n.knownAddr(from) {
		n.forgetSeen(in.key)
		hh := n.headerHost(from, p)
		if h != nil {
			hh = *h
		}
		n.answerEntry(wire.BrEntry, &hh, from, in.size)
		n.log.Debug("encrypted message from an unknown address set aside; introduced ourselves", "from", from)
		return
	}
	// A known address has a host.
	m, err := crypt.ParseMessage(p.Msg)
	if err != nil {
		n.dropMessage(in, *h, fmt.Sprintf("encrypted message: %v", err))
		return
	}
	e := encrypted{msg: m}
	header := n.headerHost(from, p).User
	for _, user := range []string{header, h.User} {
		if _, fp, ok := crypt.SplitFingerprintName(user); ok {
			e.fps = append(e.fps, fp)
		}
	}
	if len(e.fps) > 0 && m.Sign == nil {
		n.dropMessage(in, *h, fmt.Sprintf("unsigned message from fingerprinted user %q (spoofed name)", firstFP(header, h.User)))
		return
	}
	if n.currentKeys() == nil {
		n.dropMessage(in, *h, "encrypted message: our keys are not ready yet")
		return
	}
	n.mu.Lock()
	ok := n.decrypting < decryptQueue && n.decrypts.allow(from.Addr(), in.at)
	if ok {
		n.decrypting++
	}
	n.mu.Unlock()
	if !ok {
		n.forgetSeen(in.key)
		n.log.Debug("encrypted message set aside: too many to decrypt", "from", from)
		return
	}
	if m.Sign != nil {
		var ok bool
		e.signerAddr = n.signerOf(from, e.fps)
		e.signer, e.wait, ok = n.keyOrWaiter(e.signerAddr, true)
		e.haveKey = ok && e.wait == nil
	}
	// Off the read loop: decryption is slow, and checking the signature may need the sender's ANSPUBKEY,
	// which this loop reads.
	ctx := n.runContext()
	n.wg.Go(func() {
		d, err := n.decrypt(ctx, in, h, e)
		switch {
		case err != nil:
			n.dropMessage(in, *h, fmt.Sprintf("encrypted message: %v", err))
		case len(e.fps) > 0 && !d.verified:
			n.dropMessage(in, *h, fmt.Sprintf("message from fingerprinted user %q without a valid signature (spoofed name)",
				firstFP(header, h.User)))
		default:
			n.deliver(in, h, d)
		}
	})
}

// signerOf says whose key verifies a message from `from`: the main address of the host there, or the
// source itself for a fingerprinted name (the fingerprint says which key).
func (n *Node) signerOf(from netip.AddrPort, fps []string) netip.AddrPort {
	if len(fps) > 0 {
		return from
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if e := n.hosts.byAddr[from]; e != nil {
		return e.Addr
	}
	return from
}

// decrypt opens an encrypted SENDMSG with the private key its algorithm set names and checks its
// signature with the signer's key, asking for that key first when it is not known yet.
func (n *Node) decrypt(ctx context.Context, in inbound, h *Host, e encrypted) (decrypted, error) {
	var d decrypted
	p := in.p
	release := func() {
		n.mu.Lock()
		n.decrypting--
		n.mu.Unlock()
	}
	select {
	case n.decryptSem <- struct{}{}:
	case <-ctx.Done():
		release()
		n.dropKeyWaiter(e.signerAddr, e.wait)
		return d, ctx.Err()
	}
	plain, err := n.open(e.msg, p.No)
	<-n.decryptSem
	release()
	if err != nil {
		n.dropKeyWaiter(e.signerAddr, e.wait)
		return d, err
	}
	d.cipher = e.msg.Caps
	if p.Cmd.Has(wire.EncExtMsgOpt) {
		d.text, d.files, d.to = crypt.SplitPlaintext(plain)
	} else {
		d.text, _, _ = crypt.SplitPlaintext(plain)
		d.files = p.Extra
	}
	if e.msg.Sign == nil {
		return d, nil
	}
	d.signed = true
	// The sender's key may still be on its way: it asks for ours first and answers our request only
	// after it sent the message. A bounded wait keeps a silent peer from holding the message back.
	kctx, cancel := context.WithTimeout(ctx, n.cfg.KeyInterval*time.Duration(n.cfg.KeyTries))
	defer cancel()
	signer := h
	if e.signerAddr != in.from {
		if s := n.hostAt(e.signerAddr); s != nil {
			signer = s
		}
	}
	// Waiting for keys is bounded too: beyond maxKeyWaits messages at once, one is not verified.
	n.mu.Lock()
	wait := n.verifying < maxKeyWaits
	if wait {
		n.verifying++
	}
	n.mu.Unlock()
	if !wait {
		if e.wait != nil {
			n.dropKeyWaiter(e.signerAddr, e.wait)
			e.wait = nil
		}
	} else {
		defer func() {
			n.mu.Lock()
			n.verifying--
			n.mu.Unlock()
		}()
	}
	pk, err := e.signer, error(nil)
	switch {
	case e.wait != nil:
		pk, err = n.awaitKey(kctx, signer, e.signerAddr, e.wait, in.size)
	case !e.haveKey:
		err = ErrNoKey
	}
	if err == nil {
		d.verified = n.verify(e, pk.key, plain)
	}
	if err == nil && !d.verified && wait {
		// The cached key may be stale (the peer came back with a new one): ask once more.
		n.forgetKey(e.signerAddr)
		if fresh, w, ok := n.keyOrWaiter(e.signerAddr, true); ok {
			if w != nil {
				fresh, err = n.awaitKey(kctx, signer, e.signerAddr, w, in.size)
			}
			if err == nil && !fresh.key.Equal(pk.key) {
				d.verified = n.verify(e, fresh.key, plain)
			}
		}
	}
	if !d.verified {
		n.log.Debug("signature not verified", "from", in.from, "key", err)
	}
	return d, nil
}

// open decrypts with our private key of the size the algorithm set names.
func (n *Node) open(m crypt.Message, no uint32) ([]byte, error) {
	keys := n.currentKeys()
	if keys == nil {
		return nil, errors.New("decrypt: our keys are not ready yet")
	}
	var priv *rsa.PrivateKey
	switch {
	case m.Caps.Has(crypt.RSA2048):
		priv = keys.RSA2048
	case m.Caps.Has(crypt.RSA1024):
		priv = keys.RSA1024
	default:
		return nil, fmt.Errorf("decrypt: no private key for algorithm set %X", uint32(m.Caps))
	}
	return m.Decrypt(priv, no)
}

// verify checks the signature with key, which must also match every fingerprint the names carry.
func (n *Node) verify(e encrypted, key *rsa.PublicKey, plain []byte) bool {
	if key == nil || e.msg.Verify(key, plain) != nil {
		return false
	}
	for _, fp := range e.fps {
		if key.N.BitLen() != 2048 || crypt.Fingerprint(key) != fp {
			return false
		}
	}
	return true
}
