package crypt

import (
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"math/big"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// exampleKey is the worked example of INTEROP.md §3.6: N big-endian = bytes (7*i+1) mod 256.
func exampleKey() *rsa.PublicKey {
	n := make([]byte, 256)
	for i := range n {
		n[i] = byte(7*i + 1)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
}

func TestFingerprint(t *testing.T) {
	pub := exampleKey()
	le := pub.N.FillBytes(make([]byte, 256))
	slices.Reverse(le)
	if d := sha1.Sum(le); hex.EncodeToString(d[:]) != "d3ccda67d6b656c310b978eee8cf65b7747805b9" {
		t.Fatalf("SHA-1(N_le) = %x", d)
	}
	if fp := Fingerprint(pub); fp != "30a70db77433793e" {
		t.Fatalf("Fingerprint = %q, want 30a70db77433793e", fp)
	}
	if got := FingerprintName("taro", pub); got != "taro-<30a70db77433793e>" {
		t.Fatalf("FingerprintName = %q", got)
	}

	// A modulus with leading zero bits is not 2048 bits: no fingerprint.
	k1024, k2048 := testKeys(t)
	for _, p := range []*rsa.PublicKey{nil, {}, &k1024.PublicKey, {N: new(big.Int).Rsh(pub.N, 1), E: 3}} {
		if fp := Fingerprint(p); fp != "" {
			t.Errorf("Fingerprint(%v) = %q", p, fp)
		}
	}
	if got := FingerprintName("taro", &k1024.PublicKey); got != "taro" {
		t.Errorf("FingerprintName with a 1024-bit key = %q", got)
	}
	if fp := Fingerprint(&k2048.PublicKey); len(fp) != 16 || strings.ToLower(fp) != fp {
		t.Errorf("Fingerprint of a real key = %q", fp)
	}
}

func TestFingerprintNameCut(t *testing.T) {
	pub := exampleKey()
	const tail = "-<30a70db77433793e>"
	for _, tc := range []struct{ user, base string }{
		{strings.Repeat("a", 60), strings.Repeat("a", 60)},
		{strings.Repeat("a", 61), strings.Repeat("a", 60)},
		{"", ""},
		// 70 bytes of CJK (three bytes a rune, plus one ASCII byte): 60 would split a rune, so 58 stay.
		{"x" + strings.Repeat("漢", 23), "x" + strings.Repeat("漢", 19)},
		// 69 bytes: 60 is a rune boundary.
		{strings.Repeat("字", 23), strings.Repeat("字", 20)},
	} {
		got := FingerprintName(tc.user, pub)
		if got != tc.base+tail || !utf8.ValidString(got) {
			t.Errorf("FingerprintName(%d bytes) = %q, want %q", len(tc.user), got, tc.base+tail)
		}
	}
	if u := "x" + strings.Repeat("漢", 23); len(u) != 70 {
		t.Fatalf("test name is %d bytes", len(u))
	}
}

func TestSplitFingerprintName(t *testing.T) {
	for _, tc := range []struct {
		name, base, fp string
		ok             bool
	}{
		{"taro-<30a70db77433793e>", "taro", "30a70db77433793e", true},
		{"taro-<30A70DB77433793E>", "taro", "30a70db77433793e", true},
		{"a-b-<30a70db77433793e>", "a-b", "30a70db77433793e", true},
		{"漢字-<0000000000000000>", "漢字", "0000000000000000", true},
		{"-<30a70db77433793e>", "", "", false},
		{"taro-<30a70db77433793>", "", "", false},
		{"taro-<30a70db77433793e0>", "", "", false},
		{"taro-<30a70db77433793g>", "", "", false},
		{"taro<30a70db77433793e>", "", "", false},
		{"taro-30a70db77433793e", "", "", false},
		{"taro-<30a70db77433793e", "", "", false},
		{"taro-<30a70db77433793e> ", "", "", false},
		{"taro", "", "", false},
		{"", "", "", false},
	} {
		base, fp, ok := SplitFingerprintName(tc.name)
		if base != tc.base || fp != tc.fp || ok != tc.ok {
			t.Errorf("SplitFingerprintName(%q) = %q, %q, %v", tc.name, base, fp, ok)
		}
	}
}
