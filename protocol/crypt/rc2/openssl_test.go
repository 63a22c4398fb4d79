package rc2

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// These tests cross-check against the openssl command line, an implementation independent of
// this one. OpenSSL 3 keeps RC2 in its legacy provider, hence the -provider flags; OpenSSL 1.x
// has RC2 built in and does not know -provider, so both forms are tried.
//
// When openssl is missing or cannot do RC2 the tests skip, unless HATO_INTEROP=require, in which
// case they fail.

// opensslRC2 returns the openssl path and the extra arguments that enable RC2, or ends the test.
func opensslRC2(t *testing.T) (string, []string) {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("HATO_INTEROP") == "require" {
			t.Fatalf("HATO_INTEROP=require but %s", msg)
		}
		t.Skipf("skipping openssl RC2 cross-check: %s (set HATO_INTEROP=require to make this fail)", msg)
	}
	path, err := exec.LookPath("openssl")
	if err != nil {
		unavailable("openssl not found in PATH: %v", err)
	}
	var errs []error
	for _, extra := range [][]string{{"-provider", "legacy", "-provider", "default"}, nil} {
		args := append([]string{"enc", "-e", "-rc2-40-cbc", "-K", "0102030405", "-iv", "0001020304050607"}, extra...)
		cmd := exec.Command(path, args...)
		cmd.Stdin = bytes.NewReader([]byte("probe"))
		out, err := cmd.Output()
		if err == nil && len(out) == BlockSize {
			return path, extra
		}
		errs = append(errs, fmt.Errorf("%v: %v: %s", args, err, stderrOf(err)))
	}
	unavailable("openssl at %s cannot do RC2 (legacy provider missing?): %v", path, errors.Join(errs...))
	return "", nil
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(bytes.TrimSpace(ee.Stderr))
	}
	return ""
}

// runOpenSSL pipes in through "openssl enc" and returns its output.
func runOpenSSL(t *testing.T, path string, extra []string, decrypt bool, name string, key, iv, in []byte) []byte {
	t.Helper()
	dir := "-e"
	if decrypt {
		dir = "-d"
	}
	args := append([]string{"enc", dir, "-" + name, "-K", hex.EncodeToString(key), "-iv", hex.EncodeToString(iv)}, extra...)
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %v: %v: %s", args, err, stderrOf(err))
	}
	return out
}

func pkcs7Pad(b []byte) []byte {
	n := BlockSize - len(b)%BlockSize
	return append(bytes.Clone(b), bytes.Repeat([]byte{byte(n)}, n)...)
}

func pkcs7Unpad(b []byte) ([]byte, error) {
	if len(b) == 0 || len(b)%BlockSize != 0 {
		return nil, fmt.Errorf("padded length %d is not a positive multiple of %d", len(b), BlockSize)
	}
	n := int(b[len(b)-1])
	if n < 1 || n > BlockSize {
		return nil, fmt.Errorf("bad padding byte %d", n)
	}
	for _, p := range b[len(b)-n:] {
		if int(p) != n {
			return nil, fmt.Errorf("inconsistent padding % x", b[len(b)-n:])
		}
	}
	return b[:len(b)-n], nil
}

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// interopCases: the openssl cipher name, its key length in bytes and effective bits.
// rc2-40-cbc is what old IP Messenger clients use; rc2-cbc with a 16-byte key is 128 bits.
var interopCases = []struct {
	name    string
	keyLen  int
	effBits int
}{
	{"rc2-40-cbc", 5, 40},
	{"rc2-cbc", 16, 128},
}

var interopLengths = []int{0, 1, 7, 8, 9, 15, 16, 33, 200, 1000}

// TestOpenSSLEncryptGoDecrypt: openssl encrypts random messages, crypto/cipher CBC with this
// package decrypts.
func TestOpenSSLEncryptGoDecrypt(t *testing.T) {
	path, extra := opensslRC2(t)
	for _, tc := range interopCases {
		for _, n := range interopLengths {
			key, iv, msg := randBytes(t, tc.keyLen), randBytes(t, BlockSize), randBytes(t, n)
			ct := runOpenSSL(t, path, extra, false, tc.name, key, iv, msg)

			block, err := New(key, tc.effBits)
			if err != nil {
				t.Fatal(err)
			}
			if len(ct)%BlockSize != 0 {
				t.Fatalf("%s: openssl gave %d bytes, not whole blocks", tc.name, len(ct))
			}
			pt := make([]byte, len(ct))
			cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
			got, err := pkcs7Unpad(pt)
			if err != nil || !bytes.Equal(got, msg) {
				t.Errorf("%s key %x iv %x msg %x: openssl ciphertext %x decrypted to %x (unpad error %v)",
					tc.name, key, iv, msg, ct, pt, err)
			}
		}
	}
}

// TestGoEncryptOpenSSLDecrypt: crypto/cipher CBC with this package encrypts random messages,
// openssl decrypts (and checks the padding).
func TestGoEncryptOpenSSLDecrypt(t *testing.T) {
	path, extra := opensslRC2(t)
	for _, tc := range interopCases {
		for _, n := range interopLengths {
			key, iv, msg := randBytes(t, tc.keyLen), randBytes(t, BlockSize), randBytes(t, n)

			block, err := New(key, tc.effBits)
			if err != nil {
				t.Fatal(err)
			}
			ct := pkcs7Pad(msg)
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)

			got := runOpenSSL(t, path, extra, true, tc.name, key, iv, ct)
			if !bytes.Equal(got, msg) {
				t.Errorf("%s key %x iv %x msg %x: our ciphertext %x, openssl decrypted %x",
					tc.name, key, iv, msg, ct, got)
			}
		}
	}
}
