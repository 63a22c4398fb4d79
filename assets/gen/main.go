// Command gen rasterizes the icon SVG sources in assets/ into the PNGs that assets.go embeds.
// Run it with `go generate ./assets` after editing an SVG; the PNGs are committed so that building the
// app needs no generator.
package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"

	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
	xdraw "golang.org/x/image/draw"
)

// canvas is the size every SVG is drawn at: their viewBox. oksvg does not scale stroke widths with the
// target, so drawing at the viewBox size and then resampling keeps strokes as designed.
const canvas = 256

// An output PNG: the SVG layers drawn one over the other, at size × size pixels.
var outputs = []struct {
	png    string
	size   int
	layers []string
}{
	{"icon.png", 256, []string{"icon.svg"}},
	{"tray.png", 64, []string{"tray.svg"}},
	{"tray-unread.png", 64, []string{"tray.svg", "badge.svg"}},
	{"tray-away.png", 64, []string{"tray.svg", "away.svg"}},
	{"tray-away-unread.png", 64, []string{"tray.svg", "away.svg", "badge.svg"}},
	// The hicolor theme sizes `make install` puts in the desktop's icon theme.
	{"../packaging/linux/icons/16.png", 16, []string{"icon.svg"}},
	{"../packaging/linux/icons/32.png", 32, []string{"icon.svg"}},
	{"../packaging/linux/icons/48.png", 48, []string{"icon.svg"}},
	{"../packaging/linux/icons/64.png", 64, []string{"icon.svg"}},
	{"../packaging/linux/icons/128.png", 128, []string{"icon.svg"}},
	{"../packaging/linux/icons/256.png", 256, []string{"icon.svg"}},
}

func main() {
	log.SetFlags(0)
	for _, o := range outputs {
		big := image.NewRGBA(image.Rect(0, 0, canvas, canvas))
		for _, l := range o.layers {
			if err := draw(big, l); err != nil {
				log.Fatal(err)
			}
		}
		img := big
		if o.size != canvas {
			img = image.NewRGBA(image.Rect(0, 0, o.size, o.size))
			xdraw.CatmullRom.Scale(img, img.Bounds(), big, big.Bounds(), xdraw.Src, nil)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(o.png, buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d×%d, %d bytes\n", o.png, o.size, o.size, buf.Len())
	}
}

// draw paints the SVG file over img, its viewBox stretched to img's bounds.
func draw(img *image.RGBA, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	icon, err := oksvg.ReadIconStream(f, oksvg.StrictErrorMode)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	icon.SetTarget(0, 0, float64(w), float64(h))
	scanner := rasterx.NewScannerGV(w, h, img, img.Bounds())
	icon.Draw(rasterx.NewDasher(w, h, scanner), 1)
	return nil
}
