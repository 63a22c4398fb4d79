package transfer

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"hato/protocol/crypt"
)

// The plaintexts of encrypted file requests (draft-14 §8), as docs/encrypted-files.md §1 writes them
// out: A = 1700000000 = 6553f100, F = 1, R = 1700000100 = 6553f164.

var (
	zeroKey = make([]byte, crypt.FileKeyLen)
	seqKey  = func() []byte { // 00 01 ... 1f
		k := make([]byte, crypt.FileKeyLen)
		for i := range k {
			k[i] = byte(i)
		}
		return k
	}()
)

const (
	zeroKeyHex = "0000000000000000000000000000000000000000000000000000000000000000"
	seqKeyHex  = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

func sealedAES(packet uint32, id string, offset int64, key []byte, reqNo uint32) SealedArgs {
	return SealedArgs{RequestArgs: RequestArgs{Packet: packet, FileID: id, Offset: offset}, Caps: crypt.FileCaps,
		Key: key, ReqNo: reqNo, HasReqNo: true}
}

func sealedClear(packet uint32, id string, offset int64, reqNo uint32) SealedArgs {
	return SealedArgs{RequestArgs: RequestArgs{Packet: packet, FileID: id, Offset: offset}, Caps: crypt.FileCapsClear,
		ReqNo: reqNo, HasReqNo: true}
}

// sealedVectors are written by AppendSealedArgs byte for byte and read back by ParseSealedArgs.
var sealedVectors = []struct {
	name string
	dir  bool // GETDIRFILES: no offset field
	args SealedArgs
	text string
}{
	{"doc example, GETDIRFILES", true, sealedAES(1700000000, "1", 0, zeroKey, 1700000100),
		"6553f100:1:900000:" + zeroKeyHex + ":6553f164"},
	{"GETFILEDATA (clipboard), offset 0", false, sealedAES(1700000000, "1", 0, zeroKey, 1700000100),
		"6553f100:1:0:900000:" + zeroKeyHex + ":6553f164"},
	{"NOENC GETDIRFILES", true, sealedClear(1700000000, "1", 0, 1700000100), "6553f100:1:4000000:6553f164"},
	{"NOENC GETFILEDATA", false, sealedClear(1700000000, "1", 0, 1700000100), "6553f100:1:0:4000000:6553f164"},
	{"lowercase key", true, sealedAES(0x65937d25, "3ade68b1", 0, seqKey, 0x65937d30),
		"65937d25:3ade68b1:900000:" + seqKeyHex + ":65937d30"},
	{"GETFILEDATA resume", false, sealedAES(0x65937d25, "2a", 0x100000005, seqKey, 0x65937d30),
		"65937d25:2a:100000005:900000:" + seqKeyHex + ":65937d30"},

	// Offsets whose hex is an algorithm field: the field after them decides.
	{"offset 900000, AES", false, sealedAES(5, "1", 0x900000, seqKey, 6), "5:1:900000:900000:" + seqKeyHex + ":6"},
	{"offset 4000000, AES", false, sealedAES(5, "1", 0x4000000, seqKey, 6), "5:1:4000000:900000:" + seqKeyHex + ":6"},
	{"offset 900000, NOENC", false, sealedClear(5, "1", 0x900000, 6), "5:1:900000:4000000:6"},
	{"offset 4000000, NOENC", false, sealedClear(5, "1", 0x4000000, 6), "5:1:4000000:4000000:6"},
	// Request packet numbers that are algorithm fields too.
	{"reqNo 900000, NOENC", true, sealedClear(5, "1", 0, 0x900000), "5:1:4000000:900000"},
	{"reqNo 4000000, NOENC", true, sealedClear(5, "1", 0, 0x4000000), "5:1:4000000:4000000"},
	{"offset and reqNo 4000000, NOENC", false, sealedClear(5, "1", 0x4000000, 0x4000000), "5:1:4000000:4000000:4000000"},
	{"reqNo 900000, AES", true, sealedAES(5, "1", 0, seqKey, 0x900000), "5:1:900000:" + seqKeyHex + ":900000"},

	{"reqNo 0", true, sealedAES(5, "0", 0, seqKey, 0), "5:0:900000:" + seqKeyHex + ":0"},
	{"largest values", false, sealedAES(1<<32-1, "ffffffffffffffff", 1<<63-1, seqKey, 1<<32-1),
		"ffffffff:ffffffffffffffff:7fffffffffffffff:900000:" + seqKeyHex + ":ffffffff"},
}

func TestAppendSealedArgs(t *testing.T) {
	for _, v := range sealedVectors {
		got := AppendSealedArgs([]byte("x"), v.dir, v.args)
		if string(got) != "x"+v.text {
			t.Errorf("%s: AppendSealedArgs(dir %v) =\n %q\nwant\n %q", v.name, v.dir, got[1:], v.text)
		}
	}
	// The doc's length: 91 characters (the sealer adds the NUL).
	if n := len(AppendSealedArgs(nil, true, sealedVectors[0].args)); n != 91 {
		t.Errorf("doc example: %d characters, want 91", n)
	}
	// The key field is the 32 key bytes in lowercase hex, 64 characters.
	b := AppendSealedArgs(nil, true, sealedAES(1, "1", 0, bytes.Repeat([]byte{0xab}, 32), 2))
	if want := "1:1:900000:" + strings.Repeat("ab", 32) + ":2"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

func TestParseSealedArgsRoundTrip(t *testing.T) {
	for _, v := range sealedVectors {
		got, err := ParseSealedArgs(v.text)
		if err != nil || !reflect.DeepEqual(got, v.args) {
			t.Errorf("%s: ParseSealedArgs(%q) =\n %+v, %v\nwant\n %+v", v.name, v.text, got, err, v.args)
			continue
		}
		// With the NUL the sealer adds (and a second one from a padded buffer).
		for _, nul := range []string{"\x00", "\x00\x00"} {
			if got, err := ParseSealedArgs(v.text + nul); err != nil || !reflect.DeepEqual(got, v.args) {
				t.Errorf("%s with %q: %+v, %v", v.name, nul, got, err)
			}
		}
		if got.Encrypted() != (v.args.Caps == crypt.FileCaps) {
			t.Errorf("%s: Encrypted() = %v", v.name, got.Encrypted())
		}
		if back := AppendSealedArgs(nil, v.dir, got); string(back) != v.text {
			t.Errorf("%s: written back as %q", v.name, back)
		}
	}
}

// What other clients send, and the shapes only read.
func TestParseSealedArgs(t *testing.T) {
	gen1 := func(packet uint32, id string, offset int64, key []byte) SealedArgs {
		a := sealedAES(packet, id, offset, key, 0)
		a.HasReqNo = false
		return a
	}
	plain := func(packet uint32, id string, offset int64) SealedArgs {
		return SealedArgs{RequestArgs: RequestArgs{Packet: packet, FileID: id, Offset: offset}}
	}
	cases := []struct {
		name string
		text string
		want SealedArgs
	}{
		// Windows v3.50-v3.64 (generation 1): no request packet number.
		{"gen 1 GETDIRFILES", "6553f100:1:900000:" + seqKeyHex, gen1(1700000000, "1", 0, seqKey)},
		{"gen 1 GETFILEDATA", "6553f100:1:0:900000:" + seqKeyHex, gen1(1700000000, "1", 0, seqKey)},
		{"gen 1 GETFILEDATA offset 900000", "6553f100:1:900000:900000:" + seqKeyHex,
			gen1(1700000000, "1", 0x900000, seqKey)},
		{"gen 1 with NUL", "6553f100:1:900000:" + seqKeyHex + "\x00", gen1(1700000000, "1", 0, seqKey)},

		// Hex in either case, leading zeros, an empty offset.
		{"uppercase", "6553F100:1F:900000:" + strings.ToUpper(seqKeyHex) + ":6553F164",
			sealedAES(1700000000, "1F", 0, seqKey, 1700000100)},
		{"caps with leading zeros", "5:1:00900000:" + seqKeyHex + ":6", sealedAES(5, "1", 0, seqKey, 6)},
		{"NOENC caps with leading zeros", "5:1:04000000:6", sealedClear(5, "1", 0, 6)},
		{"empty offset", "5:1::900000:" + seqKeyHex + ":6", sealedAES(5, "1", 0, seqKey, 6)},
		{"file id with leading zeros", "5:0001:4000000:6", sealedClear(5, "0001", 0, 6)},

		// Only sealed (no ENCFILEOPT): WIN's plain request shapes, Caps 0.
		{"plain GETDIRFILES", "6553f100:1:", plain(1700000000, "1", 0)},
		{"plain GETFILEDATA", "6553f100:1:0:", plain(1700000000, "1", 0)},
		{"plain with NUL", "6553f100:1:0:\x00", plain(1700000000, "1", 0)},
		{"plain, iptux shape", "5:1:0", plain(5, "1", 0)},
		{"plain offset 900000", "5:1:900000:", plain(5, "1", 0x900000)},
		{"plain offset 900000, no colon", "5:1:900000", plain(5, "1", 0x900000)},
		{"plain offset 4000000", "5:1:4000000:", plain(5, "1", 0x4000000)},
		{"plain offset 4000000, no colon", "5:1:4000000", plain(5, "1", 0x4000000)},
	}
	for _, c := range cases {
		got, err := ParseSealedArgs(c.text)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: ParseSealedArgs(%q) =\n %+v, %v\nwant\n %+v", c.name, c.text, got, err, c.want)
		}
	}
}

func TestParseSealedArgsErrors(t *testing.T) {
	cases := []struct {
		text  string
		field string
	}{
		{"5:1:900000:" + "zz" + seqKeyHex[2:] + ":6", "key"},
		{"5:1:0:900000:" + seqKeyHex[:63] + "g:6", "key"},
		{"5:1:900000:" + seqKeyHex[:62] + ":6", "key"}, // a key too short
		{"5:1:0:900000:" + seqKeyHex + "00:6", "key"},  // and too long
		{"5:1:900000:" + seqKeyHex + ":zz", "request packet number"},
		{"5:1:900000:" + seqKeyHex + ":", "request packet number"},
		{"5:1:900000:" + seqKeyHex + ":100000000", "request packet number"}, // 33 bits
		{"5:1:900000:" + seqKeyHex + ":-1", "request packet number"},
		{"5:1:4000000:zz", "request packet number"},
		{"5:1:0:4000000:", "request packet number"},
		{"5:1:0:4000000:g", "request packet number"},
		{"5:1:900000:" + seqKeyHex + ":6:7", "caps[:key]:reqNo"},
		{"5:1:900000:" + seqKeyHex + ":6:", "caps[:key]:reqNo"},
		{"5:1:0:900000:" + seqKeyHex + ":6:7", "caps[:key]:reqNo"},
		{"5:1:0:900000:" + seqKeyHex + ":" + seqKeyHex + ":6", "caps[:key]:reqNo"},
		{"zz:1:900000:" + seqKeyHex + ":6", "packet number"},
		{"100000000:1:4000000:6", "packet number"},
		{"5:zz:900000:" + seqKeyHex + ":6", "file id"},
		{"5::4000000:6", "packetNo:fileID"},
		{"5::0:4000000:6", "file id"},
		{"5:1:zz:900000:" + seqKeyHex + ":6", "offset"},
		{"5:1:8000000000000000:4000000:6", "offset"},
		{"", "packetNo:fileID"},
		{"\x00", "packetNo:fileID"},
	}
	for _, c := range cases {
		got, err := ParseSealedArgs(c.text)
		if err == nil {
			t.Errorf("ParseSealedArgs(%q) = %+v, no error", c.text, got)
			continue
		}
		if !strings.Contains(err.Error(), c.field) ||
			!(strings.HasPrefix(err.Error(), "encrypted file request") || strings.HasPrefix(err.Error(), "file request")) {
			t.Errorf("ParseSealedArgs(%q): error %q does not name %s", c.text, err, c.field)
		}
		if len(err.Error()) > 200 {
			t.Errorf("ParseSealedArgs(%q): error of %d bytes", c.text, len(err.Error()))
		}
	}
}

// Whatever else it reads, ParseSealedArgs never says the data is encrypted without a 32-byte key, nor in
// the clear (NOENC) without a request packet number: a key of another length or a field too many is at
// most a request only sealed (Caps 0), which the server refuses.
func TestParseSealedArgsNeverHalfEncrypted(t *testing.T) {
	for _, s := range []string{
		"5:1:900000:" + seqKeyHex[:62] + ":6",
		"5:1:900000:" + seqKeyHex + "00:6",
		"5:1:0:900000:abcd:6",
		"5:1:900000::6",
		"5:1:0:4000000:6:7",
		"5:1:4000000:6:7",
		"5:1:4000000:",
		"5:1:0:4000000",
	} {
		a, err := ParseSealedArgs(s)
		if err != nil {
			continue
		}
		if a.Caps != 0 || a.Key != nil || a.HasReqNo {
			t.Errorf("ParseSealedArgs(%q) = %+v", s, a)
		}
	}
	if hex.EncodeToString(seqKey) != seqKeyHex || hex.EncodeToString(zeroKey) != zeroKeyHex {
		t.Fatal("test keys do not match their hex")
	}
}
