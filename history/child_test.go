package history

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	childEnv   = "HATO_HISTORY_TEST_CHILD"
	childDBEnv = "HATO_HISTORY_TEST_DB"
)

// runChild is the test binary run as a second process.
//
//	add:  add records forever, printing each ID once Add has returned
//	lock: hold the database's write lock, say "locked", wait to be killed
func runChild(mode, path string) int {
	switch mode {
	case "add":
		s, err := Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for i := 0; ; i++ {
			r := fullRecord()
			r.Text = fmt.Sprintf("durable message %d 耐久 %d", i, i)
			if err := s.Add(&r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Printf("%d\n", r.ID) // os.Stdout is unbuffered: one write per line
		}
	case "lock":
		db, err := sql.Open("sqlite", path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		conn, err := db.Conn(context.Background())
		if err == nil {
			_, err = conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
		}
		if err == nil {
			_, err = conn.ExecContext(context.Background(), "DELETE FROM messages")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("locked")
		time.Sleep(time.Hour)
	}
	return 2
}

func startChild(t *testing.T, mode, path string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childDBEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(out)
}

// TestDurabilityAfterKill: every ID the child printed (so Add had returned)
// is in the database after the child is killed at a random moment; three
// rounds on the same file, each starting from what the last kill left.
func TestDurabilityAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	var ids []int64
	for round := range 3 {
		ids = append(ids, addUntilKilled(t, path)...)
		s, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, id := range ids {
			r, err := s.Get(id)
			if err != nil {
				s.Close()
				t.Fatalf("round %d: acknowledged record %d lost: %v", round, id, err)
			}
			if len(r.Attachments) != 2 || len(r.Images) != 2 {
				s.Close()
				t.Fatalf("round %d: record %d incomplete: %+v", round, id, r)
			}
		}
		err = integrity(s)
		s.Close()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// addUntilKilled runs an "add" child, SIGKILLs it after a random number of
// acknowledged records and returns the IDs it acknowledged.
func addUntilKilled(t *testing.T, path string) []int64 {
	t.Helper()
	cmd, out := startChild(t, "add", path)
	var ids []int64
	killed := false
	killAt := 20 + mrand.IntN(60) // anywhere in the stream, not always the same spot
	for {
		line, err := out.ReadString('\n')
		if err == io.EOF {
			break // a line cut short by the kill never counted as acknowledged
		}
		if err != nil {
			t.Fatal(err)
		}
		id, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", line)
		}
		ids = append(ids, id)
		if len(ids) == killAt && !killed {
			cmd.Process.Kill() // SIGKILL on Unix: no deferred code, no Close
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child stopped on its own after %d records", len(ids))
	}
	t.Logf("killed after %d acknowledged records", len(ids))
	return ids
}

func TestLockedByOtherProcess(t *testing.T) {
	s, path := openTemp(t)
	r := Record{Dir: In, Text: "x"}
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, out := startChild(t, "lock", path)
	line, err := out.ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	expectLocked(t, path)
}

// integrity runs SQLite's and FTS5's own consistency checks.
func integrity(s *Store) error {
	var res string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		return fmt.Errorf("integrity_check: %q %v", res, err)
	}
	if _, err := s.db.Exec("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')"); err != nil {
		return fmt.Errorf("fts integrity-check: %w", err)
	}
	return nil
}
