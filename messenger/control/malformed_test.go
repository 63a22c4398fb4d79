package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"
)

// rawCase is what a misbehaving client sends on one connection.
type rawCase struct {
	data       []byte
	closeWrite bool   // shut down our writing side after data
	hangUp     bool   // close at once, reading nothing
	huge       bool   // the server stops reading before the end of data
	want       string // in the error answer; any error will do when empty
}

// randomLine is 1 to 200 random bytes, none a '\n'.
func randomLine(rng *rand.Rand) []byte {
	b := make([]byte, 1+rng.IntN(200))
	for i := range b {
		for b[i] = byte(rng.UintN(256)); b[i] == '\n'; b[i] = byte(rng.UintN(256)) {
		}
	}
	return b
}

func malformedCase(t testing.TB, rng *rand.Rand, i int) rawCase {
	valid := `{"v":1,"op":"run","args":["send","--to","x","hi"],"cwd":` + absCwd(t) + `}`
	if i%250 == 0 {
		return rawCase{data: bytes.Repeat([]byte("x"), maxLine+16), huge: true, want: "longer than"}
	}
	switch i % 5 {
	case 0:
		return rawCase{data: append(randomLine(rng), '\n')}
	case 1:
		return rawCase{data: randomLine(rng), closeWrite: true, want: `not ended by "\n"`}
	case 2: // a strict prefix of a JSON object is never valid
		return rawCase{data: []byte(valid[:rng.IntN(len(valid))] + "\n"), want: "not valid JSON"}
	case 3:
		bad := badRequests(t)
		tc := bad[rng.IntN(len(bad))]
		return rawCase{data: []byte(tc.line + "\n"), want: tc.want}
	default:
		return rawCase{data: []byte(valid[:rng.IntN(len(valid))]), hangUp: true}
	}
}

// sendRaw sends c on a new connection to path and returns the answer lines.
func sendRaw(t *testing.T, path string, c rawCase) []response {
	t.Helper()
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute)) // against a hang only
	if _, err := conn.Write(c.data); err != nil && !c.huge {
		t.Fatalf("write: %v", err)
	}
	if c.hangUp {
		return nil
	}
	if c.closeWrite {
		conn.CloseWrite()
	}
	var got []response
	r := bufio.NewReader(conn)
	for {
		line, err := readLine(r)
		if err != nil {
			return got
		}
		var resp response
		if err := json.Unmarshal(line, &resp); err != nil {
			t.Fatalf("answer %q: %v", line, err)
		}
		got = append(got, resp)
	}
}

// 1,000 malformed requests each get an error answer, and change nothing: the handler is never
// called, a valid request afterwards works, and no goroutine is left (checked when serve stops).
func TestMalformedRequests(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	h := &testHandler{}
	s := serve(t, dir, h)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		c := malformedCase(t, rng, i)
		got := sendRaw(t, s.Path(), c)
		if c.hangUp || (c.huge && len(got) == 0) {
			continue
		}
		if len(got) != 1 || got[0].Error == "" || got[0].OK || got[0].Exit != nil || !strings.Contains(got[0].Error, c.want) {
			t.Fatalf("case %d %.60q: answer %+v, want one error with %q", i, c.data, got, c.want)
		}
	}
	if n, m := h.runs.Load(), h.activates.Load(); n != 0 || m != 0 {
		t.Fatalf("malformed requests reached the handler: %d runs, %d activates", n, m)
	}
	cl, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	code, err := cl.Run(t.Context(), []string{"send", "hi"}, "", &out, io.Discard)
	if err != nil || code != 0 || out.String() != "send hi\n" || h.runs.Load() != 1 {
		t.Fatalf("valid run after: %d, %v, %q, %d runs", code, err, out.String(), h.runs.Load())
	}
}

// A connection that sends no complete request in time gets an error naming that, and is closed.
func TestSilentConnectionTimesOut(t *testing.T) {
	noLeaks(t)
	dir := shortDir(t)
	h := &testHandler{}
	s, err := Listen(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	s.timeout = 200 * time.Millisecond
	startServe(t, s)
	for _, data := range []string{"", `{"v":1,"op":"ping"`} {
		got := sendRaw(t, s.Path(), rawCase{data: []byte(data)})
		if len(got) != 1 || !strings.Contains(got[0].Error, "no request within 200ms") {
			t.Errorf("sent %q: answer %+v", data, got)
		}
	}
	if h.runs.Load() != 0 || h.activates.Load() != 0 {
		t.Error("the handler was called")
	}
}
