package crypt

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
)

// algs are the algorithm sets Hato sends: both WIN pairs with every option combination.
var algs = []Caps{
	RSA2048 | AES256, RSA2048 | AES256 | PacketNoIV, RSA2048 | AES256 | EncodeBase64,
	0x41900004, 0x21900004, 0x40100004,
	RSA1024 | Blowfish128, 0x820002, 0x1020002, 0x01820002,
}

func TestEncryptDecrypt(t *testing.T) {
	_, signer := testKeys(t)
	plain := AppendPlaintext(nil, []byte("こんにちは, hello"), []byte("1:a.txt:10:5f000000:1:\a"), []Recipient{{"taro", "PC01"}})
	for _, alg := range algs {
		for _, p := range [][]byte{plain, {0}, bytes.Repeat([]byte("x"), 31), bytes.Repeat([]byte("y"), 32)} {
			priv := testKey(t, alg)
			m, err := Encrypt(rand.Reader, alg, 1700000001, &priv.PublicKey, signer, p)
			if err != nil {
				t.Fatalf("%#x: %v", uint32(alg), err)
			}
			s, _ := suiteOf(alg)
			if m.Caps != alg || len(m.Key) != s.rsaBits/8 || len(m.Body) != (len(p)/s.block+1)*s.block {
				t.Fatalf("%#x: Encrypt = caps %#x, key %d bytes, body %d bytes", uint32(alg), uint32(m.Caps), len(m.Key), len(m.Body))
			}
			if (m.Sign != nil) != (alg&signBits != 0) || len(m.Sign) > 0 && len(m.Sign) != 256 {
				t.Fatalf("%#x: signature of %d bytes", uint32(alg), len(m.Sign))
			}
			// Through the wire text and back.
			wire := AppendMessage(nil, m)
			back, err := ParseMessage(wire)
			if err != nil || !equalMessage(back, m) {
				t.Fatalf("%#x: ParseMessage(%q) = %+v, %v", uint32(alg), wire, back, err)
			}
			got, err := back.Decrypt(priv, 1700000001)
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("%#x: Decrypt = %q, %v", uint32(alg), got, err)
			}
			if m.Sign != nil {
				if err := back.Verify(&signer.PublicKey, got); err != nil {
					t.Fatalf("%#x: Verify: %v", uint32(alg), err)
				}
			}
			// With PacketNoIV another packet number garbles the first block; without it nothing changes.
			// (An 8-byte IV holds only 8 digits: 1700000002 would give the same IV for Blowfish.)
			other, err := back.Decrypt(priv, 1800000001)
			if alg.Has(PacketNoIV) == (err == nil && bytes.Equal(other, p)) {
				t.Fatalf("%#x: Decrypt with another packet number = %q, %v", uint32(alg), other, err)
			}
		}
	}
}

func TestEncryptErrors(t *testing.T) {
	k1024, k2048 := testKeys(t)
	for _, tc := range []struct {
		name     string
		alg      Caps
		keyBits  int
		noSigner bool
		err      string
	}{
		{"RC2", RSA1024 | RC2_40, 1024, false, "encrypt: caps 1002 are neither"},
		{"RSA512", RSA512 | Blowfish128, 1024, false, "encrypt: caps 20001 are neither"},
		{"G2 pair", RSA2048 | 0x400000, 2048, false, "encrypt: caps 400004 are neither"},
		{"mixed pair", RSA2048 | Blowfish128, 2048, false, "encrypt: caps 20004 are neither"},
		{"extra bits", RSA2048 | AES256 | NoEncFileBody, 2048, false, "encrypt: caps 4100004 are neither"},
		{"sign with 1024 pair", RSA1024 | Blowfish128 | SignSHA1, 1024, false, "encrypt: caps 20020002: WIN signs only"},
		{"two sign flags", RSA2048 | AES256 | SignSHA1 | SignSHA256, 2048, false, "encrypt: caps 60100004 name both"},
		{"key size", RSA2048 | AES256, 1024, false, "encrypt: recipient key: 1024 bits"},
		{"key size 1024", RSA1024 | Blowfish128, 2048, false, "encrypt: recipient key: 2048 bits"},
		{"no signer", RSA2048 | AES256 | SignSHA256, 2048, true, "encrypt: sign: "},
	} {
		to, signer := &k1024.PublicKey, k2048
		if tc.keyBits == 2048 {
			to = &k2048.PublicKey
		}
		if tc.noSigner {
			signer = nil
		}
		m, err := Encrypt(rand.Reader, tc.alg, 1, to, signer, []byte("x\x00"))
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%s: Encrypt = %+v, %v; want error %q", tc.name, m, err, tc.err)
		}
	}
	if _, err := Encrypt(rand.Reader, RSA2048|AES256, 1, nil, nil, nil); err == nil {
		t.Error("Encrypt to a nil key")
	}
	if _, err := Encrypt(strings.NewReader("short"), RSA2048|AES256, 1, &k2048.PublicKey, nil, nil); err == nil ||
		!strings.HasPrefix(err.Error(), "encrypt: session key: ") {
		t.Errorf("Encrypt with a short random source: %v", err)
	}
}

func TestDecryptErrors(t *testing.T) {
	k1024, k2048 := testKeys(t)
	plain := []byte("secret message, two blocks\x00") // 27 bytes and 5 of padding
	m, err := Encrypt(rand.Reader, 0x41900004, 7, &k2048.PublicKey, k2048, plain)
	if err != nil {
		t.Fatal(err)
	}
	// A 16-byte session key in an AES-256 message: what a G2-lineage "AES" sender would send.
	short16, err := rsaEncrypt(&k2048.PublicKey, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		m    Message
		priv *rsa.PrivateKey
		err  string
	}{
		{"wrong key size", m, k1024, "decrypt: session key: message is for RSA-2048, our key has 1024 bits"},
		{"no key", m, nil, "decrypt: session key: "},
		{"bad caps", Message{Caps: RSA2048, Key: m.Key, Body: m.Body}, k2048, "decrypt: caps: "},
		{"key too long", Message{Caps: m.Caps, Key: append([]byte{1}, m.Key...), Body: m.Body}, k2048, "decrypt: session key: 257 bytes"},
		{"damaged key", Message{Caps: m.Caps, Key: flip(m.Key, 100), Body: m.Body}, k2048, "decrypt: session key: "},
		{"16-byte session key", Message{Caps: m.Caps, Key: short16, Body: m.Body}, k2048, "decrypt: session key: 16 bytes, want 32"},
		{"body not a block multiple", Message{Caps: m.Caps, Key: m.Key, Body: m.Body[:len(m.Body)-1]}, k2048, "decrypt: body: "},
		// CBC: a flipped byte in one block flips the same byte of the next block's plaintext, here the padding's.
		{"damaged padding", Message{Caps: m.Caps, Key: m.Key, Body: flip(m.Body, len(m.Body)-17)}, k2048, "decrypt: padding: "},
	} {
		got, err := tc.m.Decrypt(tc.priv, 7)
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) || got != nil {
			t.Errorf("%s: Decrypt = %q, %v; want error %q", tc.name, got, err, tc.err)
		}
	}
	// Any flipped body byte: an error, or at least never the original plaintext.
	for i := range m.Body {
		got, err := Message{Caps: m.Caps, Key: m.Key, Body: flip(m.Body, i)}.Decrypt(k2048, 7)
		if err == nil && bytes.Equal(got, plain) {
			t.Fatalf("body byte %d flipped: Decrypt still gives the plaintext", i)
		}
	}
	// A key whose leading zero byte a sender dropped still decrypts.
	for {
		m, err := Encrypt(rand.Reader, RSA1024|Blowfish128, 7, &k1024.PublicKey, nil, plain)
		if err != nil {
			t.Fatal(err)
		}
		if m.Key[0] != 0 {
			continue
		}
		m.Key = m.Key[1:]
		if got, err := m.Decrypt(k1024, 7); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Decrypt with a short key field = %q, %v", got, err)
		}
		break
	}
}

// flip returns a copy of b with byte i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

func rsaEncrypt(pub *rsa.PublicKey, b []byte) ([]byte, error) {
	return rsa.EncryptPKCS1v15(rand.Reader, pub, b)
}
