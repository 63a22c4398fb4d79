package wire

import (
	"bytes"
	"strings"
)

// Entry is the payload of BR_ENTRY, ANSENTRY and BR_ABSENCE. Three layouts meet on a LAN:
//
//	Windows: nick \0 group \0 "\nUN:user\nHN:host\nNN:nick\nGN:group[\nVS:...]"  (UTF-8 lines)
//	iptux:   nick \0 group \0 icon \0 encoding \0
//	plain:   nick [\0 group]
type Entry struct {
	Nick, Group    []byte // legacy fields, raw bytes
	UN, HN, NN, GN string // the UTF-8 lines; "" when absent
	HasUTF8        bool   // at least one of UN/HN/NN/GN was present
	Icon, Encoding string // iptux's third and fourth fields
	Iptux          bool   // a fourth field was present: iptux's layout
}

// ParseEntry reads an entry payload. It never fails: missing parts are empty, unknown lines ignored.
func ParseEntry(p Packet) Entry {
	e := Entry{Nick: p.Msg}
	parts := bytes.Split(p.Extra, []byte{0})
	if len(p.Extra) == 0 {
		return e
	}
	e.Group = parts[0]
	rest := parts[1:]
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] == '\n' {
		e.parseLines(rest[0])
		return e
	}
	if len(rest) >= 2 {
		e.Icon, e.Encoding, e.Iptux = validUTF8(rest[0]), validUTF8(rest[1]), true
	}
	return e
}

func (e *Entry) parseLines(b []byte) {
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		v := validUTF8(val)
		switch string(key) {
		case "UN":
			e.UN = v
		case "HN":
			e.HN = v
		case "NN":
			e.NN = v
		case "GN":
			e.GN = v
		default:
			continue // VS:, IP: and whatever comes next
		}
		e.HasUTF8 = true
	}
}

func validUTF8(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }

// EntryText is our names in UTF-8 for the UN/HN/NN/GN lines.
type EntryText struct{ User, Host, Nick, Group string }

// AppendEntry builds an entry payload in the Windows layout: msg is the legacy nick, extra the legacy
// group, a NUL, and the UTF-8 lines. Packet.Append adds the final NUL.
func AppendEntry(nick, group []byte, utf8 EntryText) (msg, extra []byte) {
	extra = make([]byte, 0, len(group)+24+len(utf8.User)+len(utf8.Host)+len(utf8.Nick)+len(utf8.Group))
	extra = append(extra, group...)
	extra = append(extra, 0)
	for _, kv := range [...][2]string{{"UN", utf8.User}, {"HN", utf8.Host}, {"NN", utf8.Nick}, {"GN", utf8.Group}} {
		extra = append(extra, '\n')
		extra = append(extra, kv[0]...)
		extra = append(extra, ':')
		extra = append(extra, stripLineBreaks(kv[1])...)
	}
	return nick, extra
}

// stripLineBreaks keeps a name on its line; a NUL would end the payload.
func stripLineBreaks(s string) string {
	if !strings.ContainsAny(s, "\n\r\x00") {
		return s
	}
	return strings.NewReplacer("\n", " ", "\r", " ", "\x00", "").Replace(s)
}
