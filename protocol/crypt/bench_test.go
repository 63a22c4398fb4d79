package crypt

import (
	"bytes"
	"crypto/rand"
	"testing"
)

// BenchmarkEncryptDecrypt is one 1 KB message each way: RSA dominates (decryption with the private key).
func BenchmarkEncryptDecrypt(b *testing.B) {
	_, signer := testKeys(b)
	plain := append(bytes.Repeat([]byte("x"), 1023), 0)
	for _, bc := range []struct {
		name string
		alg  Caps
	}{
		{"RSA2048-AES256-SHA256", 0x41900004},
		{"RSA1024-Blowfish128", 0x01820002},
	} {
		b.Run(bc.name, func(b *testing.B) {
			priv := testKey(b, bc.alg)
			b.SetBytes(int64(len(plain)))
			for b.Loop() {
				m, err := Encrypt(rand.Reader, bc.alg, 1700000001, &priv.PublicKey, signer, plain)
				if err != nil {
					b.Fatal(err)
				}
				got, err := m.Decrypt(priv, 1700000001)
				if err != nil || len(got) != len(plain) {
					b.Fatal(err)
				}
				if m.Sign != nil {
					if err := m.Verify(&signer.PublicKey, got); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
