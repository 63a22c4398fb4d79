package messenger

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"hato/history"
	"hato/protocol"
	"hato/transfer"
)

// record stores a received message in the history before the node acknowledges it (Config.Record): a
// sender told "delivered" can rely on it. A failure, or a history that could not be opened, shows the
// message marked not saved.
func (h *Hato) record(m *protocol.Message) error {
	if h.hist == nil {
		return h.histErr
	}
	r := history.Received(m)
	if err := h.hist.Add(&r); err != nil {
		return err
	}
	m.RecordID = r.ID
	return nil
}

// Open opens a sealed message: the history marks it opened and the sender is told (READMSG, resent
// until ANSREADMSG when it asked for a receipt).
func (h *Hato) Open(ctx context.Context, m *protocol.Message) error {
	if h.hist != nil && m.RecordID != 0 {
		if err := h.hist.SetOpened(m.RecordID); err != nil {
			h.log.Warn("history: mark opened", "err", err)
		}
	}
	return h.Node().Open(ctx, m)
}

// Discard tells the sender its sealed message was closed unopened (DELMSG).
func (h *Hato) Discard(m *protocol.Message) error { return h.Node().Discard(m) }

// Release declines the files of m that will not be fetched (RELEASEFILES).
func (h *Hato) Release(m *protocol.Message) error { return h.Node().Release(m) }

// Fetch downloads one attachment of m into dir ("" is the download folder of the settings); progress
// and the outcome arrive as EventTransfer too. The history notes where it was saved.
func (h *Hato) Fetch(ctx context.Context, m *protocol.Message, f transfer.File, dir string) ([]string, error) {
	if dir == "" {
		dir = h.Settings().DownloadDir
	}
	if dir == "" {
		return nil, fmt.Errorf("fetch %s: no download folder set", f.Name)
	}
	paths, err := h.fetcher.FetchInto(ctx, dir, m, f)
	if err == nil && h.hist != nil && m.RecordID != 0 && len(paths) > 0 {
		if err := h.hist.SetSaved(m.RecordID, f.ID, SavedPath(dir, f, paths)); err != nil {
			h.log.Warn("saved path not recorded in the history", "err", err)
		}
	}
	return paths, err
}

// FetchImage fetches a picture inside m into memory, as Windows does as soon as a message is shown.
func (h *Hato) FetchImage(ctx context.Context, m *protocol.Message, f transfer.File) ([]byte, error) {
	return h.fetcher.FetchImage(ctx, m, f)
}

// SavedPath is where an attachment went: the file, or the top folder of a folder's files.
func SavedPath(dir string, f transfer.File, paths []string) string {
	if len(paths) == 0 {
		return filepath.Join(dir, f.Name)
	}
	if !f.IsDir() {
		return paths[0]
	}
	rel, err := filepath.Rel(dir, paths[0])
	if err != nil {
		return dir
	}
	top, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	return filepath.Join(dir, top)
}

// History is the message store, or nil with the reason it could not be opened (nil, nil: no profile).
func (h *Hato) History() (*history.Store, error) { return h.hist, h.histErr }
