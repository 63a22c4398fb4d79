package crypt

import (
	"crypto/rand"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	k1024, k2048 := testKeys(t)
	plain := []byte("signed text\x00")
	for _, alg := range []Caps{RSA2048 | AES256 | SignSHA1, RSA2048 | AES256 | SignSHA256} {
		m, err := Encrypt(rand.Reader, alg, 1, &k2048.PublicKey, k2048, plain)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Verify(&k2048.PublicKey, plain); err != nil {
			t.Fatalf("%#x: %v", uint32(alg), err)
		}
		for _, tc := range []struct {
			name  string
			m     Message
			plain []byte
			k1024 bool
			want  string
		}{
			{name: "other plaintext", m: m, plain: []byte("signed text!")},
			{name: "flipped signature byte", m: Message{Caps: m.Caps, Sign: flip(m.Sign, 200)}, plain: plain},
			{name: "other hash", m: Message{Caps: m.Caps ^ signBits, Sign: m.Sign}, plain: plain},
			{name: "other key", m: m, plain: plain, k1024: true, want: "verify: "},
			{name: "no signature", m: Message{Caps: m.Caps}, plain: plain, want: "verify: message has no signature"},
			{name: "signature too long", m: Message{Caps: m.Caps, Sign: append([]byte{1}, m.Sign...)}, plain: plain,
				want: "verify: signature: 257 bytes"},
		} {
			pub := &k2048.PublicKey
			if tc.k1024 {
				pub = &k1024.PublicKey
			}
			want := tc.want
			if want == "" {
				want = "verify: crypto/rsa: verification error"
			}
			if err := tc.m.Verify(pub, tc.plain); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%#x %s: Verify = %v, want %q", uint32(alg), tc.name, err, want)
			}
		}
		if err := m.Verify(nil, plain); err == nil {
			t.Errorf("Verify with a nil key")
		}
	}
}
