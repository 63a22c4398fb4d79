package protocol

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hato/protocol/wire"
)

// Encrypted file requests (draft-14 §8, docs/encrypted-files.md §1) built by a real node, opened with the
// openssl command line only: RSA PKCS#1 v1.5 unwraps the session key with the file server's private key,
// AES-256-CBC with the request packet number's digits as IV decrypts the body, and the requester's
// public key verifies the SHA-256 signature over the plaintext and its NUL.

// sslTool runs openssl with its files in one folder.
type sslTool struct {
	t    *testing.T
	path string
	dir  string
}

func newSSLTool(t *testing.T) *sslTool {
	t.Helper()
	skip := func(msg string) {
		if os.Getenv("HATO_INTEROP") == "require" {
			t.Fatalf("HATO_INTEROP=require but %s", msg)
		}
		t.Skipf("%s; skipping the OpenSSL known-answer tests (HATO_INTEROP=require makes this a failure)", msg)
	}
	path, err := exec.LookPath("openssl")
	if err != nil {
		skip("the openssl command is not installed")
	}
	if out, err := exec.Command(path, "version").Output(); err != nil || !bytes.HasPrefix(out, []byte("OpenSSL 3")) {
		skip(fmt.Sprintf("openssl is not OpenSSL 3 (%q, %v)", bytes.TrimSpace(out), err))
	}
	return &sslTool{t: t, path: path, dir: t.TempDir()}
}

func (o *sslTool) write(name string, b []byte) {
	o.t.Helper()
	if err := os.WriteFile(filepath.Join(o.dir, name), b, 0o600); err != nil {
		o.t.Fatal(err)
	}
}

// writeKey writes k's private key (PKCS#8) to priv and its public key to pub, both PEM.
func (o *sslTool) writeKey(k *rsa.PrivateKey, priv, pub string) {
	o.t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		o.t.Fatal(err)
	}
	o.write(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	der, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		o.t.Fatal(err)
	}
	o.write(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (o *sslTool) run(stdin []byte, args ...string) []byte {
	o.t.Helper()
	cmd := exec.Command(o.path, args...)
	cmd.Dir = o.dir
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		o.t.Fatalf("openssl %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out
}

// sealedRequest is a TCP file request packet taken apart by hand.
type sealedRequest struct {
	no         string // the packet number token as sent
	user, host string
	cmd        wire.Command
	capa       string
	key, body  []byte
	sign       []byte
}

// splitSealedRequest reads `1:<no>:<user>:<host>:<cmd>:<CAPA:KEY:BODY:SIGN>\0`, base64 fields.
func splitSealedRequest(t *testing.T, pkt []byte) sealedRequest {
	t.Helper()
	if len(pkt) == 0 || pkt[len(pkt)-1] != 0 || bytes.IndexByte(pkt, 0) != len(pkt)-1 {
		t.Fatalf("request %q: not one string ending in one NUL", pkt)
	}
	f := strings.SplitN(string(pkt[:len(pkt)-1]), ":", 6)
	if len(f) != 6 || f[0] != "1" {
		t.Fatalf("request header %q", pkt)
	}
	cmd, err := strconv.ParseUint(f[4], 10, 32)
	if err != nil {
		t.Fatalf("command %q: %v", f[4], err)
	}
	ext := strings.Split(f[5], ":")
	if len(ext) != 4 {
		t.Fatalf("ext %q: want CAPA:KEY:BODY:SIGN", f[5])
	}
	r := sealedRequest{no: f[1], user: f[2], host: f[3], cmd: wire.Command(cmd), capa: ext[0]}
	for i, p := range []*[]byte{&r.key, &r.body, &r.sign} {
		if *p, err = base64.StdEncoding.Strict().DecodeString(ext[i+1]); err != nil {
			t.Fatalf("ext field %d %q: not base64: %v", i+1, ext[i+1], err)
		}
	}
	return r
}

// ivFor is the CBC IV of packet number token no: its ASCII digits, zero bytes to 16.
func ivFor(t *testing.T, no string) string {
	t.Helper()
	if len(no) == 0 || len(no) > 10 {
		t.Fatalf("packet number %q", no)
	}
	var iv [16]byte
	copy(iv[:], no)
	return hex.EncodeToString(iv[:])
}

func TestSealedFileRequestOpenSSL(t *testing.T) {
	o := newSSLTool(t)
	port := testPort(t)
	ka, kb := testKeys(t, 0), testKeys(t, 1)
	// A serves files (so it advertises CAPFILEENCOPT); B fetches.
	startNode(t, "127.0.0.2", port, func(c *Config) { c.Keys, c.Files = ka, &fakeFiles{} }, "127.0.0.3")
	b := startNode(t, "127.0.0.3", port, withKeys(kb), "127.0.0.2")
	hostA := b.waitEvent(t, "A", joined("u127.0.0.2")).Host
	if !hostA.Caps.Has(wire.CapFileEncOpt) {
		t.Fatalf("A advertises %v, want CAPFILEENCOPT", hostA.Caps)
	}
	o.writeKey(ka.RSA2048, "privA.pem", "pubA.pem")
	o.writeKey(kb.RSA2048, "privB.pem", "pubB.pem")

	const attach, fid = 0x6553f100, 0x3ade68b1
	var lastNo uint32
	var lastKey []byte
	for _, c := range []struct {
		name string
		cmd  wire.Command
		utf8 bool
		text func(reqNo uint32, key []byte) string // the plaintext as draft-14 writes it, by hand
	}{
		{"GETDIRFILES", wire.GetDirFiles, false, func(r uint32, k []byte) string {
			return fmt.Sprintf("%x:%x:900000:%s:%x", attach, fid, hex.EncodeToString(k), r)
		}},
		{"GETFILEDATA", wire.GetFileData, false, func(r uint32, k []byte) string {
			return fmt.Sprintf("%x:%x:0:900000:%s:%x", attach, fid, hex.EncodeToString(k), r)
		}},
		{"GETFILEDATA resume UTF-8", wire.GetFileData, true, func(r uint32, k []byte) string {
			return fmt.Sprintf("%x:%x:%x:900000:%s:%x", attach, fid, 0x100000005, hex.EncodeToString(k), r)
		}},
		{"generation-1 shape", wire.GetDirFiles, false, func(r uint32, k []byte) string {
			return fmt.Sprintf("%x:%x:900000:%s", attach, fid, hex.EncodeToString(k))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o.t = t
			var gotNo uint32
			var gotKey []byte
			var plain string
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pkt, key, reqNo, err := b.SealedFileRequest(ctx, hostA, c.cmd, c.utf8, func(r uint32, k []byte) []byte {
				gotNo, gotKey = r, bytes.Clone(k)
				plain = c.text(r, k)
				return []byte(plain)
			})
			if err != nil {
				t.Fatal(err)
			}
			if reqNo != gotNo || !bytes.Equal(key, gotKey) || len(key) != 32 {
				t.Fatalf("returned R=%d key %x; args saw R=%d key %x", reqNo, key, gotNo, gotKey)
			}
			if reqNo <= lastNo || bytes.Equal(key, lastKey) || bytes.Equal(key, make([]byte, 32)) {
				t.Fatalf("R=%d key %x after R=%d key %x: want a new number and key", reqNo, key, lastNo, lastKey)
			}
			lastNo, lastKey = reqNo, key

			r := splitSealedRequest(t, pkt)
			if r.no != strconv.FormatUint(uint64(reqNo), 10) {
				t.Errorf("header packet number %q, want R=%d", r.no, reqNo)
			}
			if r.user != "u127.0.0.3" || r.host != "h127.0.0.3" {
				t.Errorf("header names %q %q", r.user, r.host)
			}
			want := c.cmd | wire.EncryptOpt | wire.EncFileOpt // 0x00400000|0x800
			if c.utf8 || hostA.Caps.Has(wire.CapUTF8Opt) {
				want |= wire.UTF8Opt
			}
			if r.cmd != want || r.cmd&(0x00400000|0x800) != 0x00400800 {
				t.Errorf("command %#x (%v), want %#x", uint32(r.cmd), r.cmd, uint32(want))
			}
			// RSA2048|AES256|SIGN_SHA256|PACKETNO_IV|ENCODE_BASE64, as WIN seals to a WIN peer.
			if r.capa != "41900004" {
				t.Errorf("CAPA %q, want 41900004", r.capa)
			}
			if len(r.key) != 256 || len(r.sign) != 256 || len(r.body)%16 != 0 {
				t.Fatalf("KEY %d, BODY %d, SIGN %d bytes", len(r.key), len(r.body), len(r.sign))
			}

			session := o.run(r.key, "pkeyutl", "-decrypt", "-inkey", "privA.pem", "-pkeyopt", "rsa_padding_mode:pkcs1")
			if len(session) != 32 {
				t.Fatalf("session key of %d bytes", len(session))
			}
			if bytes.Equal(session, key) {
				t.Fatal("the session key of the seal is the file data key")
			}
			got := o.run(r.body, "enc", "-d", "-aes-256-cbc", "-K", hex.EncodeToString(session), "-iv", ivFor(t, r.no))
			if want := plain + "\x00"; string(got) != want {
				t.Fatalf("openssl decrypts to\n %q\nwant\n %q", got, want)
			}
			if !strings.Contains(string(got), ":"+hex.EncodeToString(key)) {
				t.Fatalf("plaintext %q lacks the returned key", got)
			}
			if c.name != "generation-1 shape" && !strings.HasSuffix(string(got), fmt.Sprintf(":%x\x00", reqNo)) {
				t.Fatalf("plaintext %q does not end in R=%x", got, reqNo)
			}
			// The plaintext has exactly 1..16 bytes of PKCS#7 padding after it.
			if pad := len(r.body) - len(got); pad < 1 || pad > 16 {
				t.Fatalf("%d bytes of padding", pad)
			}
			o.write("sig.bin", r.sign)
			out := o.run(got, "dgst", "-sha256", "-verify", "pubB.pem", "-signature", "sig.bin")
			if !bytes.Contains(out, []byte("Verified OK")) {
				t.Fatalf("openssl dgst -verify: %q", out)
			}
			// Not over the plaintext without its NUL, and not with A's key.
			for _, bad := range []struct {
				in  []byte
				pub string
			}{
				{got[:len(got)-1], "pubB.pem"},
				{got, "pubA.pem"},
			} {
				cmd := exec.Command(o.path, "dgst", "-sha256", "-verify", bad.pub, "-signature", "sig.bin")
				cmd.Dir, cmd.Stdin = o.dir, bytes.NewReader(bad.in)
				if out, err := cmd.Output(); err == nil || bytes.Contains(out, []byte("Verified OK")) {
					t.Fatalf("signature verifies over %q with %s", bad.in, bad.pub)
				}
			}
		})
	}
}
