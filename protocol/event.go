package protocol

import (
	"time"

	"hato/protocol/wire"
)

// EventKind names what happened; the strings are also the CLI's "event" values.
type EventKind string

const (
	EventHostJoined   EventKind = "host-joined"   // a new peer (Host)
	EventHostUpdated  EventKind = "host-updated"  // nick, group, absence, capabilities or an address changed (Host)
	EventHostLeft     EventKind = "host-left"     // BR_EXIT (Host)
	EventMessage      EventKind = "message"       // a message arrived (Message)
	EventDelivered    EventKind = "delivered"     // Host acknowledged our packet Packet
	EventUndelivered  EventKind = "undelivered"   // Host never acknowledged Packet
	EventOpened       EventKind = "opened"        // Host opened our sealed message Packet
	EventDiscarded    EventKind = "discarded"     // Host discarded our sealed message Packet unopened
	EventInfo         EventKind = "info"          // Host's version string (Text)
	EventAbsenceInfo  EventKind = "absence-info"  // Host's absence text (Text)
	EventListReceived EventKind = "list-received" // a host-list exchange finished (Text: how many rows)
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
	Sealed    bool   // SECRETOPT: show only after the user opens it, then call Node.Open
	Locked    bool   // PASSWORDOPT: the sender asked for a password before opening
	Broadcast bool   // sent to everyone; never acknowledged
	Multicast bool   // one of several recipients
	AutoReply bool   // an absence auto-reply; never answered
	Files     string // the attachment list in UTF-8 when FILEATTACHOPT is set (parsed by package transfer)
	Received  time.Time
}
