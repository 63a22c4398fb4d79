package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"hato/protocol"
	"hato/protocol/wire"
)

// Inline images, as the Windows client sends a screenshot pasted into a message (INTEROP.md §3.7): each
// is an attachment of type CLIPBOARD (0x20) named ipmsgclip_s_<id>_<pos>.png whose extended attribute
// 8 is its place in the text: an offset in UTF-16 units, each earlier image counting as one unit. The text
// itself holds no placeholder.
const (
	MaxInlineImages    = 10       // per message: WIN's ClipMax
	MaxInlineImageSize = 10 << 20 // bytes; WIN's limit too
	maxImagePixels     = 32 << 20 // decoded size cap (128 MB as RGBA): a small PNG can claim a huge canvas
)

// InlineImage is a PNG placed in a message's text. At is a byte offset into the text, at a rune boundary.
type InlineImage struct {
	At  int
	PNG []byte
}

// ErrNotPNG means inline image bytes are not a PNG (or not a sane one).
var ErrNotPNG = errors.New("not a PNG image")

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// CheckPNG makes sure b is a PNG Hato will show: the signature, at most MaxInlineImageSize bytes, and a
// header whose width and height are sane, before anything is decoded.
func CheckPNG(b []byte) (image.Config, error) {
	if len(b) > MaxInlineImageSize {
		return image.Config{}, fmt.Errorf("%w: %d bytes, more than %d", ErrNotPNG, len(b), MaxInlineImageSize)
	}
	if !bytes.HasPrefix(b, pngSignature) {
		return image.Config{}, fmt.Errorf("%w: no PNG signature", ErrNotPNG)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return cfg, fmt.Errorf("%w: %v", ErrNotPNG, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return cfg, fmt.Errorf("%w: %dx%d pixels", ErrNotPNG, cfg.Width, cfg.Height)
	}
	return cfg, nil
}

// DecodePNG checks b with CheckPNG and decodes it.
func DecodePNG(b []byte) (image.Image, error) {
	if _, err := CheckPNG(b); err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPNG, err)
	}
	return img, nil
}

// utf16Len counts s in UTF-16 units, as Windows' RichEdit does.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// WirePos is where image i of images (sorted by At) goes, counted as WIN does.
func WirePos(text string, images []InlineImage, i int) int {
	return utf16Len(text[:images[i].At]) + i
}

// ClipboardName is the attachment name WIN gives a pasted image: ipmsgclip_s_<packet>_<pos>.png.
func ClipboardName(packet uint32, pos int) string {
	return "ipmsgclip_s_" + strconv.FormatUint(uint64(packet), 10) + "_" + strconv.Itoa(pos) + ".png"
}

// ImageSources makes the in-memory sources for a message's images, with ids from firstID, type CLIPBOARD,
// WIN's name and position. Each is checked with CheckPNG. (A peer without CLIPBOARDOPT is offered them
// in PlainForm.)
func ImageSources(text string, images []InlineImage, packet uint32, firstID uint64, mtime int64) ([]Source, error) {
	if len(images) > MaxInlineImages {
		return nil, fmt.Errorf("%d images in one message, at most %d", len(images), MaxInlineImages)
	}
	images = slices.Clone(images)
	slices.SortStableFunc(images, func(a, b InlineImage) int { return a.At - b.At })
	out := make([]Source, len(images))
	for i, img := range images {
		if img.At < 0 || img.At > len(text) {
			return nil, fmt.Errorf("image %d: offset %d outside the text", i+1, img.At)
		}
		if _, err := CheckPNG(img.PNG); err != nil {
			return nil, fmt.Errorf("image %d: %w", i+1, err)
		}
		pos := WirePos(text, images, i)
		out[i] = Source{File: File{ID: firstID + uint64(i), Name: ClipboardName(packet, pos), Size: int64(len(img.PNG)),
			Mtime: mtime, Attr: TypeClipboard, Ext: []Ext{{Code: ExtClipboardPos, Value: strconv.FormatUint(uint64(pos), 16)}}},
			Data: img.PNG}
	}
	return out, nil
}

// PlainForm is how an inline image is offered to a peer without CLIPBOARDOPT: an ordinary PNG
// attachment named image-<n>.png (n counts from 1 in text order).
func PlainForm(f File, n int) File {
	return File{ID: f.ID, Name: "image-" + strconv.Itoa(n) + ".png", Size: f.Size, Mtime: f.Mtime, Attr: TypeRegular}
}

// Placed is a received inline image's attachment and where it goes in the text (a byte offset).
type Placed struct {
	File File
	At   int
}

// PlaceImages finds a message's inline images (type CLIPBOARD with a .png name, at most
// MaxInlineImages) and maps their WIN positions back to byte offsets in text. A position past the end
// goes to the end; two images claiming one place are kept in list order, as WIN bumps clashes.
func PlaceImages(text string, files []File) []Placed {
	var out []Placed
	for _, f := range files {
		if f.Type() != TypeClipboard || len(f.Name) < 4 || f.Name[len(f.Name)-4:] != ".png" {
			continue
		}
		if len(out) == MaxInlineImages {
			break
		}
		pos, _ := f.ExtValue(ExtClipboardPos)
		out = append(out, Placed{File: f, At: int(min(pos, uint64(1<<31)))})
	}
	// Sort by wire position (stable: clashes keep list order), then undo the counting: the k-th image's
	// wire position counts k earlier images and UTF-16 units of text.
	slices.SortStableFunc(out, func(a, b Placed) int { return a.At - b.At })
	for k := range out {
		units := max(out[k].At-k, 0)
		out[k].At = byteOffset(text, units)
		if k > 0 && out[k].At < out[k-1].At {
			out[k].At = out[k-1].At
		}
	}
	return out
}

// byteOffset is the byte offset in text after units UTF-16 units, clamped to the text and never inside
// a rune (a unit count that ends inside a surrogate pair moves past the rune).
func byteOffset(text string, units int) int {
	n := 0
	for i, r := range text {
		if n >= units {
			return i
		}
		n += utf16.RuneLen(r)
	}
	return len(text)
}

// FetchImage downloads an inline image of m into memory: at most MaxInlineImageSize bytes, exactly the
// offered size, and a PNG (CheckPNG). Nothing touches the disk.
func (f *Fetcher) FetchImage(ctx context.Context, m *protocol.Message, file File) ([]byte, error) {
	b, err := f.fetchImage(ctx, m, file)
	if err != nil {
		return nil, fmt.Errorf("fetch image %s from %s: %w", file.Name, m.From.DisplayName(), err)
	}
	return b, nil
}

func (f *Fetcher) fetchImage(ctx context.Context, m *protocol.Message, file File) ([]byte, error) {
	if file.Size <= 0 || file.Size > MaxInlineImageSize {
		return nil, fmt.Errorf("%w: offered with %d bytes (at most %d)", ErrNotPNG, file.Size, MaxInlineImageSize)
	}
	c, err := f.dial(ctx, m, wire.GetFileData, file, 0, m.Cmd.Has(wire.UTF8Opt))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	// Exactly the offered size: the sender counts the image as fetched when we close after its last byte.
	b := make([]byte, file.Size)
	if n, err := io.ReadFull(c.reader(f.idleTimeout()), b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%d of %d bytes arrived", n, file.Size)
		}
		return nil, ctxErr(ctx, err)
	}
	if _, err := CheckPNG(b); err != nil {
		return nil, err
	}
	return b, nil
}

// SaveImage writes an inline image into dir under name (made safe, never overwriting: "name (1).png"),
// through a .part file as every download. It returns the path.
func SaveImage(dir, name string, b []byte) (string, error) {
	if name = localName(name); CheckName(name) != nil || !strings.HasSuffix(strings.ToLower(name), ".png") {
		name = "image.png"
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", fmt.Errorf("save image: %w", err)
	}
	defer root.Close()
	// The default free-space margin, as for fetches: images come with messages, unasked.
	space, err := (&Fetcher{}).newSpace(dir)
	if err == nil {
		err = space.reserve(int64(len(b)))
	}
	if err != nil {
		return "", fmt.Errorf("save image %s: %w", name, err)
	}
	part := name + "." + strconv.FormatInt(time.Now().UnixNano(), 36) + ".part"
	if err := root.WriteFile(part, b, 0o644); err != nil {
		return "", fmt.Errorf("save image %s: %w", name, err)
	}
	final, err := finish(folder{root: root}, part, name, 0, false)
	if err != nil {
		root.Remove(part)
		return "", fmt.Errorf("save image %s: %w", name, err)
	}
	return filepath.Join(dir, final), nil
}
