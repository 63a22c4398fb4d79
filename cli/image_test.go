package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePNG(t *testing.T, path string, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hato send --image puts PNGs inside the message: serve lists them with their places in the text,
// fetches them at once and saves them byte for byte.
func TestSendImagesToServe(t *testing.T) {
	port := freePort(t)
	dl := t.TempDir()
	srv := startServe(t, "--bind", "127.0.0.2", "--port", port, "--user", "rx", "--download", dl)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "shot1.png"), filepath.Join(dir, "shot2.png")
	b1, b2 := writePNG(t, first, 40, 30), writePNG(t, second, 8, 8)
	text := "見てください: 以上"
	code, out, errOut := run(t, send, "--bind", "127.0.0.3", "--port", port, "--user", "tx", "--broadcast-addr", "127.0.0.2",
		"--to", "127.0.0.2", "--timeout", "90s", "--image", "8:"+first, "--image", second, text)
	if code != 0 {
		t.Fatalf("send exit %d: %s %s", code, out, errOut)
	}
	m := srv.wait(t, func(m map[string]any) bool { return m["event"] == "message" })
	imgs, _ := m["images"].([]any)
	if m["text"] != text || len(imgs) != 2 || imgs[0].(map[string]any)["at"] != 8.0 || imgs[1].(map[string]any)["at"] != 10.0 {
		t.Fatalf("message event %v", m)
	}
	for i, want := range [][]byte{b1, b2} {
		ev := srv.wait(t, func(m map[string]any) bool { return strings.HasPrefix(m["event"].(string), "image") })
		sum := sha256.Sum256(want)
		if ev["event"] != "image" || ev["sha256"] != hex.EncodeToString(sum[:]) {
			t.Fatalf("image %d: %v", i, ev)
		}
		got, err := os.ReadFile(ev["path"].(string))
		if err != nil || !bytes.Equal(got, want) || filepath.Dir(ev["path"].(string)) != dl {
			t.Errorf("image %d saved as %v: %v", i, ev["path"], err)
		}
	}
}

// Images that Hato would refuse itself are refused before anything is sent.
func TestSendImageUsageErrors(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "photo.png")
	os.WriteFile(fake, []byte("\xff\xd8\xff\xe0 a JPEG, really"), 0o644)
	good := filepath.Join(dir, "ok.png")
	writePNG(t, good, 2, 2)
	eleven := []string{"--to", "127.0.0.2"}
	for range 11 {
		eleven = append(eleven, "--image", good)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "127.0.0.2", "--image", fake, "x"}, "not a PNG"},
		{[]string{"--to", "127.0.0.2", "--image", "5:" + good, "abc"}, "past the text"},
		{[]string{"--to", "127.0.0.2", "--image", filepath.Join(dir, "missing.png")}, "missing.png"},
		{eleven, "at most 10"},
		{[]string{"--broadcast", "--image", good, "x"}, "not in a broadcast"},
	} {
		code, _, errOut := run(t, send, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q (want %q)", c.args, code, errOut, c.want)
		}
	}
}
