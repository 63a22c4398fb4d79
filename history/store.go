// Package history is Hato's message history: one SQLite database (WAL) in the
// profile folder with a trigram full-text index, so words in English, Japanese
// or Chinese are found as substrings.
package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// Store is the message history: one SQLite file (WAL), safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	// wmu serialises our own writers: SQLite allows one writer at a time, and
	// waiting here is cheaper and fairer than spinning on SQLITE_BUSY.
	wmu sync.Mutex
}

type options struct {
	busyTimeoutMS int
}

var defaultOptions = options{busyTimeoutMS: 5000}

// Open opens or creates the database at path (parent folder created 0700, file
// 0600), checks it (quick_check) and applies the schema migrations.
func Open(path string) (*Store, error) {
	return open(path, defaultOptions)
}

func open(path string, o options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	if err := prepareFile(abs); err != nil {
		return nil, fmt.Errorf("history: open %s: %w", abs, err)
	}
	db, err := sql.Open("sqlite", dsn(abs, o))
	if err != nil {
		return nil, wrap("open", abs, err)
	}
	// Readers run side by side in WAL; writers are serialised by wmu anyway.
	conns := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns) // a new connection costs its pragmas: keep them
	s := &Store{db: db, path: abs}
	if err := s.check(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// prepareFile creates the folder (0700) and an empty database file (0600):
// SQLite would create it 0644, and the history is private. SQLite gives the
// -wal and -shm files the database file's mode.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errors.New("is a folder, not a database file")
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, 0o600) // someone widened it: the history is private
	}
	return nil
}

// dsn builds a file: URI (so any character in the path is safe) with the
// per-connection settings. synchronous=FULL: in WAL, NORMAL may lose the last
// commits on power loss, and an acknowledged message must not be lost.
// _txlock=immediate: a write transaction takes the write lock at BEGIN, so it
// never fails half-way when upgrading from a read lock.
func dsn(abs string, o options) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p}
	q := []string{
		"_pragma=busy_timeout(" + strconv.Itoa(o.busyTimeoutMS) + ")",
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_pragma=journal_size_limit(67108864)", // trim the WAL after big pictures
		"_txlock=immediate",
	}
	return u.String() + "?" + strings.Join(q, "&")
}

// check makes sure the file is a healthy database in WAL mode. quick_check
// runs table by table: without a table name it also runs FTS5's own check,
// which re-tokenises every message (seconds for 100,000 of them), while the
// b-trees alone take about 100 ms for as many. A damaged index still shows up as
// ErrCorrupt when it is read.
func (s *Store) check() error {
	ctx := context.Background()
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return wrap("open", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("history: open %s: journal mode is %q, not WAL", s.path, mode)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM sqlite_schema
		WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'`)
	if err != nil {
		return wrap("open", s.path, err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return wrap("open", s.path, err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		return wrap("open", s.path, err)
	}
	if err := rows.Err(); err != nil {
		return wrap("open", s.path, err)
	}
	for _, t := range tables {
		var res string
		q := `PRAGMA quick_check("` + strings.ReplaceAll(t, `"`, `""`) + `")`
		if err := s.db.QueryRowContext(ctx, q).Scan(&res); err != nil {
			return wrap("open", s.path, err)
		}
		if res != "ok" {
			if lines := strings.SplitN(res, "\n", 4); len(lines) == 4 {
				res = strings.Join(lines[:3], "\n") + "\n..." // the first problems say enough
			}
			return fmt.Errorf("history: open %s: %w: quick_check(%s): %s", s.path, ErrCorrupt, t, res)
		}
	}
	return nil
}

// Close closes the database; the last connection to close checkpoints the WAL.
func (s *Store) Close() error {
	// Keep the query planner's statistics fresh (bounded work, as SQLite
	// advises); harmless if it fails.
	s.db.ExecContext(context.Background(), "PRAGMA analysis_limit = 400; PRAGMA optimize")
	if err := s.db.Close(); err != nil {
		return wrap("close", s.path, err)
	}
	return nil
}

// write runs fn in one write transaction (BEGIN IMMEDIATE) and commits; with
// synchronous=FULL the commit is on disk when write returns nil.
func (s *Store) write(op string, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		return wrap(op, s.path, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("history: %s %s: %w", op, s.path, err)
		}
		return wrap(op, s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return wrap(op, s.path, err)
	}
	return nil
}

// read runs fn in a read transaction, so its several queries see one snapshot.
func (s *Store) read(op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrap(op, s.path, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("history: %s %s: %w", op, s.path, err)
		}
		return wrap(op, s.path, err)
	}
	return nil
}
