package history

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Add stores r (and its attachments and images) in one transaction and sets
// r.ID; it returns only after the commit is durable. A zero r.Time is set to now.
func (s *Store) Add(r *Record) error {
	return s.addAll([]*Record{r})
}

// addAll stores several records in one transaction (one fsync): bulk imports
// and the benchmark's corpus.
func (s *Store) addAll(rs []*Record) error {
	for _, r := range rs {
		if r.Dir != In && r.Dir != Out {
			return fmt.Errorf("history: add to %s: direction %q is neither %q nor %q", s.path, r.Dir, In, Out)
		}
	}
	now := time.Now().Round(0) // no monotonic reading: the same value Get returns
	times := make([]time.Time, len(rs))
	for i, r := range rs {
		if times[i] = r.Time; times[i].IsZero() {
			times[i] = now
		}
	}
	ids := make([]int64, len(rs))
	err := s.write("add to", func(tx *sql.Tx) error {
		for i, r := range rs {
			id, err := insert(tx, r, times[i])
			if err != nil {
				return err
			}
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Set only after the commit: a failed Add leaves the records untouched.
	for i, r := range rs {
		r.ID, r.Time = ids[i], times[i]
	}
	return nil
}

func insert(tx *sql.Tx, r *Record, t time.Time) (int64, error) {
	ctx := context.Background()
	res, err := tx.ExecContext(ctx, `INSERT INTO messages
		(dir, time, packet, peer_user, peer_host, peer_nick, peer_group, peer_addr, text, flags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(r.Dir), nanos(t), int64(r.Packet),
		r.Peer.User, r.Peer.Host, r.Peer.Nick, r.Peer.Group, r.Peer.Addr,
		r.Text, r.flags())
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for i, a := range r.Attachments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachments
			(message_id, seq, file_id, name, size, is_dir, saved) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, i, int64(a.ID), a.Name, a.Size, a.Dir, a.Saved); err != nil {
			return 0, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
	}
	for i, im := range r.Images {
		var png any // NULL when only referenced, not an empty blob
		if im.PNG != nil {
			png = im.PNG
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO images
			(message_id, seq, at, name, size, saved, png) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, i, im.At, im.Name, im.Size, im.Saved, png); err != nil {
			return 0, fmt.Errorf("image %q: %w", im.Name, err)
		}
	}
	return id, nil
}

// SetDelivered marks whether the peer acknowledged record id.
func (s *Store) SetDelivered(id int64, delivered bool) error {
	set := int64(0)
	if delivered {
		set = flagDelivered
	}
	return s.updateFlags("set delivered in", id, flagDelivered, set)
}

// SetOpened marks record id (a sealed message) as opened.
func (s *Store) SetOpened(id int64) error {
	return s.updateFlags("set opened in", id, flagOpened, flagOpened)
}

func (s *Store) updateFlags(op string, id, mask, set int64) error {
	return s.write(op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(context.Background(),
			"UPDATE messages SET flags = (flags & ~?) | ? WHERE id = ?", mask, set, id)
		return affected(res, err, id)
	})
}

// SetSaved records where attachment attachmentID of record id was saved.
func (s *Store) SetSaved(id int64, attachmentID uint64, path string) error {
	return s.write("set saved in", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(context.Background(),
			"UPDATE attachments SET saved = ? WHERE message_id = ? AND file_id = ?",
			path, id, int64(attachmentID))
		if err := affected(res, err, id); err != nil {
			return fmt.Errorf("attachment %d: %w", attachmentID, err)
		}
		return nil
	})
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error, id int64) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("record %d: %w", id, ErrNotFound)
	}
	return nil
}

// pruneBatch is how many records one prune transaction deletes: between
// batches, messages arriving meanwhile get the write lock.
const pruneBatch = 2000

// Prune deletes records older than before (with their attachments and images)
// and returns how many went. Keeping everything is simply never calling it.
func (s *Store) Prune(before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := s.write("prune", func(tx *sql.Tx) error {
			// The foreign keys take attachments and images along, the trigger the index entries.
			res, err := tx.ExecContext(context.Background(), `DELETE FROM messages WHERE id IN
				(SELECT id FROM messages WHERE time < ? LIMIT ?)`, nanos(before), pruneBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// SetSentOpened marks our sealed message of packet to the peer at addr opened (its READMSG arrived).
// It reports whether such a record exists.
func (s *Store) SetSentOpened(packet uint32, addr string) (bool, error) {
	var n int64
	err := s.write("set opened in", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(context.Background(),
			"UPDATE messages SET flags = flags | ? WHERE dir = 'out' AND packet = ? AND peer_addr = ?",
			flagOpened, packet, addr)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n > 0, err
}
