package ipmsglog

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Read parses a whole log. It returns the good entries, and a *DamagedError (matching ErrDamaged) when it
// skipped damaged ones; an error reading r is returned along with what was read before it. Read never
// panics on any input.
func Read(r io.Reader) ([]Entry, error) {
	data, rerr := io.ReadAll(r)
	entries, damaged := parse(decodeLines(data))
	var derr error
	if len(damaged) > 0 {
		derr = &DamagedError{Count: len(damaged), Lines: damaged}
	}
	return entries, errors.Join(rerr, derr)
}

var bom = []byte("\xEF\xBB\xBF")

// decodeLines splits data into lines at CR LF, LF or CR and decodes them: each block from one separator
// line to the next is UTF-8 if all of it is valid UTF-8, else CP932 (as WIN logdbconv.cpp AddTextLogToDb
// decides per block). The separator, CR and LF are ASCII and never a CP932 trail byte, so the raw bytes
// can be split before decoding.
func decodeLines(data []byte) []string {
	data = bytes.TrimPrefix(data, bom)
	var raw [][]byte
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			raw = append(raw, data) // a last line without its end, cut short
			break
		}
		raw = append(raw, data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}

	lines := make([]string, 0, len(raw))
	block := 0
	flush := func(end int) {
		valid := true
		for _, l := range raw[block:end] {
			if !utf8.Valid(l) {
				valid = false
				break
			}
		}
		for _, l := range raw[block:end] {
			if valid {
				lines = append(lines, string(l))
				continue
			}
			s, err := japanese.ShiftJIS.NewDecoder().Bytes(l)
			if err != nil {
				lines = append(lines, strings.ToValidUTF8(string(l), "\uFFFD"))
				continue
			}
			lines = append(lines, strings.ToValidUTF8(string(s), "\uFFFD"))
		}
		block = end
	}
	for i, l := range raw {
		if i > block && string(l) == sepLine {
			flush(i)
		}
	}
	flush(len(raw))
	return lines
}

// parse cuts the lines into entries. It returns the 1-based lines where skipped damaged entries began.
func parse(lines []string) (out []Entry, damaged []int) {
	cur := -1         // index in out of the entry whose text is being read
	bodyStart := 0    // first text line of out[cur]
	skipping := false // inside a damaged entry
	garbage := false  // text before the first entry was counted
	end := func(i int) {
		if cur >= 0 && !skipping {
			out[cur].Text = bodyText(lines[bodyStart:i])
		}
	}
	for i := 0; i < len(lines); {
		if lines[i] == sepLine {
			if e, next, ok := parseHeader(lines, i); ok {
				end(i)
				out = append(out, e)
				cur, bodyStart, skipping = len(out)-1, next, false
				i = next
				continue
			}
			if i+1 < len(lines) && peerLike(lines[i+1]) {
				end(i)
				damaged = append(damaged, i+1)
				skipping = true
				i++
				continue
			}
		}
		if cur < 0 && !skipping && !garbage && strings.TrimSpace(lines[i]) != "" {
			garbage = true
			damaged = append(damaged, i+1)
		}
		i++
	}
	end(len(lines))
	return out, damaged
}

// bodyText joins the text lines of an entry. The writer ends the text with "\r\n\r\n" (WIN logmng.cpp
// WriteMsg), so the last line is empty and is not part of the message (as in WIN logdbconv.cpp
// ParseMsgBody). A separator line escaped by Write loses its space.
func bodyText(lines []string) string {
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l == escapeSep {
			l = sepLine
		}
		b.WriteString(l)
	}
	return b.String()
}

// parseHeader parses the header whose separator is lines[i]: peer lines, the date line, an optional
// attachment line and the '-' line (the shape WIN logdbconv.cpp ParseMsg accepts). It returns the entry
// and the index of its first text line.
func parseHeader(lines []string, i int) (Entry, int, bool) {
	var e Entry
	j := i + 1
	if j >= len(lines) {
		return e, 0, false
	}
	var rest string
	switch l := lines[j]; {
	case strings.HasPrefix(l, fromPfx):
		e.In, rest = true, l[len(fromPfx):]
	case strings.HasPrefix(l, toPfx):
		rest = l[len(toPfx):]
	default:
		return e, 0, false
	}
	p, ok := parsePeer(rest)
	if !ok {
		return e, 0, false
	}
	e.Peer = p
	for j++; j < len(lines); j++ {
		l := lines[j]
		switch {
		case e.In && strings.HasPrefix(l, ccPfx):
			rest = l[len(ccPfx):]
		case e.In && strings.HasPrefix(l, ccToPfx):
			rest = l[len(ccToPfx):]
		case !e.In && strings.HasPrefix(l, toPfx):
			rest = l[len(toPfx):]
		default:
			rest = ""
		}
		if rest == "" {
			break
		}
		p, ok := parsePeer(rest)
		if !ok {
			return e, 0, false
		}
		e.Others = append(e.Others, p)
	}
	if j >= len(lines) {
		return e, 0, false
	}
	ja, ok := parseAt(lines[j], &e)
	if !ok {
		return e, 0, false
	}
	j++
	if j < len(lines) && lines[j] != dashLine && strings.HasPrefix(lines[j], "  ") {
		ja = parseAttach(lines[j], &e) || ja
		j++
	}
	if j >= len(lines) || lines[j] != dashLine {
		return e, 0, false
	}
	// Japanese only matters, and is only kept, when Write would write a label that has a Japanese form.
	e.Japanese = ja && (e.Broadcast || e.Auto || e.Multi || e.Sealed || e.Locked || e.Delayed ||
		len(e.Files) > 0 || e.Crypto >= CryptoSigned)
	return e, j + 1, true
}

// parsePeer parses a peer line after its prefix. Since the parts inside the parentheses are ambiguous
// when WIN left some out, it parses the result's own written form again until nothing changes, so what it
// returns is written and read back unchanged.
func parsePeer(s string) (Peer, bool) {
	p, ok := parsePeerOnce(s)
	for range 8 {
		if !ok {
			return Peer{}, false
		}
		f := formatPeer(p)
		if f == s {
			return p, true
		}
		q, qok := parsePeerOnce(f)
		if qok && q == p {
			return p, true
		}
		p, ok, s = q, qok, f
	}
	return Peer{}, false
}

// parsePeerOnce splits "nick [*](inside)". The '(' is the one matching the last ')', else the last " ("
// or " *(" (WIN logdbconv.cpp ParseSender also matches parentheses from the end when there are several).
func parsePeerOnce(s string) (Peer, bool) {
	var p Peer
	if !strings.HasSuffix(s, ")") {
		return p, false
	}
	open, depth := -1, 0
	for i := len(s) - 1; i >= 0 && open < 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			if depth--; depth == 0 {
				open = i
			}
		}
	}
	if !openAfterNick(s, open) {
		open = -1
		if k := strings.LastIndex(s, " ("); k >= 0 {
			open = k + 1
		}
		if k := strings.LastIndex(s, " *("); k >= 0 && k+2 > open {
			open = k + 2
		}
		if !openAfterNick(s, open) {
			return p, false
		}
	}
	if s[open-1] == '*' && open >= 2 && s[open-2] == ' ' {
		p.Absent, p.Nick = true, s[:open-2]
	} else {
		p.Nick = s[:open-1]
	}
	splitInside(s[open+1:len(s)-1], &p)
	return p, true
}

func openAfterNick(s string, open int) bool {
	return open >= 1 && open < len(s)-1 && (s[open-1] == ' ' || s[open-1] == '*' && open >= 2 && s[open-2] == ' ')
}

// splitInside splits "group/host/addr/user" from the right, as WIN logdbconv.cpp ParseSenderSub does:
// an address is told by its form, and a lone second part is the logon name when it has a lower-case
// letter (WIN is_uid); whatever is left of the host is the group, '/' and all.
func splitInside(c string, p *Peer) {
	parts := strings.Split(c, "/")
	n := len(parts)
	var rest []string
	switch {
	case isIP(parts[n-1]):
		p.Addr, rest = parts[n-1], parts[:n-1]
	case n >= 2 && isIP(parts[n-2]):
		p.User, p.Addr, rest = parts[n-1], parts[n-2], parts[:n-2]
	case n >= 3:
		p.User, rest = parts[n-1], parts[:n-1]
	case n == 2 && isUID(parts[1]):
		p.User, rest = parts[1], parts[:1]
	default:
		rest = parts
	}
	if k := len(rest); k > 0 {
		p.Host, p.Group = rest[k-1], strings.Join(rest[:k-1], "/")
	}
}

// isIP is a plain check of an IPv4 or IPv6 address, like WIN logdbconv.cpp is_ipaddr.
func isIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.Contains(s, ":") {
		if k := strings.IndexByte(s, '%'); k > 0 { // zone
			s = s[:k]
		}
		if strings.Count(s, ":") < 2 || len(s) > 45 {
			return false
		}
		for _, c := range []byte(s) {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
				return false
			}
		}
		return true
	}
	octets := strings.Split(s, ".")
	if len(octets) != 4 {
		return false
	}
	for _, o := range octets {
		if o == "" || len(o) > 3 {
			return false
		}
		v, err := strconv.Atoi(o)
		if err != nil || v < 0 || v > 255 || o[0] == '+' || o[0] == '-' {
			return false
		}
	}
	return true
}

// isUID guesses a logon name as WIN logdbconv.cpp is_uid does: an official IPMsg 3.x user id
// ("name-<hash>"), or anything with a lower-case ASCII letter.
func isUID(s string) bool {
	if n := len(s); n >= 20 && s[n-19] == '-' && s[n-18] == '<' && s[n-1] == '>' {
		return true
	}
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

var (
	// ctime, day zero- or space-padded: WIN miscfunc.cpp Ctime; the weekday is not checked.
	ctimeRe = regexp.MustCompile(`^[A-Za-z]{3} +([A-Za-z]{3}) +(\d{1,2}) +(\d{1,2}):(\d{2}):(\d{2}) +(\d{4})`)
	// a numeric date, year first, as Japanese IP Messenger for Mac writes (LogManager.m).
	numRe  = regexp.MustCompile(`^(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})\D*?(\d{1,2}):(\d{2}):(\d{2})`)
	months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// parseAt parses the date line and its labels into e; it reports whether a label was Japanese.
func parseAt(l string, e *Entry) (ja bool, ok bool) {
	s := strings.TrimLeft(l, " ")
	if !strings.HasPrefix(s, "at ") {
		return false, false
	}
	s = strings.TrimLeft(s[3:], " ")
	var y, mo, d, h, mi, sec int
	if m := ctimeRe.FindStringSubmatch(s); m != nil {
		mo = 0
		for k, name := range months {
			if strings.EqualFold(name, m[1]) {
				mo = k + 1
			}
		}
		d, h, mi, sec, y = atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5]), atoi(m[6])
		s = s[len(m[0]):]
	} else if m := numRe.FindStringSubmatch(s); m != nil {
		y, mo, d, h, mi, sec = atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5]), atoi(m[6])
		s = s[len(m[0]):]
	} else {
		return false, false
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return false, false
	}
	e.Time = time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.Local)

	// the labels, one after the other (WIN logmng.cpp WriteMsg; logdbconv.cpp ParseOption stops at the
	// first it does not know, and so does this).
	s = strings.TrimLeft(s, " ")
	crypto := false
	for s != "" {
		lb, isJA, ok := matchLabel(s, lblBroadcast, lblAuto, lblMulti, lblSealed, lblLocked, lblDelayed)
		if ok {
			switch lb {
			case lblBroadcast:
				e.Broadcast = true
			case lblAuto:
				e.Auto = true
			case lblMulti:
				e.Multi = true
			case lblSealed:
				e.Sealed = true
			case lblLocked:
				e.Sealed, e.Locked = true, true
			case lblDelayed:
				e.Delayed = true
			}
		} else if c, cl, cja, cok := matchCrypto(s); cok {
			lb, isJA, ok = cl, cja, true
			if !crypto { // the first one counts: WIN writes only one
				e.Crypto, crypto = c, true
			}
		}
		if !ok {
			break
		}
		ja = ja || isJA
		s = strings.TrimLeft(s[len(lb.in(isJA)):], " ")
	}
	return ja, true
}

// parseAttach parses the attachment line into e.Files; it reports whether its label was Japanese. An
// unknown label in parentheses is passed over; a line without one has no names.
func parseAttach(l string, e *Entry) (ja bool) {
	s := strings.TrimLeft(l, " ")
	if lb, isJA, ok := matchLabel(s, lblFiles, lblImage, lblFilesImages); ok {
		s, ja = s[len(lb.in(isJA)):], isJA
	} else if strings.HasPrefix(s, "(") && strings.Contains(s, ")") {
		s = s[strings.Index(s, ")")+1:]
	} else {
		return false
	}
	s = strings.TrimPrefix(s, " ")
	if s != "" {
		e.Files = strings.Split(s, ", ")
	}
	return ja
}

// matchLabel finds which of the labels s starts with, in either language; English ignoring case.
func matchLabel(s string, ls ...label) (label, bool, bool) {
	for _, l := range ls {
		if strings.HasPrefix(s, l.ja) && l.ja != l.en {
			return l, true, true
		}
		if len(s) >= len(l.en) && strings.EqualFold(s[:len(l.en)], l.en) {
			return l, false, true
		}
	}
	return label{}, false, false
}

func matchCrypto(s string) (Crypto, label, bool, bool) {
	for c := CryptoRSA; int(c) < len(cryptoLabels); c++ {
		if l, ja, ok := matchLabel(s, cryptoLabels[c]); ok {
			return c, l, ja, true
		}
	}
	return CryptoNone, label{}, false, false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
