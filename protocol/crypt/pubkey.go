package crypt

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"math/big"
	"strconv"
)

// Limits for a peer's public key. The exponent must fit rsa.PublicKey.E on every platform and be odd;
// the modulus stays within what any client uses (WIN: 1024 and 2048) and what RSA can be done with quickly.
const (
	minModulusBits = 512
	maxModulusBits = 4096
	maxModulusHex  = maxModulusBits / 4
	maxExponent    = 1<<31 - 1
)

// AppendPublicKey appends the ANSPUBKEY extension "CAPA:E-N" the way WIN writes it (INTEROP.md §3.6):
// CAPA uppercase hex, E and the big-endian modulus N in lowercase hex, never base64.
func AppendPublicKey(dst []byte, caps Caps, pub *rsa.PublicKey) []byte {
	dst = append(appendCaps(dst, caps), ':')
	dst = strconv.AppendUint(dst, uint64(pub.E), 16)
	dst = append(dst, '-')
	return pub.N.Append(dst, 16)
}

// ParsePublicKey reads an ANSPUBKEY extension "CAPA:E-N" (hex in either case; the caller has already
// removed the trailing NUL). The key is checked enough that rsa can use it without surprises.
func ParsePublicKey(b []byte) (Caps, *rsa.PublicKey, error) {
	capa, key, ok := bytes.Cut(b, []byte{':'})
	if !ok {
		return 0, nil, fmt.Errorf("pubkey: no ':' after the caps in %q", short(b))
	}
	caps, err := ParseCaps(capa)
	if err != nil {
		return 0, nil, fmt.Errorf("pubkey: %w", err)
	}
	e, n, ok := bytes.Cut(key, []byte{'-'})
	if !ok {
		return 0, nil, fmt.Errorf("pubkey: no '-' between exponent and modulus in %q", short(key))
	}
	// Eight digits hold 2^31-1; leading zeros beyond that are not worth accepting.
	if len(e) == 0 || len(e) > 8 || !isHex(e) {
		return 0, nil, fmt.Errorf("pubkey: exponent: %q is not 1 to 8 hex digits", short(e))
	}
	ev, _ := strconv.ParseUint(string(e), 16, 32)
	if ev < 3 || ev > maxExponent || ev%2 == 0 {
		return 0, nil, fmt.Errorf("pubkey: exponent: %#x is not an odd number from 3 to 2^31-1", ev)
	}
	if len(n) == 0 || len(n) > maxModulusHex || !isHex(n) {
		return 0, nil, fmt.Errorf("pubkey: modulus: %q is not 1 to %d hex digits", short(n), maxModulusHex)
	}
	nv, _ := new(big.Int).SetString(string(n), 16)
	if bits := nv.BitLen(); bits < minModulusBits || bits > maxModulusBits {
		return 0, nil, fmt.Errorf("pubkey: modulus: %d bits, want %d to %d", bits, minModulusBits, maxModulusBits)
	}
	if nv.Bit(0) == 0 {
		return 0, nil, fmt.Errorf("pubkey: modulus: even")
	}
	return caps, &rsa.PublicKey{N: nv, E: int(ev)}, nil
}
