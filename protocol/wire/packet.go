package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Version is the protocol version Hato writes in every header.
const Version = "1"

// ErrVersion is returned for datagrams whose version field does not start with the digit 1
// (binary IpMsg.Net packets, garbage, other protocols on the port).
var ErrVersion = errors.New("not an IPMsg version-1 packet")

// Packet is one IPMsg packet: `version:packetNo:user:host:command:msg\0extra\0`.
//
// User, Host, Msg and Extra are raw bytes in the sender's character set; decoding is the caller's job
// (see Decode), because the right charset depends on the command's UTF8OPT and on who the sender is.
type Packet struct {
	Version string  // as received, e.g. "1" or "1_iptux 0.8.3"; Append writes Version when empty
	No      uint32  // packet number
	User    string  // sender's login name (raw bytes)
	Host    string  // sender's host name (raw bytes)
	Cmd     Command // mode and options
	Msg     []byte  // everything after the fifth ':' up to the first NUL; may contain ':'
	Extra   []byte  // everything after the first NUL, trailing NULs removed; may contain further NULs
}

// Parse reads one packet. Trailing NULs (Windows pads its last retries with 64 of them) are ignored.
// Msg and Extra alias b; Version, User and Host are copies.
//
// Like WIN's tokenizer and iptux's, Parse accepts a header that ends with the command and no ':'
// ("1:5:u:h:2"): the body is then empty. The header ends at a NUL as in C, so a NUL in the user or host
// field is an error.
func Parse(b []byte) (Packet, error) {
	var p Packet
	b = bytes.TrimRight(b, "\x00")
	// ends[k] is the index of the ':' that ends header field k (version, packet number, user, host).
	var ends [4]int
	pos := 0
	for k := range ends {
		i := bytes.IndexByte(b[pos:], ':')
		if k == 0 {
			f := b
			if i >= 0 {
				f = b[:i]
			}
			if !versionOne(f) {
				return p, fmt.Errorf("packet: version %q: %w", truncate(f), ErrVersion)
			}
		}
		if i < 0 {
			return p, fmt.Errorf("packet: missing %s field", headerFields[k+1])
		}
		ends[k] = pos + i
		pos += i + 1
	}
	no, err := strconv.ParseUint(string(b[ends[0]+1:ends[1]]), 10, 32)
	if err != nil {
		return p, fmt.Errorf("packet: packet number %q is not a 32-bit decimal", truncate(b[ends[0]+1:ends[1]]))
	}
	p.No = uint32(no)
	user, host := b[ends[1]+1:ends[2]], b[ends[2]+1:ends[3]]
	for k, f := range [2][]byte{user, host} {
		if len(f) == 0 {
			return p, fmt.Errorf("packet: empty %s field", headerFields[k+2])
		}
		if bytes.IndexByte(f, 0) >= 0 {
			return p, fmt.Errorf("packet: NUL in %s field %q", headerFields[k+2], truncate(f))
		}
	}
	// One string holds "user:host", one allocation; a one-byte version ("1") needs none.
	names := string(b[ends[1]+1 : ends[3]])
	p.User, p.Host = names[:len(user)], names[len(user)+1:]
	p.Version = string(b[:ends[0]])

	rest := b[pos:]
	cmdEnd := 0
	for cmdEnd < len(rest) && rest[cmdEnd] != ':' && rest[cmdEnd] != 0 {
		cmdEnd++
	}
	cmd := rest[:cmdEnd]
	if len(cmd) == 0 {
		return p, errors.New("packet: empty command field")
	}
	c, err := strconv.ParseUint(string(cmd), 10, 32)
	if err != nil {
		return p, fmt.Errorf("packet: command %q is not a 32-bit decimal", truncate(cmd))
	}
	p.Cmd = Command(c)
	body := rest[cmdEnd:] // "", ":msg...", or "\x00extra" when the ':' is missing
	if len(body) > 0 && body[0] == ':' {
		body = body[1:]
	}
	if i := bytes.IndexByte(body, 0); i >= 0 {
		p.Msg, p.Extra = body[:i], body[i+1:]
	} else {
		p.Msg = body
	}
	return p, nil
}

var headerFields = [...]string{"version", "packet number", "user", "host", "command"}

// versionOne reports whether the field's leading digits are exactly "1", as the Windows client's atoi check.
func versionOne(f []byte) bool {
	n := 0
	for n < len(f) && f[n] >= '0' && f[n] <= '9' {
		n++
	}
	return n == 1 && f[0] == '1'
}

func truncate(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}

// Append writes the packet to dst. The message always ends with a NUL (some clients need it);
// a non-empty Extra follows and ends with a NUL too.
func (p Packet) Append(dst []byte) []byte {
	v := p.Version
	if v == "" {
		v = Version
	}
	dst = append(dst, v...)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(p.No), 10)
	dst = append(dst, ':')
	dst = append(dst, p.User...)
	dst = append(dst, ':')
	dst = append(dst, p.Host...)
	dst = append(dst, ':')
	dst = strconv.AppendUint(dst, uint64(p.Cmd), 10)
	dst = append(dst, ':')
	dst = append(dst, p.Msg...)
	dst = append(dst, 0)
	if len(p.Extra) > 0 {
		dst = append(dst, p.Extra...)
		dst = append(dst, 0)
	}
	return dst
}

// Bytes is Append to a new slice.
func (p Packet) Bytes() []byte {
	return p.Append(make([]byte, 0, 64+len(p.User)+len(p.Host)+len(p.Msg)+len(p.Extra)))
}
