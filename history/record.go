package history

import (
	"math"
	"time"
)

// Direction says whether a message was received or sent.
type Direction string

const (
	In  Direction = "in"
	Out Direction = "out"
)

// Peer is the other side of a message.
type Peer struct{ User, Host, Nick, Group, Addr string } // Addr "ip:port"

// Attachment is a file or folder offered with a message.
type Attachment struct {
	ID    uint64 // the attachment's id in its offer
	Name  string
	Size  int64
	Dir   bool   // a folder
	Saved string // where it was saved ("" until then)
}

// Image is a picture inside a message's text.
type Image struct {
	At    int // byte offset in Text
	Name  string
	Size  int64
	Saved string // path of the saved picture ("" when only referenced)
	PNG   []byte // kept pictures (may be nil: referenced only)
}

// Record is one message to or from one peer.
type Record struct {
	ID     int64 // set by Add
	Dir    Direction
	Time   time.Time
	Packet uint32
	Peer   Peer // the other side (for Out: the recipient; a message to several recipients is one Record per recipient)
	Text   string

	Sealed, Opened, Locked, Encrypted, Signed, Verified, AutoReply, Broadcast, Multicast, Delivered bool

	Attachments []Attachment
	Images      []Image
}

// Bits of messages.flags. Stored values: never renumber.
const (
	flagSealed = 1 << iota
	flagOpened
	flagLocked
	flagEncrypted
	flagSigned
	flagVerified
	flagAutoReply
	flagBroadcast
	flagMulticast
	flagDelivered
)

func (r *Record) flags() int64 {
	var f int64
	for _, b := range []struct {
		on  bool
		bit int64
	}{
		{r.Sealed, flagSealed}, {r.Opened, flagOpened}, {r.Locked, flagLocked},
		{r.Encrypted, flagEncrypted}, {r.Signed, flagSigned}, {r.Verified, flagVerified},
		{r.AutoReply, flagAutoReply}, {r.Broadcast, flagBroadcast},
		{r.Multicast, flagMulticast}, {r.Delivered, flagDelivered},
	} {
		if b.on {
			f |= b.bit
		}
	}
	return f
}

func (r *Record) setFlags(f int64) {
	r.Sealed = f&flagSealed != 0
	r.Opened = f&flagOpened != 0
	r.Locked = f&flagLocked != 0
	r.Encrypted = f&flagEncrypted != 0
	r.Signed = f&flagSigned != 0
	r.Verified = f&flagVerified != 0
	r.AutoReply = f&flagAutoReply != 0
	r.Broadcast = f&flagBroadcast != 0
	r.Multicast = f&flagMulticast != 0
	r.Delivered = f&flagDelivered != 0
}

// nanos is t in unix nanoseconds, clamped: UnixNano is undefined outside
// the years 1678..2262, and a bound far in the past or future must stay one.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
