package history

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from user_version i to i+1. Append only:
// a released step never changes, a database remembers which ones it has.
var migrations = []string{
	// 1: messages, peers, attachments, images and the trigram index.
	`
CREATE TABLE messages (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: windows may hold an id across a prune
	dir        TEXT    NOT NULL CHECK (dir IN ('in', 'out')),
	time       INTEGER NOT NULL,                  -- unix nanoseconds
	packet     INTEGER NOT NULL,
	peer_user  TEXT    NOT NULL,
	peer_host  TEXT    NOT NULL,
	peer_nick  TEXT    NOT NULL,
	peer_group TEXT    NOT NULL,
	peer_addr  TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	flags      INTEGER NOT NULL                   -- flag* bits (record.go)
);
CREATE INDEX messages_time ON messages(time);
CREATE INDEX messages_peer_user ON messages(peer_user);
CREATE INDEX messages_peer_host ON messages(peer_host);

-- Every peer name seen, so a Peer filter that matches nobody is answered
-- without a scan (rows a prune left behind only cost that scan).
CREATE TABLE peers (
	user TEXT NOT NULL,
	host TEXT NOT NULL,
	nick TEXT NOT NULL,
	addr TEXT NOT NULL,
	PRIMARY KEY (user, host, nick, addr)
) WITHOUT ROWID;

CREATE TABLE attachments (
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL, -- order in the offer
	file_id    INTEGER NOT NULL, -- the id in the offer (uint64 stored as int64)
	name       TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	is_dir     INTEGER NOT NULL,
	saved      TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

CREATE TABLE images (
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	at         INTEGER NOT NULL, -- byte offset in messages.text
	name       TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	saved      TEXT    NOT NULL DEFAULT '',
	png        BLOB,             -- NULL: referenced only
	PRIMARY KEY (message_id, seq)
);

-- The index reads its text through this view: each text with an end mark
-- (U+001F twice), so every one- or two-character substring starts some
-- trigram, even at the very end, and short words are found through the term
-- list (messages_fts_terms) instead of a scan of every message. External content:
-- the text is stored once, in messages; the triggers keep the index in step
-- (a delete must hand the indexed text back to FTS5).
CREATE VIEW messages_fts_content AS SELECT id, text || char(31, 31) AS text FROM messages;
CREATE VIRTUAL TABLE messages_fts USING fts5(
	text, content='messages_fts_content', content_rowid='id', tokenize='trigram'
);
CREATE VIRTUAL TABLE messages_fts_terms USING fts5vocab(messages_fts, 'row');
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text || char(31, 31));
	INSERT OR IGNORE INTO peers VALUES (new.peer_user, new.peer_host, new.peer_nick, new.peer_addr);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text || char(31, 31));
END;
CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text || char(31, 31));
	INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text || char(31, 31));
END;
`,
}

// schemaVersion is the user_version this code writes.
var schemaVersion = len(migrations)

// migrate applies the missing steps, each in its own write transaction. The
// version is read inside the transaction, so two programs opening the same
// file at once cannot both apply a step. Even with nothing to do it takes the
// write lock once: a database another program holds exclusively fails here,
// at Open, with ErrLocked, instead of at the first message.
func (s *Store) migrate() error {
	for {
		done, err := s.migrateStep()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func (s *Store) migrateStep() (done bool, err error) {
	err = s.write("open", func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		switch {
		case v > schemaVersion:
			return fmt.Errorf("schema version %d is newer than this Hato understands (%d)", v, schemaVersion)
		case v == schemaVersion:
			done = true
			return nil
		}
		if _, err := tx.ExecContext(context.Background(), migrations[v]); err != nil {
			return fmt.Errorf("schema step %d: %w", v+1, err)
		}
		// PRAGMA takes no parameters; v+1 is our own integer.
		_, err := tx.ExecContext(context.Background(), fmt.Sprintf("PRAGMA user_version = %d", v+1))
		return err
	})
	return done, err
}
