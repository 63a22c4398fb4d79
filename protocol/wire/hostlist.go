package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ListEntry is one row of an ANSLIST host list (Windows' host-list exchange, INTEROP.md §3.2).
// Names are raw bytes in the packet's charset (UTF-8 when the ANSLIST has UTF8OPT).
type ListEntry struct {
	User, Host  string
	Status      Command // the host's entry command and options; 0 or BR_EXIT means "gone"
	Addr        string  // dotted IPv4
	Port        int     // the port itself; on the wire its two bytes are swapped (see listPort)
	Nick, Group string
}

// listPort turns a port into its wire form in a host list and back: Windows writes the port in network
// byte order read as a little-endian number (MakeHostListStr prints htons(portNo), and AddHostListCore
// reads htons(atoi(field)); v3.00 printed the raw sin_port), so 2425 travels as "30985" between any two
// Windows clients, which all run on little-endian machines. INTEROP.md §3.2's "2425" does not match the
// source of any version.
func listPort(p uint16) uint16 { return p<<8 | p>>8 }

const (
	listSep    = '\a'
	listEmpty  = "\b" // an empty field on the wire
	listFields = 7    // user, host, status, address, port, nick, group
)

// ParseAnsList reads an ANSLIST payload: "%5d\a%5d\a" (next start index, 0 when this is the last page;
// number of rows), then per host "user\ahost\astatus\aIP\aport\anick\agroup\a", "\b" for an empty field
// (the port byte-swapped: see listPort).
//
// The rows present count, whatever the header's number says: each row is self-delimiting, and a writer
// that miscounts still sent the rows. A missing final '\a' is accepted. On a bad row ParseAnsList stops
// and returns the rows before it with an error naming the row and the field.
func ParseAnsList(ext []byte) (next int, entries []ListEntry, err error) {
	rest := ext
	field := func() ([]byte, bool) {
		if len(rest) == 0 {
			return nil, false
		}
		f, r, _ := bytes.Cut(rest, []byte{listSep})
		rest = r
		return f, true
	}
	head, ok := field()
	if !ok {
		return 0, nil, errors.New("anslist: next index: missing")
	}
	if next, err = listNumber(head); err != nil {
		return 0, nil, fmt.Errorf("anslist: next index %q: %v", truncate(head), err)
	}
	count, ok := field()
	if !ok {
		return next, nil, errors.New("anslist: count: missing")
	}
	n, err := listNumber(count)
	if err != nil {
		return next, nil, fmt.Errorf("anslist: count %q: %v", truncate(count), err)
	}
	entries = make([]ListEntry, 0, min(n, len(rest)/16)) // a row takes at least 16 bytes
	for i := 0; len(rest) > 0; i++ {
		var f [listFields][]byte
		for k := range f {
			if f[k], ok = field(); !ok {
				return next, entries, fmt.Errorf("anslist entry %d: %s: missing (row has %d of %d fields)",
					i, listFieldNames[k], k, listFields)
			}
		}
		e, err := listEntry(f)
		if err != nil {
			return next, entries, fmt.Errorf("anslist entry %d: %v", i, err)
		}
		entries = append(entries, e)
	}
	return next, entries, nil
}

var listFieldNames = [listFields]string{"user", "host", "status", "address", "port", "nick", "group"}

func listEntry(f [listFields][]byte) (ListEntry, error) {
	status, err := strconv.ParseUint(string(f[2]), 10, 32)
	if err != nil {
		return ListEntry{}, fmt.Errorf("status %q: not a 32-bit decimal", truncate(f[2]))
	}
	if !dottedIPv4(f[3]) {
		return ListEntry{}, fmt.Errorf("address %q: not dotted IPv4", truncate(f[3]))
	}
	port, err := strconv.ParseUint(string(f[4]), 10, 16)
	if err != nil {
		return ListEntry{}, fmt.Errorf("port %q: not a decimal 0..65535", truncate(f[4]))
	}
	return ListEntry{
		User: unempty(f[0]), Host: unempty(f[1]), Status: Command(status), Addr: string(f[3]),
		Port: int(listPort(uint16(port))), Nick: unempty(f[5]), Group: unempty(f[6]),
	}, nil
}

// listNumber reads a header number: decimal, padded with spaces to 5 characters by Windows.
func listNumber(b []byte) (int, error) {
	n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 31)
	if err != nil {
		return 0, errors.New("not a decimal")
	}
	return int(n), nil
}

// dottedIPv4 accepts what inet_ntoa writes: four decimal numbers 0..255 without leading zeros.
func dottedIPv4(b []byte) bool {
	for part := range 4 {
		if part > 0 {
			if len(b) == 0 || b[0] != '.' {
				return false
			}
			b = b[1:]
		}
		n, digits := 0, 0
		for digits < len(b) && b[digits] >= '0' && b[digits] <= '9' {
			n = n*10 + int(b[digits]-'0')
			digits++
			if digits > 3 {
				return false
			}
		}
		if digits == 0 || n > 255 || (digits > 1 && b[0] == '0') {
			return false
		}
		b = b[digits:]
	}
	return len(b) == 0
}

func unempty(b []byte) string {
	if string(b) == listEmpty {
		return ""
	}
	return string(b)
}

// AnsListPage writes entries[start:] as one ANSLIST payload, stopping before the row that would make it
// longer than maxBytes. next is the index of the first entry not written, or 0 when the page reached the
// end. The first row is written even if it alone is too long, so that paging always moves on.
//
// A '\a' inside a field becomes a space and a NUL is dropped, so a name cannot break the row structure;
// an empty field is written as "\b".
func AnsListPage(entries []ListEntry, start, maxBytes int) (ext []byte, next int) {
	start = max(0, min(start, len(entries)))
	// The header is 12 bytes while both numbers fit in 5 digits; size it for the largest possible.
	head := len(fmt.Sprintf("%5d\a%5d\a", len(entries), len(entries)))
	rows := make([]byte, 0, min(maxBytes, 64*(len(entries)-start)))
	count := 0
	for i := start; i < len(entries); i++ {
		before := len(rows)
		rows = appendListRow(rows, entries[i])
		if head+len(rows) > maxBytes && count > 0 {
			rows, next = rows[:before], i
			break
		}
		count++
	}
	ext = fmt.Appendf(make([]byte, 0, head+len(rows)), "%5d\a%5d\a", next, count)
	return append(ext, rows...), next
}

// AppendAnsListHeader writes an ANSLIST payload's header: the next start index (0 on the last page) and
// the number of rows that follow (AppendListRow), as Windows writes them ("%5d\a%5d\a").
func AppendAnsListHeader(dst []byte, next, count int) []byte {
	return fmt.Appendf(dst, "%5d\a%5d\a", next, count)
}

// AppendListRow writes one ANSLIST row, as AnsListPage does.
func AppendListRow(dst []byte, e ListEntry) []byte { return appendListRow(dst, e) }

func appendListRow(dst []byte, e ListEntry) []byte {
	dst = appendListField(dst, e.User)
	dst = appendListField(dst, e.Host)
	dst = strconv.AppendUint(dst, uint64(e.Status), 10)
	dst = append(dst, listSep)
	dst = appendListField(dst, e.Addr)
	dst = strconv.AppendUint(dst, uint64(listPort(uint16(e.Port))), 10)
	dst = append(dst, listSep)
	dst = appendListField(dst, e.Nick)
	return appendListField(dst, e.Group)
}

var listSafe = strings.NewReplacer("\a", " ", "\x00", "")

func appendListField(dst []byte, f string) []byte {
	if strings.ContainsAny(f, "\a\x00") {
		f = listSafe.Replace(f)
	}
	if f == "" {
		f = listEmpty
	}
	dst = append(dst, f...)
	return append(dst, listSep)
}
