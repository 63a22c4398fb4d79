package rc2

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// rfcVectors are all the test vectors of RFC 2268 section 5, one block each.
var rfcVectors = []struct {
	key       string
	bits      int
	plaintext string
	cipher    string
}{
	{"0000000000000000", 63, "0000000000000000", "ebb773f993278eff"},
	{"ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"},
	{"3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"},
	{"88", 64, "0000000000000000", "61a8a244adacccf0"},
	{"88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"},
	{"88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"},
	{"88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"},
	{"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129, "0000000000000000", "5b78d3a43dfff1f1"},
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestRFC2268Vectors(t *testing.T) {
	for _, v := range rfcVectors {
		key, pt, ct := unhex(t, v.key), unhex(t, v.plaintext), unhex(t, v.cipher)
		c, err := New(key, v.bits)
		if err != nil {
			t.Fatalf("New(%s, %d): %v", v.key, v.bits, err)
		}
		if c.BlockSize() != BlockSize {
			t.Fatalf("BlockSize() = %d, want %d", c.BlockSize(), BlockSize)
		}
		got := make([]byte, BlockSize)
		c.Encrypt(got, pt)
		if !bytes.Equal(got, ct) {
			t.Errorf("key %s bits %d: Encrypt(%s) = %x, want %s", v.key, v.bits, v.plaintext, got, v.cipher)
		}
		c.Decrypt(got, ct)
		if !bytes.Equal(got, pt) {
			t.Errorf("key %s bits %d: Decrypt(%s) = %x, want %s", v.key, v.bits, v.cipher, got, v.plaintext)
		}

		// In place, both directions.
		buf := bytes.Clone(pt)
		c.Encrypt(buf, buf)
		if !bytes.Equal(buf, ct) {
			t.Errorf("key %s bits %d: in-place Encrypt = %x, want %s", v.key, v.bits, buf, v.cipher)
		}
		c.Decrypt(buf, buf)
		if !bytes.Equal(buf, pt) {
			t.Errorf("key %s bits %d: in-place Decrypt = %x, want %s", v.key, v.bits, buf, v.plaintext)
		}
	}
}

// TestRoundTrip runs Decrypt(Encrypt(x)) over every key length and many effective lengths, which
// exercises all values of the key-expansion mask TM and both loop bounds.
func TestRoundTrip(t *testing.T) {
	key := make([]byte, 128)
	for i := range key {
		key[i] = byte(i*37 + 11)
	}
	pt := []byte("IPMsg-RC")
	for n := 1; n <= 128; n++ {
		for _, bits := range []int{1, 7, 8, 9, 40, 63, 64, 8*n - 1, 8 * n, 1023, 1024} {
			if bits < 1 {
				continue
			}
			c, err := New(key[:n], bits)
			if err != nil {
				t.Fatalf("New(%d bytes, %d): %v", n, bits, err)
			}
			var ct, back [BlockSize]byte
			c.Encrypt(ct[:], pt)
			c.Decrypt(back[:], ct[:])
			if !bytes.Equal(back[:], pt) {
				t.Fatalf("%d-byte key, %d bits: round trip gave %q", n, bits, back[:])
			}
		}
	}
}

// TestEffectiveBitsMatter checks that the effective length is not ignored: the same key with
// 40 and with 41 effective bits must give different ciphers.
func TestEffectiveBitsMatter(t *testing.T) {
	key := unhex(t, "0102030405")
	a, _ := New(key, 40)
	b, _ := New(key, 41)
	var x, y [BlockSize]byte
	a.Encrypt(x[:], make([]byte, BlockSize))
	b.Encrypt(y[:], make([]byte, BlockSize))
	if x == y {
		t.Fatalf("effective bits 40 and 41 gave the same ciphertext %x", x)
	}
}

func TestNewCopiesKey(t *testing.T) {
	key := unhex(t, "88bca90e90875a")
	c, err := New(key, 64)
	if err != nil {
		t.Fatal(err)
	}
	clear(key)
	var got [BlockSize]byte
	c.Encrypt(got[:], make([]byte, BlockSize))
	if want := unhex(t, "6ccf4308974c267f"); !bytes.Equal(got[:], want) {
		t.Fatalf("after clearing the caller's key: %x, want %x", got, want)
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name  string
		key   []byte
		bits  int
		param string
	}{
		{"nil key", nil, 40, "key"},
		{"empty key", []byte{}, 40, "key"},
		{"129-byte key", make([]byte, 129), 40, "key"},
		{"zero bits", make([]byte, 5), 0, "effectiveBits"},
		{"negative bits", make([]byte, 5), -40, "effectiveBits"},
		{"1025 bits", make([]byte, 5), 1025, "effectiveBits"},
	}
	for _, tc := range cases {
		c, err := New(tc.key, tc.bits)
		if err == nil {
			t.Errorf("%s: New succeeded, want error", tc.name)
			continue
		}
		if c != nil {
			t.Errorf("%s: New returned a cipher with its error", tc.name)
		}
		if !errors.Is(err, errInvalidParam) {
			t.Errorf("%s: error %q does not wrap errInvalidParam", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.param+":") {
			t.Errorf("%s: error %q does not name %s", tc.name, err, tc.param)
		}
	}
	// The bounds themselves are valid.
	for _, ok := range []struct {
		n, bits int
	}{{1, 1}, {128, 1024}, {5, 40}, {16, 128}} {
		if _, err := New(make([]byte, ok.n), ok.bits); err != nil {
			t.Errorf("New(%d bytes, %d): %v", ok.n, ok.bits, err)
		}
	}
}

func TestShortBlockPanics(t *testing.T) {
	c, _ := New([]byte{1, 2, 3, 4, 5}, 40)
	full, short := make([]byte, BlockSize), make([]byte, BlockSize-1)
	for name, f := range map[string]func(){
		"Encrypt short src": func() { c.Encrypt(full, short) },
		"Encrypt short dst": func() { c.Encrypt(short, full) },
		"Decrypt short src": func() { c.Decrypt(full, short) },
		"Decrypt short dst": func() { c.Decrypt(short, full) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNoAllocsPerBlock(t *testing.T) {
	c, _ := New([]byte{1, 2, 3, 4, 5}, 40)
	buf := make([]byte, BlockSize)
	if n := testing.AllocsPerRun(100, func() { c.Decrypt(buf, buf) }); n != 0 {
		t.Errorf("Decrypt: %v allocations per block, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { c.Encrypt(buf, buf) }); n != 0 {
		t.Errorf("Encrypt: %v allocations per block, want 0", n)
	}
}

// Decrypt is what Hato uses (old clients' messages); Encrypt is there for tests and cipher.Block.
func BenchmarkDecrypt(b *testing.B) { benchBlock(b, cipher.Block.Decrypt) }
func BenchmarkEncrypt(b *testing.B) { benchBlock(b, cipher.Block.Encrypt) }

func benchBlock(b *testing.B, op func(c cipher.Block, dst, src []byte)) {
	c, err := New([]byte{1, 2, 3, 4, 5}, 40)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, BlockSize)
	b.SetBytes(BlockSize)
	b.ReportAllocs()
	for b.Loop() {
		op(c, buf, buf)
	}
}
