package crypt

import (
	"crypto/rsa"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
)

// winPubKey has the shape of a WIN ANSPUBKEY (INTEROP.md §3.6): 512 hex digits of a 2048-bit modulus.
var winPubKey = "65920006:10001-c3a1" + strings.Repeat("0f", 254)

func TestAppendPublicKey(t *testing.T) {
	_, k := testKeys(t)
	got := string(AppendPublicKey([]byte("x"), Supported, &k.PublicKey))
	// A generated modulus has its top bit set, so its bytes in hex are the same as the number in hex.
	want := "x61920006:10001-" + hex.EncodeToString(k.N.Bytes())
	if got != want {
		t.Fatalf("AppendPublicKey =\n%s\nwant\n%s", got, want)
	}
	if len(want) != len("x61920006:10001-")+512 {
		t.Fatalf("modulus has %d hex digits", len(want)-len("x61920006:10001-"))
	}
	// CAPA is uppercase.
	if got := string(AppendPublicKey(nil, 0x65920006|0xab000000, &rsa.PublicKey{N: big.NewInt(0xABC), E: 3})); got != "EF920006:3-abc" {
		t.Fatalf("AppendPublicKey = %q", got)
	}
}

func TestParsePublicKey(t *testing.T) {
	caps, pub, err := ParsePublicKey([]byte(winPubKey))
	if err != nil {
		t.Fatal(err)
	}
	if caps != 0x65920006 || pub.E != 65537 || pub.N.BitLen() != 2048 || pub.N.Text(16) != winPubKey[15:] {
		t.Fatalf("ParsePublicKey(WIN) = %#x, E %d, N %d bits %s", uint32(caps), pub.E, pub.N.BitLen(), pub.N.Text(16))
	}
	// Uppercase, FeiQ caps, a 1024-bit key and a small odd exponent.
	n1024 := "C" + strings.Repeat("1", 254) + "F"
	caps, pub, err = ParsePublicKey([]byte("21003:3-" + n1024))
	if err != nil || caps != 0x21003 || pub.E != 3 || pub.N.BitLen() != 1024 || !strings.EqualFold(pub.N.Text(16), n1024) {
		t.Fatalf("ParsePublicKey(FeiQ) = %#x, %v, %v", uint32(caps), pub, err)
	}

	// Our own keys come back.
	k1024, k2048 := testKeys(t)
	for _, k := range []*rsa.PrivateKey{k1024, k2048} {
		caps, pub, err := ParsePublicKey(AppendPublicKey(nil, Supported, &k.PublicKey))
		if err != nil || caps != Supported || !pub.Equal(&k.PublicKey) {
			t.Fatalf("round trip of a %d-bit key: %#x, %v", k.N.BitLen(), uint32(caps), err)
		}
	}

	n2048 := winPubKey[15:]
	for _, tc := range []struct{ in, err string }{
		{"", "pubkey: no ':'"},
		{"65920006", "pubkey: no ':'"},
		{"6592000g:10001-" + n2048, "pubkey: caps: "},
		{":10001-" + n2048, "pubkey: caps: "},
		{"65920006:10001" + n2048, "pubkey: no '-'"},
		{"65920006:-" + n2048, "pubkey: exponent: "},
		{"65920006:10000-" + n2048, "pubkey: exponent: "},
		{"65920006:1-" + n2048, "pubkey: exponent: "},
		{"65920006:80000001-" + n2048, "pubkey: exponent: "},
		{"65920006:000010001-" + n2048, "pubkey: exponent: "},
		{"65920006:+10001-" + n2048, "pubkey: exponent: "},
		{"65920006:10001-", "pubkey: modulus: "},
		{"65920006:10001-" + n2048 + "\x00", "pubkey: modulus: "},
		{"65920006:10001-" + n2048 + " ", "pubkey: modulus: "},
		{"65920006:10001-+" + n2048, "pubkey: modulus: "},
		{"65920006:10001-" + n2048[:len(n2048)-1] + "e", "pubkey: modulus: even"},
		{"65920006:10001-" + strings.Repeat("f", 127), "pubkey: modulus: 508 bits"},
		{"65920006:10001-" + strings.Repeat("0", 900) + "f", "pubkey: modulus: 4 bits"},
		{"65920006:10001-" + strings.Repeat("f", 1025), "pubkey: modulus: "},
		{"65920006:10001-" + n2048 + ":x", "pubkey: modulus: "},
	} {
		caps, pub, err := ParsePublicKey([]byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) || caps != 0 || pub != nil {
			t.Errorf("ParsePublicKey(%.40q) = %#x, %v, %v; want error %q", tc.in, uint32(caps), pub, err, tc.err)
		}
	}
	// The limits themselves are fine.
	for _, in := range []string{
		"0:7fffffff-" + strings.Repeat("f", 128), // 512 bits
		"0:3-" + strings.Repeat("F", 1024),       // 4096 bits
		"0:3-00" + strings.Repeat("f", 128),      // leading zeros
	} {
		if _, _, err := ParsePublicKey([]byte(in)); err != nil {
			t.Errorf("ParsePublicKey(%.40q): %v", in, err)
		}
	}
}
