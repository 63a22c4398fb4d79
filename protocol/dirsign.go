package protocol

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Signed directory packets (docs/member-master.md §1.4). Every member-master packet but DIR_AGENTPACKET
// is an IPDict that ends with the signer's key and signature: PUBE, PUBN (the RSA-2048 modulus,
// big-endian), EF = SIGN_SHA256, EC (the signer's capability bits), then SIGN, RSA PKCS#1 v1.5 over
// SHA-256 of the whole dict as it stood before SIGN was appended. WIN signs with CryptSignHash and
// reverses the bytes into big-endian order, which is what crypto/rsa writes and reads.

// dirKeyBytes is the size of PUBN and SIGN: Windows signs directory packets with its 2048-bit key only.
const dirKeyBytes = 256

// sealDict puts the signature block before SIGN into d, as WIN's SignIPDict does (an old SIGN goes; keys
// already there keep their places), and returns the bytes the signature covers.
func sealDict(d *wire.Dict, pub *rsa.PublicKey, ec crypt.Caps) []byte {
	d.Delete(wire.KeySign)
	d.SetInt(wire.KeyPubE, int64(pub.E))
	d.SetBytes(wire.KeyPubN, pub.N.FillBytes(make([]byte, dirKeyBytes)))
	d.SetInt(wire.KeyEF, wire.SignSHA256)
	d.SetInt(wire.KeyEC, int64(ec))
	return wire.AppendIPDict(nil, *d)
}

// signDict signs d with our 2048-bit key, advertising ec as our capabilities: SIGN becomes its last key.
func signDict(d *wire.Dict, key *rsa.PrivateKey, ec crypt.Caps) error {
	if key == nil || key.Size() != dirKeyBytes {
		return errors.New("sign directory packet: needs an RSA-2048 key")
	}
	sum := sha256.Sum256(sealDict(d, &key.PublicKey, ec))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("sign directory packet: %w", err)
	}
	d.SetBytes(wire.KeySign, sig)
	return nil
}

// dictSigner reads the signer's public key from a signed dict's PUBE and PUBN, checked enough that
// crypto/rsa can use it: a 256-byte odd modulus, an odd exponent from 3 to 2^31-1.
func dictSigner(d *wire.Dict) (*rsa.PublicKey, error) {
	n, ok := d.Raw(wire.KeyPubN)
	if !ok {
		return nil, errors.New("no PUBN")
	}
	if len(n) != dirKeyBytes {
		return nil, fmt.Errorf("PUBN: %d bytes, want the %d of an RSA-2048 modulus", len(n), dirKeyBytes)
	}
	e, err := d.Int(wire.KeyPubE)
	if err != nil {
		return nil, err
	}
	if e < 3 || e > 1<<31-1 || e%2 == 0 {
		return nil, fmt.Errorf("PUBE: %#x is not an odd number from 3 to 2^31-1", e)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(e)}
	if pub.N.Bit(0) == 0 {
		return nil, errors.New("PUBN: even modulus")
	}
	return pub, nil
}

// verifyDict checks a received dict's signature with the key it carries and returns that key: SIGN must be
// the last key, EF must say SHA-256, and SIGN must verify over SHA-256 of the dict packed without it
// (wire.SignedBytes). Whose key it is, is the caller's question.
func verifyDict(d wire.Dict) (*rsa.PublicKey, error) {
	if !d.Has(wire.KeySign) {
		return nil, errors.New("verify: unsigned (no SIGN)")
	}
	signed, err := wire.SignedBytes(d)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if ef, err := d.Int(wire.KeyEF); err != nil || ef&wire.SignSHA256 == 0 {
		return nil, fmt.Errorf("verify: EF does not say SIGN_SHA256")
	}
	pub, err := dictSigner(&d)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	sig, _ := d.Raw(wire.KeySign)
	if len(sig) != dirKeyBytes {
		return nil, fmt.Errorf("verify: SIGN: %d bytes, want %d", len(sig), dirKeyBytes)
	}
	// A modulus with leading zero bytes is shorter than 256 bytes for crypto/rsa; so must the signature be.
	lead := dirKeyBytes - pub.Size()
	for _, b := range sig[:lead] {
		if b != 0 {
			return nil, errors.New("verify: SIGN: larger than the modulus")
		}
	}
	sum := sha256.Sum256(signed)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig[lead:]); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return pub, nil
}

// signerOwnsUID applies WIN's rule (VerifyUserNameDigest): a fingerprinted user name (UID) must be the
// signer's, whose key has fingerprint fp.
func signerOwnsUID(d *wire.Dict, fp string) (why string) {
	if uid, _ := d.Str(dkUID); fingerprinted(uid) {
		if _, ufp, _ := crypt.SplitFingerprintName(uid); ufp != fp {
			return fmt.Sprintf("UID %q is not the signer's (key %s)", uid, fp)
		}
	}
	return ""
}
