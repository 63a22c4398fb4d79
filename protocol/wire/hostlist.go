package wire

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ListEntry is one row of an ANSLIST host list (Windows' host-list exchange). Names are raw bytes in the
// packet's charset.
type ListEntry struct {
	User, Host  string
	Status      Command // the host's entry command and options; 0 or BR_EXIT means "gone"
	Addr        string  // dotted IPv4
	Port        int
	Nick, Group string
}

const (
	listSep   = '\a'
	listEmpty = "\b" // an empty field on the wire
)

// ParseAnsList reads an ANSLIST payload: "%5d\a%5d\a" (next start index, row count), then seven
// \a-terminated fields per row. The rows actually present count, whatever the header says; a short last
// row is an error after the complete rows.
func ParseAnsList(ext []byte) (next int, entries []ListEntry, err error) {
	fields := bytes.Split(ext, []byte{listSep})
	if len(fields) > 0 && len(fields[len(fields)-1]) == 0 {
		fields = fields[:len(fields)-1] // the trailing separator
	}
	if len(fields) < 2 {
		return 0, nil, fmt.Errorf("anslist: header needs next index and count, got %q", truncate(ext))
	}
	next, err = strconv.Atoi(strings.TrimSpace(string(fields[0])))
	if err != nil || next < 0 {
		return 0, nil, fmt.Errorf("anslist: next index %q is not a number", truncate(fields[0]))
	}
	if _, err := strconv.Atoi(strings.TrimSpace(string(fields[1]))); err != nil {
		return next, nil, fmt.Errorf("anslist: count %q is not a number", truncate(fields[1]))
	}
	rows := fields[2:]
	for i := 0; i+7 <= len(rows); i += 7 {
		r := rows[i : i+7]
		status, err := strconv.ParseUint(string(r[2]), 10, 32)
		if err != nil {
			return next, entries, fmt.Errorf("anslist entry %d: status %q is not a number", i/7, truncate(r[2]))
		}
		port, err := strconv.Atoi(string(r[4]))
		if err != nil || port < 0 || port > 65535 {
			return next, entries, fmt.Errorf("anslist entry %d: port %q is not 0..65535", i/7, truncate(r[4]))
		}
		entries = append(entries, ListEntry{
			User: unempty(r[0]), Host: unempty(r[1]), Status: Command(status), Addr: string(r[3]),
			Port: port, Nick: unempty(r[5]), Group: unempty(r[6]),
		})
	}
	if len(rows)%7 != 0 {
		return next, entries, fmt.Errorf("anslist entry %d: %d of 7 fields", len(rows)/7, len(rows)%7)
	}
	return next, entries, nil
}

func unempty(b []byte) string {
	if string(b) == listEmpty {
		return ""
	}
	return string(b)
}

// AnsListPage writes entries[start:] as one ANSLIST payload of at most maxBytes. next is the index of the
// first entry left out, or 0 when the page reached the end.
func AnsListPage(entries []ListEntry, start, maxBytes int) (ext []byte, next int) {
	var rows []byte
	count := 0
	for i := start; i < len(entries); i++ {
		row := appendListRow(nil, entries[i])
		if 12+len(rows)+len(row) > maxBytes && count > 0 {
			next = i
			break
		}
		rows = append(rows, row...)
		count++
	}
	ext = fmt.Appendf(make([]byte, 0, 12+len(rows)), "%5d\a%5d\a", next, count)
	return append(ext, rows...), next
}

func appendListRow(dst []byte, e ListEntry) []byte {
	for _, f := range []string{e.User, e.Host, strconv.FormatUint(uint64(e.Status), 10), e.Addr,
		strconv.Itoa(e.Port), e.Nick, e.Group} {
		f = strings.NewReplacer("\a", " ", "\x00", "").Replace(f)
		if f == "" {
			f = listEmpty
		}
		dst = append(dst, f...)
		dst = append(dst, listSep)
	}
	return dst
}
