package imageprep

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// digitsDir holds ten held-out MNIST digits stored as dark ink on white.
const digitsDir = "../../cmd/wasmnn/testdata/digits"

// invertGray returns 255 - v of every pixel of img.
func invertGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.SetGray(x, y, color.Gray{Y: 255 - color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y})
		}
	}
	return g
}

// penStrokes draws a hand-written-looking "2"-like path of thin strokes
// (width px) on a w x h page whose ground runs from ground0 at the top to
// ground1 at the bottom, in ink, with Gaussian noise of the given sigma.
func penStrokes(w, h, width int, ground0, ground1, ink, sigma float64, seed uint64) *image.Gray {
	rng := rand.New(rand.NewPCG(seed, 7))
	g := image.NewGray(image.Rect(0, 0, w, h))
	// A polyline through fractions of the page: an arc, a diagonal, a base.
	pts := [][2]float64{{0.3, 0.3}, {0.4, 0.2}, {0.6, 0.2}, {0.7, 0.35}, {0.6, 0.5}, {0.3, 0.8}, {0.75, 0.8}}
	onStroke := func(x, y float64) bool {
		for i := 1; i < len(pts); i++ {
			ax, ay := pts[i-1][0]*float64(w), pts[i-1][1]*float64(h)
			bx, by := pts[i][0]*float64(w), pts[i][1]*float64(h)
			dx, dy := bx-ax, by-ay
			t := max(0, min(1, ((x-ax)*dx+(y-ay)*dy)/(dx*dx+dy*dy)))
			if math.Hypot(x-ax-t*dx, y-ay-t*dy) <= float64(width)/2 {
				return true
			}
		}
		return false
	}
	for y := range h {
		for x := range w {
			v := ground0 + (ground1-ground0)*float64(y)/float64(h-1)
			if onStroke(float64(x)+0.5, float64(y)+0.5) {
				v = ink
			}
			v += sigma * rng.NormFloat64()
			g.SetGray(x, y, color.Gray{Y: uint8(max(0, min(255, math.Round(v))))})
		}
	}
	return g
}

func TestDetectDarkOnLightDigits(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(digitsDir, "*.png"))
	if len(files) != 10 {
		t.Fatalf("%d digit PNGs in %s, want 10", len(files), digitsDir)
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		if !DetectDarkOnLight(img) {
			t.Errorf("%s (dark ink on white) detected as light on dark", name)
		}
		if DetectDarkOnLight(invertGray(img)) {
			t.Errorf("%s inverted (MNIST style, light on dark) detected as dark on light", name)
		}
	}
}

func TestDetectDarkOnLight(t *testing.T) {
	transparent := image.NewNRGBA(image.Rect(0, 0, 64, 64)) // a canvas: transparent, black strokes
	for y := 10; y < 54; y++ {
		for x := 30; x < 34; x++ {
			transparent.SetNRGBA(x, y, color.NRGBA{A: 255})
		}
	}
	whiteOnTransparent := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := 10; y < 54; y++ {
		whiteOnTransparent.SetNRGBA(32, y, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 40, 30)) // blue ink on a cream page
	for y := range 30 {
		for x := range 40 {
			c := color.RGBA{250, 245, 225, 255}
			if y == 15 || x == 20 {
				c = color.RGBA{20, 30, 140, 255}
			}
			rgb.SetRGBA(x, y, c)
		}
	}
	// Bold strokes crossing the border: the border's median sits near the
	// middle, the image's median decides.
	bold := image.NewGray(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			bold.SetGray(x, y, color.Gray{Y: 240})
			if x%8 < 3 {
				bold.SetGray(x, y, color.Gray{Y: 10})
			}
		}
	}
	offset := image.NewGray(image.Rect(100, 200, 140, 240)) // bounds not at the origin
	for y := 200; y < 240; y++ {
		for x := 100; x < 140; x++ {
			offset.SetGray(x, y, color.Gray{Y: 20})
			if x == 120 && y > 205 && y < 235 {
				offset.SetGray(x, y, color.Gray{Y: 230})
			}
		}
	}
	for _, tc := range []struct {
		name string
		img  image.Image
		want bool
	}{
		{"thin pen on a light page", penStrokes(200, 240, 3, 235, 235, 30, 4, 1), true},
		{"thin pen on a light page, gradient and noise", penStrokes(300, 300, 2, 250, 150, 20, 12, 2), true},
		{"pen on a grey page with heavy noise", penStrokes(120, 120, 4, 190, 170, 40, 25, 3), true},
		{"chalk on a dark page", penStrokes(200, 240, 3, 25, 25, 230, 4, 4), false},
		{"chalk on a dark page, gradient and noise", penStrokes(300, 300, 2, 20, 110, 240, 12, 5), false},
		{"faint chalk on a dark grey page", penStrokes(120, 120, 4, 60, 80, 140, 10, 6), false},
		{"large page (sampled)", penStrokes(1500, 1100, 9, 245, 220, 10, 3, 7), true},
		{"large dark page (sampled)", penStrokes(1100, 1500, 9, 10, 30, 250, 3, 8), false},
		{"black strokes on a transparent canvas", transparent, true},
		{"white strokes on a transparent canvas (all white)", whiteOnTransparent, true},
		{"blue ink on cream RGB", rgb, true},
		{"bold stripes on light", bold, true},
		{"bold stripes on dark", invertGray(bold), false},
		{"non-zero bounds, light on dark", offset, false},
		{"blank white", image.NewUniform(color.White), true},
		{"blank black", image.NewGray(image.Rect(0, 0, 10, 10)), false},
		{"one pixel", image.NewGray(image.Rect(0, 0, 1, 1)), false},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 0)), true},
		{"nil", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectDarkOnLight(tc.img); got != tc.want {
				t.Errorf("DetectDarkOnLight = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResolveInvert(t *testing.T) {
	paper := penStrokes(40, 40, 2, 240, 240, 20, 0, 1)
	chalk := invertGray(paper)
	for _, tc := range []struct {
		name        string
		img         image.Image
		mode        InvertMode
		modelInvert bool
		want        bool
	}{
		{"auto, paper, inverting model", paper, InvertAuto, true, true},
		{"auto, chalk, inverting model", chalk, InvertAuto, true, false},
		{"auto, paper, plain model", paper, InvertAuto, false, false},
		{"auto, chalk, plain model", chalk, InvertAuto, false, false},
		{"empty mode is auto", paper, "", true, true},
		{"yes overrides", chalk, InvertYes, false, true},
		{"no overrides", paper, InvertNo, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResolveInvert(tc.img, tc.mode, tc.modelInvert); got != tc.want {
				t.Errorf("ResolveInvert = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseInvertMode(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    InvertMode
		wantErr bool
	}{
		{"", InvertAuto, false}, {"auto", InvertAuto, false},
		{"yes", InvertYes, false}, {"true", InvertYes, false}, {"1", InvertYes, false}, {"on", InvertYes, false},
		{"no", InvertNo, false}, {"false", InvertNo, false}, {"0", InvertNo, false}, {"off", InvertNo, false},
		{"maybe", "", true}, {"AUTO", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseInvertMode(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseInvertMode(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}
