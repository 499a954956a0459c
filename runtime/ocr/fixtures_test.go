package ocr

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the images in "+fixtureDir)

// fixtureDir holds test images that other hosts' tests read (the JS
// package's tests, the browser test of the demo's Read text page and
// wasm/equiv's wazero test): two of the oracle's images as PNG files.
var fixtureDir = filepath.Join("..", "..", "js", "test", "fixtures")

// fixtureImages are the committed images, by file name, and the oracle
// case each one is.
var fixtureImages = map[string]string{"ocr-page.png": "page", "ocr-upside.png": "upside"}

// TestFixtureImages keeps the committed images the ones this tree renders
// (compared pixel by pixel); -update rewrites them.
func TestFixtureImages(t *testing.T) {
	cases := map[string]*image.RGBA{}
	for _, c := range oracleCases(t) {
		cases[c.name] = c.img
	}
	for file, name := range fixtureImages {
		p := filepath.Join(fixtureDir, file)
		want := cases[name]
		if *update {
			writePNG(t, p, want)
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test ./runtime/ocr -run TestFixtureImages -update writes it)", err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got := toRGBA(img)
		if !got.Rect.Eq(want.Rect) || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s is not the %q image this tree renders: go test ./runtime/ocr -run TestFixtureImages -update", p, name)
		}
	}
}
