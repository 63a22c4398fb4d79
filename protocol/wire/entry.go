package wire

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// Entry is the payload of BR_ENTRY, ANSENTRY and BR_ABSENCE. Three layouts meet on a LAN:
//
//	Windows: nick \0 group \0 "\nUN:user\nHN:host\nNN:nick\nGN:group[\nVS:...][\nIP:...]"  (UTF-8 lines)
//	iptux:   nick \0 group \0 icon \0 encoding \0
//	plain:   nick [\0 group]
//
// Nick and Group alias the packet's bytes.
type Entry struct {
	Nick, Group    []byte // legacy fields, raw bytes in the sender's charset
	UN, HN, NN, GN string // the UTF-8 lines; "" when absent
	HasUTF8        bool   // at least one of UN/HN/NN/GN was present
	Icon, Encoding string // iptux's third and fourth fields
	Iptux          bool   // a fourth field was present: iptux's layout
	Hato           string // the HATO: line another Hato adds (its feature level), "" from other clients
	// IP is the IPDict of WIN's "\nIP:" line (base64 decoded, not parsed): member-master hints such as
	// DRB and UPT (docs/member-master.md §1.2); nil when absent or not base64.
	IP []byte
}

// ParseEntry reads an entry payload. It never fails: missing parts are empty and unknown lines (WIN's
// VS: and IP:) ignored. The third part holds UTF-8 lines only if it starts with '\n' (the spec's "\0\n").
//
// Parse drops trailing NULs, so an iptux entry with an empty encoding field ("nick\0group\0icon\0\0")
// has no fourth field left and is not recognised by its layout; its version field still says iptux.
func ParseEntry(p Packet) Entry {
	e := Entry{Nick: p.Msg}
	if len(p.Extra) == 0 {
		return e
	}
	group, rest, ok := bytes.Cut(p.Extra, []byte{0})
	e.Group = group
	if !ok {
		return e
	}
	third, rest, ok := bytes.Cut(rest, []byte{0})
	if len(third) > 0 && third[0] == '\n' {
		e.parseLines(third)
		return e
	}
	if ok {
		enc, _, _ := bytes.Cut(rest, []byte{0})
		e.Icon, e.Encoding, e.Iptux = validUTF8(third), validUTF8(enc), true
	}
	return e
}

// parseLines reads "\nKEY:value" lines; a value may contain ':'. Lines without ':' are skipped.
func (e *Entry) parseLines(b []byte) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *string
		switch string(key) {
		case "UN":
			dst = &e.UN
		case "HN":
			dst = &e.HN
		case "NN":
			dst = &e.NN
		case "GN":
			dst = &e.GN
		case "HATO":
			e.Hato = validUTF8(val)
			continue
		case "IP":
			if d, err := base64.StdEncoding.DecodeString(string(val)); err == nil && len(d) > 0 {
				e.IP = d
			}
			continue
		default:
			continue // VS: and whatever comes next
		}
		*dst = validUTF8(val)
		e.HasUTF8 = true
	}
}

// EntryText is our names in UTF-8 for the UN/HN/NN/GN lines, Hato our feature level for a HATO: line
// ("" writes none), and IP an IPDict for WIN's IP: line, in base64 (nil writes none). Windows skips
// lines it does not know, iptux never reads this part.
type EntryText struct {
	User, Host, Nick, Group, Hato string
	IP                            []byte
}

// AppendEntry builds an entry payload in the Windows layout (MsgMng::MakeMsg): msg is the legacy nick,
// extra the legacy group, a NUL and the UTF-8 lines, with no NUL after them; Packet.Append adds it.
// Line breaks in the UTF-8 names become spaces and NULs are dropped, anywhere: either would end a line
// or the payload early and shift what follows.
func AppendEntry(nick, group []byte, utf8 EntryText) (msg, extra []byte) {
	msg = dropNUL(nick)
	group = dropNUL(group)
	extra = make([]byte, 0, len(group)+17+len(utf8.User)+len(utf8.Host)+len(utf8.Nick)+len(utf8.Group))
	extra = append(extra, group...)
	extra = append(extra, 0)
	extra = appendLine(extra, "UN", utf8.User)
	extra = appendLine(extra, "HN", utf8.Host)
	extra = appendLine(extra, "NN", utf8.Nick)
	extra = appendLine(extra, "GN", utf8.Group)
	if utf8.Hato != "" {
		extra = appendLine(extra, "HATO", utf8.Hato)
	}
	if len(utf8.IP) > 0 {
		extra = appendLine(extra, "IP", base64.StdEncoding.EncodeToString(utf8.IP))
	}
	return msg, extra
}

func appendLine(dst []byte, key, val string) []byte {
	dst = append(dst, '\n')
	dst = append(dst, key...)
	dst = append(dst, ':')
	if strings.ContainsAny(val, "\n\r\x00") {
		val = lineSafe.Replace(val)
	}
	return append(dst, val...)
}

var lineSafe = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\x00", "")

// dropNUL returns b without NUL bytes, b itself when it has none.
func dropNUL(b []byte) []byte {
	if bytes.IndexByte(b, 0) < 0 {
		return b
	}
	return bytes.ReplaceAll(b, []byte{0}, nil)
}
