package cli

import (
	"encoding/json"
	"io"
	"sync"

	"hato/protocol"
)

// jsonHost is a host as the CLI prints it.
type jsonHost struct {
	Addr    string `json:"addr"`
	User    string `json:"user"`
	Host    string `json:"host"`
	Nick    string `json:"nick"`
	Group   string `json:"group"`
	Absent  bool   `json:"absent"`
	Version string `json:"version,omitempty"`
}

func toJSONHost(h protocol.Host) jsonHost {
	return jsonHost{Addr: h.Addr.String(), User: h.User, Host: h.Host, Nick: h.Nick, Group: h.Group,
		Absent: h.Absent, Version: h.Version}
}

// jsonEvent is one line of `hato serve` output; only the fields an event needs are present.
type jsonEvent struct {
	Event     string    `json:"event"`
	Addr      string    `json:"addr,omitempty"`
	Host      *jsonHost `json:"host,omitempty"`
	From      *jsonHost `json:"from,omitempty"`
	Text      *string   `json:"text,omitempty"`
	Packet    uint32    `json:"packet,omitempty"`
	Sealed    *bool     `json:"sealed,omitempty"`
	Locked    bool      `json:"locked,omitempty"`
	Broadcast bool      `json:"broadcast,omitempty"`
	Multicast bool      `json:"multicast,omitempty"`
	AutoReply bool      `json:"auto_reply,omitempty"`
	Files     bool      `json:"files,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func fromEvent(ev protocol.Event) jsonEvent {
	out := jsonEvent{Event: string(ev.Kind), Packet: ev.Packet}
	if m := ev.Message; m != nil {
		from := toJSONHost(m.From)
		out.From, out.Text, out.Packet, out.Sealed = &from, &m.Text, m.Packet, &m.Sealed
		out.Locked, out.Broadcast, out.Multicast, out.AutoReply = m.Locked, m.Broadcast, m.Multicast, m.AutoReply
		out.Files = len(m.Files) > 0
		return out
	}
	h := toJSONHost(ev.Host)
	out.Host = &h
	if ev.Kind == protocol.EventInfo || ev.Kind == protocol.EventAbsenceInfo || ev.Kind == protocol.EventListReceived {
		out.Text = &ev.Text
	}
	return out
}

// lineWriter prints one JSON object per line; safe for concurrent use.
type lineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newLineWriter(w io.Writer) *lineWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &lineWriter{enc: enc}
}

func (l *lineWriter) write(v any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.enc.Encode(v)
}
