package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/crypto/blowfish"

	"hato/protocol/crypt/rc2"
)

// newBlock makes the session cipher for s.
func newBlock(s suite, key []byte) (cipher.Block, error) {
	if len(key) != s.keyLen {
		return nil, fmt.Errorf("%d bytes, want %d", len(key), s.keyLen)
	}
	switch s.cipher {
	case AES256:
		return aes.NewCipher(key)
	case Blowfish128:
		return blowfish.NewCipher(key)
	case RC2_40:
		return rc2.New(key, 40) // receive only: old clients (draft-14 lists RC2_40 as obsolete)
	}
	return nil, fmt.Errorf("unsupported cipher %X", uint32(s.cipher))
}

// iv is all zeros, or with PacketNoIV the packet number in ASCII decimal followed by zero bytes. A block
// of 8 holds only the first 8 digits (draft-14 §4 4, INTEROP.md §3.6).
func iv(c Caps, block int, packetNo uint32) []byte {
	v := make([]byte, block)
	if c.Has(PacketNoIV) {
		copy(v, strconv.AppendUint(nil, uint64(packetNo), 10))
	}
	return v
}

// pad appends PKCS#7 padding: 1 to block bytes, each holding the count.
func pad(b []byte, block int) []byte {
	n := block - len(b)%block
	for range n {
		b = append(b, byte(n))
	}
	return b
}

var errPadding = errors.New("bad PKCS#7 padding (wrong key or damaged message)")

// unpad checks and removes PKCS#7 padding. It is not constant-time, so callers must not let the sender
// tell a padding failure from any other failure (a CBC padding oracle).
func unpad(b []byte, block int) ([]byte, error) {
	if len(b) == 0 || len(b)%block != 0 {
		return nil, fmt.Errorf("%d bytes, not a multiple of %d", len(b), block)
	}
	n := int(b[len(b)-1])
	if n == 0 || n > block {
		return nil, errPadding
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errPadding
		}
	}
	return b[:len(b)-n], nil
}

// cbcEncrypt pads plain and encrypts it into a new slice.
func cbcEncrypt(blk cipher.Block, iv, plain []byte) []byte {
	out := pad(append([]byte(nil), plain...), blk.BlockSize())
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(out, out)
	return out
}

// cbcDecrypt decrypts body into a new slice and removes the padding.
func cbcDecrypt(blk cipher.Block, iv, body []byte) ([]byte, error) {
	if len(body) == 0 || len(body)%blk.BlockSize() != 0 {
		return nil, fmt.Errorf("body: %d bytes, not a multiple of the %d-byte block", len(body), blk.BlockSize())
	}
	out := make([]byte, len(body))
	cipher.NewCBCDecrypter(blk, iv).CryptBlocks(out, body)
	plain, err := unpad(out, blk.BlockSize())
	if err != nil {
		return nil, fmt.Errorf("padding: %w", err)
	}
	return plain, nil
}
