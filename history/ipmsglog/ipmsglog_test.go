package ipmsglog

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"hato/internal/purity"
)

func TestImportsNoIO(t *testing.T) { purity.CheckImports(t) }

func at(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.Local)
}

var (
	taro   = Peer{Nick: "Taro", Group: "Sales", Host: "TARO-PC", Addr: "192.168.0.10", User: "taro"}
	hanako = Peer{Nick: "Hanako", Group: "Sales", Host: "HANAKO-PC", Addr: "192.168.0.11", User: "hanako"}
	jiro   = Peer{Nick: "Jiro", Absent: true, Host: "JIRO-PC", Addr: "192.168.0.12", User: "jiro"}
)

// The cases Write must lay out byte for byte as WIN logmng.cpp does.
var writeCases = []struct {
	name string
	e    Entry
	want string
}{
	{"received plain", Entry{In: true, Peer: taro, Time: at(2024, 5, 6, 9, 8, 7), Text: "Hello"},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"  at Mon May 06 09:08:07 2024 \r\n" + // WIN always writes the space after the date
			"-------------------------------------\r\n" +
			"Hello\r\n\r\n"},
	{"received sealed, signed", Entry{In: true, Peer: taro, Time: at(2025, 1, 2, 3, 4, 5),
		Crypto: CryptoSigned2, Sealed: true, Text: "secret"},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"  at Thu Jan 02 03:04:05 2025 (RSA2/Signed+)(sealed)\r\n" +
			"-------------------------------------\r\n" +
			"secret\r\n\r\n"},
	{"received locked auto-reply", Entry{In: true, Peer: taro, Time: at(2025, 1, 2, 3, 4, 5),
		Auto: true, Crypto: CryptoRSA2, Sealed: true, Locked: true, Text: "away"},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"  at Thu Jan 02 03:04:05 2025 (auto)(RSA2)(locked)\r\n" +
			"-------------------------------------\r\n" +
			"away\r\n\r\n"},
	{"sent to two", Entry{Peer: hanako, Others: []Peer{jiro}, Time: at(2024, 5, 6, 9, 10, 0),
		Multi: true, Text: "Lunch?"},
		"=====================================\r\n" +
			" To: Hanako (Sales/HANAKO-PC/192.168.0.11/hanako)\r\n" +
			" To: Jiro *(JIRO-PC/192.168.0.12/jiro)\r\n" +
			"  at Mon May 06 09:10:00 2024 (multi)\r\n" +
			"-------------------------------------\r\n" +
			"Lunch?\r\n\r\n"},
	{"received with Cc", Entry{In: true, Peer: taro, Others: []Peer{hanako}, Time: at(2024, 5, 6, 9, 10, 0),
		Multi: true, Crypto: CryptoUnauthorized, Delayed: true, Text: "to you both"},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"   Cc: Hanako (Sales/HANAKO-PC/192.168.0.11/hanako)\r\n" +
			"  at Mon May 06 09:10:00 2024 (multi)(Unauthorized)(Delayed)\r\n" +
			"-------------------------------------\r\n" +
			"to you both\r\n\r\n"},
	{"files", Entry{Peer: hanako, Time: at(2024, 12, 31, 23, 59, 59), Files: []string{"report.pdf", "a b.txt"},
		Text: "two files"},
		"=====================================\r\n" +
			" To: Hanako (Sales/HANAKO-PC/192.168.0.11/hanako)\r\n" +
			"  at Tue Dec 31 23:59:59 2024 \r\n" +
			"  (files) report.pdf, a b.txt\r\n" +
			"-------------------------------------\r\n" +
			"two files\r\n\r\n"},
	{"files and an image", Entry{In: true, Peer: taro, Time: at(2024, 12, 31, 23, 59, 59),
		Broadcast: true, Files: []string{"report.pdf", "ipmsgclip_r0001.png"}},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"  at Tue Dec 31 23:59:59 2024 (broadcast)\r\n" +
			"  (files/images) report.pdf, ipmsgclip_r0001.png\r\n" +
			"-------------------------------------\r\n" +
			"\r\n\r\n"},
	{"image only", Entry{In: true, Peer: taro, Time: at(2024, 12, 31, 23, 59, 59),
		Files: []string{"ipmsgclip_r0001.png"}, Text: "see"},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"  at Tue Dec 31 23:59:59 2024 \r\n" +
			"  (image) ipmsgclip_r0001.png\r\n" +
			"-------------------------------------\r\n" +
			"see\r\n\r\n"},
	{"Japanese", Entry{In: true, Time: at(2014, 1, 7, 10, 0, 0), Japanese: true,
		Peer:   Peer{Nick: "山田", Group: "開発部", Host: "YAMADA-PC", Addr: "192.168.1.5", User: "yamada"},
		Crypto: CryptoSignError, Sealed: true, Files: []string{"議事録.docx"},
		Text: "お疲れさまです。\n明日の会議は10時からです。"},
		"=====================================\r\n" +
			" From: 山田 (開発部/YAMADA-PC/192.168.1.5/yamada)\r\n" +
			"  at Tue Jan 07 10:00:00 2014 (RSA2/偽装？)(封)\r\n" +
			"  (添付) 議事録.docx\r\n" +
			"-------------------------------------\r\n" +
			"お疲れさまです。\r\n明日の会議は10時からです。\r\n\r\n"},
	{"no group, address or logon name", Entry{Peer: Peer{Nick: "pc1", Host: "PC1"}, Time: at(2003, 3, 3, 3, 3, 3),
		Text: "multi\nline\n\ntext\n"},
		"=====================================\r\n" +
			" To: pc1 (PC1)\r\n" +
			"  at Mon Mar 03 03:03:03 2003 \r\n" +
			"-------------------------------------\r\n" +
			"multi\r\nline\r\n\r\ntext\r\n\r\n\r\n"},
	// A row of '=' in the text is left alone, unless the next line would make it a header.
	{"separator in the text", Entry{In: true, Peer: taro, Time: at(2024, 5, 6, 9, 8, 7),
		Text: "before\n" + sepLine + "\nafter\n" + sepLine + "\n From: Quoted (Q/1.2.3.4/q)\n" + dashLine + "\n" + sepLine},
		"=====================================\r\n" +
			" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
			"  at Mon May 06 09:08:07 2024 \r\n" +
			"-------------------------------------\r\n" +
			"before\r\n" + sepLine + "\r\nafter\r\n" + sepLine + " \r\n From: Quoted (Q/1.2.3.4/q)\r\n" +
			dashLine + "\r\n" + sepLine + "\r\n\r\n"},
}

func TestWrite(t *testing.T) {
	for _, c := range writeCases {
		var b bytes.Buffer
		if err := Write(&b, c.e); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := b.String(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// sameEntries compares entries, times by instant.
func sameEntries(t *testing.T, what string, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d: %+v", what, len(got), len(want), got)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) {
			t.Errorf("%s: entry %d at %v, want %v", what, i, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: entry %d\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}

// Everything Write wrote reads back the same, in one file.
func TestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	var want []Entry
	for _, c := range writeCases {
		if err := Write(&b, c.e); err != nil {
			t.Fatal(err)
		}
		e := c.e
		if e.Locked {
			e.Sealed = true
		}
		want = append(want, e)
	}
	got, err := Read(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "round trip", got, want)

	// and again with LF only, or CR only, as Mac may write
	for _, nl := range []string{"\n", "\r"} {
		got, err := Read(strings.NewReader(strings.ReplaceAll(b.String(), "\r\n", nl)))
		if err != nil {
			t.Fatal(err)
		}
		sameEntries(t, "newline "+strings.ReplaceAll(nl, "\r", `\r`), got, want)
	}
}

// A log WIN wrote in CP932 (the "UTF-8" option off), one that switched to UTF-8 half way, and one with a
// byte-order mark.
func TestReadEncodings(t *testing.T) {
	sjis := "=====================================\r\n" +
		" From: 山田 (開発部/YAMADA-PC/192.168.1.5/yamada)\r\n" +
		"  at Tue Jan 07 10:00:00 2014 (封)\r\n" +
		"-------------------------------------\r\n" +
		"お疲れさまです。\r\n①　ﾃｽﾄ\r\n\r\n" // CP932's NEC row 13 and half-width katakana
	want1 := Entry{In: true, Time: at(2014, 1, 7, 10, 0, 0), Japanese: true, Sealed: true,
		Peer: Peer{Nick: "山田", Group: "開発部", Host: "YAMADA-PC", Addr: "192.168.1.5", User: "yamada"},
		Text: "お疲れさまです。\n①　ﾃｽﾄ"}
	enc, err := japanese.ShiftJIS.NewEncoder().String(sjis)
	if err != nil {
		t.Fatal(err)
	}
	if enc == sjis {
		t.Fatal("the sample did not change in CP932")
	}
	got, err := Read(strings.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "CP932", got, []Entry{want1})

	utf := writeCases[0].want
	got, err = Read(strings.NewReader(enc + utf + enc))
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "mixed", got, []Entry{want1, writeCases[0].e, want1})

	got, err = Read(strings.NewReader("\xEF\xBB\xBF" + sjis))
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "BOM", got, []Entry{want1})
}

// Forms Write does not produce but WIN, older versions or Mac did, or a hand may have.
func TestReadTolerant(t *testing.T) {
	log := "=====================================\n" +
		" From: Taro (TARO-PC)\n" + // WIN with neither IP address nor logon name logged
		"  at Thu Jan  2 03:04:05 2025 (SEALED)(Auto)(whatever)(multi)\n" + // ctime's own day; an unknown label ends them
		"-------------------------------------\n" +
		"one\n" +
		"\n" +
		"=====================================\n" +
		" From: Taro (Sales/TARO-PC/taro)\n" + // no IP address
		"   To: Hanako (Sales/HANAKO-PC/192.168.0.11)\n" + // "   To: " taken as Cc; no logon name
		"  at 2017年10月5日 木曜日 12:34:56(封)\n" + // Japanese Mac's date
		"  (unknown) x.txt\n" +
		"-------------------------------------\n" +
		"two" // cut short: no line end, no empty line
	got, err := Read(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{In: true, Peer: Peer{Nick: "Taro", Host: "TARO-PC"}, Time: at(2025, 1, 2, 3, 4, 5),
			Sealed: true, Auto: true, Text: "one"},
		{In: true, Peer: Peer{Nick: "Taro", Group: "Sales", Host: "TARO-PC", User: "taro"},
			Others: []Peer{{Nick: "Hanako", Group: "Sales", Host: "HANAKO-PC", Addr: "192.168.0.11"}},
			Time:   at(2017, 10, 5, 12, 34, 56), Sealed: true, Japanese: true, Files: []string{"x.txt"}, Text: "two"},
	}
	sameEntries(t, "tolerant", got, want)
}

// A damaged entry is skipped and counted; the entries around it are kept.
func TestReadDamaged(t *testing.T) {
	good := writeCases[0].want
	bad := "=====================================\r\n" +
		" From: Taro (Sales/TARO-PC/192.168.0.10/taro)\r\n" +
		"  at Mon Maz 06 09:08:07 2024 \r\n" + // no such month
		"-------------------------------------\r\n" +
		"lost\r\n\r\n"
	cut := "=====================================\r\n" +
		" To: Hanako (Sales/HANAKO-PC/192.168.0.11/hanako)\r\n"
	log := "garbage before\r\n" + good + bad + good + cut
	got, err := Read(strings.NewReader(log))
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("error %v, want ErrDamaged", err)
	}
	var de *DamagedError
	if !errors.As(err, &de) || de.Count != 3 || !reflect.DeepEqual(de.Lines, []int{1, 8, 20}) {
		t.Errorf("damage %+v, want 3 at lines 1, 8, 20", de)
	}
	sameEntries(t, "damaged", got, []Entry{writeCases[0].e, writeCases[0].e})

	for _, in := range []string{"", "\r\n\r\n", "\xEF\xBB\xBF"} {
		if got, err := Read(strings.NewReader(in)); err != nil || len(got) != 0 {
			t.Errorf("Read(%q) = %v, %v", in, got, err)
		}
	}
}

// What the separator rule means for a message that quotes a whole log entry.
func TestQuotedHeader(t *testing.T) {
	quote := sepLine + "\n From: Hanako (Sales/HANAKO-PC/192.168.0.11/hanako)\n  at Mon May 06 09:00:00 2024 \n" +
		dashLine + "\nquoted"
	e := Entry{In: true, Peer: taro, Time: at(2024, 5, 6, 9, 8, 7), Text: "look:\n" + quote}
	var b bytes.Buffer
	if err := Write(&b, e); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "escaped by Write", got, []Entry{e})

	// written by WIN, unescaped: it is two entries here (WIN's importer would guess from the older date)
	raw := strings.ReplaceAll(writeCases[0].want, "Hello", "look:\r\n"+strings.ReplaceAll(quote, "\n", "\r\n"))
	got, err = Read(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "look:" || got[1].Text != "quoted" || got[1].Nick != "Hanako" {
		t.Errorf("WIN's unescaped quote read as %+v", got)
	}
}

func TestParsePeer(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Peer
	}{
		{"Taro (Sales/TARO-PC/192.168.0.10/taro)", taro},
		{"Taro *(TARO-PC/fe80::1%eth0/taro)", Peer{Nick: "Taro", Absent: true, Host: "TARO-PC", Addr: "fe80::1%eth0", User: "taro"}},
		{"Taro (Sales/TARO-PC/192.168.0.10)", Peer{Nick: "Taro", Group: "Sales", Host: "TARO-PC", Addr: "192.168.0.10"}},
		{"Taro (TARO-PC/192.168.0.10/taro)", Peer{Nick: "Taro", Host: "TARO-PC", Addr: "192.168.0.10", User: "taro"}},
		{"Taro (Sales/TARO-PC/taro)", Peer{Nick: "Taro", Group: "Sales", Host: "TARO-PC", User: "taro"}},
		{"Taro (TARO-PC/taro)", Peer{Nick: "Taro", Host: "TARO-PC", User: "taro"}},
		{"Taro (SALES/TARO-PC)", Peer{Nick: "Taro", Group: "SALES", Host: "TARO-PC"}},
		{"Taro (R&D/Tokyo/TARO-PC/10.0.0.1/taro)", Peer{Nick: "Taro", Group: "R&D/Tokyo", Host: "TARO-PC", Addr: "10.0.0.1", User: "taro"}},
		{"Taro (away) (Dev (Tokyo)/PC/10.0.0.1/t)", Peer{Nick: "Taro (away)", Group: "Dev (Tokyo)", Host: "PC", Addr: "10.0.0.1", User: "t"}},
		{"a(b (c(d/PC)", Peer{Nick: "a(b", Group: "c(d", Host: "PC"}},
		{" (PC)", Peer{Host: "PC"}},
		{"(PC)", Peer{}},
	} {
		got, ok := parsePeer(c.in)
		if c.want == (Peer{}) {
			if ok {
				t.Errorf("parsePeer(%q) = %+v, want failure", c.in, got)
			}
			continue
		}
		if !ok || got != c.want {
			t.Errorf("parsePeer(%q) = %+v, %v, want %+v", c.in, got, ok, c.want)
		}
	}
}

func TestWriteBadYear(t *testing.T) {
	if err := Write(&bytes.Buffer{}, Entry{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("year 10000 written")
	}
}
