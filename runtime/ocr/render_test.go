package ocr

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The tests' images: text rendered with the Go fonts, then turned, blurred
// or speckled. Sides are multiples of 32, so the oracle's detector input is
// the image itself and its boxes are in image pixels.

var fonts = map[string][]byte{"regular": goregular.TTF, "mono": gomono.TTF, "bold": gobold.TTF}

// face returns the named Go font at size pixels.
func face(t testing.TB, name string, size float64) font.Face {
	t.Helper()
	f, err := opentype.Parse(fonts[name])
	if err != nil {
		t.Fatal(err)
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// textLine is one line of text to draw at (x, baseline y).
type textLine struct {
	text string
	font string
	size float64
	x, y int
}

// render draws the lines in black on a white w x h page.
func render(t testing.TB, w, h int, lines ...textLine) *image.RGBA {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, l := range lines {
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.RGBA{20, 20, 30, 255}), Face: face(t, l.font, l.size),
			Dot: fixed.P(l.x, l.y)}
		d.DrawString(l.text)
	}
	return img
}

// rotated turns img by deg degrees (counter-clockwise on screen) about its
// centre onto a w x h white page, bilinearly.
func rotated(img *image.RGBA, deg float64, w, h int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	c, s := math.Cos(deg*math.Pi/180), math.Sin(deg*math.Pi/180)
	for y := range h {
		for x := range w {
			// Inverse map: output -> source.
			dx, dy := float64(x)-float64(w)/2, float64(y)-float64(h)/2
			sx := c*dx - s*dy + float64(sw)/2
			sy := s*dx + c*dy + float64(sh)/2
			for ch := range 3 {
				out.Pix[y*out.Stride+4*x+ch] = bilinear(img, sx, sy, ch)
			}
			out.Pix[y*out.Stride+4*x+3] = 255
		}
	}
	return out
}

// bilinear samples channel ch of img at (x, y); outside is white.
func bilinear(img *image.RGBA, x, y float64, ch int) uint8 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	at := func(ix, iy int) float64 {
		if ix < 0 || iy < 0 || ix >= img.Rect.Dx() || iy >= img.Rect.Dy() {
			return 255
		}
		return float64(img.Pix[iy*img.Stride+4*ix+ch])
	}
	ix, iy := int(x0), int(y0)
	v := (1-fy)*((1-fx)*at(ix, iy)+fx*at(ix+1, iy)) + fy*((1-fx)*at(ix, iy+1)+fx*at(ix+1, iy+1))
	return uint8(math.Round(v))
}

// photo blurs img (a 3x3 box, twice) and adds seeded noise, like a
// photographed page.
func photo(img *image.RGBA, seed uint64, amp float64) *image.RGBA {
	for range 2 {
		img = blur(img)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Pix {
		if i%4 == 3 {
			continue
		}
		v := float64(img.Pix[i]) + r.NormFloat64()*amp
		img.Pix[i] = uint8(math.Max(0, math.Min(255, math.Round(v))))
	}
	return img
}

// blur is a 3x3 box blur with replicated borders.
func blur(img *image.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewRGBA(img.Rect)
	for y := range h {
		for x := range w {
			for ch := range 4 {
				s := 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1)
						s += int(img.Pix[yy*img.Stride+4*xx+ch])
					}
				}
				out.Pix[y*out.Stride+4*x+ch] = uint8((s + 4) / 9)
			}
		}
	}
	return out
}

// upsideDown turns img by 180 degrees.
func upsideDown(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Rect)
	copy(out.Pix, img.Pix)
	rotate180(out)
	return out
}
