package messenger

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"hato/internal/netlab"
	"hato/protocol"
	"hato/protocol/wire"
	"hato/transfer"
)

// One Hato per profile: a second one for the same folder is refused, another folder is fine.
func TestOneHatoPerProfile(t *testing.T) {
	port := netlab.FreePort(t)
	profile := t.TempDir()
	start(t, profile, "127.0.0.2", port, "first")
	_, err := New(Config{Profile: profile, Keys: testKeys(), Tune: fast, Settings: Settings{Port: port, Bind: "127.0.0.3"}})
	if !errors.Is(err, ErrRunning) {
		t.Fatalf("a second Hato on the profile: %v", err)
	}
	start(t, t.TempDir(), "127.0.0.3", port, "second")
}

// A settings change restarts the node in the middle of a big download: the download completes whole,
// its progress events keep coming after the restart, and a new download folder applies to the next
// fetch only.
func TestRestartDuringDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 1 GiB")
	}
	size := int64(1 << 30) // big enough to outlast a restart even under the race detector
	port := netlab.FreePort(t)
	tx := start(t, t.TempDir(), "127.0.0.2", port, "tx", "127.0.0.3")
	rx := start(t, t.TempDir(), "127.0.0.3", port, "rx", "127.0.0.2")
	rx.wait(t, "tx in rx's list", func(ev Event) bool { return ev.Kind == protocol.EventHostJoined })
	src := filepath.Join(t.TempDir(), "big.bin")
	want := writeRandom(t, src, size)
	sources, err := transfer.Sources([]string{src})
	if err != nil {
		t.Fatal(err)
	}
	to := tx.wait(t, "rx in tx's list", func(ev Event) bool { return ev.Kind == protocol.EventHostJoined }).Host
	go tx.Send(context.Background(), Outgoing{To: []protocol.Host{to}, Text: "big", Sources: sources})
	msg := rx.wait(t, "the offer", func(ev Event) bool { return ev.Kind == protocol.EventMessage })
	if len(msg.Files) != 1 || msg.Files[0].Name != "big.bin" {
		t.Fatalf("offer parsed as %+v (%v)", msg.Files, msg.FilesErr)
	}

	dl, later := t.TempDir(), t.TempDir()
	type result struct {
		paths []string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		paths, err := rx.Fetch(context.Background(), msg.Message, msg.Files[0], dl)
		done <- result{paths, err}
	}()
	rx.wait(t, "the first progress", func(ev Event) bool {
		return ev.Kind == EventTransfer && ev.Transfer.Kind == transfer.EventProgress
	})
	set := rx.Settings()
	set.Codepage, set.DownloadDir = "gbk", later // the codepage needs a new node
	if err := rx.Apply(set); err != nil {
		t.Fatal(err)
	}
	restarted, progress := false, 0
	var saved Event
	for saved.Transfer == nil {
		ev := rx.wait(t, "the download's events", func(ev Event) bool { return ev.Kind == EventTransfer || ev.Kind == EventRestarted })
		switch {
		case ev.Kind == EventRestarted:
			restarted = true
		case ev.Transfer.Kind == transfer.EventProgress && restarted:
			progress++
		case ev.Transfer.Kind == transfer.EventSaved:
			saved = ev
		case ev.Transfer.Kind == transfer.EventFetchFailed:
			t.Fatalf("the download failed (restarted: %v): %v", restarted, ev.Transfer.Err)
		}
	}
	if !restarted {
		t.Fatalf("the download ended before the restart was reported: nothing was shown")
	}
	r := <-done
	if r.err != nil || len(r.paths) != 1 || filepath.Dir(r.paths[0]) != dl {
		t.Fatalf("fetch: %v %v", r.paths, r.err)
	}
	if got := fileSum(t, r.paths[0]); got != want {
		t.Errorf("sha256 %x, want %x", got, want)
	}
	if progress == 0 {
		t.Errorf("no progress event after the restart (saved: %+v)", saved.Transfer)
	}
	if rx.Me().Codepage != wire.GBK || rx.Settings().DownloadDir != later {
		t.Errorf("settings not in force: codepage %v, downloads %q", rx.Me().Codepage, rx.Settings().DownloadDir)
	}
	if s, err := LoadSettings(rx.Profile()); err != nil || s.Codepage != "gbk" {
		t.Errorf("not kept in the profile: %+v %v", s, err)
	}
}

// Packet numbers go on across processes of one profile: the second Hato, started the moment the first
// stopped, never repeats a number the first put on the wire, however many it used in that second.
func TestPacketNumbersContinueAcrossRestarts(t *testing.T) {
	port := netlab.FreePort(t)
	peer, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.9:"+strconv.Itoa(port))))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	profile := t.TempDir()
	var runs [2][]uint32
	for i := range runs {
		h := start(t, profile, "127.0.0.2", port, "tx", "127.0.0.9")
		target := protocol.Host{Addr: netip.MustParseAddrPort("127.0.0.9:" + strconv.Itoa(port))}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		for range 5 {
			h.Send(ctx, Outgoing{To: []protocol.Host{target}, Text: "x"}) // nobody answers: resent, then given up
		}
		cancel()
		h.stop()
		peer.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		buf := make([]byte, 65535)
		for {
			n, err := peer.Read(buf)
			if err != nil {
				break
			}
			if p, err := wire.Parse(buf[:n]); err == nil {
				runs[i] = append(runs[i], p.No)
			}
		}
	}
	if len(runs[0]) == 0 || len(runs[1]) == 0 {
		t.Fatalf("packets seen: %d and %d", len(runs[0]), len(runs[1]))
	}
	last := runs[0][0]
	for _, no := range runs[0] {
		last = max(last, no)
	}
	for _, no := range runs[1] {
		if no <= last {
			t.Fatalf("the second run used %d, not above the first run's %d (first %v, second %v)", no, last, runs[0], runs[1])
		}
	}
	if saved, err := loadLastPacket(profile); err != nil || saved < last {
		t.Errorf("the profile keeps %d (%v), below %d", saved, err, last)
	}
}

// Events reach every subscriber in order and none is dropped, however slow the reader; a cancelled
// subscription still delivers what was queued, then closes.
func TestBrokerKeepsEveryEvent(t *testing.T) {
	b := newBroker()
	slow, cancelSlow := b.subscribe()
	fast, cancelFast := b.subscribe()
	const n = 5000
	go func() {
		for i := range n {
			b.publish(Event{Event: protocol.Event{Packet: uint32(i)}})
		}
		cancelSlow()
		b.close()
	}()
	got := 0
	for ev := range fast {
		if ev.Packet != uint32(got) {
			t.Fatalf("fast reader: event %d arrived as %d", got, ev.Packet)
		}
		got++
	}
	cancelFast()
	if got != n {
		t.Errorf("fast reader got %d of %d", got, n)
	}
	got = 0
	for ev := range slow {
		if got%1000 == 0 {
			runtime.Gosched()
		}
		if ev.Packet != uint32(got) {
			t.Fatalf("slow reader: event %d arrived as %d", got, ev.Packet)
		}
		got++
	}
	if got != n {
		t.Errorf("slow reader got %d of %d", got, n)
	}
}

func writeRandom(t *testing.T, path string, n int64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return [32]byte(h.Sum(nil))
}

// A reader that takes what is there without waiting (the app's window pump) finds a burst's events
// together, not one at a time: 1,000 peers answering at once must not cost 1,000 redraws.
func TestBrokerHandsOverBursts(t *testing.T) {
	b := newBroker()
	events, cancel := b.subscribe()
	defer cancel()
	for i := range 1000 {
		b.publish(Event{Event: protocol.Event{Packet: uint32(i)}})
	}
	got, batches := 0, 0
	for got < 1000 {
		<-events
		got++
		batches++
	drain:
		for {
			select {
			case <-events:
				got++
			default:
				break drain
			}
		}
	}
	// The queue hands over as fast as the reader takes: a handful of batches on a quiet machine, a few
	// dozen under the race detector on a busy one; one per event would be 1,000.
	if batches > 100 {
		t.Errorf("1,000 queued events came in %d batches", batches)
	}
}
