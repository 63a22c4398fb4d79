package crypt

import (
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxNameBase is how much of the user name stays in front of the fingerprint: WIN's 80-byte limit less 20.
const maxNameBase = 60

// Fingerprint is the 16-hex-digit fingerprint WIN appends to user names (draft-10+, INTEROP.md §3.6),
// or "" for a key that is not 2048 bits. "2048 bits" means a 256-byte modulus: WIN hashes the 256-byte
// key blob, and the worked example's modulus starts with byte 0x01 (2041 significant bits). Both the modulus and the digest are taken little-endian, for
// historical reasons (draft-14): the naive big-endian computation gives a different value.
func Fingerprint(pub *rsa.PublicKey) string {
	if pub == nil || pub.N == nil || pub.Size() != 256 {
		return ""
	}
	n := pub.N.FillBytes(make([]byte, 256))
	slices.Reverse(n)
	d := sha1.Sum(n)
	slices.Reverse(d[:])
	var r [24]byte // the 20 digest bytes and four zero bytes
	copy(r[:], d[:])
	var fp [8]byte
	for j := range fp {
		fp[j] = r[j] ^ r[8+j] ^ r[16+j]
	}
	return hex.EncodeToString(fp[:])
}

// FingerprintName is user + "-<" + fp + ">" with the literal angle brackets WIN sends, user first cut
// to 60 bytes on a UTF-8 boundary. A key that is not 2048 bits has no fingerprint: user comes back as is.
func FingerprintName(user string, pub *rsa.PublicKey) string {
	fp := Fingerprint(pub)
	if fp == "" {
		return user
	}
	if len(user) > maxNameBase {
		cut := maxNameBase
		for cut > 0 && !utf8.RuneStart(user[cut]) {
			cut--
		}
		user = user[:cut]
	}
	return user + "-<" + fp + ">"
}

// SplitFingerprintName splits "taro-<30a70db77433793e>" into "taro" and "30a70db77433793e". ok is false
// unless the name ends with "-<", exactly 16 hex digits and ">" after a non-empty base; fp comes back
// lowercase.
func SplitFingerprintName(name string) (base, fp string, ok bool) {
	const tail = len("-<") + 16 + len(">")
	if len(name) <= tail || !strings.HasSuffix(name, ">") || name[len(name)-tail:len(name)-tail+2] != "-<" {
		return "", "", false
	}
	fp = name[len(name)-17 : len(name)-1]
	if !isHex([]byte(fp)) {
		return "", "", false
	}
	return name[:len(name)-tail], strings.ToLower(fp), true
}
