package crypt

import (
	"crypto/rsa"
	"fmt"
	"io"
)

// Encrypt builds the encrypted SENDMSG extension for plain as WIN does (INTEROP.md §3.6): a fresh session
// key from rnd, plain padded with PKCS#7 and encrypted in CBC (IV zeros, or the packet number with
// PacketNoIV), the session key encrypted to `to` with RSA PKCS#1 v1.5, and with a sign flag a PKCS#1 v1.5
// signature of plain by signer. plain already ends with its NUL (and, with ENCEXTMSGOPT, the file and
// recipient lists: see AppendPlaintext); nothing is added to it.
//
// alg must be one of WIN's two pairs, RSA2048|AES256 (options PacketNoIV, EncodeBase64, one sign flag)
// or RSA1024|Blowfish128 (options PacketNoIV, EncodeBase64), as Choose returns them; the recipient's key
// must have that RSA size. Since Go 1.26 crypto/rsa takes its padding randomness from the system and
// ignores rnd; the session key always comes from rnd.
func Encrypt(rnd io.Reader, alg Caps, packetNo uint32, to *rsa.PublicKey, signer *rsa.PrivateKey, plain []byte) (Message, error) {
	var m Message
	pair := alg &^ (pairOptions | signBits)
	switch {
	case pair != RSA2048|AES256 && pair != RSA1024|Blowfish128:
		return m, fmt.Errorf("encrypt: caps %X are neither RSA2048|AES256 nor RSA1024|Blowfish128 with options", uint32(alg))
	case alg&signBits != 0 && pair != RSA2048|AES256:
		return m, fmt.Errorf("encrypt: caps %X: WIN signs only with the RSA2048|AES256 pair", uint32(alg))
	case alg.Has(signBits):
		return m, fmt.Errorf("encrypt: caps %X name both SignSHA1 and SignSHA256", uint32(alg))
	}
	s, _ := suiteOf(pair)
	if to == nil || to.N == nil || to.N.BitLen() != s.rsaBits {
		return m, fmt.Errorf("encrypt: recipient key: %d bits, caps %X name RSA-%d", keyBits(to), uint32(alg), s.rsaBits)
	}

	key := make([]byte, s.keyLen)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return m, fmt.Errorf("encrypt: session key: %w", err)
	}
	blk, err := newBlock(s, key)
	if err != nil {
		return m, fmt.Errorf("encrypt: session key: %w", err)
	}
	m.Body = cbcEncrypt(blk, iv(alg, s.block, packetNo), plain)
	// Deprecated in Go, but PKCS#1 v1.5 is what every IP Messenger client speaks; there is no OAEP variant.
	if m.Key, err = rsa.EncryptPKCS1v15(rnd, to, key); err != nil {
		return m, fmt.Errorf("encrypt: session key: %w", err)
	}
	if alg&signBits != 0 {
		if m.Sign, err = sign(signer, alg, plain); err != nil {
			return m, fmt.Errorf("encrypt: %w", err)
		}
	}
	m.Caps = alg
	return m, nil
}

// Decrypt returns the plaintext of m, normally ending with its NUL (kept). priv is our private key of
// the RSA size m.Caps names; packetNo is the SENDMSG's packet number (for PacketNoIV). RC2_40 messages
// from old clients are read too; Hato never sends them.
func (m Message) Decrypt(priv *rsa.PrivateKey, packetNo uint32) ([]byte, error) {
	s, err := suiteOf(m.Caps)
	if err != nil {
		return nil, fmt.Errorf("decrypt: caps: %w", err)
	}
	if priv == nil || priv.N == nil || priv.N.BitLen() != s.rsaBits {
		return nil, fmt.Errorf("decrypt: session key: message is for RSA-%d, our key has %d bits", s.rsaBits, keyBits(pubOf(priv)))
	}
	ct, err := leftPad(m.Key, priv.Size())
	if err != nil {
		return nil, fmt.Errorf("decrypt: session key: %w", err)
	}
	key, err := rsa.DecryptPKCS1v15(nil, priv, ct)
	if err != nil {
		return nil, fmt.Errorf("decrypt: session key: %w", err)
	}
	blk, err := newBlock(s, key)
	if err != nil {
		return nil, fmt.Errorf("decrypt: session key: %w", err)
	}
	plain, err := cbcDecrypt(blk, iv(m.Caps, s.block, packetNo), m.Body)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return plain, nil
}

// leftPad restores the leading zero bytes a big-integer printer may have dropped: crypto/rsa wants
// ciphertexts and signatures exactly as long as the modulus.
func leftPad(b []byte, size int) ([]byte, error) {
	if len(b) > size {
		return nil, fmt.Errorf("%d bytes, longer than the %d-byte modulus", len(b), size)
	}
	if len(b) == size {
		return b, nil
	}
	out := make([]byte, size)
	copy(out[size-len(b):], b)
	return out, nil
}

func keyBits(pub *rsa.PublicKey) int {
	if pub == nil || pub.N == nil {
		return 0
	}
	return pub.N.BitLen()
}

func pubOf(priv *rsa.PrivateKey) *rsa.PublicKey {
	if priv == nil {
		return nil
	}
	return &priv.PublicKey
}
