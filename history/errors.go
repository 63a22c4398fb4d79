package history

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinels to test with errors.Is; the errors returned also name the path and
// keep SQLite's own message.
var (
	// ErrCorrupt: the file is not an SQLite database or fails its integrity check.
	ErrCorrupt = errors.New("history database is corrupt")
	// ErrLocked: another program holds the database (busy beyond the timeout).
	ErrLocked = errors.New("history database is locked by another program")
	// ErrNotFound: no record (or attachment) with that id.
	ErrNotFound = errors.New("history record not found")
)

// sqliteCode returns SQLite's primary result code in err, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff // drop the extended part
	}
	return 0
}

// wrap names the operation and the file, and adds the matching sentinel so the
// caller can tell a locked or corrupt database from other failures.
func wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("history: %s %s: %w: %w", op, path, ErrLocked, err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("history: %s %s: %w: %w", op, path, ErrCorrupt, err)
	}
	return fmt.Errorf("history: %s %s: %w", op, path, err)
}
