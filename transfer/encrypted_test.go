package transfer

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hato/protocol"
	"hato/protocol/crypt"
	"hato/protocol/wire"
)

// Encrypted file transfer (draft-14 §8) between real nodes with keys: sealed requests, AES-256-CTR data.

// testKeys are RSA key sets made once per test binary (generating them takes a second each).
var testKeys struct {
	once sync.Once
	keys [3]*protocol.Keys
	err  error
}

func keysFor(t testing.TB, i int) *protocol.Keys {
	t.Helper()
	testKeys.once.Do(func() {
		var wg sync.WaitGroup
		errs := make([]error, len(testKeys.keys))
		for i := range testKeys.keys {
			wg.Go(func() { testKeys.keys[i], errs[i] = protocol.GenerateKeys(nil) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				testKeys.err = err
			}
		}
	})
	if testKeys.err != nil {
		t.Fatal(testKeys.err)
	}
	return testKeys.keys[i]
}

func withKeys(k *protocol.Keys, more ...func(*protocol.Config)) func(*protocol.Config, *ServerConfig) {
	return func(c *protocol.Config, _ *ServerConfig) {
		c.Keys = k
		for _, m := range more {
			m(c)
		}
	}
}

// keyedPair starts a (sender) and b (receiver) on 127.0.0.2 and .3, both with keys; more applies to b.
func keyedPair(t testing.TB, more ...func(*protocol.Config)) (a, b *peer) {
	t.Helper()
	port := testPort(t)
	pa, pb := "127.0.0.2:"+itoa(port), "127.0.0.3:"+itoa(port)
	a = startPeer(t, "127.0.0.2", port, withKeys(keysFor(t, 0)), pb)
	b = startPeer(t, "127.0.0.3", port, withKeys(keysFor(t, 1), more...), pa)
	if h := a.waitHost(t, pb); !h.Caps.Has(wire.CapFileEncOpt) {
		t.Fatalf("b's entry does not advertise CAPFILEENCOPT: %v", h.Caps)
	}
	if h := b.waitHost(t, pa); !h.Caps.Has(wire.CapFileEncOpt) {
		t.Fatalf("a's entry does not advertise CAPFILEENCOPT: %v", h.Caps)
	}
	return a, b
}

// encryptedTree writes a folder with nested, empty and CJK-named folders and files, each holding marker.
func encryptedTree(t *testing.T, root, marker string) {
	t.Helper()
	big := make([]byte, 3<<20)
	rand.Read(big)
	copy(big[1<<20:], marker)
	for name, data := range map[string][]byte{
		"資料/報告書.txt":            []byte("本文 " + marker),
		"資料/sub/深い/データ.bin":     big,
		"資料/sub/small.txt":      []byte(marker),
		"資料/空のファイル":             nil,
		"資料/" + marker + ".txt": []byte("named after the marker"),
	} {
		writeFile(t, filepath.Join(root, name), data)
	}
	if err := os.MkdirAll(filepath.Join(root, "資料", "空のフォルダ"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// A file and a folder tree between two Hato nodes with keys go encrypted (the events say so) and arrive
// byte for byte, CJK names, nested and empty folders included.
func TestEncryptedTransfer(t *testing.T) {
	a, b := keyedPair(t)
	src := t.TempDir()
	marker := "MARKER-" + fmt.Sprint(time.Now().UnixNano())
	encryptedTree(t, src, marker)
	single := filepath.Join(src, "一つ.bin")
	data := make([]byte, 5<<20+7)
	rand.Read(data)
	writeFile(t, single, data)

	_, got := offerAndFetch(t, a, b, filepath.Join(src, "資料"), single)
	want := treeSums(t, filepath.Join(src, "資料"))
	if sums := treeSums(t, filepath.Join(b.fetcher.Dir, "資料")); fmt.Sprint(sums) != fmt.Sprint(want) {
		t.Errorf("the folder arrived as\n%v\nwant\n%v", sums, want)
	}
	if len(got[1]) != 1 || fileSum(t, got[1][0]) != fileSum(t, single) {
		t.Errorf("the file arrived as %v", got[1])
	}
	saved := b.transferEvents(EventSaved)
	if len(saved) == 0 {
		t.Fatal("no saved events")
	}
	for _, ev := range saved {
		if !ev.Encrypted {
			t.Errorf("%s saved without Encrypted", ev.Path)
		}
	}
	a.waitTransfer(t, EventServed, func(ev Event) bool { return ev.File.Name == "一つ.bin" })
	for _, ev := range a.transferEvents(EventServed) {
		if !ev.Encrypted {
			t.Errorf("%s served without Encrypted", ev.File.Name)
		}
	}
}

// A peer without keys still gets and serves plain transfers; a receiver that must never receive in the
// clear refuses to fetch from it, and a server that must never send in the clear refuses its request.
func TestEncryptionPolicy(t *testing.T) {
	port := testPort(t)
	keyed := startPeer(t, "127.0.0.2", port, withKeys(keysFor(t, 0)), "127.0.0.3:"+itoa(port), "127.0.0.4:"+itoa(port))
	plain := startPeer(t, "127.0.0.3", port, nil, "127.0.0.2:"+itoa(port))
	strict := startPeer(t, "127.0.0.4", port, withKeys(keysFor(t, 1), func(c *protocol.Config) { c.RequireEncryption = true }),
		"127.0.0.2:"+itoa(port))
	keyed.waitHost(t, "127.0.0.3:"+itoa(port))
	keyed.waitHost(t, "127.0.0.4:"+itoa(port))
	strict.waitHost(t, "127.0.0.2:"+itoa(port))

	src := filepath.Join(t.TempDir(), "f.txt")
	writeFile(t, src, []byte("plain enough"))
	m, file := offerOne(t, keyed, plain, src)
	paths, err := plain.fetcher.Fetch(context.Background(), m, file)
	if err != nil || len(paths) != 1 {
		t.Fatalf("plain peer's fetch: %v", err)
	}
	if ev := plain.waitTransfer(t, EventSaved, nil); ev.Encrypted {
		t.Error("a plain transfer reported as encrypted")
	}

	// The strict peer fetches from a peer without keys: refused before anything is asked for.
	no := plain.node.NextPacketNo()
	strictHost := protocol.Host{Addr: strict.node.Addr()}
	srcs := sourceFiles(t, []byte("x"))
	plain.srv.Offer(no, []protocol.Host{strictHost}, srcs)
	fm := &protocol.Message{Packet: no, From: protocol.Host{Addr: plain.node.Addr(), User: "u127.0.0.3", Host: "h127.0.0.3"}}
	_, err = strict.fetcher.Fetch(context.Background(), fm, srcs[0].File)
	if err == nil || !strings.Contains(err.Error(), "not fetched in the clear (encryption is required)") {
		t.Errorf("strict fetch from a peer without keys: %v, want refused", err)
	}
	if n := len(plain.transferEvents(EventServed)) + len(plain.transferEvents(EventRefused)); n != 0 {
		t.Errorf("the plain peer got %d requests, want none", n)
	}

	// The strict peer serves: a plain request is refused, naming the policy.
	sno := offerTo(t, strict, keyed, sourceFiles(t, []byte("secret")))
	user, host := keyed.names()
	expectRefused(t, strict, "127.0.0.2", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:0:0:", sno)),
		"files are served only encrypted")
}

// sealedRequest makes a sealed request from p to the host at to for file id of offer packet, with the
// data encrypted, and returns it with its data key and packet number.
func sealedRequest(t *testing.T, p *peer, to protocol.Host, cmd wire.Command, packet uint32, id uint64) ([]byte, []byte, uint32) {
	t.Helper()
	pkt, key, no, err := p.node.SealedFileRequest(context.Background(), to, cmd, false, func(no uint32, key []byte) []byte {
		return AppendSealedArgs(nil, cmd == wire.GetDirFiles, SealedArgs{RequestArgs: RequestArgs{Packet: packet,
			FileID: fmt.Sprintf("%x", id)}, Caps: crypt.FileCaps, Key: key, ReqNo: no})
	})
	if err != nil {
		t.Fatalf("sealed request: %v", err)
	}
	return pkt, key, no
}

// decryptAll decrypts what a server sent for the request numbered no with key.
func decryptAll(t *testing.T, key []byte, no uint32, got []byte) []byte {
	t.Helper()
	s, err := crypt.FileStream(key, no, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(got))
	cipher.Stream(s).XORKeyStream(out, got)
	return out
}

// A verified signature proves who asks: served from an address the recipient never used; the same
// request again is a replay; a plain request from that address, a request signed by another key under
// the recipient's names, and one a non-recipient seals for itself are refused, sending nothing.
func TestEncryptedRequestChecks(t *testing.T) {
	port := testPort(t)
	pa, pb := "127.0.0.2:"+itoa(port), "127.0.0.3:"+itoa(port)
	a := startPeer(t, "127.0.0.2", port, withKeys(keysFor(t, 0)), pb, "127.0.0.5:"+itoa(port))
	b := startPeer(t, "127.0.0.3", port, withKeys(keysFor(t, 1)), pa)
	mallory := startPeer(t, "127.0.0.5", port, withKeys(keysFor(t, 2)), pa)
	hostA := b.waitHost(t, pa)
	mallory.waitHost(t, pa)
	a.waitHost(t, "127.0.0.5:"+itoa(port))
	content := []byte("only for b: " + strings.Repeat("秘密", 1000))
	no := offerTo(t, a, b, sourceFiles(t, content, content, content))
	user, host := b.names()

	req, key, reqNo := sealedRequest(t, b, hostA, wire.GetFileData, no, 0)
	got, err := rawFetch(t, "127.0.0.4", a.node.Addr(), req) // b's laptop moved to .4
	if err != nil || !bytes.Equal(decryptAll(t, key, reqNo, got), content) {
		t.Fatalf("signed request from a new address: %d bytes, %v; want the file", len(got), err)
	}
	if bytes.Contains(got, []byte("only for b")) {
		t.Error("the file crossed the network in the clear")
	}
	expectRefused(t, a, "127.0.0.3", req, "a replay")
	expectRefused(t, a, "127.0.0.4", rawRequest(user, host, wire.GetFileData, fmt.Sprintf("%x:1:0:", no)),
		"not from its address")

	// Mallory seals with her own key but writes b's names in the header.
	forged, _, _ := sealedRequest(t, mallory, mallory.waitHost(t, pa), wire.GetFileData, no, 1)
	p, err := wire.Parse(forged)
	if err != nil {
		t.Fatal(err)
	}
	p.User, p.Host = user, host
	expectRefused(t, a, "127.0.0.5", p.Bytes(), "the signature does not match the key of")
	// Under her own names she is no recipient.
	expectRefused(t, a, "127.0.0.5", forged, "is not a recipient")
	// From the recipient's own address, a request whose signature does not verify (another program on
	// b's machine, with keys of its own) is held to the address like a plain one: served, encrypted.
	for range 10 { // nodes started in one second count alike: keep clear of the numbers b used
		mallory.node.NextPacketNo()
	}
	other, otherKey, otherNo := sealedRequest(t, mallory, mallory.waitHost(t, pa), wire.GetFileData, no, 2)
	q, _ := wire.Parse(other)
	q.User, q.Host = user, host
	got, err = rawFetch(t, "127.0.0.3", a.node.Addr(), q.Bytes())
	if err != nil || !bytes.Equal(decryptAll(t, otherKey, otherNo, got), content) {
		t.Fatalf("unverified sealed request from the recipient's address: %d bytes, %v; want the file, encrypted (refused: %v)",
			len(got), err, a.transferEvents(EventRefused))
	}
	// A request whose wrapped key was damaged does not even open.
	dp, _ := wire.Parse(req)
	dm, err := crypt.ParseMessage(dp.Msg)
	if err != nil {
		t.Fatal(err)
	}
	dm.Key[10] ^= 0xff
	dp.Msg = crypt.AppendMessage(nil, dm)
	expectRefused(t, a, "127.0.0.3", dp.Bytes(), "encrypted request: decrypt")

	// The file was used up by none of them: b fetches it from its own address.
	req, key, reqNo = sealedRequest(t, b, hostA, wire.GetFileData, no, 1)
	got, err = rawFetch(t, "127.0.0.3", a.node.Addr(), req)
	if err != nil || !bytes.Equal(decryptAll(t, key, reqNo, got), content) {
		t.Fatalf("b's own fetch after the refusals: %d bytes, %v", len(got), err)
	}
}

// An interrupted encrypted download resumes from its .part between Hato peers: the keystream follows
// the offset, and the result is byte for byte.
func TestEncryptedResume(t *testing.T) {
	a, b := keyedPair(t)
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 48<<20+5)
	rand.Read(data)
	writeFile(t, src, data)
	m, file := offerOne(t, a, b, src)
	if err := fetchUntil(t, b, m, file, 20<<20); err == nil {
		t.Fatal("the interrupted fetch completed")
	}
	paths, err := b.fetcher.Fetch(context.Background(), m, file)
	if err != nil {
		t.Fatalf("resumed fetch: %v", err)
	}
	ev := b.waitTransfer(t, EventSaved, nil)
	if ev.Offset == 0 || !ev.Encrypted {
		t.Errorf("saved event %+v: want a resume (offset > 0), encrypted", ev)
	}
	if fileSum(t, paths[0]) != fileSum(t, src) {
		t.Error("the resumed file differs from the source")
	}
}

// A sparse file larger than 4 GiB goes encrypted and stays byte for byte (and sparse: the zeros come out
// of the decryption as zeros).
func TestEncryptedHugeSparse(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("moves 4 GiB")
	}
	a, b := keyedPair(t)
	src := filepath.Join(t.TempDir(), "sparse.img")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(4<<30 + 4099)
	f.WriteAt([]byte("start"), 0)
	f.WriteAt([]byte("the end"), size-7)
	f.Close()
	m, file := offerOne(t, a, b, src)
	paths, err := b.fetcher.Fetch(context.Background(), m, file)
	if err != nil {
		t.Fatal(err)
	}
	if ev := b.waitTransfer(t, EventSaved, nil); !ev.Encrypted {
		t.Error("not encrypted")
	}
	if !sameFile(t, paths[0], src) {
		t.Error("the 4 GiB file differs")
	}
}

// sameFile compares two files byte for byte (cheaper than hashing 4 GiB twice).
func sameFile(t *testing.T, x, y string) bool {
	t.Helper()
	fx, err := os.Open(x)
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	fy, err := os.Open(y)
	if err != nil {
		t.Fatal(err)
	}
	defer fy.Close()
	bx, by := make([]byte, 4<<20), make([]byte, 4<<20)
	for {
		nx, errx := io.ReadFull(fx, bx)
		ny, _ := io.ReadFull(fy, by)
		if nx != ny || !bytes.Equal(bx[:nx], by[:ny]) {
			return false
		}
		if errx != nil {
			return true
		}
	}
}

// Pictures inside messages go the same way: fetched into memory encrypted, byte for byte.
func TestEncryptedInlineImage(t *testing.T) {
	port := testPort(t)
	a := startPeer(t, "127.0.0.2", port, withKeys(keysFor(t, 0)), "127.0.0.3:"+itoa(port))
	b := startPeer(t, "127.0.0.3", port, withKeys(keysFor(t, 1), func(c *protocol.Config) { c.InlineImages = true }),
		"127.0.0.2:"+itoa(port))
	hb := a.waitHost(t, "127.0.0.3:"+itoa(port))
	b.waitHost(t, "127.0.0.2:"+itoa(port))
	pic := testPNG(t, 32, 32, color.RGBA{200, 10, 30, 255})
	if _, res, err := SendMessage(context.Background(), a.node, a.srv, []protocol.Host{hb}, "絵 ", nil,
		[]InlineImage{{At: len("絵 "), PNG: pic}}, protocol.SendOptions{}); err != nil || res[0].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}
	m := b.message(t)
	files, err := ParseFileList(m.Files)
	if err != nil || len(files) != 1 {
		t.Fatalf("list %q: %v", m.Files, err)
	}
	got, err := b.fetcher.FetchImage(context.Background(), m, files[0])
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("fetched %d bytes, %v", len(got), err)
	}
	if ev := a.waitTransfer(t, EventServed, nil); !ev.Encrypted {
		t.Error("the picture was served in the clear")
	}
}

// Sealed requests cost an RSA decryption each: one address gets the same budget as for encrypted
// messages (a burst, then a steady rate), and what goes beyond is refused without decrypting.
func TestSealedRequestsBudget(t *testing.T) {
	a, b := keyedPair(t)
	no := offerTo(t, a, b, sourceFiles(t, []byte("x")))
	req, _, _ := sealedRequest(t, b, b.waitHost(t, a.node.Addr().String()), wire.GetFileData, no, 0)
	p, _ := wire.Parse(req)
	m, err := crypt.ParseMessage(p.Msg)
	if err != nil {
		t.Fatal(err)
	}
	m.Key[10] ^= 0xff // decrypts to nothing: the RSA work is done, then it fails
	p.Msg = crypt.AppendMessage(nil, m)
	bogus := p.Bytes()
	const sent = 200
	start := time.Now()
	for range sent {
		rawFetch(t, "127.0.0.4", a.node.Addr(), bogus)
	}
	// protocol's budget for decryptions per source: a burst of 64, then 32 a second.
	allowed := 64 + 32*time.Since(start).Seconds() + 5
	if allowed >= sent {
		t.Skipf("sending took %v: the budget allows all %d", time.Since(start), sent)
	}
	a.waitTransfer(t, EventRefused, func(ev Event) bool {
		return ev.Err != nil && strings.Contains(ev.Err.Error(), "too many from this address")
	})
	decrypted := 0
	for _, ev := range a.transferEvents(EventRefused) {
		if strings.Contains(ev.Err.Error(), "encrypted request: decrypt") {
			decrypted++
		}
	}
	if float64(decrypted) > allowed {
		t.Errorf("%d of %d bogus sealed requests from one address were decrypted, budget %.0f", decrypted, sent, allowed)
	}
}
