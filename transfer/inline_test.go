package transfer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"strconv"
	"strings"
	"testing"

	"hato/protocol"
	"hato/protocol/wire"
)

// testPNG is a w×h PNG of one colour.
func testPNG(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Positions count as WIN's RichEdit does: UTF-16 units of the text before the image (a character outside
// the BMP counts two), each earlier image one. Names and attributes are byte-exact (INTEROP.md §3.7).
func TestImageSourcesWireForm(t *testing.T) {
	red, blue := testPNG(t, 2, 2, color.RGBA{255, 0, 0, 255}), testPNG(t, 3, 1, color.RGBA{0, 0, 255, 255})
	text := "見て😀ください" // 見 て 😀 く だ さ い: 😀 is two UTF-16 units
	images := []InlineImage{
		{At: len("見て😀"), PNG: blue}, // given out of order: sorted by place
		{At: len("見"), PNG: red},
	}
	src, err := ImageSources(text, images, 1700000000, 2, 0x6b0c230a)
	if err != nil {
		t.Fatal(err)
	}
	// red: 1 unit of text before it. blue: 見て😀 = 4 units, plus the earlier image = 5.
	want := "2:ipmsgclip_s_1700000000_1.png:" + hexLen(red) + ":6b0c230a:20:8=1:\a" +
		"3:ipmsgclip_s_1700000000_5.png:" + hexLen(blue) + ":6b0c230a:20:8=5:\a"
	if got := FileList(src); got != want {
		t.Errorf("list\n%q\nwant\n%q", got, want)
	}
	if !bytes.Equal(src[0].Data, red) || !bytes.Equal(src[1].Data, blue) {
		t.Error("image bytes not kept in text order")
	}
	// And back: the receiver finds each image's byte offset in the text.
	files, err := ParseFileList(FileList(src))
	if err != nil {
		t.Fatal(err)
	}
	placed := PlaceImages(text, files)
	if len(placed) != 2 || placed[0].At != len("見") || placed[1].At != len("見て😀") {
		t.Errorf("placed %+v", placed)
	}
	if got := PlainForm(src[1].File, 2); FileList([]Source{{File: got}}) != "3:image-2.png:"+hexLen(blue)+":6b0c230a:1:\a" {
		t.Errorf("plain form %+v", got)
	}
}

func hexLen(b []byte) string { return strconv.FormatInt(int64(len(b)), 16) }

// Hostile or careless positions: past the end, clashing, inside a surrogate pair; more than ten images;
// other types and names. Nothing panics, every offset is a rune boundary inside the text.
func TestPlaceImagesHostile(t *testing.T) {
	text := "a😀b"
	clip := func(id uint64, pos string, name string) File {
		return File{ID: id, Name: name, Size: 10, Attr: TypeClipboard, Ext: []Ext{{Code: ExtClipboardPos, Value: pos}}}
	}
	files := []File{
		clip(0, "ffffffff", "ipmsgclip_s_1_0.png"), // far past the end: at the end
		clip(1, "2", "x.png"),                      // inside 😀 (units 1-2): after it
		clip(2, "2", "y.png"),                      // clash: kept in list order
		clip(3, "1", "not-an-image.bmp"),           // not a PNG name: an ordinary attachment
		{ID: 4, Name: "z.png", Size: 3, Attr: TypeRegular},
	}
	placed := PlaceImages(text, files)
	var got []string
	for _, p := range placed {
		got = append(got, p.File.Name+"@"+strconv.Itoa(p.At))
	}
	if strings.Join(got, " ") != "x.png@5 y.png@5 ipmsgclip_s_1_0.png@6" {
		t.Errorf("placed %v", got)
	}
	var many []File
	for i := range 100 {
		many = append(many, clip(uint64(i), "0", "m.png"))
	}
	if n := len(PlaceImages(text, many)); n != MaxInlineImages {
		t.Errorf("%d of 100 images placed, want %d", n, MaxInlineImages)
	}
}

// Only sane PNGs pass: the signature, the size, and a canvas that is not absurdly large.
func TestCheckPNG(t *testing.T) {
	good := testPNG(t, 4, 3, color.White)
	if cfg, err := CheckPNG(good); err != nil || cfg.Width != 4 || cfg.Height != 3 {
		t.Fatalf("a good PNG: %v %+v", err, cfg)
	}
	huge := pngWithSize(100000, 100000)
	big := append(append([]byte(nil), good...), make([]byte, MaxInlineImageSize)...)
	for name, b := range map[string][]byte{
		"JPEG under a .png name": {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'},
		"empty":                  nil,
		"truncated":              good[:20],
		"100000x100000 canvas":   huge,
		"over 10 MB":             big,
	} {
		if _, err := CheckPNG(b); !errors.Is(err, ErrNotPNG) {
			t.Errorf("%s: %v, want ErrNotPNG", name, err)
		}
		if _, err := DecodePNG(b); !errors.Is(err, ErrNotPNG) {
			t.Errorf("%s decoded: %v", name, err)
		}
	}
	if _, err := ImageSources("x", []InlineImage{{At: 0, PNG: huge}}, 1, 0, 0); !errors.Is(err, ErrNotPNG) {
		t.Errorf("offering a huge canvas: %v", err)
	}
	many := make([]InlineImage, MaxInlineImages+1)
	for i := range many {
		many[i] = InlineImage{PNG: good}
	}
	if _, err := ImageSources("x", many, 1, 0, 0); err == nil {
		t.Error("eleven images were offered")
	}
}

// pngWithSize is a PNG signature and an IHDR chunk claiming w×h, with a correct CRC and no data.
func pngWithSize(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	var b bytes.Buffer
	b.Write(pngSignature)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// Over real sockets: a peer that shows inline images gets WIN's clipboard entries and fetches them from
// memory, byte for byte; a peer that does not gets the same pictures as ordinary PNG files.
func TestSendMessageWithImages(t *testing.T) {
	port := testPort(t)
	a := startPeer(t, "127.0.0.2", port, nil, "127.0.0.3", "127.0.0.4")
	inline := startPeer(t, "127.0.0.3", port, func(c *protocol.Config, _ *ServerConfig) { c.InlineImages = true }, "127.0.0.2")
	plain := startPeer(t, "127.0.0.4", port, nil, "127.0.0.2")
	hi := a.waitHost(t, "127.0.0.3:"+itoa(port))
	hp := a.waitHost(t, "127.0.0.4:"+itoa(port))
	if !hi.Caps.Has(wire.ClipboardOpt) || hp.Caps.Has(wire.ClipboardOpt) {
		t.Fatalf("CLIPBOARDOPT: inline peer %v, plain peer %v", hi.Caps, hp.Caps)
	}
	pic := testPNG(t, 64, 64, color.RGBA{10, 200, 30, 255})
	text := "スクリーンショット:  です"
	_, res, err := SendMessage(context.Background(), a.node, a.srv, []protocol.Host{hi, hp}, text, nil,
		[]InlineImage{{At: len("スクリーンショット: "), PNG: pic}}, protocol.SendOptions{})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("send: %v %+v", err, res)
	}

	m := inline.message(t)
	files, err := ParseFileList(m.Files)
	if err != nil || len(files) != 1 || files[0].Type() != TypeClipboard {
		t.Fatalf("inline peer's list %q: %v", m.Files, err)
	}
	placed := PlaceImages(m.Text, files)
	if len(placed) != 1 || m.Text[:placed[0].At] != "スクリーンショット: " {
		t.Fatalf("placed %+v in %q", placed, m.Text)
	}
	got, err := inline.fetcher.FetchImage(context.Background(), m, placed[0].File)
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("fetched %d bytes, %v", len(got), err)
	}

	m = plain.message(t)
	files, _ = ParseFileList(m.Files)
	if len(files) != 1 || files[0].Type() != TypeRegular || files[0].Name != "image-1.png" {
		t.Fatalf("plain peer's list %q", m.Files)
	}
	paths, err := plain.fetcher.Fetch(context.Background(), m, files[0])
	if err != nil || !bytes.Equal(readFile(t, paths[0]), pic) {
		t.Fatalf("plain fetch %v %v", paths, err)
	}
	// Served from memory: a folder request for it is refused.
	if _, err := inline.fetcher.Fetch(context.Background(), m, File{ID: files[0].ID, Name: "x", Attr: TypeDir}); err == nil {
		t.Error("a folder request for an inline image was served")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
