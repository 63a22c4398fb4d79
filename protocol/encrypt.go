package protocol

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// ErrNotEncrypted means a message was not sent because it could not be encrypted for that peer and the
// user asked never to send in the clear (Config.RequireEncryption), or the peer's name is fingerprinted.
var ErrNotEncrypted = errors.New("cannot encrypt")

// maxToList is draft-14's cap on the TO: recipient list inside an encrypted message.
const maxToList = 30

// canEncrypt reports whether h says it reads encrypted messages. iptux sets no ENCRYPTOPT; its forks
// that do use other AES bits, and Choose refuses them.
func canEncrypt(h *Host) bool { return h.Caps.Has(wire.EncryptOpt) && !h.Iptux }

// encryptFor turns one recipient's message into an encrypted one when the peer can read it: it fetches
// the peer's key (cached after the first time), picks WIN's cipher pair for it and signs when both sides
// can. It returns the command, message part and clear extension to send. Without encryption it returns
// them unchanged (alg 0), or ErrNotEncrypted when clear text is not allowed for h.
func (n *Node) encryptFor(ctx context.Context, h *Host, no uint32, cmd wire.Command, text, files []byte,
	to []crypt.Recipient) (_ wire.Command, msg, extra []byte, alg crypt.Caps, err error) {
	_, _, fingerprinted := crypt.SplitFingerprintName(h.User)
	mustEncrypt := n.cfg.RequireEncryption || fingerprinted
	// A peer we never heard an entry from may still have keys: when clear text is not an option, ask.
	unheard := h.Caps == 0 && h.Version == ""
	if !canEncrypt(h) && !(mustEncrypt && unheard) {
		if mustEncrypt {
			return 0, nil, nil, 0, fmt.Errorf("send to %s: the peer does not advertise encryption: %w", h.DisplayName(), ErrNotEncrypted)
		}
		return cmd, text, files, 0, nil
	}
	pk, err := n.publicKey(ctx, h)
	if err == nil {
		alg, err = crypt.Choose(pk.caps, pk.key.N.BitLen())
	}
	if err != nil {
		if mustEncrypt || ctx.Err() != nil {
			return 0, nil, nil, 0, fmt.Errorf("send to %s: %w (%w)", h.DisplayName(), err, ErrNotEncrypted)
		}
		// WIN's behaviour: a peer that does not answer in time gets the message in the clear.
		n.log.Debug("sending in the clear", "to", h.Addr, "err", err)
		return cmd, text, files, 0, nil
	}
	var signer *rsa.PrivateKey
	if keys := n.currentKeys(); keys != nil {
		signer = keys.RSA2048
	}
	if signer == nil {
		alg &^= crypt.SignSHA1 | crypt.SignSHA256
	}
	ext := h.Caps.Has(wire.EncExtMsgOpt)
	var plain []byte
	if ext {
		if len(to) < 2 {
			to = nil // a TO: list is for messages with several recipients
		}
		plain = crypt.AppendPlaintext(nil, text, files, to)
		cmd |= wire.EncExtMsgOpt
	} else {
		plain = append(append([]byte(nil), text...), 0)
		extra = files
	}
	m, err := crypt.Encrypt(rand.Reader, alg, no, pk.key, signer, plain)
	if err != nil {
		return 0, nil, nil, 0, fmt.Errorf("send to %s: encrypt: %w", h.DisplayName(), err)
	}
	return cmd | wire.EncryptOpt, crypt.AppendMessage(nil, m), extra, alg, nil
}

// recipientList is the TO: list of a message to several hosts, in cs.
func recipientList(to []Host, cs wire.Codepage) []crypt.Recipient {
	if len(to) < 2 {
		return nil
	}
	out := make([]crypt.Recipient, 0, min(len(to), maxToList))
	for _, h := range to[:min(len(to), maxToList)] {
		out = append(out, crypt.Recipient{User: string(wire.Encode(h.User, cs)), Host: string(wire.Encode(h.Host, cs))})
	}
	return out
}

// cipherName says which pair a message used, for people: "RSA2048+AES256" or "RSA1024+Blowfish128".
func cipherName(c crypt.Caps) string {
	switch {
	case c.Has(crypt.RSA2048 | crypt.AES256):
		return "RSA2048+AES256"
	case c.Has(crypt.RSA1024 | crypt.Blowfish128):
		return "RSA1024+Blowfish128"
	case c.Has(crypt.RC2_40):
		return "RC2-40"
	}
	return fmt.Sprintf("%X", uint32(c))
}
