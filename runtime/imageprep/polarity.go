package imageprep

import (
	"image"
	"slices"
)

// InvertMode says whether ToTensor's caller should invert an image: always,
// never, or as DetectDarkOnLight decides (ResolveInvert).
type InvertMode string

// Invert modes.
const (
	InvertAuto InvertMode = "auto" // invert for an inverting model only if the image is dark on light
	InvertYes  InvertMode = "yes"  // always invert, whatever the model says
	InvertNo   InvertMode = "no"   // never invert, whatever the model says
)

// ParseInvertMode accepts "auto" (also ""), "yes" or "no" and their usual
// spellings true/false, 1/0, on/off. The error wraps ErrParams.
func ParseInvertMode(s string) (InvertMode, error) {
	switch s {
	case "", "auto":
		return InvertAuto, nil
	case "yes", "true", "1", "on":
		return InvertYes, nil
	case "no", "false", "0", "off":
		return InvertNo, nil
	}
	return "", paramErr("invert mode %q: want auto, yes or no", s)
}

// ResolveInvert returns the Params.Invert to use for img. modelInvert is the
// model's own flag (format.Preprocess.Invert): a model that inverts expects a
// bright signal on a dark ground, as MNIST stores digits, and inverts images
// of ink on paper to get it. With InvertAuto the image is inverted only if the
// model inverts and DetectDarkOnLight(img) says the image is ink on paper; an
// image that is already bright on dark is left alone. A model that does not
// invert is never inverted in auto mode (nothing says which polarity it
// wants). InvertYes and InvertNo override the model. An unknown mode counts
// as InvertAuto.
func ResolveInvert(img image.Image, mode InvertMode, modelInvert bool) bool {
	switch mode {
	case InvertYes:
		return true
	case InvertNo:
		return false
	}
	return modelInvert && DetectDarkOnLight(img)
}

// polaritySamples bounds the pixels DetectDarkOnLight reads along each
// axis: larger images are sampled on an evenly spaced grid.
const polaritySamples = 512

// DetectDarkOnLight reports whether img looks like dark marks on a light
// ground (ink on paper) rather than a bright signal on a dark ground (an
// MNIST-style digit, a white stroke on a blackboard). It works on the luma
// ToTensor would compute (transparent pixels composited over white, so a
// drawing on a transparent canvas counts as paper) and looks for the
// background, the level most of the picture sits at:
//
//  1. The robust range of the image is its 1st to 99th percentile of luma,
//     lo to hi, and its midpoint is mid = (lo+hi)/2. An image with almost no
//     contrast (hi - lo < 16 of 255) is blank: it counts as paper if its
//     median is at least 128.
//  2. The border, a frame an eighth of the shorter side wide (at least one
//     pixel), is mostly background even when strokes are bold: if its median
//     is clearly on one side of mid (by more than a tenth of the range), that
//     side decides.
//  3. Otherwise (strokes crossing much of the border, a textured frame) the
//     median of the whole image decides the same way: thin strokes cover less
//     than half of any picture of writing.
//
// Images larger than 512 pixels on a side are sampled on a grid of at most
// 512x512 points, so the cost is bounded whatever the size. A nil or empty
// image counts as paper.
func DetectDarkOnLight(img image.Image) bool {
	if img == nil {
		return true
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return true
	}
	nx, ny := min(w, polaritySamples), min(h, polaritySamples)
	frame := max(1, min(w, h)/8)
	all := make([]float64, 0, nx*ny)
	var border []float64
	for j := range ny {
		y := j * h / ny
		for i := range nx {
			x := i * w / nx
			v := lumaOverWhite(img, b.Min.X+x, b.Min.Y+y)
			all = append(all, v)
			if x < frame || y < frame || x >= w-frame || y >= h-frame {
				border = append(border, v)
			}
		}
	}
	slices.Sort(all)
	lo, hi := quantile(all, 0.01), quantile(all, 0.99)
	med := quantile(all, 0.5)
	if hi-lo < 16 {
		return med >= 128
	}
	mid, margin := (lo+hi)/2, (hi-lo)/10
	if len(border) > 0 {
		slices.Sort(border)
		bm := quantile(border, 0.5)
		if bm > mid+margin {
			return true
		}
		if bm < mid-margin {
			return false
		}
	}
	return med >= mid
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	i := int(q * float64(len(sorted)-1))
	return sorted[max(0, min(i, len(sorted)-1))]
}

// lumaOverWhite returns the BT.601 luma in [0, 255] of the pixel at (x, y)
// composited over opaque white.
func lumaOverWhite(img image.Image, x, y int) float64 {
	r, g, b, a := img.At(x, y).RGBA() // premultiplied, 16 bits
	bg := 0xffff - a
	return (0.299*float64(r+bg) + 0.587*float64(g+bg) + 0.114*float64(b+bg)) / 257
}
