package history

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPrune(t *testing.T) {
	s, _ := openTemp(t)
	id := corpus(t, s, texts...) // one a day from day0

	n, err := s.Prune(day0.AddDate(0, 0, 3)) // keep the last three days
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("pruned %d, want 3", n)
	}
	if got := hitIDs(search(t, s, Query{})); !reflect.DeepEqual(got, []int64{id[5], id[4], id[3]}) {
		t.Fatalf("left %v", got)
	}
	for _, gone := range id[:3] {
		if _, err := s.Get(gone); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%d) after prune: %v", gone, err)
		}
	}
	// The pruned texts are gone from the index too, and its entries match the table.
	for _, q := range []string{"議事録", "meeting", "消息"} {
		if hits := search(t, s, Query{Text: q}); len(hits) != 0 {
			t.Errorf("%q still found after prune: %v", q, hitIDs(hits))
		}
	}
	if got := hitIDs(search(t, s, Query{Text: "会議"})); !reflect.DeepEqual(got, []int64{id[3]}) {
		t.Errorf("会議 after prune: %v", got)
	}
	if a, i := count(t, s, "attachments"), count(t, s, "images"); a != 3 || i != 3 {
		t.Errorf("attachments %d, images %d left; want 3 and 3", a, i)
	}
	if err := integrity(s); err != nil {
		t.Fatal(err)
	}

	// Nothing older: nothing goes. A bound before 1678 must not wrap around.
	if n, err := s.Prune(time.Time{}); err != nil || n != 0 {
		t.Fatalf("Prune(zero) = %d, %v", n, err)
	}
	// New records after a prune never reuse an ID a window may still hold.
	if n, err := s.Prune(time.Now().AddDate(100, 0, 0)); err != nil || n != 3 {
		t.Fatalf("Prune(all) = %d, %v", n, err)
	}
	if hits := search(t, s, Query{Peer: "alice"}); len(hits) != 0 { // a peer known only from pruned records
		t.Errorf("peer alice after pruning everything: %v", hitIDs(hits))
	}
	r := Record{Dir: In, Text: "after"}
	if err := s.Add(&r); err != nil {
		t.Fatal(err)
	}
	if r.ID <= id[5] {
		t.Errorf("ID %d reused (last was %d)", r.ID, id[5])
	}
}

func TestAll(t *testing.T) {
	s, _ := openTemp(t)
	var rs []*Record
	for i := range allBatch*2 + 7 { // several batches and a partial one
		r := fullRecord()
		r.Text = string(rune('a' + i%26))
		rs = append(rs, &r)
	}
	if err := s.addAll(rs); err != nil {
		t.Fatal(err)
	}
	var got []Record
	if err := s.All(func(r Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rs) {
		t.Fatalf("All gave %d records, want %d", len(got), len(rs))
	}
	for i, r := range got {
		if r.ID != rs[i].ID {
			t.Fatalf("record %d: id %d, want %d (oldest first)", i, r.ID, rs[i].ID)
		}
		want := *rs[i]
		want.Images = []Image{want.Images[0], want.Images[1]}
		want.Images[0].PNG = nil // not loaded
		sameRecord(t, r, want)
	}

	stop := errors.New("stop")
	calls := 0
	err := s.All(func(Record) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 3 {
		t.Fatalf("All stopped with %v after %d calls", err, calls)
	}
}

func TestPruneInBatches(t *testing.T) {
	s, _ := openTemp(t)
	n := 2*pruneBatch + 5
	var rs []*Record
	for i := range n {
		r := fullRecord()
		r.Time = day0.Add(time.Duration(i) * time.Minute)
		rs = append(rs, &r)
	}
	if err := s.addAll(rs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Prune(day0.Add(time.Duration(n-5) * time.Minute))
	if err != nil || got != n-5 {
		t.Fatalf("Prune = %d, %v; want %d", got, err, n-5)
	}
	if left := count(t, s, "messages"); left != 5 {
		t.Fatalf("%d left, want 5", left)
	}
	if a := count(t, s, "attachments"); a != 10 {
		t.Fatalf("%d attachments left, want 10", a)
	}
	if err := integrity(s); err != nil {
		t.Fatal(err)
	}
}
