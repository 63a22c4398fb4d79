package crypt

import (
	"errors"
	"fmt"
	"strconv"
)

// Caps is a set of capability or algorithm flags. On the wire it is hex text: the first field of GETPUBKEY,
// ANSPUBKEY and of an encrypted SENDMSG. The values are the Windows client's (INTEROP.md §1.5); the
// G2/iptux lineage gives some bits other meanings, and WIN is the one everybody talks to.
type Caps uint32

const (
	RSA512        Caps = 0x00000001 // obsolete; receive only
	RSA1024       Caps = 0x00000002
	RSA2048       Caps = 0x00000004
	RC2_40        Caps = 0x00001000 // obsolete; receive only
	Blowfish128   Caps = 0x00020000
	AES256        Caps = 0x00100000 // G2 lineage calls this bit AES_128
	PacketNoIV    Caps = 0x00800000 // IV = the packet number in ASCII instead of zeros
	EncodeBase64  Caps = 0x01000000 // KEY, BODY and SIGN in base64 instead of hex
	NoEncFileBody Caps = 0x04000000 // file data is not encrypted (draft-14)
	SignSHA1      Caps = 0x20000000
	SignSHA256    Caps = 0x40000000
)

// Supported is what Hato advertises in GETPUBKEY and ANSPUBKEY: both Windows pairs with every option
// (0x61920006; W4.99 sends 0x65920006, the extra bit being NoEncFileBody for file transfer).
const Supported = RSA1024 | RSA2048 | Blowfish128 | AES256 | PacketNoIV | EncodeBase64 | SignSHA1 | SignSHA256

// Bits a message's caps may use to name its RSA size and its cipher. Other cipher bits (RC2-128,
// AES-128, ...) were never used by a released Windows client; a message naming them is refused.
const (
	rsaBits    = RSA512 | RSA1024 | RSA2048
	cipherBits = RC2_40 | Blowfish128 | AES256
	signBits   = SignSHA1 | SignSHA256
	// The options that go with either pair; sign flags only with the 2048 pair (draft-14 §4 4).
	pairOptions = PacketNoIV | EncodeBase64
)

// Has reports whether every bit of x is set in c.
func (c Caps) Has(x Caps) bool { return c&x == x }

// ParseCaps reads capability flags: 1 to 8 hex digits in either case (WIN writes lowercase in GETPUBKEY
// and uppercase elsewhere).
func ParseCaps(b []byte) (Caps, error) {
	if len(b) == 0 || len(b) > 8 || !isHex(b) {
		return 0, fmt.Errorf("caps: %q is not 1 to 8 hex digits", short(b))
	}
	v, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil { // unreachable after the checks above
		return 0, fmt.Errorf("caps: %w", err)
	}
	return Caps(v), nil
}

// appendCaps appends c in uppercase hex: WIN prints CAPA with %X everywhere but in GETPUBKEY.
func appendCaps(dst []byte, c Caps) []byte {
	start := len(dst)
	dst = strconv.AppendUint(dst, uint64(c), 16)
	for i := start; i < len(dst); i++ {
		if 'a' <= dst[i] && dst[i] <= 'f' {
			dst[i] -= 'a' - 'A'
		}
	}
	return dst
}

// ErrNoCommonCipher: the peer offers neither Windows pair for the key it gave.
var ErrNoCommonCipher = errors.New("no common cipher")

// Choose picks the algorithm set for a message to a peer that advertised peer and answered ANSPUBKEY
// with a key of keyBits bits. Only WIN's two pairs are ever chosen (draft-14 §4 4). Like WIN it goes by
// the bits alone: a G2-lineage peer whose 0x100000 means AES-128 still gets the AES-256 pair.
func Choose(peer Caps, keyBits int) (Caps, error) {
	opts := peer & pairOptions
	switch {
	case keyBits == 2048 && peer.Has(RSA2048|AES256):
		alg := RSA2048 | AES256 | opts
		// One sign flag only: the receiver picks the hash from it.
		if peer.Has(SignSHA256) {
			alg |= SignSHA256
		} else if peer.Has(SignSHA1) {
			alg |= SignSHA1
		}
		return alg, nil
	case keyBits == 1024 && peer.Has(RSA1024|Blowfish128):
		return RSA1024 | Blowfish128 | opts, nil
	}
	return 0, fmt.Errorf("%w: peer offers %X with a %d-bit key", ErrNoCommonCipher, uint32(peer), keyBits)
}

// KeyBitsFor says which of our keys answers a GETPUBKEY from a peer with these caps: the largest RSA
// size it has, 0 when it has neither 2048 nor 1024.
func KeyBitsFor(peer Caps) int {
	switch {
	case peer.Has(RSA2048):
		return 2048
	case peer.Has(RSA1024):
		return 1024
	}
	return 0
}

// suite is what a message's caps select: RSA size, cipher and the cipher's sizes.
type suite struct {
	rsaBits int  // 512, 1024 or 2048
	cipher  Caps // RC2_40, Blowfish128 or AES256
	keyLen  int  // session key bytes
	block   int  // cipher block bytes
}

// suiteOf checks that c names exactly one RSA size and exactly one cipher.
func suiteOf(c Caps) (suite, error) {
	var s suite
	switch c & rsaBits {
	case RSA512:
		s.rsaBits = 512
	case RSA1024:
		s.rsaBits = 1024
	case RSA2048:
		s.rsaBits = 2048
	case 0:
		return s, fmt.Errorf("caps %X name no RSA size", uint32(c))
	default:
		return s, fmt.Errorf("caps %X name more than one RSA size", uint32(c))
	}
	switch s.cipher = c & cipherBits; s.cipher {
	case AES256:
		s.keyLen, s.block = 32, 16
	case Blowfish128:
		s.keyLen, s.block = 16, 8
	case RC2_40:
		s.keyLen, s.block = 5, 8
	case 0:
		return s, fmt.Errorf("caps %X name no supported cipher", uint32(c))
	default:
		return s, fmt.Errorf("caps %X name more than one cipher", uint32(c))
	}
	return s, nil
}

// isHex reports whether b is all hex digits (either case). strconv and math/big also take signs,
// prefixes or underscores in some modes; the wire has none of them.
func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// short keeps error messages small when quoting network bytes.
func short(b []byte) string {
	if len(b) > 24 {
		return string(b[:24]) + "..."
	}
	return string(b)
}
