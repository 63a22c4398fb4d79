package messenger

import (
	"sync"

	"hato/protocol"
	"hato/transfer"
)

// EventKind names what happened: the node's kinds (protocol.Event*) and these.
type EventKind = protocol.EventKind

const (
	// EventTransfer: a file server or fetch event (Transfer): progress, saved, served, refused...
	EventTransfer EventKind = "transfer"
	// EventKeys: our keys are ready (Keys), read from the profile or just made; or making them failed (Err).
	EventKeys EventKind = "keys"
	// EventRestarted: new settings restarted the node (Text: its address); peers saw us leave and come back.
	EventRestarted EventKind = "restarted"
	// EventError: something the user should hear of that is not tied to one operation (Err).
	EventError EventKind = "error"
)

// Event is one thing the running Hato reports. Node events keep their fields (Kind, Host, Message,
// Packet, Text); a message comes with its attachments parsed once and its pictures placed.
type Event struct {
	protocol.Event
	Files    []transfer.File   // a message's attachments (what parsed of its list)
	FilesErr error             // what of the list did not parse
	Images   []transfer.Placed // the pictures inside its text, at their places
	Transfer *transfer.Event   // EventTransfer
	Keys     *protocol.Keys    // EventKeys
	Err      error             // EventKeys (failed), EventError
}

// newMessageEvent parses a message's attachment list once, for every face.
func newMessageEvent(ev protocol.Event) Event {
	out := Event{Event: ev}
	if m := ev.Message; m != nil && m.Files != "" {
		out.Files, out.FilesErr = transfer.ParseFileList(m.Files)
		out.Images = transfer.PlaceImages(m.Text, out.Files)
	}
	return out
}

// broker hands every event to every subscriber, in order, never dropping one and never making the
// node wait for a slow reader: each subscriber has its own queue and a goroutine that feeds it.
type broker struct {
	mu     sync.Mutex
	subs   map[*subscriber]bool
	closed bool
	wg     sync.WaitGroup
}

type subscriber struct {
	ch    chan Event
	mu    sync.Mutex
	queue []Event
	wake  chan struct{} // something was queued, or the subscriber ends
	ended bool          // unsubscribed or the broker closed: deliver what is queued, then close ch
}

// subscriberBuffer is how many events wait in a subscriber's channel (more wait in its queue).
const subscriberBuffer = 256

func newBroker() *broker { return &broker{subs: map[*subscriber]bool{}} }

// subscribe returns a channel with every event from now on, and a cancel that ends it: no event is
// queued after cancel, and the channel is closed once the queue is read. Read it until it is closed.
func (b *broker) subscribe() (<-chan Event, func()) {
	// Buffered, so that a reader that drains what is there without waiting (a UI taking events in
	// batches) finds everything queued, not just the one event the feeder was handing over.
	s := &subscriber{ch: make(chan Event, subscriberBuffer), wake: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	b.subs[s] = true
	b.wg.Go(s.feed)
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			s.end()
		})
	}
}

func (b *broker) publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.mu.Lock()
		s.queue = append(s.queue, ev)
		s.mu.Unlock()
		s.poke()
	}
}

// close ends every subscription once its queue is read (or it is cancelled), and waits for the feeders.
func (b *broker) close() {
	b.mu.Lock()
	b.closed = true
	for s := range b.subs {
		s.end()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (s *subscriber) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.poke()
}

func (s *subscriber) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) feed() {
	defer close(s.ch)
	for {
		s.mu.Lock()
		var next *Event
		if len(s.queue) > 0 {
			next = &s.queue[0]
		}
		ended := s.ended
		s.mu.Unlock()
		if next == nil {
			if ended {
				return
			}
			<-s.wake
			continue
		}
		s.ch <- *next
		s.mu.Lock()
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
	}
}
