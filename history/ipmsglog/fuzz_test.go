package ipmsglog

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Read never panics, and what it parsed is written and read back unchanged.
func FuzzRead(f *testing.F) {
	for _, c := range writeCases {
		f.Add([]byte(c.want))
	}
	f.Add([]byte("garbage\n" + writeCases[0].want + sepLine + "\n From: x (y)\n  at Mon Maz 06 09:08:07 2024\n"))
	f.Add([]byte(sepLine + "\n To: a (b/c)\n  at 2017年10月5日 木曜日 12:34:56(封)\n  (x) a, b\n" + dashLine + "\nt"))
	for _, peer := range []string{"n (/h/U1)", "n (g/h/)", "n *(a(b/1.2.3.4)", "n ((/1.2.3.4/x)", " *(::1/h/1.2.3.4/)"} {
		f.Add([]byte(sepLine + "\r\n To: " + peer + "\r\n To: " + peer + "\r\n  at Mon May 06 09:08:07 2024 (multi)\r\n" +
			dashLine + "\r\n" + sepLine + " \r\n From: \r\n\r\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Read(bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("Read: %v", err)
		}
		var b bytes.Buffer
		for _, e := range got {
			if err := Write(&b, e); err != nil {
				t.Fatalf("Write(%+v): %v", e, err)
			}
		}
		again, err := Read(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("reading what Write wrote: %v\n%q", err, b.String())
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("written and read back differs:\n got %+v\nwant %+v\nwritten %q", again, got, b.String())
		}
	})
}
