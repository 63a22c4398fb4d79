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
func Parse(b []byte) (Packet, error) {
	var p Packet
	b = bytes.TrimRight(b, "\x00")
	fields := make([][]byte, 0, 5)
	rest := b
	for len(fields) < 5 {
		i := bytes.IndexByte(rest, ':')
		if i < 0 {
			return p, fmt.Errorf("packet: missing %s field", headerFields[len(fields)])
		}
		fields = append(fields, rest[:i])
		rest = rest[i+1:]
	}
	if !versionOne(fields[0]) {
		return p, fmt.Errorf("packet: version %q: %w", truncate(fields[0]), ErrVersion)
	}
	p.Version = string(fields[0])
	no, err := strconv.ParseUint(string(fields[1]), 10, 32)
	if err != nil {
		return p, fmt.Errorf("packet: packet number %q is not a 32-bit decimal", truncate(fields[1]))
	}
	p.No = uint32(no)
	if len(fields[2]) == 0 {
		return p, errors.New("packet: empty user field")
	}
	if len(fields[3]) == 0 {
		return p, errors.New("packet: empty host field")
	}
	p.User, p.Host = string(fields[2]), string(fields[3])
	cmd, err := strconv.ParseUint(string(fields[4]), 10, 32)
	if err != nil {
		return p, fmt.Errorf("packet: command %q is not a 32-bit decimal", truncate(fields[4]))
	}
	p.Cmd = Command(cmd)
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		p.Msg, p.Extra = rest[:i], rest[i+1:]
	} else {
		p.Msg = rest
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
