package crypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The AES-256-CTR keystream of encrypted file transfers (draft-14 §8, docs/encrypted-files.md §3)
// against `openssl enc -aes-256-ctr`, whose counter block is written out by hand below, and against the
// worked vector of the design note.

// fileIV is the initial counter block of each request packet number, in hex, written by hand: the ASCII
// decimal digits, then zero bytes (not '0' characters) to 16 bytes.
var fileIV = map[uint32]string{
	12345:      "31323334350000000000000000000000", // "12345"
	1700000000: "31373030303030303030000000000000", // "1700000000"
	4294967295: "34323934393637323935000000000000", // "4294967295"
}

// fileOffsets: the start, a block edge, one past it, and a resume 1 MiB in that starts mid-block.
var fileOffsets = []int64{0, 16, 17, 1<<20 + 5}

// fileKeyHex is key bytes 00 01 ... 1f.
const fileKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestFileCounter(t *testing.T) {
	want := [16]byte{0x31, 0x32, 0x33, 0x34, 0x35} // then 11 zero bytes
	if got := FileCounter(12345); got != want {
		t.Errorf("FileCounter(12345) = % x, want % x", got, want)
	}
	for no, iv := range fileIV {
		if got := FileCounter(no); hex.EncodeToString(got[:]) != iv {
			t.Errorf("FileCounter(%d) = %x, want %s", no, got, iv)
		}
	}
	if got := FileCounter(0); got != [16]byte{'0'} {
		t.Errorf("FileCounter(0) = % x", got)
	}
}

// The worked vector of docs/encrypted-files.md §3: key 00..1f, R=1700000000, the single-file GETDIRFILES
// response `002f:a.txt:...:hello`.
func TestFileStreamDocVector(t *testing.T) {
	key, _ := hex.DecodeString(fileKeyHex)
	const (
		plain      = "002f:a.txt:000000005:1:14=65937d25:16=65937d25:hello"
		firstBlock = "e3b0809349efd396864b171d6cda10ef"
		cipherHex  = "d380b2f5738efde2fe3f2d2d5cea20df83bbdcac9927f17be358b453ce3ba39c80ffe04082aa6ddf64ebeda61eecebf4170e534f"
	)
	s, err := FileStream(key, 1700000000, 0)
	if err != nil {
		t.Fatal(err)
	}
	ks := make([]byte, 16)
	s.XORKeyStream(ks, ks)
	if got := hex.EncodeToString(ks); got != firstBlock {
		t.Errorf("first keystream block %s, want %s", got, firstBlock)
	}

	s, _ = FileStream(key, 1700000000, 0)
	ct := []byte(plain)
	s.XORKeyStream(ct, ct)
	if got := hex.EncodeToString(ct); got != cipherHex {
		t.Errorf("ciphertext\n got %s\nwant %s", got, cipherHex)
	}
	// Any split of the stream gives the same bytes, and a stream positioned at each offset continues it.
	want, _ := hex.DecodeString(cipherHex)
	for off := range len(plain) + 1 {
		s, err := FileStream(key, 1700000000, int64(off))
		if err != nil {
			t.Fatal(err)
		}
		got := []byte(plain[off:])
		for i := 0; i < len(got); i += 3 {
			s.XORKeyStream(got[i:min(i+3, len(got))], got[i:min(i+3, len(got))])
		}
		if !bytes.Equal(got, want[off:]) {
			t.Fatalf("offset %d: %x, want %x", off, got, want[off:])
		}
	}
}

// ctr runs openssl enc -aes-256-ctr from the counter block iv (the same command both ways).
func (o *openSSL) ctr(in []byte, keyHex, iv string) []byte {
	o.t.Helper()
	out := o.run(in, "enc", "-aes-256-ctr", "-K", keyHex, "-iv", iv, "-nopad")
	if len(out) != len(in) {
		o.t.Fatalf("openssl enc -aes-256-ctr gave %d bytes for %d", len(out), len(in))
	}
	return out
}

// openssl encrypts from the first byte; FileStream positioned at off decrypts bytes off.. of it exactly,
// and encrypts bytes off.. to what openssl decrypts at those positions (CTR works byte by byte: the bytes
// before off fed to openssl are filler that only moves its keystream along).
func TestFileStreamOpenSSL(t *testing.T) {
	o := newOpenSSL(t)
	rng := rand.NewChaCha8([32]byte{'c', 't', 'r'})
	key := make([]byte, FileKeyLen)
	rng.Read(key)
	keyHex := hex.EncodeToString(key)
	const tail = 1000 // bytes after the offset: not a multiple of 16
	for _, no := range []uint32{12345, 1700000000, 4294967295} {
		for _, off := range fileOffsets {
			t.Run(fmt.Sprintf("R%d/off%d", no, off), func(t *testing.T) {
				o.t = t
				plain := make([]byte, off+tail)
				rng.Read(plain)

				// openssl → FileStream.
				ct := o.ctr(plain, keyHex, fileIV[no])
				s, err := FileStream(key, no, off)
				if err != nil {
					t.Fatal(err)
				}
				got := bytes.Clone(ct[off:])
				s.XORKeyStream(got[:7], got[:7]) // in pieces across block edges
				s.XORKeyStream(got[7:], got[7:])
				if !bytes.Equal(got, plain[off:]) {
					t.Fatalf("FileStream(R=%d, off=%d) decrypts openssl's ciphertext wrong at byte %d",
						no, off, off+int64(firstDiff(got, plain[off:])))
				}

				// FileStream → openssl.
				s, _ = FileStream(key, no, off)
				hct := bytes.Clone(plain[off:])
				s.XORKeyStream(hct, hct)
				if !bytes.Equal(hct, ct[off:]) {
					t.Fatalf("FileStream(R=%d, off=%d) encrypts differently from openssl at byte %d",
						no, off, off+int64(firstDiff(hct, ct[off:])))
				}
				in := append(bytes.Repeat([]byte{0xa5}, int(off)), hct...)
				back := o.ctr(in, keyHex, fileIV[no])
				if !bytes.Equal(back[off:], plain[off:]) {
					t.Fatalf("openssl decrypts FileStream(R=%d, off=%d) wrong at byte %d",
						no, off, off+int64(firstDiff(back[off:], plain[off:])))
				}
			})
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// addCounter carries from the low 64 bits into the high ones, and wraps the whole 128 bits.
func TestAddCounter(t *testing.T) {
	h := func(s string) [16]byte {
		var c [16]byte
		if _, err := hex.Decode(c[:], []byte(s)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		from string
		n    uint64
		want string
	}{
		{"31323334350000000000000000000000", 0, "31323334350000000000000000000000"},
		{"31323334350000000000000000000000", 1<<16 + 1, "31323334350000000000000000010001"},
		{"000000000000000000000000000000ff", 1, "00000000000000000000000000000100"},
		{"0000000000000000fffffffffffffffe", 1, "0000000000000000ffffffffffffffff"},
		{"0000000000000000ffffffffffffffff", 1, "00000000000000010000000000000000"},
		{"3132333435000000fffffffffffffffe", 5, "31323334350000010000000000000003"},
		{"31373030303030ffffffffffffffffff", 2, "31373030303031000000000000000001"},
		{"0000000000000000ffffffffffffffff", ^uint64(0), "0000000000000001fffffffffffffffe"},
		{"ffffffffffffffffffffffffffffffff", 1, "00000000000000000000000000000000"},
	} {
		c := h(tc.from)
		addCounter(&c, tc.n)
		if got := hex.EncodeToString(c[:]); got != tc.want {
			t.Errorf("%s + %#x = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

// A counter advanced by addCounter to just below the 2^64 edge of its low half gives the keystream that
// openssl gives from that block across the edge: both carry into the high half the same way.
func TestAddCounterCarryOpenSSL(t *testing.T) {
	o := newOpenSSL(t)
	key, _ := hex.DecodeString(fileKeyHex)
	c := FileCounter(12345) // low 64 bits zero
	addCounter(&c, ^uint64(0)-1)
	const iv = "3132333435000000fffffffffffffffe" // by hand: two blocks below the carry
	if got := hex.EncodeToString(c[:]); got != iv {
		t.Fatalf("counter %s, want %s", got, iv)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 6*16)
	cipher.NewCTR(blk, c[:]).XORKeyStream(got, got)
	if want := o.ctr(make([]byte, len(got)), fileKeyHex, iv); !bytes.Equal(got, want) {
		t.Fatalf("keystream across the 2^64 carry\n got %x\nwant %x", got, want)
	}
	// Block 3 is AES_K(3132333435000001 0000000000000001).
	want := make([]byte, 16)
	blk.Encrypt(want, h16(t, "31323334350000010000000000000001"))
	if !bytes.Equal(got[48:64], want) {
		t.Fatalf("block 3 after the carry %x, want %x", got[48:64], want)
	}
}

func h16(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		t.Fatalf("%q: %v", s, err)
	}
	return b
}

// FileStream at an offset is the offset-0 stream with that many bytes dropped, for offsets around block
// edges and far in (the counter of block offset/16 is reached by addition, not by generating).
func TestFileStreamOffsetIsSkip(t *testing.T) {
	key, _ := hex.DecodeString(fileKeyHex)
	full := make([]byte, 4096)
	s, _ := FileStream(key, 1700000000, 0)
	s.XORKeyStream(full, full)
	for off := range int64(200) {
		s, err := FileStream(key, 1700000000, off)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 64)
		s.XORKeyStream(got, got)
		if !bytes.Equal(got, full[off:off+64]) {
			t.Fatalf("offset %d: %x, want %x", off, got, full[off:off+64])
		}
	}
	// Far in: block 2^40 + 3, byte 9 of it, against AES of the counter computed here by hand.
	blk, _ := aes.NewCipher(key)
	off := int64(1<<40+3)*16 + 9
	s, err := FileStream(key, 1700000000, off)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 7+16)
	s.XORKeyStream(got, got)
	// "1700000000" = 31373030303030303030; low 64 bits 3030 0000 0000 0000 + 2^40+3.
	want := make([]byte, 32)
	blk.Encrypt(want[:16], h16(t, "31373030303030303030010000000003"))
	blk.Encrypt(want[16:], h16(t, "31373030303030303030010000000004"))
	if !bytes.Equal(got, want[9:32]) {
		t.Fatalf("offset %d: %x, want %x", off, got, want[9:32])
	}
}

func TestFileStreamErrors(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		s, err := FileStream(make([]byte, n), 1, 0)
		if err == nil || s != nil || !strings.Contains(err.Error(), "file key") ||
			!strings.Contains(err.Error(), fmt.Sprint(n)) {
			t.Errorf("FileStream with a %d-byte key: %v, %v", n, s, err)
		}
	}
	for _, off := range []int64{-1, -16, -1 << 63} {
		s, err := FileStream(make([]byte, FileKeyLen), 1, off)
		if err == nil || s != nil || !strings.Contains(err.Error(), "negative offset") {
			t.Errorf("FileStream at offset %d: %v, %v", off, s, err)
		}
	}
	if FileCaps != 0x900000 || FileCapsClear != 0x4000000 || FileKeyLen != 32 {
		t.Errorf("FileCaps %X, FileCapsClear %X, FileKeyLen %d", uint32(FileCaps), uint32(FileCapsClear), FileKeyLen)
	}
}
