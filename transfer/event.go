package transfer

import (
	"net/netip"
	"time"

	"hato/protocol"
)

// EventKind names what happened; the strings are also the CLI's "event" values.
type EventKind string

const (
	EventRefused     EventKind = "refused"      // a file request was refused (Err says why); 0 bytes were sent
	EventServed      EventKind = "served"       // a file or folder went out whole (Bytes)
	EventServeFailed EventKind = "serve-failed" // serving broke off; the recipient may ask again
	EventReleased    EventKind = "released"     // a recipient declined an offer (RELEASEFILES)
	EventProgress    EventKind = "progress"     // a fetch goes on (Bytes of Total, Rate, ETA)
	EventSaved       EventKind = "saved"        // a fetched file is complete at Path
	EventFetchFailed EventKind = "fetch-failed" // a fetch failed (Err); a .part may be left for resume
)

// Event is one thing a Server or a Fetcher reports. Only the fields its Kind needs are set.
type Event struct {
	Kind   EventKind
	Packet uint32         // the offer's packet number
	File   File           // the offered file or folder
	Host   protocol.Host  // the peer, as known
	Addr   netip.AddrPort // the peer's TCP address
	Path   string         // where a fetched file was saved
	Offset int64          // where a request or fetch started (non-zero when resumed)
	Bytes  int64          // bytes so far (including Offset)
	Total  int64          // bytes expected; folders: the offered total, which may be approximate
	Rate   float64        // bytes per second since the fetch started
	ETA    time.Duration  // time left at Rate
	Err    error
	// Encrypted: the data crossed the network encrypted (a sealed request, draft-14 §8); on saved,
	// served and serve-failed events.
	Encrypted bool
}
