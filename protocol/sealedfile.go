package protocol

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Encrypted file requests (draft-14 §8, docs/encrypted-files.md): the receiver seals its GETFILEDATA or
// GETDIRFILES like an encrypted SENDMSG (RSA-2048 + AES-256, signed) and puts a fresh AES-256 key in it;
// the sender answers with the data encrypted in AES-256-CTR under that key. A verified signature proves
// who asks, whatever the address.

// SealedFileRequest builds an encrypted GETFILEDATA or GETDIRFILES to h. args writes the request's
// plaintext (without its NUL) from the request's packet number and the data key, a fresh random AES-256
// key, which it returns with that number. ErrNotEncrypted: h cannot take one, or gave no usable key in
// time; the caller then asks in the clear or, when it must not, gives up.
func (n *Node) SealedFileRequest(ctx context.Context, h Host, cmd wire.Command, utf8 bool,
	args func(reqNo uint32, key []byte) []byte) (packet, key []byte, reqNo uint32, err error) {
	hh := n.known(h)
	keys := n.currentKeys()
	switch {
	case keys == nil || keys.RSA2048 == nil:
		return nil, nil, 0, fmt.Errorf("our keys are not ready yet: %w", ErrNotEncrypted)
	case !hh.Caps.Has(wire.CapFileEncOpt) || hh.Iptux:
		return nil, nil, 0, fmt.Errorf("%s does not take encrypted file requests: %w", hh.DisplayName(), ErrNotEncrypted)
	}
	kctx, cancel := context.WithTimeout(ctx, n.cfg.KeyInterval*time.Duration(n.cfg.KeyTries))
	defer cancel()
	pk, err := n.publicKey(kctx, hh)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, 0, ctx.Err()
		}
		return nil, nil, 0, fmt.Errorf("key of %s: %w (%w)", hh.DisplayName(), err, ErrNotEncrypted)
	}
	alg, err := crypt.Choose(pk.caps, pk.key.N.BitLen())
	if err != nil || !alg.Has(crypt.RSA2048|crypt.AES256) {
		return nil, nil, 0, fmt.Errorf("%s has no 2048-bit key for AES-256 (%d bits): %w", hh.DisplayName(),
			pk.key.N.BitLen(), ErrNotEncrypted)
	}
	if alg&(crypt.SignSHA1|crypt.SignSHA256) == 0 {
		alg |= crypt.SignSHA256 // the signature is what makes the sender trust the request
	}
	key = make([]byte, crypt.FileKeyLen)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, nil, 0, fmt.Errorf("file key: %w", err)
	}
	reqNo = n.nextNo()
	plain := append(args(reqNo, key), 0)
	m, err := crypt.Encrypt(rand.Reader, alg, reqNo, pk.key, keys.RSA2048, plain)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("seal file request: %w", err)
	}
	cs, flag := n.charsetFor(hh)
	if utf8 {
		cs, flag = wire.UTF8, wire.UTF8Opt
	}
	p := n.numbered(reqNo, cs, cmd|flag|wire.EncryptOpt|wire.EncFileOpt, crypt.AppendMessage(nil, m), nil)
	return p.Bytes(), key, reqNo, nil
}

// openFileRequest decrypts a sealed request into req (Plain, or OpenErr) and gives it the Verify that
// checks its signature against a host's key.
func (n *Node) openFileRequest(ctx context.Context, req *FileRequest, header string) {
	req.Sealed = true
	m, err := crypt.ParseMessage(req.Packet.Msg)
	if err != nil {
		req.OpenErr = fmt.Errorf("encrypted request: %w", err)
		return
	}
	if !m.Caps.Has(crypt.RSA2048 | crypt.AES256) {
		req.OpenErr = fmt.Errorf("encrypted request: algorithm set %X is not RSA2048+AES256", uint32(m.Caps))
		return
	}
	if m.Sign == nil {
		req.OpenErr = errors.New("encrypted request: not signed")
		return
	}
	// The RSA work is paid from the same per-source budget as encrypted messages: a stream of bogus
	// sealed requests from one address costs what a stream of bogus messages does.
	n.mu.Lock()
	allowed := n.decrypts.allow(req.From.Addr(), time.Now())
	n.mu.Unlock()
	if !allowed {
		req.OpenErr = errors.New("encrypted request: too many from this address, not decrypted")
		return
	}
	select {
	case n.decryptSem <- struct{}{}:
	case <-ctx.Done():
		req.OpenErr = ctx.Err()
		return
	}
	plain, err := n.open(m, req.Packet.No)
	<-n.decryptSem
	if err != nil {
		req.OpenErr = fmt.Errorf("encrypted request: %w", err)
		return
	}
	req.Plain = string(plain)
	req.Verify = func(ctx context.Context, h Host) error {
		hh := n.known(h)
		var fps []string // the fingerprints the names carry: the key must match each
		for _, user := range []string{header, hh.User} {
			if _, fp, ok := crypt.SplitFingerprintName(user); ok {
				fps = append(fps, fp)
			}
		}
		kctx, cancel := context.WithTimeout(ctx, n.cfg.KeyInterval*time.Duration(n.cfg.KeyTries))
		defer cancel()
		pk, err := n.publicKey(kctx, hh)
		if err != nil {
			return fmt.Errorf("no key of %s to check the signature: %w", hh.DisplayName(), err)
		}
		if n.verify(encrypted{msg: m, fps: fps}, pk.key, plain) {
			return nil
		}
		// The cached key may be stale (the peer came back with a new one): ask once more.
		n.forgetKey(hh.Addr)
		if fresh, err := n.publicKey(kctx, hh); err == nil && !fresh.key.Equal(pk.key) &&
			n.verify(encrypted{msg: m, fps: fps}, fresh.key, plain) {
			return nil
		}
		return fmt.Errorf("the signature does not match the key of %s", hh.DisplayName())
	}
}
