// Package rc2 implements the RC2 block cipher as described in RFC 2268.
//
// It exists for one job: decrypting messages from very old IP Messenger clients, which encrypt
// with RC2 reduced to 40 effective key bits in CBC mode. The Go standard library has no RC2, and
// the copy in golang.org/x/crypto lives in an internal package that cannot be imported, so this
// is a small implementation written from the RFC text. RC2, above all at 40 bits, gives no real
// confidentiality today; do not use it to protect anything new.
//
// New returns a cipher.Block, so the usual modes come from crypto/cipher, for example
// cipher.NewCBCDecrypter(block, iv).
package rc2

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// BlockSize is the RC2 block size in bytes.
const BlockSize = 8

// errInvalidParam is wrapped by every error New returns.
var errInvalidParam = errors.New("invalid parameter")

// rc2Cipher holds the expanded key: RFC 2268 K[0..63].
type rc2Cipher struct {
	k [64]uint16
}

// New returns the RC2 cipher for key (1..128 bytes) with the given effective key length in bits
// (1..1024), as cipher.Block. RC2-40 as used by old IP Messenger clients is New(key5bytes, 40).
// The key is copied (expanded); the caller may reuse its slice.
func New(key []byte, effectiveBits int) (cipher.Block, error) {
	if len(key) < 1 || len(key) > 128 {
		return nil, fmt.Errorf("rc2: key: %d bytes, want 1..128: %w", len(key), errInvalidParam)
	}
	if effectiveBits < 1 || effectiveBits > 1024 {
		return nil, fmt.Errorf("rc2: effectiveBits: %d, want 1..1024: %w", effectiveBits, errInvalidParam)
	}
	c := new(rc2Cipher)
	c.k = expandKey(key, effectiveBits)
	return c, nil
}

// piTable is PITABLE from RFC 2268 section 2: a fixed "random" permutation of 0..255 derived
// from the digits of pi. It is the only non-linear ingredient of the key expansion.
var piTable = [256]byte{
	0xd9, 0x78, 0xf9, 0xc4, 0x19, 0xdd, 0xb5, 0xed, 0x28, 0xe9, 0xfd, 0x79, 0x4a, 0xa0, 0xd8, 0x9d,
	0xc6, 0x7e, 0x37, 0x83, 0x2b, 0x76, 0x53, 0x8e, 0x62, 0x4c, 0x64, 0x88, 0x44, 0x8b, 0xfb, 0xa2,
	0x17, 0x9a, 0x59, 0xf5, 0x87, 0xb3, 0x4f, 0x13, 0x61, 0x45, 0x6d, 0x8d, 0x09, 0x81, 0x7d, 0x32,
	0xbd, 0x8f, 0x40, 0xeb, 0x86, 0xb7, 0x7b, 0x0b, 0xf0, 0x95, 0x21, 0x22, 0x5c, 0x6b, 0x4e, 0x82,
	0x54, 0xd6, 0x65, 0x93, 0xce, 0x60, 0xb2, 0x1c, 0x73, 0x56, 0xc0, 0x14, 0xa7, 0x8c, 0xf1, 0xdc,
	0x12, 0x75, 0xca, 0x1f, 0x3b, 0xbe, 0xe4, 0xd1, 0x42, 0x3d, 0xd4, 0x30, 0xa3, 0x3c, 0xb6, 0x26,
	0x6f, 0xbf, 0x0e, 0xda, 0x46, 0x69, 0x07, 0x57, 0x27, 0xf2, 0x1d, 0x9b, 0xbc, 0x94, 0x43, 0x03,
	0xf8, 0x11, 0xc7, 0xf6, 0x90, 0xef, 0x3e, 0xe7, 0x06, 0xc3, 0xd5, 0x2f, 0xc8, 0x66, 0x1e, 0xd7,
	0x08, 0xe8, 0xea, 0xde, 0x80, 0x52, 0xee, 0xf7, 0x84, 0xaa, 0x72, 0xac, 0x35, 0x4d, 0x6a, 0x2a,
	0x96, 0x1a, 0xd2, 0x71, 0x5a, 0x15, 0x49, 0x74, 0x4b, 0x9f, 0xd0, 0x5e, 0x04, 0x18, 0xa4, 0xec,
	0xc2, 0xe0, 0x41, 0x6e, 0x0f, 0x51, 0xcb, 0xcc, 0x24, 0x91, 0xaf, 0x50, 0xa1, 0xf4, 0x70, 0x39,
	0x99, 0x7c, 0x3a, 0x85, 0x23, 0xb8, 0xb4, 0x7a, 0xfc, 0x02, 0x36, 0x5b, 0x25, 0x55, 0x97, 0x31,
	0x2d, 0x5d, 0xfa, 0x98, 0xe3, 0x8a, 0x92, 0xae, 0x05, 0xdf, 0x29, 0x10, 0x67, 0x6c, 0xba, 0xc9,
	0xd3, 0x00, 0xe6, 0xcf, 0xe1, 0x9e, 0xa8, 0x2c, 0x63, 0x16, 0x01, 0x3f, 0x58, 0xe2, 0x89, 0xa9,
	0x0d, 0x38, 0x34, 0x1b, 0xab, 0x33, 0xff, 0xb0, 0xbb, 0x48, 0x0c, 0x5f, 0xb9, 0xb1, 0xcd, 0x2e,
	0xc5, 0xf3, 0xdb, 0x47, 0xe5, 0xa5, 0x9c, 0x77, 0x0a, 0xa6, 0x20, 0x68, 0xfe, 0x7f, 0xc1, 0xad,
}

// expandKey is RFC 2268 section 2. The key buffer is viewed as 128 bytes L[0..127] while it is
// built and as 64 little-endian words K[i] = L[2i] + 256*L[2i+1] afterwards.
// key is 1..128 bytes (T) and t1 is the effective key length in bits, 1..1024 (T1).
func expandKey(key []byte, t1 int) (k [64]uint16) {
	var l [128]byte
	t := len(key)
	copy(l[:], key)

	// T8 is the effective key length in whole bytes; TM masks the top byte down to the bits that
	// remain of it: the RFC's TM = 255 MOD 2^(8 + T1 - 8*T8), i.e. the low 8-(8*T8-T1) bits set.
	// (T1 = 40 gives T8 = 5, TM = 0xff; T1 = 63 gives T8 = 8, TM = 0x7f.)
	t8 := (t1 + 7) / 8
	tm := byte(0xff >> (8*t8 - t1))

	// First loop: stretch the T supplied bytes over the whole buffer. The byte addition wraps
	// modulo 256, as the RFC asks.
	for i := t; i < 128; i++ {
		l[i] = piTable[l[i-1]+l[i-t]]
	}

	// The effective-bits reduction. Everything from here on depends only on the last T8 bytes,
	// L[128-T8..127], and the first of them is masked down to TM, so the expanded key carries at
	// most T1 bits of the real key: this is what makes RC2-40 a 40-bit cipher whatever the key
	// length. With T1 = 1024 (T8 = 128) the backward loop below runs zero times.
	l[128-t8] = piTable[l[128-t8]&tm]

	// Second loop, backwards: rebuild every byte before the effective key from its successor and
	// the byte T8 further on, so each expanded-key bit depends on all effective key bits.
	for i := 127 - t8; i >= 0; i-- {
		l[i] = piTable[l[i+1]^l[i+t8]]
	}

	for i := range k {
		k[i] = uint16(l[2*i]) | uint16(l[2*i+1])<<8
	}
	clear(l[:])
	return k
}

// BlockSize returns BlockSize; part of cipher.Block.
func (c *rc2Cipher) BlockSize() int { return BlockSize }

// Encrypt encrypts the first block of src into dst (RFC 2268 section 3). dst and src may be the
// same slice. It panics if either is shorter than BlockSize.
//
// The block is four little-endian words R[0..3]. Encryption is 16 mixing rounds that use the key
// words K[0..63] in order, with a mashing round after the 5th and after the 11th.
func (c *rc2Cipher) Encrypt(dst, src []byte) {
	r0, r1, r2, r3 := words(dst, src)
	k := &c.k

	for round := 0; round < 16; round++ {
		// Mixing round, "Mix up R[i]" for i = 0..3 (indices mod 4):
		//   R[i] += K[j] + (R[i-1] & R[i-2]) + (~R[i-1] & R[i-3]); j++; R[i] <<<= s[i]
		// with s = 1, 2, 3, 5. The two AND terms pick, bit by bit, R[i-2] where R[i-1] is one
		// and R[i-3] where it is zero. Round r uses K[4r..4r+3].
		j := 4 * round
		r0 += k[j] + (r3 & r2) + (^r3 & r1)
		r0 = bits.RotateLeft16(r0, 1)
		r1 += k[j+1] + (r0 & r3) + (^r0 & r2)
		r1 = bits.RotateLeft16(r1, 2)
		r2 += k[j+2] + (r1 & r0) + (^r1 & r3)
		r2 = bits.RotateLeft16(r2, 3)
		r3 += k[j+3] + (r2 & r1) + (^r2 & r0)
		r3 = bits.RotateLeft16(r3, 5)

		if round == 4 || round == 10 {
			// Mashing round, "Mash R[i]" for i = 0..3: R[i] += K[R[i-1] & 63]. The key word is
			// chosen by data, which is why it only comes after several mixing rounds.
			r0 += k[r3&63]
			r1 += k[r0&63]
			r2 += k[r1&63]
			r3 += k[r2&63]
		}
	}

	binary.LittleEndian.PutUint16(dst[0:], r0)
	binary.LittleEndian.PutUint16(dst[2:], r1)
	binary.LittleEndian.PutUint16(dst[4:], r2)
	binary.LittleEndian.PutUint16(dst[6:], r3)
}

// Decrypt decrypts the first block of src into dst (RFC 2268 section 4): Encrypt run backwards,
// each step undone in reverse order. dst and src may be the same slice. It panics if either is
// shorter than BlockSize.
func (c *rc2Cipher) Decrypt(dst, src []byte) {
	r0, r1, r2, r3 := words(dst, src)
	k := &c.k

	for round := 15; round >= 0; round-- {
		// R-mixing round, "R-Mix up R[i]" for i = 3..0:
		//   R[i] >>>= s[i]; R[i] -= K[j] + (R[i-1] & R[i-2]) + (~R[i-1] & R[i-3]); j--
		// starting from j = 63, so round r again uses K[4r..4r+3].
		j := 4 * round
		r3 = bits.RotateLeft16(r3, -5)
		r3 -= k[j+3] + (r2 & r1) + (^r2 & r0)
		r2 = bits.RotateLeft16(r2, -3)
		r2 -= k[j+2] + (r1 & r0) + (^r1 & r3)
		r1 = bits.RotateLeft16(r1, -2)
		r1 -= k[j+1] + (r0 & r3) + (^r0 & r2)
		r0 = bits.RotateLeft16(r0, -1)
		r0 -= k[j] + (r3 & r2) + (^r3 & r1)

		if round == 11 || round == 5 {
			// R-mashing round, "R-Mash R[i]" for i = 3..0: R[i] -= K[R[i-1] & 63]. It sits
			// where Encrypt's mashing rounds were: before undoing mixing rounds 10 and 4.
			r3 -= k[r2&63]
			r2 -= k[r1&63]
			r1 -= k[r0&63]
			r0 -= k[r3&63]
		}
	}

	binary.LittleEndian.PutUint16(dst[0:], r0)
	binary.LittleEndian.PutUint16(dst[2:], r1)
	binary.LittleEndian.PutUint16(dst[4:], r2)
	binary.LittleEndian.PutUint16(dst[6:], r3)
}

// words reads src's block as four little-endian words, after checking that both blocks are whole
// (as the standard library's ciphers, it panics on a short one).
func words(dst, src []byte) (r0, r1, r2, r3 uint16) {
	if len(src) < BlockSize {
		panic("rc2: input not full block")
	}
	if len(dst) < BlockSize {
		panic("rc2: output not full block")
	}
	le := binary.LittleEndian
	return le.Uint16(src[0:]), le.Uint16(src[2:]), le.Uint16(src[4:]), le.Uint16(src[6:])
}
