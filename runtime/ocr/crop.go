package ocr

import (
	"image"
	"image/draw"
	"math"
)

// maxCropSide bounds the shorter side of a crop in pixels: a larger text box
// (a huge headline) is sampled down to it while it is cut out, so one box
// never costs more than maxCropSide x maxCropLong pixels. The recogniser
// reads crops at 48 pixels high, so 4x that keeps every detail it can use.
const maxCropSide = 4 * recHeight

// maxCropLong bounds the longer side of a crop.
const maxCropLong = 8192

// toRGBA composites img over opaque white into 8-bit RGBA (as imageprep
// does), so transparent pixels read as white paper.
func toRGBA(img image.Image) *image.RGBA {
	return toRGBAInto(&image.RGBA{}, img)
}

// toRGBAInto is toRGBA writing into out's pixel buffer.
func toRGBAInto(out *image.RGBA, img image.Image) *image.RGBA {
	b := img.Bounds()
	out = reuseRGBA(out, b.Dx(), b.Dy())
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	return out
}

// crop cuts the box q out of src with a perspective warp (PaddleOCR's
// get_rotate_crop_image): the output is as wide as the longer of the top and
// bottom edges and as high as the longer of the left and right edges
// (truncated), sampled bicubically with the borders replicated. Text lower
// than the recogniser's 48 pixels is sampled up to that height, and crops
// larger than maxCropSide and maxCropLong down to them. A crop at least 1.5 times as high
// as wide is turned 90 degrees counter-clockwise, so vertical text reads
// left to right. The crop is written into dst's pixel buffer (tmp holds it
// before it is turned).
func crop(src *image.RGBA, q [4]pt, dst, tmp *image.RGBA) *image.RGBA {
	w := int(math.Max(dist(q[0], q[1]), dist(q[2], q[3])))
	h := int(math.Max(dist(q[0], q[3]), dist(q[1], q[2])))
	w, h = max(w, 1), max(h, 1)
	turn := float64(h)/float64(w) >= 1.5
	fw, fh := float64(w), float64(h)
	// The height the text is read at (the width of a crop to be turned).
	readH := fh
	if turn {
		readH = fw
	}
	s := 1.0
	if readH < recHeight {
		// Sample small text up to the recogniser's height here, in one
		// bicubic step: a second, linear resampling blurs it (and the
		// recogniser then misses the spaces between words).
		s = recHeight / readH
	}
	s = math.Min(s, math.Min(float64(maxCropSide)/math.Min(fw, fh), float64(maxCropLong)/math.Max(fw, fh)))
	if s != 1 {
		w, h = max(int(math.Round(fw*s)), 1), max(int(math.Round(fh*s)), 1)
	}
	m := newHomography(q, float64(w), float64(h))
	// Sampling the output grid at (X, Y) of a w x h output maps (w, h) onto
	// the box's far corner whatever the scale.
	out := dst
	if turn {
		out = tmp
	}
	out = reuseRGBA(out, w, h)
	for y := range h {
		row := out.Pix[y*out.Stride:]
		for x := range w {
			sx, sy := m.at(float64(x), float64(y))
			bicubic(src, sx, sy, row[4*x:4*x+4])
		}
	}
	if turn {
		return rotate90(out, dst)
	}
	return out
}

// cubicWeights are the four weights of Keys' cubic convolution kernel with
// a = -0.75 (OpenCV's INTER_CUBIC) for a sample at fraction t past the
// second tap.
func cubicWeights(t float64) [4]float64 {
	return [4]float64{cubicNear(t + 1), cubicNear(t), cubicNear(1 - t), cubicNear(2 - t)}
}

// cubicNear is Keys' kernel at distance x (the explicit conversions keep
// the compiler from fusing multiplies and adds, so every build rounds
// alike).
func cubicNear(x float64) float64 {
	const a = -0.75
	x = math.Abs(x)
	switch {
	case x <= 1:
		return float64(float64(float64(a+2)*x)*float64(x*x)) - float64(float64(a+3)*float64(x*x)) + 1
	case x < 2:
		return float64(float64(a*x)*float64(x*x)) - float64(float64(5*a)*float64(x*x)) + float64(float64(8*a)*x) - 4*a
	}
	return 0
}

// bicubic samples src at (x, y) (pixel centres at integers) into px (RGBA),
// replicating the border; alpha is 255.
func bicubic(src *image.RGBA, x, y float64, px []byte) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if math.IsNaN(x) || math.IsNaN(y) {
		x, y = 0, 0
	}
	x = min(max(x, -2), float64(w+1))
	y = min(max(y, -2), float64(h+1))
	x0, y0 := math.Floor(x), math.Floor(y)
	wx, wy := cubicWeights(x-x0), cubicWeights(y-y0)
	ix, iy := int(x0)-1, int(y0)-1
	// The four columns' byte offsets, replicated at the borders.
	var cols [4]int
	for i := range cols {
		cols[i] = 4 * min(max(ix+i, 0), w-1)
	}
	pix := src.Pix
	var a0, a1, a2 float64
	for j := range 4 {
		base := min(max(iy+j, 0), h-1) * src.Stride
		var r0, r1, r2 float64
		for i, o := range cols {
			p := pix[base+o : base+o+3 : base+o+3]
			r0 += float64(wx[i] * float64(p[0]))
			r1 += float64(wx[i] * float64(p[1]))
			r2 += float64(wx[i] * float64(p[2]))
		}
		a0 += float64(wy[j] * r0)
		a1 += float64(wy[j] * r1)
		a2 += float64(wy[j] * r2)
	}
	px[0], px[1], px[2], px[3] = toByte(a0), toByte(a1), toByte(a2), 255
}

// toByte rounds v half to even and clamps it to [0, 255].
func toByte(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(math.RoundToEven(v))
}

// rotate90 turns img 90 degrees counter-clockwise (numpy's rot90) into
// dst's pixel buffer.
func rotate90(img, dst *image.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := reuseRGBA(dst, h, w)
	for y := range w {
		for x := range h {
			// out(x, y) = in(w-1-y, x)
			copy(out.Pix[y*out.Stride+4*x:y*out.Stride+4*x+4], img.Pix[x*img.Stride+4*(w-1-y):])
		}
	}
	return out
}

// rotate180 turns img half a turn in place.
func rotate180(img *image.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := w * h
	for i := range n / 2 {
		a := (i/w)*img.Stride + 4*(i%w)
		j := n - 1 - i
		b := (j/w)*img.Stride + 4*(j%w)
		for c := range 4 {
			img.Pix[a+c], img.Pix[b+c] = img.Pix[b+c], img.Pix[a+c]
		}
	}
}
