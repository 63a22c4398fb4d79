package transfer

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"hato/protocol/crypt"
)

// SealedArgs is the plaintext of an encrypted file request (GETFILEDATA or GETDIRFILES with
// ENCRYPTOPT|ENCFILEOPT, draft-14 §8; docs/encrypted-files.md §1), all numbers in lowercase hex:
//
//	GETFILEDATA  packet:fileID:offset:900000:<64 hex key>:reqNo
//	GETDIRFILES  packet:fileID:900000:<64 hex key>:reqNo
//	data in the clear (NOENC_FILEBODY): packet:fileID[:offset]:4000000:reqNo
//
// Windows v3.5x left reqNo off; its request packet number is then the header's.
type SealedArgs struct {
	RequestArgs
	Caps     crypt.Caps // crypt.FileCaps (encrypted data) or crypt.FileCapsClear
	Key      []byte     // the AES-256 key of the data; nil with FileCapsClear
	ReqNo    uint32     // the request's packet number, which the counter block starts from
	HasReqNo bool
}

// Encrypted reports whether the data of the transfer is encrypted.
func (a SealedArgs) Encrypted() bool { return a.Caps == crypt.FileCaps }

// AppendSealedArgs writes the plaintext of an encrypted request (without the NUL the sealer adds). A
// GETFILEDATA always carries its offset, a GETDIRFILES never.
func AppendSealedArgs(dst []byte, dir bool, a SealedArgs) []byte {
	dst = fmt.Appendf(dst, "%x:%s:", a.Packet, a.FileID)
	if !dir {
		dst = fmt.Appendf(dst, "%x:", a.Offset)
	}
	dst = strconv.AppendUint(dst, uint64(a.Caps), 16)
	dst = append(dst, ':')
	if a.Caps == crypt.FileCaps {
		dst = hex.AppendEncode(dst, a.Key)
		dst = append(dst, ':')
	}
	return strconv.AppendUint(dst, uint64(a.ReqNo), 16)
}

// ParseSealedArgs reads the plaintext of an encrypted request. A plaintext with neither algorithm field
// (a request only sealed, as Windows sends to a peer without CAPFILEENCOPT) has Caps 0: the data goes
// in the clear.
func ParseSealedArgs(s string) (SealedArgs, error) {
	s = strings.TrimRight(s, "\x00")
	var a SealedArgs
	f := strings.Split(s, ":")
	isCaps := func(i int, c crypt.Caps) bool {
		if i >= len(f) {
			return false
		}
		v, err := strconv.ParseUint(f[i], 16, 32)
		return err == nil && crypt.Caps(v) == c
	}
	isKey := func(i int) bool { return i < len(f) && len(f[i]) == 2*crypt.FileKeyLen }
	at := -1 // index of the algorithm field
	switch {
	case len(f) >= 4 && isCaps(2, crypt.FileCaps) && isKey(3):
		at = 2
	case len(f) >= 5 && isCaps(3, crypt.FileCaps) && isKey(4):
		at = 3
	case len(f) == 4 && isCaps(2, crypt.FileCapsClear) && f[3] != "": // not "A:F:4000000:", offset 0x4000000
		at = 2
	case len(f) == 5 && isCaps(3, crypt.FileCapsClear):
		at = 3
	}
	if at < 0 {
		// The algorithm field with a key that is not one: say so rather than read a plain request.
		for i := 2; i <= 3 && i+1 < len(f); i++ {
			if isCaps(i, crypt.FileCaps) && len(f) == i+3 && !isKey(i+1) {
				return a, fmt.Errorf("encrypted file request: key %q is not %d hex digits", clip(f[i+1]), 2*crypt.FileKeyLen)
			}
		}
		r, err := ParseRequestArgs(s)
		a.RequestArgs = r
		return a, err
	}
	r, err := ParseRequestArgs(strings.Join(f[:at], ":"))
	if err != nil {
		return a, err
	}
	a.RequestArgs = r
	v, _ := strconv.ParseUint(f[at], 16, 32)
	a.Caps = crypt.Caps(v)
	rest := f[at+1:]
	if a.Caps == crypt.FileCaps {
		if a.Key, err = hex.DecodeString(rest[0]); err != nil {
			return a, fmt.Errorf("encrypted file request: key %q is not hex", clip(rest[0]))
		}
		rest = rest[1:]
	}
	switch {
	case len(rest) == 0 && a.Caps == crypt.FileCaps: // Windows v3.5x: no request packet number
	case len(rest) == 1:
		no, err := strconv.ParseUint(rest[0], 16, 32)
		if err != nil {
			return a, fmt.Errorf("encrypted file request: request packet number %q is not 32-bit hex", clip(rest[0]))
		}
		a.ReqNo, a.HasReqNo = uint32(no), true
	default:
		return a, fmt.Errorf("encrypted file request %q: want packet:fileID[:offset]:caps[:key]:reqNo", clip(s))
	}
	return a, nil
}
