package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"hato/history"
	"hato/messenger"
)

// historyCmd prints the profile's messages, newest first: all, those matching QUERY, of a peer, since
// a time.
func historyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return historyIn(ctx, localEnv("history", args), args, stdout, stderr)
}

func historyIn(ctx context.Context, e *env, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("history", e, stderr)
	peer := fs.String("peer", "", "only messages with this peer (user, host, nickname or address)")
	since := fs.String("since", "", "only messages since: a duration (24h, 7d) or a date (2006-01-02)")
	limit := fs.Int("limit", 100, "at most this many messages")
	asJSON := fs.Bool("json", false, "print a JSON array")
	export := fs.String("export", "", "write the whole history to FILE in IP Messenger's log format (ipmsg.log)")
	importLog := fs.String("import", "", "add the messages of an IP Messenger log FILE (ipmsg.log, CP932 or UTF-8)")
	if code, ok := c.parse(args, stderr); !ok {
		return code
	}
	q := history.Query{Text: strings.Join(fs.Args(), " "), Peer: *peer, Limit: *limit}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "hato history: --since:", err)
			return 2
		}
		q.Since = t
	}
	st, release, code, done := c.history(ctx, stdout, stderr)
	if done {
		return code
	}
	defer release()
	switch {
	case *export != "":
		return exportLog(st, e.path(*export), stdout, stderr)
	case *importLog != "":
		return importIPMsgLog(st, e.path(*importLog), stdout, stderr)
	}
	hits, err := st.Search(q)
	if err != nil {
		fmt.Fprintln(stderr, "hato history:", err)
		return 1
	}
	if *asJSON {
		out := make([]jsonRecord, 0, len(hits))
		for _, h := range hits {
			out = append(out, toJSONRecord(h))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	for _, h := range hits {
		arrow, who := "<-", h.Peer.Nick
		if h.Dir == history.Out {
			arrow = "->"
		}
		if who == "" {
			who = h.Peer.User
		}
		fmt.Fprintf(stdout, "%s %s %s: %s\n", h.Time.Local().Format("2006-01-02 15:04"), arrow, who,
			strings.ReplaceAll(h.Text, "\n", "\n    "))
	}
	return 0
}

// history is the profile's message store: the running Hato's (the command is handed to it, or runs
// in it), or opened here when none runs.
func (c *common) history(ctx context.Context, stdout, stderr io.Writer) (st *history.Store, release func(), code int, done bool) {
	if h := c.env.running; h != nil {
		st, err := h.History()
		if st == nil {
			if err == nil {
				err = errors.New("this Hato keeps no history (it runs without a profile)")
			}
			fmt.Fprintln(stderr, "hato history:", err)
			return nil, nil, 1, true
		}
		return st, func() {}, 0, false
	}
	if code, ok := c.forward(ctx, stdout, stderr); ok {
		return nil, nil, code, true
	}
	st, err := history.Open(messenger.HistoryPath(c.dir))
	if err != nil {
		fmt.Fprintln(stderr, "hato history:", err)
		return nil, nil, 1, true
	}
	return st, func() { st.Close() }, 0, false
}

// exportLog writes the history as an IP Messenger log file (created, never overwritten).
func exportLog(st *history.Store, path string, stdout, stderr io.Writer) int {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintln(stderr, "hato history: --export:", err)
		return 1
	}
	w := bufio.NewWriter(f)
	err = st.Export(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "hato history: --export:", err)
		return 1
	}
	fmt.Fprintln(stdout, "exported to", path)
	return 0
}

// importIPMsgLog adds an IP Messenger log's messages; damaged entries are skipped and counted.
func importIPMsgLog(st *history.Store, path string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "hato history: --import:", err)
		return 1
	}
	defer f.Close()
	n, err := st.Import(bufio.NewReader(f))
	fmt.Fprintf(stdout, "imported %d messages from %s\n", n, path)
	if err != nil {
		fmt.Fprintln(stderr, "hato history: --import:", err)
		return 1
	}
	return 0
}

// parseSince reads "24h", "90m", "7d" (days) or a date "2006-01-02" (local midnight).
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New(s + ": want a duration like 24h or 7d, or a date like 2006-01-02")
}

// jsonRecord is a history record as `hato history --json` prints it.
type jsonRecord struct {
	ID          int64     `json:"id"`
	Dir         string    `json:"dir"`
	Time        time.Time `json:"time"`
	Packet      uint32    `json:"packet"`
	Peer        jsonPeer  `json:"peer"`
	Text        string    `json:"text"`
	Flags       []string  `json:"flags,omitempty"`
	Attachments []string  `json:"attachments,omitempty"`
	Images      int       `json:"images,omitempty"`
	Matches     [][2]int  `json:"matches,omitempty"` // byte ranges of the query's words in text
}

type jsonPeer struct {
	User  string `json:"user"`
	Host  string `json:"host"`
	Nick  string `json:"nick,omitempty"`
	Group string `json:"group,omitempty"`
	Addr  string `json:"addr,omitempty"`
}

func toJSONRecord(h history.Hit) jsonRecord {
	r := h.Record
	out := jsonRecord{ID: r.ID, Dir: string(r.Dir), Time: r.Time, Packet: r.Packet, Text: r.Text, Matches: h.Matches,
		Peer:   jsonPeer{User: r.Peer.User, Host: r.Peer.Host, Nick: r.Peer.Nick, Group: r.Peer.Group, Addr: r.Peer.Addr},
		Images: len(r.Images)}
	for _, f := range []struct {
		on   bool
		name string
	}{{r.Sealed, "sealed"}, {r.Opened, "opened"}, {r.Locked, "locked"}, {r.Encrypted, "encrypted"},
		{r.Signed, "signed"}, {r.Verified, "verified"}, {r.AutoReply, "auto-reply"}, {r.Broadcast, "broadcast"},
		{r.Multicast, "multicast"}, {r.Delivered, "delivered"}} {
		if f.on {
			out.Flags = append(out.Flags, f.name)
		}
	}
	for _, a := range r.Attachments {
		out.Attachments = append(out.Attachments, a.Name)
	}
	return out
}
