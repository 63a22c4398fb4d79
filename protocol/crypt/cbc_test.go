package crypt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func TestIV(t *testing.T) {
	for _, tc := range []struct {
		caps     Caps
		block    int
		packetNo uint32
		want     string
	}{
		{0x41900004, 16, 1700000001, "1700000001\x00\x00\x00\x00\x00\x00"},
		{0x41100004, 16, 1700000001, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
		{0x820002, 8, 1700000001, "17000000"}, // Blowfish keeps the first 8 digits
		{0x820002, 8, 4294967295, "42949672"},
		{0x820002, 8, 42, "42\x00\x00\x00\x00\x00\x00"},
		{0x800000 | RSA1024 | RC2_40, 8, 0, "0\x00\x00\x00\x00\x00\x00\x00"},
		{0x20002, 8, 42, "\x00\x00\x00\x00\x00\x00\x00\x00"},
	} {
		if got := string(iv(tc.caps, tc.block, tc.packetNo)); got != tc.want {
			t.Errorf("iv(%#x, %d, %d) = %q, want %q", uint32(tc.caps), tc.block, tc.packetNo, got, tc.want)
		}
	}
}

func TestPadding(t *testing.T) {
	for _, tc := range []struct {
		in    string
		block int
		want  string
	}{
		{"", 8, "\x08\x08\x08\x08\x08\x08\x08\x08"},
		{"abc\x00", 8, "abc\x00\x04\x04\x04\x04"},
		{"abcdefg", 8, "abcdefg\x01"},
		{"0123456789abcdef", 16, "0123456789abcdef" + string(bytes.Repeat([]byte{16}, 16))},
	} {
		got := pad([]byte(tc.in), tc.block)
		if string(got) != tc.want {
			t.Errorf("pad(%q) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := unpad(got, tc.block)
		if err != nil || string(back) != tc.in {
			t.Errorf("unpad(%q) = %q, %v", got, back, err)
		}
	}
	for _, in := range []string{
		"abcdefg\x00",                          // zero count
		"abcdefg\x09",                          // more than a block
		"abcde\x02\x03\x03",                    // mixed
		"abcdefgh\x00\x00\x00\x00\x00\x00\x02", // not a block multiple
		"",
	} {
		if got, err := unpad([]byte(in), 8); err == nil {
			t.Errorf("unpad(%q) = %q, nil", in, got)
		}
	}
}

// TestCBCKnownAnswer pins AES-256-CBC and Blowfish-CBC with PKCS#7 to values computed with
// `openssl enc -aes-256-cbc` / `-bf-cbc` (legacy provider) for the given key and IV.
func TestCBCKnownAnswer(t *testing.T) {
	for _, tc := range []struct {
		alg            Caps
		key, iv, plain string
		want           string
	}{
		{RSA2048 | AES256, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			"31373030303030303031000000000000", "hello\x00", "51a39d33ed1b0309a4a5be1b12315307"},
		{RSA1024 | Blowfish128, "000102030405060708090a0b0c0d0e0f", "3137303030303030", "hello\x00",
			"785692585d976424"},
	} {
		s, _ := suiteOf(tc.alg)
		key, _ := hex.DecodeString(tc.key)
		ivb, _ := hex.DecodeString(tc.iv)
		blk, err := newBlock(s, key)
		if err != nil {
			t.Fatal(err)
		}
		got := cbcEncrypt(blk, ivb, []byte(tc.plain))
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("%#x: cbcEncrypt = %x, want %s", uint32(tc.alg), got, tc.want)
		}
		back, err := cbcDecrypt(blk, ivb, got)
		if err != nil || string(back) != tc.plain {
			t.Errorf("%#x: cbcDecrypt = %q, %v", uint32(tc.alg), back, err)
		}
	}
}

func TestNewBlock(t *testing.T) {
	s, _ := suiteOf(RSA2048 | AES256)
	if _, err := newBlock(s, make([]byte, 16)); err == nil {
		t.Error("AES-256 with a 16-byte key accepted")
	}
	s, _ = suiteOf(RSA1024 | RC2_40)
	blk, err := newBlock(s, make([]byte, 5))
	if err != nil || blk.BlockSize() != 8 {
		t.Errorf("RC2-40: %v", err)
	}
	if _, err := cbcDecrypt(blk, make([]byte, 8), make([]byte, 12)); err == nil {
		t.Error("12-byte body accepted")
	}
	if _, err := cbcDecrypt(blk, make([]byte, 8), make([]byte, 8)); !errors.Is(err, errPadding) {
		t.Errorf("zero block: %v", err)
	}
}
