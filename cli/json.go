package cli

import (
	"encoding/json"
	"io"
	"sync"
	"unicode/utf8"

	"hato/messenger"
	"hato/protocol"
	"hato/protocol/crypt"
	"hato/protocol/wire"
	"hato/transfer"
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
	Encrypt bool   `json:"encrypt,omitempty"` // it advertises encryption (ENCRYPTOPT)
}

func toJSONHost(h protocol.Host) jsonHost {
	return jsonHost{Addr: h.Addr.String(), User: h.User, Host: h.Host, Nick: h.Nick, Group: h.Group,
		Absent: h.Absent, Version: h.Version, Encrypt: h.Caps.Has(wire.EncryptOpt)}
}

// jsonEvent is one line of `hato serve` output; only the fields an event needs are present.
type jsonEvent struct {
	Event     string      `json:"event"`
	Addr      string      `json:"addr,omitempty"`
	Host      *jsonHost   `json:"host,omitempty"`
	From      *jsonHost   `json:"from,omitempty"`
	Text      *string     `json:"text,omitempty"`
	Packet    uint32      `json:"packet,omitempty"`
	Sealed    *bool       `json:"sealed,omitempty"`
	Locked    bool        `json:"locked,omitempty"`
	Broadcast bool        `json:"broadcast,omitempty"`
	Multicast bool        `json:"multicast,omitempty"`
	AutoReply bool        `json:"auto_reply,omitempty"`
	Files     []jsonFile  `json:"files,omitempty"`
	Offer     string      `json:"offer,omitempty"` // the attachment list as sent, for `hato fetch --offer`
	Error     string      `json:"error,omitempty"`
	Encrypted bool        `json:"encrypted,omitempty"`
	Cipher    string      `json:"cipher,omitempty"`
	Signed    bool        `json:"signed,omitempty"`
	Verified  bool        `json:"verified,omitempty"`
	To        []string    `json:"to,omitempty"`          // user@host of every recipient, when the sender listed them
	Keyprint  string      `json:"fingerprint,omitempty"` // our key's fingerprint (keys event)
	Images    []jsonImage `json:"images,omitempty"`      // pictures placed in the text
	At        *int        `json:"at,omitempty"`          // image event: the character offset in the text
	Width     int         `json:"width,omitempty"`
	Height    int         `json:"height,omitempty"`
	SHA256    string      `json:"sha256,omitempty"`
	HistoryID int64       `json:"history_id,omitempty"` // the message's id in the profile's history

	// Transfer events.
	File   *jsonFile `json:"file,omitempty"`
	Path   string    `json:"path,omitempty"`
	Offset int64     `json:"offset,omitempty"`
	Bytes  *int64    `json:"bytes,omitempty"`
	Total  int64     `json:"total,omitempty"`
	Rate   float64   `json:"rate,omitempty"`  // bytes per second
	ETA    float64   `json:"eta_s,omitempty"` // seconds left
}

// jsonImage is a picture inside a message: the attachment that carries it and the character offset in
// the text where it goes.
type jsonImage struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	At   int    `json:"at"`
}

// jsonFile is an offered file or folder.
type jsonFile struct {
	ID    uint64 `json:"id"`
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime,omitempty"`
	Type  string `json:"type"` // file, folder or clipboard
}

func toJSONFile(f transfer.File) jsonFile {
	t := "file"
	switch f.Type() {
	case transfer.TypeDir:
		t = "folder"
	case transfer.TypeClipboard:
		t = "clipboard"
	}
	return jsonFile{ID: f.ID, Name: f.Name, Size: f.Size, Mtime: f.Mtime, Type: t}
}

// fromTransfer turns a file server or fetcher event into a line.
func fromTransfer(ev transfer.Event) jsonEvent {
	f := toJSONFile(ev.File)
	h := toJSONHost(ev.Host)
	out := jsonEvent{Event: string(ev.Kind), Packet: ev.Packet, Host: &h, File: &f, Path: ev.Path, Offset: ev.Offset,
		Total: ev.Total, Rate: ev.Rate, ETA: ev.ETA.Seconds()}
	if ev.Kind == transfer.EventReleased || (ev.Kind == transfer.EventRefused && ev.File.Name == "") {
		out.File = nil
	}
	if ev.Kind != transfer.EventReleased && ev.Kind != transfer.EventRefused {
		out.Bytes = &ev.Bytes
	}
	if ev.Err != nil {
		out.Error = ev.Err.Error()
	}
	out.Encrypted = ev.Encrypted
	return out
}

func fromEvent(ev messenger.Event) jsonEvent {
	out := jsonEvent{Event: string(ev.Kind), Packet: ev.Packet}
	if m := ev.Message; m != nil {
		from := toJSONHost(m.From)
		out.From, out.Text, out.Packet, out.Sealed = &from, &m.Text, m.Packet, &m.Sealed
		out.Locked, out.Broadcast, out.Multicast, out.AutoReply = m.Locked, m.Broadcast, m.Multicast, m.AutoReply
		out.Encrypted, out.Cipher, out.Signed, out.Verified = m.Encrypted, m.Cipher, m.Signed, m.Verified
		out.HistoryID = m.RecordID
		if m.RecordErr != nil {
			out.Error = "not saved in the history: " + m.RecordErr.Error()
		}
		for _, r := range m.To {
			out.To = append(out.To, r.User+"@"+r.Host)
		}
		if m.Files != "" {
			out.Files, out.Offer = make([]jsonFile, 0, len(ev.Files)), m.Files
			for _, f := range ev.Files {
				out.Files = append(out.Files, toJSONFile(f))
			}
			if ev.FilesErr != nil {
				out.Error = ev.FilesErr.Error()
			}
			for _, p := range ev.Images {
				out.Images = append(out.Images, jsonImage{ID: p.File.ID, Name: p.File.Name, Size: p.File.Size,
					At: utf8.RuneCountInString(m.Text[:p.At])})
			}
		}
		return out
	}
	h := toJSONHost(ev.Host)
	out.Host = &h
	switch ev.Kind {
	case protocol.EventInfo, protocol.EventAbsenceInfo, protocol.EventListReceived, protocol.EventLost, protocol.EventHostMoved,
		protocol.EventMasterKey:
		out.Text = &ev.Text
	case protocol.EventRejected:
		out.Error = ev.Text
	}
	return out
}

// keysEvent says our keys are ready (read from the profile or just made), with the 2048-bit key's
// fingerprint, the one a fingerprinted user name carries.
func keysEvent(k *protocol.Keys) jsonEvent {
	return jsonEvent{Event: "keys", Keyprint: crypt.Fingerprint(&k.RSA2048.PublicKey)}
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

// lockedWriter serialises writes from several goroutines (send's deliveries and its file server's events).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// printEach prints every event of ch with print until ch is closed; the returned wait returns once the
// last one is printed.
func printEach(ch <-chan transfer.Event, print func(transfer.Event)) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			print(ev)
		}
	}()
	return func() { <-done }
}
