package crypt

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Known-answer tests against an independent implementation: the openssl command line (OpenSSL 3).
// Hato encrypts and openssl decrypts and verifies; openssl encrypts and signs and Hato reads it. The
// wire text for the second direction is put together here, from openssl's output, without the
// package's encoders.

// interopPacketNo is the SENDMSG packet number; its IVs are written out by hand below.
const interopPacketNo = 1700000123

var interopIV = map[Caps]string{
	AES256:      "31373030303030313233000000000000", // "1700000123" and six zero bytes
	Blowfish128: "3137303030303031",                 // the first 8 digits
	RC2_40:      "3137303030303031",
}

// openSSL runs the openssl command with its files in one directory.
type openSSL struct {
	t      *testing.T
	path   string
	dir    string
	legacy bool // the legacy provider (Blowfish, RC2) loads
}

// skipOrFail skips, or fails under HATO_INTEROP=require, like the interop tests.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("HATO_INTEROP") == "require" {
		t.Fatalf("HATO_INTEROP=require but %s", msg)
	}
	t.Skipf("%s; skipping the OpenSSL known-answer tests (HATO_INTEROP=require makes this a failure)", msg)
}

func newOpenSSL(t *testing.T) *openSSL {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		skipOrFail(t, "the openssl command is not installed")
	}
	o := &openSSL{t: t, path: path, dir: t.TempDir()}
	if out, err := exec.Command(path, "version").Output(); err != nil || !bytes.HasPrefix(out, []byte("OpenSSL 3")) {
		skipOrFail(t, fmt.Sprintf("openssl is not OpenSSL 3 (%q, %v)", bytes.TrimSpace(out), err))
	}
	o.legacy = exec.Command(path, "list", "-providers", "-provider", "legacy").Run() == nil
	k1024, k2048 := testKeys(t)
	for bits, k := range map[int]*rsa.PrivateKey{1024: k1024, 2048: k2048} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		o.write(fmt.Sprintf("priv%d.pem", bits), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		der, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		o.write(fmt.Sprintf("pub%d.pem", bits), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	return o
}

func (o *openSSL) write(name string, b []byte) string {
	o.t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		o.t.Fatal(err)
	}
	return p
}

// run runs openssl with stdin and returns its stdout; a failure fails the test.
func (o *openSSL) run(stdin []byte, args ...string) []byte {
	o.t.Helper()
	out, err := o.try(stdin, args...)
	if err != nil {
		o.t.Fatal(err)
	}
	return out
}

func (o *openSSL) try(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(o.path, args...)
	cmd.Dir = o.dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("openssl %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// encArgs is the `openssl enc` cipher for alg, with the providers it needs.
func encArgs(alg Caps) []string {
	switch alg & cipherBits {
	case AES256:
		return []string{"-aes-256-cbc"}
	case Blowfish128:
		return []string{"-bf-cbc", "-provider", "legacy", "-provider", "default"}
	}
	return []string{"-rc2-40-cbc", "-provider", "legacy", "-provider", "default"}
}

// ivHex is the IV for alg in hex, from the table above (not from the package).
func ivHex(alg Caps) string {
	c := alg & cipherBits
	if alg.Has(PacketNoIV) {
		return interopIV[c]
	}
	return strings.Repeat("00", len(interopIV[c])/2)
}

func hashName(alg Caps) string {
	if alg.Has(SignSHA256) {
		return "-sha256"
	}
	return "-sha1"
}

// interopAlgs: both pairs x hex/base64 x zero/packet-number IV x (AES) SHA-1/SHA-256.
func interopAlgs() []Caps {
	var out []Caps
	for _, enc := range []Caps{0, EncodeBase64} {
		for _, ivm := range []Caps{0, PacketNoIV} {
			for _, sig := range []Caps{SignSHA1, SignSHA256} {
				out = append(out, RSA2048|AES256|enc|ivm|sig)
			}
			out = append(out, RSA1024|Blowfish128|enc|ivm)
		}
	}
	return out
}

// interopPlain is a plaintext as the node builds it; n varies its length so that some end on a block edge.
func interopPlain(n int) []byte {
	return AppendPlaintext(nil, []byte("こんにちは, OpenSSL "+strings.Repeat("#", n)), []byte("1:a b.txt:1f:65000000:1:\a"),
		[]Recipient{{"taro", "PC01"}, {"花子", "PC02"}})
}

func TestOpenSSLDecryptsHato(t *testing.T) {
	o := newOpenSSL(t)
	_, signer := testKeys(t)
	for i, alg := range interopAlgs() {
		t.Run(fmt.Sprintf("%X", uint32(alg)), func(t *testing.T) {
			if !alg.Has(AES256) && !o.legacy {
				skipOrFail(t, "the OpenSSL legacy provider (Blowfish) does not load")
			}
			o.t = t
			priv := testKey(t, alg)
			bits := priv.N.BitLen()
			plain := interopPlain(i)
			m, err := Encrypt(rand.Reader, alg, interopPacketNo, &priv.PublicKey, signer, plain)
			if err != nil {
				t.Fatal(err)
			}
			wire := string(AppendMessage(nil, m))
			f := strings.Split(wire, ":")
			if len(f) != 3+btoi(alg&signBits != 0) || f[0] != fmt.Sprintf("%X", uint32(alg)) {
				t.Fatalf("wire text %q", wire)
			}
			dec := func(s string) []byte {
				var b []byte
				var err error
				if alg.Has(EncodeBase64) {
					b, err = base64.StdEncoding.Strict().DecodeString(s)
				} else if s != strings.ToLower(s) {
					err = fmt.Errorf("uppercase hex")
				} else {
					b, err = hex.DecodeString(s)
				}
				if err != nil {
					t.Fatalf("field %q of %q: %v", s, wire, err)
				}
				return b
			}
			key := o.run(dec(f[1]), "pkeyutl", "-decrypt", "-inkey", fmt.Sprintf("priv%d.pem", bits), "-pkeyopt", "rsa_padding_mode:pkcs1")
			if want := map[Caps]int{AES256: 32, Blowfish128: 16}[alg&cipherBits]; len(key) != want {
				t.Fatalf("session key of %d bytes, want %d", len(key), want)
			}
			args := append([]string{"enc", "-d"}, encArgs(alg)...)
			got := o.run(dec(f[2]), append(args, "-K", hex.EncodeToString(key), "-iv", ivHex(alg))...)
			if !bytes.Equal(got, plain) {
				t.Fatalf("openssl decrypts to %q, want %q", got, plain)
			}
			if len(f) == 4 {
				o.write("sig.bin", dec(f[3]))
				out := o.run(plain, "dgst", hashName(alg), "-verify", "pub2048.pem", "-signature", "sig.bin")
				if !bytes.Contains(out, []byte("Verified OK")) {
					t.Fatalf("openssl dgst -verify: %q", out)
				}
			}
		})
	}
}

func TestHatoDecryptsOpenSSL(t *testing.T) {
	o := newOpenSSL(t)
	_, signer := testKeys(t)
	// Old clients' RC2-40 is receive-only, so it is tested in this direction only.
	algs := append(interopAlgs(), RSA1024|RC2_40, RSA1024|RC2_40|PacketNoIV|EncodeBase64)
	for i, alg := range algs {
		t.Run(fmt.Sprintf("%X", uint32(alg)), func(t *testing.T) {
			if !alg.Has(AES256) && !o.legacy {
				skipOrFail(t, "the OpenSSL legacy provider (Blowfish, RC2) does not load")
			}
			o.t = t
			priv := testKey(t, alg)
			bits := priv.N.BitLen()
			plain := interopPlain(i)
			keyLen := map[Caps]string{AES256: "32", Blowfish128: "16", RC2_40: "5"}[alg&cipherBits]
			key := o.run(nil, "rand", keyLen)
			keyCT := o.run(key, "pkeyutl", "-encrypt", "-pubin", "-inkey", fmt.Sprintf("pub%d.pem", bits), "-pkeyopt", "rsa_padding_mode:pkcs1")
			args := append([]string{"enc", "-e"}, encArgs(alg)...)
			body := o.run(plain, append(args, "-K", hex.EncodeToString(key), "-iv", ivHex(alg))...)
			var sig []byte
			if alg&signBits != 0 {
				sig = o.run(plain, "dgst", hashName(alg), "-sign", "priv2048.pem")
			}

			// The wire text, encoded here: openssl base64, or hex by hand (uppercase for the packet-number
			// IV cases, which ParseMessage must take too).
			enc := func(b []byte) string {
				if alg.Has(EncodeBase64) {
					return strings.TrimSpace(string(o.run(b, "base64", "-A")))
				}
				digits := "0123456789abcdef"
				if alg.Has(PacketNoIV) {
					digits = "0123456789ABCDEF"
				}
				var s strings.Builder
				for _, c := range b {
					s.WriteByte(digits[c>>4])
					s.WriteByte(digits[c&15])
				}
				return s.String()
			}
			wire := fmt.Sprintf("%X:%s:%s", uint32(alg), enc(keyCT), enc(body))
			if sig != nil {
				wire += ":" + enc(sig)
			}

			m, err := ParseMessage([]byte(wire))
			if err != nil {
				t.Fatalf("ParseMessage(%q): %v", wire, err)
			}
			got, err := m.Decrypt(priv, interopPacketNo)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Decrypt = %q, %v; want %q", got, err, plain)
			}
			if sig != nil {
				if err := m.Verify(&signer.PublicKey, got); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				bad := Message{Caps: m.Caps, Sign: flip(m.Sign, i%len(m.Sign))}
				if err := bad.Verify(&signer.PublicKey, got); err == nil {
					t.Fatal("Verify accepts a flipped signature byte")
				}
			}
			for _, j := range []int{0, len(m.Body) / 2, len(m.Body) - 1} {
				bad := Message{Caps: m.Caps, Key: m.Key, Body: flip(m.Body, j)}
				if got, err := bad.Decrypt(priv, interopPacketNo); err == nil && bytes.Equal(got, plain) {
					t.Fatalf("body byte %d flipped: Decrypt still gives the plaintext", j)
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
