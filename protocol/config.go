// Package protocol runs an IP Messenger node: UDP presence and messages on one port, with the TCP listener
// of the same port number kept for file transfer. The byte format lives in protocol/wire.
package protocol

import (
	"log/slog"
	"net/netip"
	"os"
	"os/user"
	"strings"
	"time"

	"hato/protocol/wire"
)

// DefaultPort is the IPMsg port, the same number for UDP and TCP.
const DefaultPort = 2425

// defaultIntroduceWait covers Windows' random ANSENTRY delay (up to 1 s on a small LAN) and a round trip.
const defaultIntroduceWait = 2 * time.Second

// Config is everything a node needs. Start from DefaultConfig; the node never reads settings itself.
type Config struct {
	Port     int    // UDP and TCP port; 0 picks a free port number that is free for both
	PeerPort int    // peers' port for broadcasts and destinations without one; 0 means Port (or 2425)
	BindAddr string // local IPv4 address to bind; "" binds all (needed to hear broadcasts)

	User, Host  string // login and host name in every header; never empty
	Nick, Group string // shown by peers; an empty nick shows as the user name

	Absent      bool   // absence mode: ABSENCEOPT in entries, one auto-reply per sender
	AbsenceText string // the auto-reply and SENDABSENCEINFO text

	Codepage    wire.Codepage // legacy charset for peers without UTF-8 capability (CP932 by default)
	NoBroadcast bool          // send entry packets only to Destinations (tests, isolated networks)
	// Destinations are extra places for entry packets: "a.b.c.d[:port]", a CIDR range, or "a.b.c.d-e";
	// ranges are expanded to one unicast per address.
	Destinations []string

	AllowSendList bool   // answer BR_ISGETLIST2/GETLIST with our host list, as Windows does by default
	VersionInfo   string // SENDINFO text

	SendInterval time.Duration // SENDMSG resend interval (1 s)
	SendTries    int           // SENDMSG sends before "undelivered" (4)
	ReadInterval time.Duration // READMSG resend interval (750 ms, Windows)
	ReadTries    int           // READMSG sends before giving up (12)
	EntryRepeat  time.Duration // second BR_ENTRY after start (5 s); 0 disables
	// IntroduceWait bounds how long Send waits for the entry packet of a recipient that never announced
	// itself, after sending it our BR_ENTRY (2 s; 0 means that default, a negative value does not wait).
	IntroduceWait time.Duration
	// AnswerDelayMax caps the random ANSENTRY delay; 0 uses the Windows rule (1, 2 or 4 s by host count).
	AnswerDelayMax time.Duration
	// MaxHosts bounds the host table (0 means DefaultMaxHosts, 20,000): when it is full the host heard
	// least recently goes (EventHostLeft), so that a flood of invented hosts costs bounded memory.
	MaxHosts int

	// Files serves the files we offer (package transfer). With it the node advertises FILEATTACHOPT and
	// hands it every TCP request; without it TCP connections are closed at once.
	Files FileServer
	// Record stores each received message (the history) before it is acknowledged and reported; an
	// error marks the message not saved (Message.RecordErr) and is logged. NOLOGOPT messages are not
	// recorded unless RecordNoLog is set (Windows has the same override).
	Record      func(*Message) error
	RecordNoLog bool

	// InlineImages advertises CLIPBOARDOPT: the front end fetches and shows the images pasted into
	// messages (WIN's clipboard attachments) at their places. Needs Files.
	InlineImages bool

	// Keys are our RSA keys. With them entry packets advertise ENCRYPTOPT and messages to peers that can
	// read them are encrypted and signed; without them (first start, still generating: see SetKeys)
	// everything goes in the clear.
	Keys *Keys
	// RequireEncryption is the user's "never send unencrypted": Send fails for a peer it cannot encrypt to.
	RequireEncryption bool
	// FingerprintName appends our key's fingerprint to User ("taro-<30a70db77433793e>", draft-10) so
	// that nobody else can use the name. Needs Keys.
	FingerprintName bool
	KeyInterval     time.Duration // GETPUBKEY resend interval (500 ms)
	KeyTries        int           // GETPUBKEY sends before sending in the clear (3)

	// LastPacketNo is the highest packet number an earlier run may have used: numbering goes on above it
	// (and above the clock), so that peers which drop repeats by (number, sender) never drop ours.
	LastPacketNo uint32
	// ReservePackets, when set, is called before the node uses a number above the last reservation,
	// with a number some way ahead (upTo); the caller keeps it and starts the next run with
	// LastPacketNo = upTo, so that even a crashed run's numbers are never repeated. It runs on the
	// sending goroutine and must not call the node. An error is logged; numbering goes on.
	ReservePackets func(upTo uint32) error

	// Member master (member.go, docs/member-master.md): with Master set the node is a member of a site's
	// directory. It polls the master (DIR_POLL every MasterPoll, 60 s by default), sends it its entry
	// packets by unicast, and takes the host lists the master signs with its key: the one whose
	// fingerprint (16 hex digits, crypt.Fingerprint) is MasterKey, or, when that is empty, the first one
	// the master's address shows (reported by EventMasterKey, to keep as MasterKey). The poll names our
	// networks, offering us as the master's agent there (diragent.go), except when bound to a loopback
	// address; MasterAgent names them then too (tests).
	Master      netip.AddrPort
	MasterKey   string
	MasterPoll  time.Duration
	MasterAgent bool
	// BeMaster makes the node the site's member master (master.go): it keeps everyone's list, sends it to
	// members and pushes its changes, signed with our RSA-2048 key (Keys). DirSpan is its cycle (WIN's
	// DirSpan, 180 s by default): it announces itself that often and drops a host silent for a little
	// longer. A master is no member (Master must be empty).
	BeMaster bool
	DirSpan  time.Duration

	Logger *slog.Logger
}

// DefaultConfig fills in the Windows timings and this machine's user and host names.
func DefaultConfig() Config {
	return Config{
		Port:          DefaultPort,
		User:          defaultUser(),
		Host:          defaultHost(),
		Codepage:      wire.CP932,
		AllowSendList: true,
		VersionInfo:   "Hato IP Messenger compatible client",
		SendInterval:  time.Second,
		SendTries:     4,
		ReadInterval:  750 * time.Millisecond,
		ReadTries:     12,
		EntryRepeat:   5 * time.Second,
		IntroduceWait: defaultIntroduceWait,
		KeyInterval:   500 * time.Millisecond,
		KeyTries:      3,
		MaxHosts:      DefaultMaxHosts,
		MasterPoll:    defaultMasterPoll,
	}
}

func defaultUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return cleanName(u.Username)
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return cleanName(v)
		}
	}
	return "hato"
}

func defaultHost() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return cleanName(h)
	}
	return "localhost"
}

// cleanName makes a name safe for a header field: no ':' or NUL, never empty (Windows skips empty
// fields, which would shift every later field). Windows domain logins look like DOMAIN\user.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ':' || r == 0 || r == '\a' || r == '\b' {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if i := strings.LastIndexByte(s, '\\'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	if s == "" {
		return "hato"
	}
	return s
}
