package history

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"hato/history/ipmsglog"
)

// Export writes every record, oldest first, in IP Messenger's text log format (ipmsg.log).
func (s *Store) Export(w io.Writer) error {
	return s.All(func(r Record) error { return ipmsglog.Write(w, entryOf(r)) })
}

// Import adds the messages of an IP Messenger text log and returns how many. Damaged entries are
// skipped: the others are imported and the error says how many were not.
func (s *Store) Import(r io.Reader) (int, error) {
	entries, readErr := ipmsglog.Read(r)
	if readErr != nil && !errors.Is(readErr, ipmsglog.ErrDamaged) {
		return 0, fmt.Errorf("import: %w", readErr)
	}
	recs := make([]*Record, 0, len(entries))
	for _, e := range entries {
		recs = append(recs, recordsOf(e)...)
	}
	if err := s.addAll(recs); err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	if readErr != nil {
		return len(recs), fmt.Errorf("import: %w", readErr)
	}
	return len(recs), nil
}

// entryOf is a record as WIN logs it. The log has no "opened" or "delivered"; a verified signature is
// "(RSA2/Signed+)" (WIN 4.x's SHA-256 one) and a failed one "(RSA2/Impersonate?)".
func entryOf(r Record) ipmsglog.Entry {
	e := ipmsglog.Entry{
		In: r.Dir == In, Peer: logPeer(r.Peer), Time: r.Time.Local(), Broadcast: r.Broadcast, Auto: r.AutoReply,
		Multi: r.Multicast, Sealed: r.Sealed || r.Locked, Locked: r.Locked, Text: r.Text,
	}
	switch {
	case r.Encrypted && r.Signed && r.Verified:
		e.Crypto = ipmsglog.CryptoSigned2
	case r.Encrypted && r.Signed:
		e.Crypto = ipmsglog.CryptoSignError
	case r.Encrypted:
		e.Crypto = ipmsglog.CryptoRSA2
	}
	for _, a := range r.Attachments {
		e.Files = append(e.Files, a.Name)
	}
	for _, img := range r.Images {
		if img.Name != "" {
			e.Files = append(e.Files, img.Name)
		}
	}
	return e
}

// recordsOf is an entry as records: one per peer line (a message sent to several people is one record
// per recipient here).
func recordsOf(e ipmsglog.Entry) []*Record {
	var out []*Record
	for _, p := range append([]ipmsglog.Peer{e.Peer}, e.Others...) {
		r := &Record{
			Dir: Out, Time: e.Time, Peer: Peer{User: p.User, Host: p.Host, Nick: p.Nick, Group: p.Group, Addr: p.Addr},
			Text: e.Text, Sealed: e.Sealed, Locked: e.Locked, Broadcast: e.Broadcast, AutoReply: e.Auto,
			Multicast: e.Multi, Delivered: true,
			Encrypted: e.Crypto >= ipmsglog.CryptoRSA && e.Crypto <= ipmsglog.CryptoSignError,
			Signed:    e.Crypto >= ipmsglog.CryptoSigned && e.Crypto <= ipmsglog.CryptoSignError,
			Verified:  e.Crypto == ipmsglog.CryptoSigned || e.Crypto == ipmsglog.CryptoSigned2,
		}
		if e.In {
			r.Dir = In
		}
		for _, f := range e.Files {
			r.Attachments = append(r.Attachments, Attachment{Name: f})
		}
		out = append(out, r)
		if e.In {
			break // Cc: lines are the other recipients of a message we received once
		}
	}
	return out
}

// logPeer writes the peer's IP without the port, as WIN does.
func logPeer(p Peer) ipmsglog.Peer {
	addr := p.Addr
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		addr = ap.Addr().String()
	}
	nick := p.Nick
	if strings.TrimSpace(nick) == "" {
		nick = p.User // WIN writes the logon name when the peer has none
	}
	return ipmsglog.Peer{Nick: nick, Group: p.Group, Host: p.Host, Addr: addr, User: p.User}
}
