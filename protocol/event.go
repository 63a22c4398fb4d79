package protocol

import (
	"time"

	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// EventKind names what happened; the strings are also the CLI's "event" values.
type EventKind string

const (
	EventHostJoined  EventKind = "host-joined"  // a new peer (Host)
	EventHostUpdated EventKind = "host-updated" // nick, group, absence, capabilities or an address changed (Host)
	EventHostLeft    EventKind = "host-left"    // BR_EXIT, or dropped from a full host table (Host)
	// EventHostMoved: a known host proved it is now at another address (its old one went silent, and
	// it answered with its key if we had one). Host is the host at its new Addr; Text is the old address.
	EventHostMoved    EventKind = "host-moved"
	EventMessage      EventKind = "message"       // a message arrived (Message)
	EventDelivered    EventKind = "delivered"     // Host acknowledged our packet Packet
	EventUndelivered  EventKind = "undelivered"   // Host never acknowledged Packet
	EventOpened       EventKind = "opened"        // Host opened our sealed message Packet
	EventDiscarded    EventKind = "discarded"     // Host discarded our sealed message Packet unopened
	EventInfo         EventKind = "info"          // Host's version string (Text)
	EventAbsenceInfo  EventKind = "absence-info"  // Host's absence text (Text)
	EventListReceived EventKind = "list-received" // a host-list exchange finished (Text: how many rows)
	// EventRejected: a packet from Host was dropped or could not be read (Text says why, Packet is its
	// number): a message that does not decrypt (not acknowledged), a fingerprinted name used without its
	// key (spoofed), a bad key answer, an address claiming a known host's names without its key.
	EventRejected EventKind = "rejected"
	// EventActivate: the app was started again on this machine; the running one should show its window.
	EventActivate EventKind = "activate"
	// EventLost: Host reads only a legacy code page (Config.Codepage), which cannot hold some characters
	// of our names (nick, group, user or host): it shows them as '?'. Text holds those characters, each
	// once. Reported once per peer, and again when the set changes (a new nick).
	EventLost EventKind = "lost-characters"
)

// Event is one thing the node reports. Only the fields its Kind names are set.
type Event struct {
	Kind    EventKind
	Host    Host
	Message *Message
	Packet  uint32
	Text    string
}

// Message is a received message.
type Message struct {
	Packet    uint32
	From      Host
	Text      string
	Cmd       wire.Command
	Sealed    bool              // SECRETOPT: show only after the user opens it, then call Node.Open
	Locked    bool              // PASSWORDOPT: the sender asked for a password before opening
	Broadcast bool              // sent to everyone; never acknowledged
	Multicast bool              // one of several recipients
	AutoReply bool              // an absence auto-reply; never answered
	Files     string            // the attachment list in UTF-8 when FILEATTACHOPT is set (parsed by package transfer)
	Encrypted bool              // it came encrypted (ENCRYPTOPT) and was decrypted
	Cipher    string            // which pair, e.g. "RSA2048+AES256", when Encrypted
	Signed    bool              // it carried a signature
	Verified  bool              // the signature checked out with the sender's key
	To        []crypt.Recipient // every recipient, when the sender listed them (encrypted, several recipients)
	NoLog     bool              // the sender asked that it not be logged (NOLOGOPT)
	RecordID  int64             // set by Config.Record: the message's id in the history
	RecordErr error             // Config.Record failed: the message is shown but not saved
	Received  time.Time
}
