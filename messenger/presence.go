package messenger

import (
	"fmt"
	"strings"

	"hato/protocol"
)

// SetAbsence turns absence mode on with text (peers see us absent and each sender gets one automatic
// reply), or off with "". It lasts until changed, across settings restarts.
func (h *Hato) SetAbsence(text string) {
	h.mu.Lock()
	h.presence.Absent, h.presence.AbsenceText = text != "", text
	p, node := h.presence, h.node
	h.mu.Unlock()
	node.SetPresence(p)
}

// Absence is the absence text, "" when present.
func (h *Hato) Absence() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.presence.AbsenceText
}

// Apply puts new settings to work and keeps them in the profile: nick, group and the download folder
// at once, the rest through a new node (peers see us leave and come back). Running fetches and offers
// go on, their events keep flowing. Nothing is saved when the new settings cannot start: the old node
// is started again.
func (h *Hato) Apply(t Settings) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.FingerprintName && h.cfg.Profile == "" {
		return errNoFingerprintProfile
	}
	if t.BeMaster && h.cfg.Profile == "" && h.cfg.Keys == nil {
		return errNoMasterProfile
	}
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	h.mu.Lock()
	old := h.set
	if t.UseMaster != old.UseMaster && strings.EqualFold(t.MasterKey, old.MasterKey) {
		t.MasterKey = "" // another master: its key is learnt anew
	}
	restart := old.needsRestart(t)
	h.presence.Nick, h.presence.Group = t.Nick, t.Group // the new node announces them
	h.mu.Unlock()
	if restart {
		if err := h.restart(old, t); err != nil {
			h.mu.Lock()
			h.presence.Nick, h.presence.Group = old.Nick, old.Group
			h.mu.Unlock()
			return err
		}
	}
	h.mu.Lock()
	h.set = t
	p, node := h.presence, h.node
	h.mu.Unlock()
	h.fetcher.SetLimits(t.MaxFolderFiles, t.keepFree())
	if h.cfg.Profile != "" {
		if err := SaveSettings(h.cfg.Profile, t); err != nil {
			return err
		}
	}
	if !restart && (old.Nick != t.Nick || old.Group != t.Group) {
		node.SetPresence(p)
	}
	return nil
}

// restart replaces the node by one made from t; when t cannot start, one made from old runs again.
// The caller holds applyMu, so that Run's end never races a restart.
func (h *Hato) restart(old, t Settings) error {
	h.mu.Lock()
	node, stop := h.node, h.nodeStop
	h.mu.Unlock()
	if stop == nil || h.ctx.Err() != nil {
		return fmt.Errorf("apply settings: %w", protocol.ErrClosed)
	}
	last := node.LastPacketNo()
	stop() // BR_EXIT, and the port is free for the new node
	next, err := h.listen(t, last)
	if err != nil {
		back, err2 := h.listen(old, last)
		if err2 != nil {
			return fmt.Errorf("%w (and the old settings failed too: %v)", err, err2)
		}
		h.startNode(back)
		return err
	}
	h.startNode(next)
	h.events.publish(Event{Event: protocol.Event{Kind: EventRestarted, Text: next.Addr().String()}})
	return nil
}
