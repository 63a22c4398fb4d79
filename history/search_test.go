package history

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

var day0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// corpus adds one record per text, a day apart, and returns their IDs.
func corpus(t *testing.T, s *Store, texts ...string) []int64 {
	t.Helper()
	peers := []Peer{
		{User: "alice", Host: "PC-ALICE", Nick: "Alice", Group: "Sales", Addr: "192.168.1.5:2425"},
		{User: "bob", Host: "pc-bob", Nick: "ボブ", Group: "開発", Addr: "192.168.1.6:2425"},
	}
	var ids []int64
	for i, text := range texts {
		r := Record{Dir: In, Time: day0.AddDate(0, 0, i), Peer: peers[i%2], Text: text,
			Attachments: []Attachment{{ID: 1, Name: "a.txt", Size: 3}},
			Images:      []Image{{At: 0, Name: "image-1.png", Size: 3, PNG: []byte{1, 2, 3}}}}
		if err := s.Add(&r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

var texts = []string{
	"Meeting notes for Tuesday",   // 0 alice
	"会議の議事録です",                    // 1 bob
	"测试消息内容",                      // 2 alice
	"Lunch at noon? 会議室 B",        // 3 bob
	"100% done_ok, see the notes", // 4 alice
	"明天开会讨论测试结果",                  // 5 bob
}

func search(t *testing.T, s *Store, q Query) []Hit {
	t.Helper()
	hits, err := s.Search(q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return hits
}

func hitIDs(hits []Hit) []int64 {
	ids := []int64{}
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func TestSearchText(t *testing.T) {
	s, _ := openTemp(t)
	id := corpus(t, s, texts...)
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"meeting", []int64{id[0]}},
		{"MEETING", []int64{id[0]}},
		{"eeTin", []int64{id[0]}},
		{"notes", []int64{id[4], id[0]}},
		{"notes meeting", []int64{id[0]}},                       // AND
		{"meeting lunch", []int64{}},                            // AND, nothing has both
		{"議事録", []int64{id[1]}},                                 // Japanese, trigram
		{"消息", []int64{id[2]}},                                  // Chinese, two characters: LIKE
		{"消息内", []int64{id[2]}},                                 // Chinese, trigram
		{"测试", []int64{id[5], id[2]}},                           // two-character, in two texts
		{"会議", []int64{id[3], id[1]}},                           // two-character Japanese
		{"議事録 会議", []int64{id[1]}},                              // long and short together
		{"会議 noon", []int64{id[3]}},                             // mixed scripts
		{"%", []int64{id[4]}},                                   // LIKE wildcards are literal
		{"_", []int64{id[4]}},                                   //
		{"0%", []int64{id[4]}},                                  //
		{"e_o", []int64{id[4]}},                                 // trigram with _
		{"n_", []int64{}},                                       // not "no", "nt"...
		{`"notes"`, []int64{}},                                  // quotes are literal text, not FTS syntax
		{"notes OR lunch", []int64{}},                           // OR is a word, not an operator
		{"", []int64{id[5], id[4], id[3], id[2], id[1], id[0]}}, // everything, newest first
	} {
		if got := hitIDs(search(t, s, Query{Text: c.q})); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
}

func TestSearchMatches(t *testing.T) {
	s, _ := openTemp(t)
	corpus(t, s, texts...)
	for _, c := range []struct {
		q    string
		want [][2]int // in the first hit
	}{
		{"議事録", [][2]int{{9, 18}}},                   // 会議の = 9 bytes
		{"消息", [][2]int{{6, 12}}},                    // 测试 = 6 bytes
		{"会議 議事録", [][2]int{{0, 6}, {9, 18}}},        // sorted
		{"会議の 議事", [][2]int{{0, 15}}},                // overlapping ranges merged
		{"MEETING tues", [][2]int{{0, 7}, {18, 22}}}, // case-insensitive
		{"NOTES", [][2]int{{22, 27}}},                // the newest hit: "100% done_ok, see the notes"
	} {
		hits := search(t, s, Query{Text: c.q})
		if len(hits) == 0 {
			t.Errorf("%q: no hits", c.q)
			continue
		}
		h := hits[0]
		if !reflect.DeepEqual(h.Matches, c.want) {
			t.Errorf("%q in %q: matches %v, want %v", c.q, h.Text, h.Matches, c.want)
		}
		var parts []string
		for _, m := range h.Matches {
			parts = append(parts, h.Text[m[0]:m[1]])
		}
		t.Logf("%q → %q", c.q, parts)
	}
}

func TestSearchHitsAreLight(t *testing.T) {
	s, _ := openTemp(t)
	corpus(t, s, texts...)
	for _, h := range search(t, s, Query{}) {
		if len(h.Attachments) != 1 || h.Attachments[0].Name != "a.txt" {
			t.Errorf("hit %d: attachments %+v", h.ID, h.Attachments)
		}
		if len(h.Images) != 1 || h.Images[0].Name != "image-1.png" || h.Images[0].PNG != nil {
			t.Errorf("hit %d: images %+v (want no PNG bytes)", h.ID, h.Images)
		}
	}
}

func TestSearchPeer(t *testing.T) {
	s, _ := openTemp(t)
	id := corpus(t, s, texts...)
	alice := []int64{id[4], id[2], id[0]}
	bob := []int64{id[5], id[3], id[1]}
	for _, c := range []struct {
		peer string
		want []int64
	}{
		{"alice", alice},     // user, nick, host
		{"ALI", alice},       //
		{"PC-BOB", bob},      // host, any case
		{"ボブ", bob},          // nick
		{"192.168.1.6", bob}, // address
		{":2425", append(append([]int64{}, id[5], id[4], id[3]), id[2], id[1], id[0])},
		{"Sales", []int64{}}, // the group is not a peer name
		{"carol", []int64{}}, //
		{"%", []int64{}},     // literal
	} {
		if got := hitIDs(search(t, s, Query{Peer: c.peer})); !reflect.DeepEqual(got, c.want) {
			t.Errorf("peer %q: got %v, want %v", c.peer, got, c.want)
		}
	}
	if got := hitIDs(search(t, s, Query{Peer: "bob", Text: "会議"})); !reflect.DeepEqual(got, []int64{id[3], id[1]}) {
		t.Errorf("peer and text: %v", got)
	}
	if got := hitIDs(search(t, s, Query{Peer: "alice", Text: "会議"})); len(got) != 0 {
		t.Errorf("peer alice and 会議: %v", got)
	}
}

func TestSearchTime(t *testing.T) {
	s, _ := openTemp(t)
	id := corpus(t, s, texts...)
	day := func(i int) time.Time { return day0.AddDate(0, 0, i) }
	for _, c := range []struct {
		name         string
		since, until time.Time
		text         string
		want         []int64
	}{
		{"since", day(4), time.Time{}, "", []int64{id[5], id[4]}},
		{"until (exclusive)", time.Time{}, day(2), "", []int64{id[1], id[0]}},
		{"between", day(1), day(3), "", []int64{id[2], id[1]}},
		{"between with text", day(1), day(4), "会議", []int64{id[3], id[1]}},
		{"between with trigram", day(2), day(6), "notes", []int64{id[4]}},
		{"far bounds", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "", []int64{id[5], id[4], id[3], id[2], id[1], id[0]}},
	} {
		got := hitIDs(search(t, s, Query{Since: c.since, Until: c.until, Text: c.text}))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSearchPaging(t *testing.T) {
	s, _ := openTemp(t)
	var many []string
	for i := range 25 {
		many = append(many, strings.Repeat("x", i%3)+" page ページ")
	}
	id := corpus(t, s, many...)
	for _, text := range []string{"", "page", "ペー", "ページ"} {
		var got []int64
		before := int64(0)
		for {
			hits := search(t, s, Query{Text: text, Limit: 10, Before: before})
			if len(hits) > 10 {
				t.Fatalf("%q: %d hits over the limit", text, len(hits))
			}
			if len(hits) == 0 {
				break
			}
			got = append(got, hitIDs(hits)...)
			before = hits[len(hits)-1].ID
		}
		if len(got) != len(id) {
			t.Fatalf("%q: paged through %d records, want %d", text, len(got), len(id))
		}
		for i := range got {
			if got[i] != id[len(id)-1-i] {
				t.Fatalf("%q: page order %v", text, got)
			}
		}
	}
	if n := len(search(t, s, Query{})); n != 25 {
		t.Errorf("default limit: %d hits", n)
	}
	if n := len(search(t, s, Query{Limit: 3})); n != 3 {
		t.Errorf("limit 3: %d hits", n)
	}
}

func TestMatchesFold(t *testing.T) {
	for _, c := range []struct {
		text  string
		words []string
		want  [][2]int
	}{
		{"Été ÉTÉ", []string{"été"}, [][2]int{{0, 5}, {6, 11}}},
		{"aaa", []string{"aa"}, [][2]int{{0, 3}}},
		{"abc", []string{"x"}, nil},
		{"ab", []string{"abc"}, nil},
		{"消息消息", []string{"消息"}, [][2]int{{0, 12}}}, // adjacent ranges merged
	} {
		if got := matches(c.text, c.words); !reflect.DeepEqual(got, c.want) {
			t.Errorf("matches(%q, %q) = %v, want %v", c.text, c.words, got, c.want)
		}
	}
}

func TestSearchShortWordsEdges(t *testing.T) {
	s, _ := openTemp(t)
	id := corpus(t, s,
		"明日は会議",    // 0: two-character word at the very end
		"OK",       // 1: the whole text is two characters
		"no way",   // 2
		"Été",      // 3: cased non-ASCII: LIKE (case-sensitive there)
		"会",        // 4: one character
		"a\x1fb c", // 5: the index's end mark inside a text
	)
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"会議", []int64{id[0]}},
		{"は会", []int64{id[0]}},
		{"ok", []int64{id[1]}},
		{"NO", []int64{id[2]}},
		{"Ét", []int64{id[3]}},
		{"会", []int64{id[4], id[0]}}, // a one-character text
		{"議", []int64{id[0]}},        // one character at the very end
		{"k", []int64{id[1]}},        //
		{"Y", []int64{id[2]}},        //
		{"É", []int64{id[3]}},        // LIKE
		{"é", []int64{id[3]}},        // LIKE
		{"a\x1f", []int64{id[5]}},    // not "every text ending in a"
		{"b\x1f", []int64{}},         // not "every text ending in b"
		{"c", []int64{id[5]}},        //
		{"東京", []int64{}},            // in no text: answered from the term list alone
		{"会議 東京", []int64{}},         //
		{"会議 明日", []int64{id[0]}},    // two two-character words
	} {
		if got := hitIDs(search(t, s, Query{Text: c.q})); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
}

// TestSearchAgainstScan checks every search path (trigram, term list, LIKE,
// and their mixes) against a plain substring scan of random texts.
func TestSearchAgainstScan(t *testing.T) {
	s, _ := openTemp(t)
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []rune("aAbBz会議消息%_. ")
	randWord := func(n int) string {
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	var rs []*Record
	for range 400 {
		rs = append(rs, &Record{Dir: In, Text: randWord(rng.IntN(12))})
	}
	if err := s.addAll(rs); err != nil {
		t.Fatal(err)
	}
	fold := func(s string) string { return strings.ToLower(s) } // ASCII is all that has case here
	for range 300 {
		var words []string
		for range 1 + rng.IntN(2) {
			if w := strings.TrimSpace(randWord(1 + rng.IntN(4))); w != "" && !strings.Contains(w, " ") {
				words = append(words, w)
			}
		}
		if len(words) == 0 {
			continue
		}
		q := strings.Join(words, " ")
		want := []int64{}
		for i := len(rs) - 1; i >= 0; i-- {
			ok := true
			for _, w := range words {
				ok = ok && strings.Contains(fold(rs[i].Text), fold(w))
			}
			if ok {
				want = append(want, rs[i].ID)
			}
		}
		got := hitIDs(search(t, s, Query{Text: q, Limit: 1000}))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %v, want %v", q, got, want)
		}
	}
}
