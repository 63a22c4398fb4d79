package crypt

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// maxRSABytes bounds KEY and SIGN: one RSA block of the largest modulus ParsePublicKey accepts.
const maxRSABytes = maxModulusBits / 8

// Message is an encrypted SENDMSG extension "CAPA:KEY:BODY[:SIGN]" with KEY, BODY and SIGN decoded.
type Message struct {
	Caps Caps   // the algorithm set used
	Key  []byte // RSA PKCS#1 v1.5 encrypted session key, big-endian
	Body []byte // CBC ciphertext
	Sign []byte // RSA PKCS#1 v1.5 signature over the plaintext, or nil
}

// ParseMessage reads an encrypted SENDMSG extension. KEY, BODY and SIGN are hex in either case, or
// standard base64 with or without '=' padding when Caps has EncodeBase64. It checks the shape only;
// Decrypt and Verify do the cryptography.
func ParseMessage(b []byte) (Message, error) {
	var m Message
	fields := bytes.Split(b, []byte{':'})
	if len(fields) < 3 || len(fields) > 4 {
		return m, fmt.Errorf("encrypted message: %d fields, want CAPA:KEY:BODY[:SIGN]", len(fields))
	}
	caps, err := ParseCaps(fields[0])
	if err != nil {
		return m, fmt.Errorf("encrypted message: %w", err)
	}
	s, err := suiteOf(caps)
	if err != nil {
		return m, fmt.Errorf("encrypted message: caps: %w", err)
	}
	m.Caps = caps
	b64 := caps.Has(EncodeBase64)
	if m.Key, err = decodeField(fields[1], b64, true); err != nil {
		return m, fmt.Errorf("encrypted message: key: %w", err)
	}
	// Big-endian RSA output: never longer than the modulus (shorter if a sender dropped leading zeros).
	if len(m.Key) > s.rsaBits/8 {
		return m, fmt.Errorf("encrypted message: key: %d bytes, too long for RSA-%d", len(m.Key), s.rsaBits)
	}
	if m.Body, err = decodeField(fields[2], b64, false); err != nil {
		return m, fmt.Errorf("encrypted message: body: %w", err)
	}
	if len(m.Body) == 0 || len(m.Body)%s.block != 0 {
		return m, fmt.Errorf("encrypted message: body: %d bytes, not a multiple of the %d-byte block", len(m.Body), s.block)
	}
	if len(fields) == 4 {
		if caps&signBits == 0 {
			return m, fmt.Errorf("encrypted message: sign: signature but caps %X name no hash", uint32(caps))
		}
		if m.Sign, err = decodeField(fields[3], b64, true); err != nil {
			return m, fmt.Errorf("encrypted message: sign: %w", err)
		}
		if len(m.Sign) > maxRSABytes {
			return m, fmt.Errorf("encrypted message: sign: %d bytes, longer than RSA-%d", len(m.Sign), maxModulusBits)
		}
	}
	return m, nil
}

// decodeField decodes one of KEY, BODY, SIGN. RSA values (number true) may come from a big-integer
// printer that drops a leading zero digit, so odd-length hex is read as a number.
func decodeField(f []byte, b64, number bool) ([]byte, error) {
	if len(f) == 0 {
		return nil, fmt.Errorf("empty")
	}
	if b64 {
		return decodeBase64(f)
	}
	if !isHex(f) {
		return nil, fmt.Errorf("%q is not hex", short(f))
	}
	if len(f)%2 == 1 {
		if !number {
			return nil, fmt.Errorf("odd number of hex digits (%d)", len(f))
		}
		f = append([]byte{'0'}, f...)
	}
	out := make([]byte, len(f)/2)
	if _, err := hex.Decode(out, f); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeBase64 reads standard base64 with or without padding. Go's decoder skips CR and LF; WIN never
// writes them, so anything outside the alphabet is refused before decoding.
func decodeBase64(f []byte) ([]byte, error) {
	raw := bytes.TrimRight(f, "=")
	if pad := len(f) - len(raw); pad > 2 || pad > 0 && len(f)%4 != 0 {
		return nil, fmt.Errorf("bad base64 padding in %q", short(f))
	}
	for _, c := range raw {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil, fmt.Errorf("%q is not base64", short(f))
		}
	}
	out, err := base64.RawStdEncoding.DecodeString(string(raw))
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty")
	}
	return out, nil
}

// AppendMessage appends m the way WIN writes it: CAPA in uppercase hex, then KEY, BODY and SIGN in
// lowercase hex, or standard base64 with '=' padding when Caps has EncodeBase64. SIGN is left out
// when empty.
func AppendMessage(dst []byte, m Message) []byte {
	dst = appendCaps(dst, m.Caps)
	parts := [][]byte{m.Key, m.Body}
	if len(m.Sign) > 0 {
		parts = append(parts, m.Sign)
	}
	for _, p := range parts {
		dst = append(dst, ':')
		if m.Caps.Has(EncodeBase64) {
			dst = base64.StdEncoding.AppendEncode(dst, p)
		} else {
			dst = hex.AppendEncode(dst, p)
		}
	}
	return dst
}
