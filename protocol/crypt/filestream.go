package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"strconv"
)

// FileCaps is the algorithm field of an encrypted file request whose data is encrypted: AES-256 with the
// request's packet number as IV (draft-14 §8). FileCapsClear asks for the data in the clear
// (NOENC_FILEBODY): only the request is sealed.
const (
	FileCaps      = AES256 | PacketNoIV // 0x900000
	FileCapsClear = NoEncFileBody       // 0x4000000
)

// FileKeyLen is the length of a file transfer's AES-256 key.
const FileKeyLen = 32

// FileStream is the AES-256-CTR keystream of a file transfer (draft-14 §8, docs/encrypted-files.md):
// the counter block starts as the request's packet number in ASCII decimal followed by zero bytes and
// counts up as one 128-bit big-endian number. It is positioned at byte offset of that keystream: a
// resumed transfer between Hato peers continues the stream where the interrupted one stopped (Windows
// always asks from 0). The same stream encrypts and decrypts.
func FileStream(key []byte, reqNo uint32, offset int64) (cipher.Stream, error) {
	if len(key) != FileKeyLen {
		return nil, fmt.Errorf("file key: %d bytes, want %d", len(key), FileKeyLen)
	}
	if offset < 0 {
		return nil, fmt.Errorf("file stream: negative offset %d", offset)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("file key: %w", err)
	}
	ctr := FileCounter(reqNo)
	addCounter(&ctr, uint64(offset/aes.BlockSize))
	s := cipher.NewCTR(blk, ctr[:])
	if skip := int(offset % aes.BlockSize); skip > 0 {
		var b [aes.BlockSize]byte
		s.XORKeyStream(b[:skip], b[:skip])
	}
	return s, nil
}

// FileCounter is the first counter block of a file transfer requested with packet number reqNo.
func FileCounter(reqNo uint32) [16]byte {
	var c [16]byte
	copy(c[:], strconv.AppendUint(nil, uint64(reqNo), 10))
	return c
}

// addCounter adds n to the 128-bit big-endian counter c.
func addCounter(c *[16]byte, n uint64) {
	lo := binary.BigEndian.Uint64(c[8:])
	sum := lo + n
	binary.BigEndian.PutUint64(c[8:], sum)
	if sum < lo {
		hi := binary.BigEndian.Uint64(c[:8]) + 1
		binary.BigEndian.PutUint64(c[:8], hi)
	}
}
