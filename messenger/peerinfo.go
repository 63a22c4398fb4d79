package messenger

import (
	"context"
	"fmt"
	"time"

	"hato/protocol"
	"hato/protocol/wire"
)

// PeerInfo is what a peer says of itself when asked: its version string (GETINFO) and its absence
// text (GETABSENCEINFO; IP Messenger answers "Not absence mode" when present).
type PeerInfo struct {
	Host    protocol.Host
	Version string
	Absence string
	// Missing names what the peer did not answer ("version", "absence"): not every client answers both.
	Missing []string
}

// infoTries and infoInterval: GETINFO is not acknowledged, so a lost datagram is asked again.
const (
	infoTries    = 3
	infoInterval = time.Second
)

// AskPeer asks host for its version and its absence text and waits for both answers (each asked up to
// three times, a second apart), or for ctx.
func (h *Hato) AskPeer(ctx context.Context, host protocol.Host) (PeerInfo, error) {
	events, stop := h.Subscribe()
	defer func() {
		stop()
		for range events { // let the subscription end
		}
	}()
	node := h.Node()
	out := PeerInfo{Host: node.Lookup(host)}
	var gotVersion, gotAbsence bool
	t := time.NewTimer(0)
	defer t.Stop()
	for try := 0; !gotVersion || !gotAbsence; {
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("ask %s: %w", out.Host.DisplayName(), ctx.Err())
		case ev, ok := <-events:
			if !ok {
				return out, fmt.Errorf("ask %s: %w", out.Host.DisplayName(), protocol.ErrClosed)
			}
			if ev.Host.Addr != out.Host.Addr {
				continue
			}
			switch ev.Kind {
			case protocol.EventInfo:
				out.Version, gotVersion = ev.Text, true
			case protocol.EventAbsenceInfo:
				out.Absence, gotAbsence = ev.Text, true
			}
		case <-t.C:
			if try == infoTries {
				if !gotVersion {
					out.Missing = append(out.Missing, "version")
				}
				if !gotAbsence {
					out.Missing = append(out.Missing, "absence")
				}
				return out, nil
			}
			try++
			if !gotVersion {
				if err := node.RequestInfo(out.Host); err != nil {
					return out, fmt.Errorf("ask %s: %w", out.Host.DisplayName(), err)
				}
			}
			if !gotAbsence {
				if err := node.RequestAbsenceInfo(out.Host); err != nil {
					return out, fmt.Errorf("ask %s: %w", out.Host.DisplayName(), err)
				}
			}
			t.Reset(infoInterval)
		}
	}
	return out, nil
}

// Capabilities names what a peer's entry packet says it can do, in the words a user reads.
func Capabilities(h protocol.Host) []string {
	var out []string
	for _, c := range []struct {
		opt  wire.Command
		name string
	}{
		{wire.CapUTF8Opt, "utf-8"}, {wire.FileAttachOpt, "files"}, {wire.EncryptOpt, "encryption"},
		{wire.ClipboardOpt, "pictures"}, {wire.CapFileEncOpt, "encrypted files"}, {wire.CapIPDictOpt, "member master"},
	} {
		if h.Caps.Has(c.opt) && !(c.opt == wire.EncryptOpt && h.Iptux) { // iptux's bit means nothing we can use
			out = append(out, c.name)
		}
	}
	return out
}

// Charset is how we write to h: "utf-8" for peers that read it, else the legacy code page (or "unknown"
// for a peer that never announced itself).
func Charset(h protocol.Host, legacy string) string {
	switch {
	case h.Caps.Has(wire.CapUTF8Opt), h.Iptux:
		return "utf-8"
	case !h.Entry:
		return "unknown"
	}
	return legacy
}
