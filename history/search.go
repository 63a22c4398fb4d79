package history

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Query selects records; all set fields must hold.
type Query struct {
	Text   string    // words (space separated), each a case-insensitive substring of the text; "" lists everything
	Peer   string    // substring of the peer's user, host, nick or address (case-insensitive); "" = all
	Since  time.Time // zero = no bound; inclusive
	Until  time.Time // zero = no bound; exclusive
	Limit  int       // 0 = 100
	Before int64     // paging: only records with ID < Before (0 = no bound); results newest first
}

// Hit is a found record and where the query's words are in its text.
type Hit struct {
	Record           // without PNG bytes (Images[i].PNG nil) to keep lists light
	Matches [][2]int // byte ranges in Record.Text that matched the query words, sorted, non-overlapping
}

const defaultLimit = 100

// Search returns the records matching q, newest first.
//
// Words of three characters or more go to the trigram index (a phrase of
// trigrams is an exact substring match). A shorter word becomes the list of
// indexed trigrams that start with it (the end mark in the index makes that
// exact). LIKE takes the rest: words found in too many trigrams to list
// (common ones, so a scan newest first soon has its page), and words with
// non-ASCII letters that have case (LIKE compares those exactly; the index
// folds them by its own tables). LIKE runs on the rows the index narrowed
// when there is also an indexed word, on the table when not.
func (s *Store) Search(q Query) ([]Hit, error) {
	words := strings.Fields(q.Text)
	var hits []Hit
	err := s.read("search", func(tx *sql.Tx) error {
		if q.Peer != "" {
			var seen bool
			p := "%" + likeEscape(q.Peer) + "%"
			if err := tx.QueryRowContext(context.Background(), `SELECT EXISTS (SELECT 1 FROM peers
				WHERE user LIKE ?1 ESCAPE '\' OR host LIKE ?1 ESCAPE '\'
				OR nick LIKE ?1 ESCAPE '\' OR addr LIKE ?1 ESCAPE '\')`, p).Scan(&seen); err != nil {
				return fmt.Errorf("peers: %w", err)
			}
			if !seen {
				return nil // nobody by that name ever wrote or was written to
			}
		}
		var fts, like []string // FTS5 expressions (all must hold), LIKE words
		for _, w := range words {
			switch {
			case strings.ContainsRune(w, endMark):
				like = append(like, w) // the mark would match the end of every text
			case utf8.RuneCountInString(w) >= 3:
				fts = append(fts, ftsPhrase(w))
			case caseless(w):
				terms, err := termsStartingWith(tx, strings.ToLower(w))
				if err != nil {
					return err
				}
				if len(terms) == 0 {
					return nil // no text has it anywhere
				}
				if len(terms) > maxTerms {
					like = append(like, w) // a word that common stops LIKE early anyway
					continue
				}
				for i, t := range terms {
					terms[i] = ftsPhrase(t)
				}
				fts = append(fts, "("+strings.Join(terms, " OR ")+")")
			default:
				like = append(like, w)
			}
		}
		stmt, args := searchSQL(q, fts, like)
		rows, err := tx.QueryContext(context.Background(), stmt, args...)
		if err != nil {
			return err
		}
		var recs []*Record
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				rows.Close()
				return err
			}
			recs = append(recs, &r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := loadExtras(tx, recs, false); err != nil {
			return err
		}
		hits = make([]Hit, len(recs))
		for i, r := range recs {
			hits[i] = Hit{Record: *r, Matches: matches(r.Text, words)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hits, nil
}

// endMark closes every indexed text (see the messages_fts_content view).
const endMark = '\x1f'

// maxTerms bounds the OR list a short word may become.
const maxTerms = 200

// termsStartingWith lists the indexed trigrams beginning with prefix (up to
// maxTerms+1 of them). Terms are compared as bytes, and no UTF-8 byte is
// 0xF5 or above, so prefix+"\xf5" bounds exactly the terms with that prefix.
func termsStartingWith(tx *sql.Tx, prefix string) ([]string, error) {
	rows, err := tx.QueryContext(context.Background(),
		"SELECT term FROM messages_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
		prefix, prefix+"\xf5", maxTerms+1)
	if err != nil {
		return nil, fmt.Errorf("index terms: %w", err)
	}
	defer rows.Close()
	var terms []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("index terms: %w", err)
		}
		terms = append(terms, t)
	}
	return terms, rows.Err()
}

// caseless reports whether folding w to lower case for the index is exactly
// what LIKE does: ASCII, and characters without case (Chinese, Japanese...).
// The trigram tokenizer folds other letters by its own tables, which we do
// not try to reproduce.
func caseless(w string) bool {
	for _, r := range w {
		if r >= utf8.RuneSelf && unicode.SimpleFold(r) != r {
			return false
		}
	}
	return true
}

// searchSQL builds the statement for q. When the index drives, its rowid is
// what is bounded and ordered, so FTS5 walks its lists newest first and stops
// at the limit.
func searchSQL(q Query, fts, like []string) (string, []any) {
	var (
		from  = "messages m"
		id    = "m.id"
		where []string
		args  []any
	)
	if len(fts) > 0 {
		from = "messages_fts f JOIN messages m ON m.id = f.rowid"
		id = "f.rowid"
		where = append(where, "messages_fts MATCH ?")
		args = append(args, strings.Join(fts, " AND "))
	}
	for _, w := range like {
		where = append(where, `m.text LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(w)+"%")
	}
	if q.Peer != "" {
		where = append(where, `(m.peer_user LIKE ? ESCAPE '\' OR m.peer_host LIKE ? ESCAPE '\'
			OR m.peer_nick LIKE ? ESCAPE '\' OR m.peer_addr LIKE ? ESCAPE '\')`)
		p := "%" + likeEscape(q.Peer) + "%"
		args = append(args, p, p, p, p)
	}
	if !q.Since.IsZero() {
		where = append(where, "m.time >= ?")
		args = append(args, nanos(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "m.time < ?")
		args = append(args, nanos(q.Until))
	}
	if q.Before > 0 {
		where = append(where, id+" < ?")
		args = append(args, q.Before)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	stmt := "SELECT " + messageColumns + " FROM " + from
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	stmt += " ORDER BY " + id + " DESC LIMIT ?"
	return stmt, append(args, limit)
}

// ftsPhrase quotes w as an FTS5 phrase, so no word is read as an operator.
func ftsPhrase(w string) string {
	return `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
}

// likeEscape makes % and _ (and the escape itself) literal under ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// matches returns the byte ranges of text where any of words occurs, folding
// case as the index does, sorted and merged so they never overlap.
func matches(text string, words []string) [][2]int {
	var out [][2]int
	for _, w := range words {
		for i := 0; i < len(text); {
			if n := prefixFold(text[i:], w); n > 0 {
				out = append(out, [2]int{i, i + n})
			}
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	merged := out[:1]
	for _, m := range out[1:] {
		last := &merged[len(merged)-1]
		if m[0] <= last[1] {
			last[1] = max(last[1], m[1])
			continue
		}
		merged = append(merged, m)
	}
	return merged
}

// prefixFold returns how many bytes of s match word under simple case
// folding, or 0 when s does not start with word.
func prefixFold(s, word string) int {
	i := 0
	for _, wr := range word {
		if i >= len(s) {
			return 0
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if !equalFold(sr, wr) {
			return 0
		}
		i += size
	}
	return i
}

func equalFold(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		return 'A' <= a && a <= 'Z' && a+'a'-'A' == b || 'A' <= b && b <= 'Z' && b+'a'-'A' == a
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
