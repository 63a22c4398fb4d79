package crypt

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// Every parser of network bytes has a fuzz target. The vectors seed them; testdata/fuzz keeps the
// inputs that found new coverage, and every plain `go test` replays them.

// The fuzz keys are fixed (testdata/fuzzkey*.pem, made with `openssl genrsa`), unlike the other tests'
// generated keys: fuzz workers are separate processes, and a seed encrypted to one process's key
// would not decrypt in another.
var (
	fuzzKeysOnce             sync.Once
	fuzzKey1024, fuzzKey2048 *rsa.PrivateKey
)

func fuzzKeys(f *testing.F) {
	fuzzKeysOnce.Do(func() {
		load := func(name string) *rsa.PrivateKey {
			b, err := os.ReadFile("testdata/" + name)
			if err != nil {
				f.Fatal(err)
			}
			blk, _ := pem.Decode(b)
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				f.Fatal(err)
			}
			return k.(*rsa.PrivateKey)
		}
		fuzzKey1024, fuzzKey2048 = load("fuzzkey1024.pem"), load("fuzzkey2048.pem")
	})
}

func FuzzParsePublicKey(f *testing.F) {
	fuzzKeys(f)
	f.Add([]byte(winPubKey))
	f.Add(AppendPublicKey(nil, Supported, &fuzzKey1024.PublicKey))
	f.Add(AppendPublicKey(nil, 0x21003, &fuzzKey2048.PublicKey))
	f.Add([]byte("0:3-00" + strings.Repeat("F", 128)))
	f.Add([]byte("65920006:10001-" + strings.Repeat("f", 1025)))
	f.Fuzz(func(t *testing.T, b []byte) {
		caps, pub, err := ParsePublicKey(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "pubkey: ") || caps != 0 || pub != nil {
				t.Fatalf("ParsePublicKey(%q) = %#x, %v, %v", b, uint32(caps), pub, err)
			}
			return
		}
		if bits := pub.N.BitLen(); bits < 512 || bits > 4096 || pub.N.Bit(0) == 0 || pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("ParsePublicKey(%q) gave a bad key: %d bits, E %d", b, bits, pub.E)
		}
		out := AppendPublicKey(nil, caps, pub)
		caps2, pub2, err := ParsePublicKey(out)
		if err != nil || caps2 != caps || !pub2.Equal(pub) {
			t.Fatalf("round trip of %q: %q gives %#x, %v", b, out, uint32(caps2), err)
		}
		if again := AppendPublicKey(nil, caps2, pub2); !bytes.Equal(again, out) {
			t.Fatalf("AppendPublicKey not stable: %q then %q", out, again)
		}
		// The fingerprint needs nothing more than a parsed key.
		if fp := Fingerprint(pub); fp != "" && len(fp) != 16 {
			t.Fatalf("Fingerprint = %q", fp)
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	fuzzKeys(f)
	for _, v := range messageVectors {
		f.Add([]byte(v.in))
	}
	// Real messages to the fuzz keys: mutations of their bodies reach the CBC and padding checks.
	for i, alg := range []Caps{0x41900004, 0x20100004, 0x01820002, 0x20002} {
		to := fuzzKey1024
		if alg.Has(RSA2048) {
			to = fuzzKey2048
		}
		m, err := Encrypt(rand.Reader, alg, uint32(1700000000+i), &to.PublicKey, fuzzKey2048,
			AppendPlaintext(nil, []byte("fuzz"), nil, []Recipient{{"u", "h"}}))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(AppendMessage(nil, m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "encrypted message: ") {
				t.Fatalf("ParseMessage(%q): error %q", b, err)
			}
			return
		}
		s, err := suiteOf(m.Caps)
		if err != nil || len(m.Key) == 0 || len(m.Body) == 0 || len(m.Body)%s.block != 0 ||
			m.Sign != nil && (len(m.Sign) == 0 || m.Caps&signBits == 0) {
			t.Fatalf("ParseMessage(%q) = %+v (%v)", b, m, err)
		}
		out := AppendMessage(nil, m)
		back, err := ParseMessage(out)
		if err != nil || !equalMessage(back, m) {
			t.Fatalf("round trip of %q: %q gives %+v, %v", b, out, back, err)
		}
		if again := AppendMessage(nil, back); !bytes.Equal(again, out) {
			t.Fatalf("AppendMessage not stable: %q then %q", out, again)
		}
		priv := fuzzKey1024
		if m.Caps.Has(RSA2048) {
			priv = fuzzKey2048
		}
		for _, no := range []uint32{1700000000, 1700000001, 1700000002, 1700000003} {
			plain, err := m.Decrypt(priv, no)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "decrypt: ") || plain != nil {
					t.Fatalf("Decrypt(%q) = %q, %v", b, plain, err)
				}
				continue
			}
			if len(plain) >= len(m.Body) || len(plain) < len(m.Body)-s.block {
				t.Fatalf("Decrypt(%q): %d plaintext bytes from a %d-byte body", b, len(plain), len(m.Body))
			}
			if m.Sign != nil {
				_ = m.Verify(&fuzzKey2048.PublicKey, plain) // must not panic
			}
		}
	})
}

func FuzzSplitPlaintext(f *testing.F) {
	f.Add([]byte("hi\x00\x00TO:User1:Host1\aUser2:Host2\aUser3:Host3\x00"))
	f.Add([]byte("hi\x00f\x00TO:u1:h1\a\au2\a:h\au:\ax:y:z\au3:h3\a\x00junk"))
	f.Add([]byte("hi\x00TO:u:h\x00"))
	f.Add([]byte("no NUL"))
	f.Add(interopPlain(3))
	f.Fuzz(func(t *testing.T, b []byte) {
		text, files, to := SplitPlaintext(b)
		if !bytes.HasPrefix(b, text) || bytes.IndexByte(text, 0) >= 0 || bytes.IndexByte(files, 0) >= 0 {
			t.Fatalf("SplitPlaintext(%q) = %q, %q", b, text, files)
		}
		for _, r := range to {
			if r.User == "" || r.Host == "" || strings.ContainsAny(r.User+r.Host, ":\a\x00") {
				t.Fatalf("SplitPlaintext(%q): recipient %q", b, r)
			}
		}
		out := AppendPlaintext(nil, text, files, to)
		text2, files2, to2 := SplitPlaintext(out)
		if !bytes.Equal(text2, text) || !bytes.Equal(files2, files) || !reflect.DeepEqual(to2, to) {
			t.Fatalf("round trip of %q: %q gives %q, %q, %v", b, out, text2, files2, to2)
		}
	})
}
