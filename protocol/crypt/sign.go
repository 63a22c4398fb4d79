package crypt

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
)

// digest hashes plain with the hash c names: SHA-256 when it has SignSHA256, else SHA-1.
func digest(c Caps, plain []byte) (crypto.Hash, []byte) {
	if c.Has(SignSHA256) {
		sum := sha256.Sum256(plain)
		return crypto.SHA256, sum[:]
	}
	sum := sha1.Sum(plain)
	return crypto.SHA1, sum[:]
}

// sign makes the SIGN part: RSA PKCS#1 v1.5 over the plaintext, big-endian like every RSA value here.
func sign(signer *rsa.PrivateKey, c Caps, plain []byte) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("sign: caps ask for a signature but there is no signing key")
	}
	h, sum := digest(c, plain)
	sig, err := rsa.SignPKCS1v15(nil, signer, h, sum)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig, nil
}

// Verify checks m.Sign over plain (the decrypted plaintext) with the sender's public key: SHA-256 when
// m.Caps has SignSHA256, else SHA-1. WIN verifies only when it already knows the sender's 2048-bit key.
func (m Message) Verify(pub *rsa.PublicKey, plain []byte) error {
	if len(m.Sign) == 0 {
		return errors.New("verify: message has no signature")
	}
	if pub == nil || pub.N == nil {
		return errors.New("verify: no public key")
	}
	sig, err := leftPad(m.Sign, pub.Size())
	if err != nil {
		return fmt.Errorf("verify: signature: %w", err)
	}
	h, sum := digest(m.Caps, plain)
	if err := rsa.VerifyPKCS1v15(pub, h, sum, sig); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}
