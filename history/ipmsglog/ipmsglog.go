package ipmsglog

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	sepLine   = "=====================================" // 37 '=': WIN logmng.cpp LOGMSG_HEAD_TOP
	dashLine  = "-------------------------------------" // 37 '-': WIN logmng.cpp LOGMSG_HEAD_END
	fromPfx   = " From: "                               // WIN logmng.cpp LOGMSG_FROM
	toPfx     = " To: "                                 // WIN logmng.cpp LOGMSG_TO
	ccPfx     = "   Cc: "                               // WIN logmng.cpp LOGMSG_CC (4.x)
	ccToPfx   = "   To: "                               // taken as Cc by WIN logdbconv.cpp ParseSender
	atPfx     = "  at "                                 // WIN logmng.cpp LOGMSG_AT
	dateFmt   = "Mon Jan 02 15:04:05 2006"              // WIN miscfunc.cpp Ctime: ctime, day zero-padded
	clipPfx   = "ipmsgclip_"                            // pasted image names, WIN logdbconv.cpp ParseAttach
	clipSfx   = ".png"
	crlf      = "\r\n"
	escapeSep = sepLine + " " // a text line that would start a header, as Write writes it
)

// Crypto is the encryption or authentication label of an entry; at most one is written (WIN logmng.cpp
// WriteMsg: the encryption labels exclude each other, "unauthorized" is written only when not encrypted).
type Crypto int

const (
	CryptoNone         Crypto = iota
	CryptoRSA                 // "(RSA)": encrypted with the old RSA scheme
	CryptoRSA2                // "(RSA2)": encrypted with the RSA2 scheme, not signed
	CryptoSigned              // "(RSA2/Signed)", "(RSA2/認証)": encrypted and signed
	CryptoSigned2             // "(RSA2/Signed+)", "(RSA2/認証+)": encrypted, stronger signature (4.x)
	CryptoSignError           // "(RSA2/Impersonate?)", "(RSA2/偽装？)": encrypted, signature did not verify
	CryptoUnauthorized        // "(Unauthorized)", "(未認証)": plain, sender not verified
)

// Peer is one peer line: " From: ", " To: " or "   Cc: " then Nick, a space, '*' if Absent, and in
// parentheses Group, Host, Addr and User joined by '/', each empty one left out with its '/'
// (WIN miscfunc.cpp MakeListString).
type Peer struct {
	Nick   string // nickname; WIN writes the logon name when the peer has none
	Absent bool   // the peer was in absence mode: "nick *(...)"
	Group  string // group name, may hold '/'
	Host   string // host name
	Addr   string // IP address as written; empty when WIN's "IP address" log option was off
	User   string // logon name; empty when WIN's "Logon name" log option was off
}

// Entry is one message of the log.
type Entry struct {
	In     bool   // received (" From: ") rather than sent (" To: ")
	Peer          // the sender, or the first recipient
	Others []Peer // further recipients: more " To: " lines when sent, "   Cc: " lines when received

	Time time.Time // local time as written, to the second: Read gives it in time.Local, Write uses its own

	Broadcast bool   // "(broadcast)": sent to everyone
	Auto      bool   // "(auto)": an absence auto-reply
	Multi     bool   // "(multi)": sent to several people
	Crypto    Crypto // the encryption or authentication label
	Sealed    bool   // "(sealed)"; also true for a locked message
	Locked    bool   // "(locked)": sealed with a password, written instead of "(sealed)"
	Delayed   bool   // "(Delayed)": sent later than written

	Files []string // attachment names in the order written; ipmsgclip_*.png are pasted images

	Text string // the message, lines separated by "\n"

	// Japanese selects WIN's Japanese labels ("(封)") over its English ones ("(sealed)"). Read sets it
	// when a label it kept was Japanese.
	Japanese bool
}

// ErrDamaged is matched by the error Read returns when it skipped damaged entries.
var ErrDamaged = errors.New("ipmsglog: damaged entry")

// DamagedError tells how many damaged entries Read skipped and where they began.
type DamagedError struct {
	Count int   // entries skipped
	Lines []int // line (1-based) where each skipped entry began
}

func (e *DamagedError) Error() string {
	s := "entries"
	if e.Count == 1 {
		s = "entry"
	}
	var nums []string
	for i, n := range e.Lines {
		if i == 10 {
			nums = append(nums, "…")
			break
		}
		nums = append(nums, fmt.Sprint(n))
	}
	return fmt.Sprintf("ipmsglog: skipped %d damaged %s (at line %s)", e.Count, s, strings.Join(nums, ", "))
}

func (e *DamagedError) Unwrap() error { return ErrDamaged }

// label is one label in English and Japanese (WIN IPMsg.rc string table, logdbconv.cpp ParseOption).
type label struct{ en, ja string }

func (l label) in(ja bool) string {
	if ja {
		return l.ja
	}
	return l.en
}

var (
	lblBroadcast   = label{"(broadcast)", "(同報)"}
	lblAuto        = label{"(auto)", "(自)"}
	lblMulti       = label{"(multi)", "(多)"}
	lblSealed      = label{"(sealed)", "(封)"}
	lblLocked      = label{"(locked)", "(錠)"}
	lblDelayed     = label{"(Delayed)", "(遅延)"}
	lblFiles       = label{"(files)", "(添付)"}
	lblImage       = label{"(image)", "(画像)"}
	lblFilesImages = label{"(files/images)", "(添付/画像)"}

	cryptoLabels = [...]label{
		CryptoRSA:          {"(RSA)", "(RSA)"},
		CryptoRSA2:         {"(RSA2)", "(RSA2)"},
		CryptoSigned:       {"(RSA2/Signed)", "(RSA2/認証)"},
		CryptoSigned2:      {"(RSA2/Signed+)", "(RSA2/認証+)"},
		CryptoSignError:    {"(RSA2/Impersonate?)", "(RSA2/偽装？)"},
		CryptoUnauthorized: {"(Unauthorized)", "(未認証)"},
	}
)

// Write appends e to w in WIN's layout (WIN logmng.cpp WriteStart, WriteSendHead / WriteRecvMsg,
// WriteMsg): UTF-8 without a byte-order mark, CR LF line ends. Line breaks in the peer fields and file
// names become spaces and invalid UTF-8 becomes U+FFFD, since the format has no room for them. The year
// must be 0 to 9999.
func Write(w io.Writer, e Entry) error {
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("ipmsglog: year %d does not fit the log's date", y)
	}
	var b strings.Builder
	b.WriteString(sepLine + crlf)
	first, more := toPfx, toPfx
	if e.In {
		first, more = fromPfx, ccPfx
	}
	b.WriteString(first + formatPeer(e.Peer.clean()) + crlf)
	for _, p := range e.Others {
		b.WriteString(more + formatPeer(p.clean()) + crlf)
	}

	ja := e.Japanese
	b.WriteString(atPfx + e.Time.Format(dateFmt) + " ")
	if e.Broadcast {
		b.WriteString(lblBroadcast.in(ja))
	}
	if e.Auto {
		b.WriteString(lblAuto.in(ja))
	}
	if e.Multi {
		b.WriteString(lblMulti.in(ja))
	}
	if e.Crypto > CryptoNone && int(e.Crypto) < len(cryptoLabels) {
		b.WriteString(cryptoLabels[e.Crypto].in(ja))
	}
	switch {
	case e.Locked:
		b.WriteString(lblLocked.in(ja))
	case e.Sealed:
		b.WriteString(lblSealed.in(ja))
	}
	if e.Delayed {
		b.WriteString(lblDelayed.in(ja))
	}
	b.WriteString(crlf)

	if len(e.Files) > 0 {
		names := make([]string, len(e.Files))
		clips := 0
		for i, f := range e.Files {
			names[i] = cleanField(f)
			if isClip(names[i]) {
				clips++
			}
		}
		l := lblFiles
		switch {
		case clips == len(names):
			l = lblImage
		case clips > 0:
			l = lblFilesImages
		}
		b.WriteString("  " + l.in(ja) + " " + strings.Join(names, ", ") + crlf)
	}
	b.WriteString(dashLine + crlf)
	b.WriteString(formatText(e.Text))
	b.WriteString(crlf + crlf)
	_, err := io.WriteString(w, b.String())
	return err
}

// formatText gives the message with CR LF line ends, a separator line escaped where the next line would
// make it the start of a header (see the package comment).
func formatText(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] == sepLine && peerLike(lines[i+1]) {
			lines[i] = escapeSep
		}
	}
	return strings.Join(lines, crlf)
}

// peerLike tells whether a line starts like the first peer line of a header.
func peerLike(l string) bool {
	return strings.HasPrefix(l, " From:") || strings.HasPrefix(l, " To:")
}

func isClip(name string) bool {
	return strings.HasPrefix(name, clipPfx) && strings.HasSuffix(name, clipSfx)
}

func cleanField(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

func (p Peer) clean() Peer {
	p.Nick, p.Group, p.Host = cleanField(p.Nick), cleanField(p.Group), cleanField(p.Host)
	p.Addr, p.User = cleanField(p.Addr), cleanField(p.User)
	return p
}

// formatPeer gives the peer as WIN miscfunc.cpp MakeListString writes it, without the line's prefix.
func formatPeer(p Peer) string {
	var b strings.Builder
	b.WriteString(p.Nick + " ")
	if p.Absent {
		b.WriteByte('*')
	}
	b.WriteByte('(')
	if p.Group != "" {
		b.WriteString(p.Group + "/")
	}
	b.WriteString(p.Host)
	if p.Addr != "" {
		b.WriteString("/" + p.Addr)
	}
	if p.User != "" {
		b.WriteString("/" + p.User)
	}
	b.WriteByte(')')
	return b.String()
}
