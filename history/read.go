package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// messageColumns in the order scanRecord reads them; m is the messages alias.
const messageColumns = `m.id, m.dir, m.time, m.packet, m.peer_user, m.peer_host,
	m.peer_nick, m.peer_group, m.peer_addr, m.text, m.flags`

func scanRecord(sc interface{ Scan(...any) error }) (Record, error) {
	var (
		r      Record
		dir    string
		ns     int64
		packet int64
		flags  int64
	)
	err := sc.Scan(&r.ID, &dir, &ns, &packet, &r.Peer.User, &r.Peer.Host,
		&r.Peer.Nick, &r.Peer.Group, &r.Peer.Addr, &r.Text, &flags)
	if err != nil {
		return Record{}, err
	}
	r.Dir = Direction(dir)
	r.Time = time.Unix(0, ns)
	r.Packet = uint32(packet)
	r.setFlags(flags)
	return r, nil
}

// Get returns one record with attachments and images (PNG bytes included).
func (s *Store) Get(id int64) (Record, error) {
	var r Record
	err := s.read("get from", func(tx *sql.Tx) error {
		var err error
		r, err = scanRecord(tx.QueryRowContext(context.Background(),
			"SELECT "+messageColumns+" FROM messages m WHERE m.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("record %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return loadExtras(tx, []*Record{&r}, true)
	})
	return r, err
}

// loadExtras fills in the attachments and images of rs in two queries
// (not two per record: a page of search results stays cheap).
func loadExtras(tx *sql.Tx, rs []*Record, withPNG bool) error {
	if len(rs) == 0 {
		return nil
	}
	byID := make(map[int64]*Record, len(rs))
	args := make([]any, len(rs))
	for i, r := range rs {
		byID[r.ID] = r
		args[i] = r.ID
	}
	in := "(" + strings.Repeat("?,", len(rs)-1) + "?)"
	ctx := context.Background()

	rows, err := tx.QueryContext(ctx, `SELECT message_id, file_id, name, size, is_dir, saved
		FROM attachments WHERE message_id IN `+in+` ORDER BY message_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	for rows.Next() {
		var (
			mid, fid int64
			a        Attachment
		)
		if err := rows.Scan(&mid, &fid, &a.Name, &a.Size, &a.Dir, &a.Saved); err != nil {
			rows.Close()
			return fmt.Errorf("attachments: %w", err)
		}
		a.ID = uint64(fid)
		r := byID[mid]
		r.Attachments = append(r.Attachments, a)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("attachments: %w", err)
	}

	png := "NULL" // lists stay light: the bytes are read only by Get
	if withPNG {
		png = "png"
	}
	rows, err = tx.QueryContext(ctx, `SELECT message_id, at, name, size, saved, `+png+`
		FROM images WHERE message_id IN `+in+` ORDER BY message_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			mid int64
			im  Image
		)
		if err := rows.Scan(&mid, &im.At, &im.Name, &im.Size, &im.Saved, &im.PNG); err != nil {
			return fmt.Errorf("images: %w", err)
		}
		r := byID[mid]
		r.Images = append(r.Images, im)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	return nil
}

// allBatch is how many records All reads per read transaction: short
// transactions let the WAL be checkpointed during a long export.
const allBatch = 256

// All calls fn for every record oldest first (for export), PNG bytes not
// loaded; it stops early when fn returns an error and returns it. fn runs
// outside any transaction, so it may call the Store.
func (s *Store) All(fn func(Record) error) error {
	var after int64
	for {
		var batch []*Record
		err := s.read("read all from", func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(context.Background(),
				"SELECT "+messageColumns+" FROM messages m WHERE m.id > ? ORDER BY m.id LIMIT ?",
				after, allBatch)
			if err != nil {
				return err
			}
			for rows.Next() {
				r, err := scanRecord(rows)
				if err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, &r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return loadExtras(tx, batch, false)
		})
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(*r); err != nil {
				return err
			}
		}
		if len(batch) < allBatch {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}
