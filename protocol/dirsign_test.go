package protocol

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"net/netip"
	"strings"
	"testing"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// workedPoll is the note's worked DIR_POLL (docs/member-master.md §1.7) before signing.
func workedPoll() wire.Dict {
	var d wire.Dict
	d.SetInt(dkVer, 3)
	d.SetInt(dkPkt, 1700000001)
	d.SetInt(dkDate, 1700000000)
	d.SetStr(dkUID, "alice")
	d.SetStr(dkHID, "pc1")
	d.SetInt(dkCmd, int64(wire.DirPoll))
	d.SetInt(dkFlg, 0)
	d.SetStr(dkCVer, "00010002:4:99:3")
	d.SetStr(dkGrp, "")
	d.SetStr(dkNick, "Alice")
	d.SetInt(dkStat, 0x0F640000)
	d.SetDictList(dkNAdrs, dirNetworks([]netip.Prefix{netip.MustParsePrefix("192.168.20.0/24")}))
	return d
}

// The note's worked DIR_POLL, byte for byte: 184 bytes before signing; the signature block with the
// dummy modulus 00 01 .. ff makes the 492 bytes that are hashed, to the note's SHA-256; SIGN makes 758.
func TestWorkedSignedPoll(t *testing.T) {
	d := workedPoll()
	const unsigned = "IP2:af:VER:1:3:PKT:8:6553f101:DATE:8:6553f100:UID:5:alice:HID:3:pc1:CMD:2:b0:FLG:1:0:" +
		"CVER:f:00010002:4:99:3:GRP:0::NCK:5:Alice:STAT:7:f640000:NADRS:1f:1c:ADR:c:192.168.20.0:MASK:2:18:Z"
	if got := string(wire.AppendIPDict(nil, d)); got != unsigned || len(got) != 184 {
		t.Fatalf("unsigned poll (%d bytes)\n got %q\nwant %q", len(got), got, unsigned)
	}
	modulus := make([]byte, 256)
	for i := range modulus {
		modulus[i] = byte(i)
	}
	dummy := &rsa.PublicKey{N: new(big.Int).SetBytes(modulus), E: 65537}
	hashed := sealDict(&d, dummy, 0x65920006)
	if len(hashed) != 492 || !bytes.HasPrefix(hashed, []byte("IP2:1e2:")) ||
		!bytes.HasSuffix(hashed, []byte(":PUBE:5:10001:PUBN:100:"+string(modulus)+":EF:8:40000000:EC:8:65920006:Z")) {
		t.Fatalf("hashed bytes (%d): %q", len(hashed), hashed)
	}
	sum := sha256.Sum256(hashed)
	if got := hex.EncodeToString(sum[:]); got != "a2f9a290c210be9e63ec64a651694dfe95965c4c2e81232df89d64897fce13fb" {
		t.Errorf("SHA-256 of the hashed bytes %s", got)
	}
	d.SetBytes(wire.KeySign, bytes.Repeat([]byte{0xAB}, 256))
	whole := wire.AppendIPDict(nil, d)
	if len(whole) != 758 || !bytes.HasPrefix(whole, []byte("IP2:2ec:")) {
		t.Errorf("signed datagram: %d bytes, starts %q", len(whole), whole[:8])
	}
	back, err := wire.ParseIPDict(whole)
	if err != nil {
		t.Fatal(err)
	}
	if signed, err := wire.SignedBytes(back); err != nil || !bytes.Equal(signed, hashed) {
		t.Errorf("SignedBytes of the received poll differ from what was hashed: %v", err)
	}
	// Sealing again (WIN re-signs a dict for each agent) keeps the keys in place and drops the old SIGN.
	again := sealDict(&d, dummy, 0x65920006)
	if !bytes.Equal(again, hashed) {
		t.Error("sealing a signed dict again changed the signed bytes")
	}
}

// Our signature verifies with our key, after the trip through the wire; no byte can be changed, and no
// other key, a SIGN not last or a wrong EF passes.
func TestSignVerifyDict(t *testing.T) {
	key := testKeys(t, 0).RSA2048
	d := workedPoll()
	if err := signDict(&d, key, crypt.Supported); err != nil {
		t.Fatal(err)
	}
	if keys := d.Keys(); keys[len(keys)-1] != wire.KeySign || strings.Join(keys[len(keys)-5:], ",") != "PUBE,PUBN,EF,EC,SIGN" {
		t.Errorf("keys end with %v", keys[len(keys)-5:])
	}
	b := wire.AppendIPDict(nil, d)
	got, err := wire.ParseIPDict(b)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := verifyDict(got)
	if err != nil || !pub.Equal(&key.PublicKey) {
		t.Fatalf("verify: %v (key %v)", err, pub != nil)
	}
	if ec, _ := got.Int(wire.KeyEC); ec != int64(crypt.Supported) {
		t.Errorf("EC %#x", ec)
	}

	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x20
		d, err := wire.ParseIPDict(bad)
		if err != nil {
			continue
		}
		if _, err := verifyDict(d); err == nil {
			t.Fatalf("byte %d (%q) changed: still verifies", i, b[i])
		}
	}

	other := testKeys(t, 1).RSA2048
	cases := map[string]func(d *wire.Dict){
		"another key": func(d *wire.Dict) {
			d.SetBytes(wire.KeyPubN, other.N.FillBytes(make([]byte, 256)))
		},
		"SIGN not last": func(d *wire.Dict) { d.SetInt("XTRA", 1) },
		"no SIGN":       func(d *wire.Dict) { d.Delete(wire.KeySign) },
		"EF not SHA-256": func(d *wire.Dict) {
			sig, _ := d.Bytes(wire.KeySign)
			d.Delete(wire.KeySign)
			d.SetInt(wire.KeyEF, 0)
			d.SetBytes(wire.KeySign, sig)
		},
		"short modulus": func(d *wire.Dict) { d.SetBytes(wire.KeyPubN, key.N.Bytes()[1:]) },
		"even exponent": func(d *wire.Dict) { d.SetInt(wire.KeyPubE, 65536) },
		"short SIGN": func(d *wire.Dict) {
			sig, _ := d.Bytes(wire.KeySign)
			d.SetBytes(wire.KeySign, sig[1:])
		},
	}
	for name, spoil := range cases {
		c := got.Clone()
		spoil(&c)
		if _, err := verifyDict(c); err == nil {
			t.Errorf("%s: verifies", name)
		}
	}

	// Signed again by another key (as a forger would): it verifies, with that key.
	c := got.Clone()
	if err := signDict(&c, other, crypt.Supported); err != nil {
		t.Fatal(err)
	}
	if pub, err := verifyDict(c); err != nil || !pub.Equal(&other.PublicKey) {
		t.Errorf("re-signed: %v", err)
	}
	if err := signDict(&c, testKeys(t, 0).RSA1024, crypt.Supported); err == nil {
		t.Error("signed with a 1024-bit key")
	}
}
