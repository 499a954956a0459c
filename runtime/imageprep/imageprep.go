// Package imageprep turns a decoded image into a model input tensor, following
// the preprocessing a model file describes (format.Preprocess in
// runtime/internal/format/types.go, mirrored here by Params).
//
// The steps, in order:
//
//  1. The image is composited over an opaque white background (transparent
//     pixels count as white paper) and converted to 8-bit RGB.
//  2. For one channel, each pixel becomes its ITU-R BT.601 luma
//     0.299 R + 0.587 G + 0.114 B (a real number in [0, 255], not rounded);
//     for three channels the R, G and B values are used as they are.
//  3. If Invert is set, every value v becomes 255 - v.
//  4. The image is resized to ContentWidth x ContentHeight (stretched: the
//     aspect ratio is not kept). Each axis is resampled separately: an axis
//     that shrinks is area-averaged (every output pixel is the mean of the
//     input it covers, partial pixels weighted by the covered fraction), an
//     axis that grows is interpolated linearly between pixel centres with the
//     edges clamped. An axis whose size does not change is copied exactly.
//     Both filters have non-negative weights summing to 1, so values stay
//     in [0, 255] (up to rounding).
//  5. The content is placed on a Width x Height canvas filled with 0 (the
//     model's "no ink" value; it is not inverted), with its top-left corner at
//     ((Width-ContentWidth)/2, (Height-ContentHeight)/2) rounded down.
//  6. Each value v becomes (v*Scale - Mean[c]) / Std[c], computed in float64
//     and rounded once to float32.
//
// All arithmetic is deterministic (integer compositing, float64 resampling with
// no fused multiply-adds), so native and WebAssembly builds give identical
// tensors.
package imageprep

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
)

// MaxImageSide is the largest width or height Decode and ToTensor accept.
const MaxImageSide = 16384

// MaxImagePixels is the largest width*height Decode and ToTensor accept.
const MaxImagePixels = 64 << 20

// MaxCanvasSide is the largest Params.Width and Params.Height.
const MaxCanvasSide = 4096

// ErrImage is wrapped by errors about the image itself: undecodable bytes,
// unsupported formats, empty or oversized images.
var ErrImage = errors.New("imageprep: invalid image")

// ErrParams is wrapped by errors about invalid Params.
var ErrParams = errors.New("imageprep: invalid parameters")

// Params describes how an image becomes a tensor; the fields mean the same as
// in format.Preprocess.
type Params struct {
	// Width and Height are the size of the output canvas.
	Width, Height int
	// ContentWidth and ContentHeight are the size the image is resized to
	// before it is centred on the canvas; 0 means Width or Height.
	ContentWidth, ContentHeight int
	// Channels is 1 (gray) or 3 (RGB).
	Channels int
	// Invert maps every value v in [0, 255] to 255 - v before resizing.
	Invert bool
	// Scale multiplies values in [0, 255]; 0 means 1/255.
	Scale float32
	// Mean and Std normalise each channel: (v*Scale - Mean[c]) / Std[c].
	// Empty means 0 and 1; one value applies to every channel; otherwise
	// there must be one value per channel.
	Mean, Std []float32
}

// norm holds validated, defaulted parameters.
type norm struct {
	w, h, cw, ch, c int
	invert          bool
	scale           float64
	mean, std       []float64 // one per channel
}

// paramErr builds an error wrapping ErrParams.
func paramErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrParams, fmt.Sprintf(format, args...))
}

// imageErr builds an error wrapping ErrImage.
func imageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrImage, fmt.Sprintf(format, args...))
}

// Validate reports whether p is usable, with an error wrapping ErrParams
// naming the first problem.
func (p Params) Validate() error {
	_, err := p.normalize()
	return err
}

// normalize validates p and fills in defaults.
func (p Params) normalize() (norm, error) {
	n := norm{w: p.Width, h: p.Height, cw: p.ContentWidth, ch: p.ContentHeight, c: p.Channels, invert: p.Invert}
	if n.w <= 0 || n.h <= 0 {
		return norm{}, paramErr("canvas size %dx%d must be positive", n.w, n.h)
	}
	if n.w > MaxCanvasSide || n.h > MaxCanvasSide {
		return norm{}, paramErr("canvas size %dx%d is larger than %dx%d", n.w, n.h, MaxCanvasSide, MaxCanvasSide)
	}
	if n.cw == 0 {
		n.cw = n.w
	}
	if n.ch == 0 {
		n.ch = n.h
	}
	if n.cw < 0 || n.ch < 0 {
		return norm{}, paramErr("content size %dx%d must not be negative", p.ContentWidth, p.ContentHeight)
	}
	if n.cw > n.w || n.ch > n.h {
		return norm{}, paramErr("content size %dx%d does not fit the %dx%d canvas", n.cw, n.ch, n.w, n.h)
	}
	if n.c != 1 && n.c != 3 {
		return norm{}, paramErr("channels is %d, want 1 (gray) or 3 (RGB)", n.c)
	}
	switch s := float64(p.Scale); {
	case math.IsNaN(s) || math.IsInf(s, 0):
		return norm{}, paramErr("scale %v is not finite", s)
	case s == 0:
		n.scale = 1.0 / 255
	default:
		n.scale = s
	}
	var err error
	if n.mean, err = perChannel("mean", p.Mean, 0, n.c); err != nil {
		return norm{}, err
	}
	if n.std, err = perChannel("std", p.Std, 1, n.c); err != nil {
		return norm{}, err
	}
	for i, s := range n.std {
		if s == 0 {
			return norm{}, paramErr("std[%d] is 0", i)
		}
	}
	return n, nil
}

// perChannel broadcasts an empty or one-element list to c finite values.
func perChannel(name string, v []float32, def float64, c int) ([]float64, error) {
	out := make([]float64, c)
	switch len(v) {
	case 0:
		for i := range out {
			out[i] = def
		}
		return out, nil
	case 1, c:
	default:
		return nil, paramErr("%s has %d values, want 0, 1 or %d (one per channel)", name, len(v), c)
	}
	for i := range out {
		x := float64(v[min(i, len(v)-1)])
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, paramErr("%s[%d] = %v is not finite", name, i, x)
		}
		out[i] = x
	}
	return out, nil
}

// checkSize rejects empty and oversized images.
func checkSize(what string, w, h, maxSide, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return imageErr("%s is empty (%dx%d)", what, w, h)
	}
	if w > maxSide || h > maxSide || int64(w)*int64(h) > int64(maxPixels) {
		return imageErr("%s is too large: %dx%d (limit %dx%d and %d pixels)", what, w, h, maxSide, maxSide, maxPixels)
	}
	return nil
}

// ToTensor converts img as the package documentation describes and returns
// the tensor data in NCHW order with shape [1, Channels, Height, Width].
// Errors wrap ErrParams or ErrImage.
func ToTensor(img image.Image, p Params) ([]float32, []int, error) {
	n, err := p.normalize()
	if err != nil {
		return nil, nil, err
	}
	if img == nil {
		return nil, nil, imageErr("image is nil")
	}
	b := img.Bounds()
	if err := checkSize("image", b.Dx(), b.Dy(), MaxImageSide, MaxImagePixels); err != nil {
		return nil, nil, err
	}
	sw, sh := b.Dx(), b.Dy()

	// Steps 1: composite over white into 8-bit RGBA (alpha is then 255).
	rgb := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.Draw(rgb, rgb.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(rgb, rgb.Bounds(), img, b.Min, draw.Over)

	wx := weights(sw, n.cw)
	wy := weights(sh, n.ch)
	plane := n.w * n.h
	out := make([]float32, n.c*plane)
	row := make([]float64, sw)
	tmp := make([]float64, sh*n.cw)
	content := make([]float64, n.ch*n.cw)
	ox, oy := (n.w-n.cw)/2, (n.h-n.ch)/2
	for c := range n.c {
		// Steps 2-3 per source row, then the horizontal pass of step 4.
		for y := range sh {
			pix := rgb.Pix[y*rgb.Stride : y*rgb.Stride+4*sw]
			for x := range sw {
				r, g, bl := float64(pix[4*x]), float64(pix[4*x+1]), float64(pix[4*x+2])
				var v float64
				switch {
				case n.c == 1:
					v = float64(0.299*r) + float64(0.587*g) + float64(0.114*bl)
				case c == 0:
					v = r
				case c == 1:
					v = g
				default:
					v = bl
				}
				if n.invert {
					v = 255 - v
				}
				row[x] = v
			}
			wx.apply(tmp[y*n.cw:(y+1)*n.cw], row, 1)
		}
		// Vertical pass, column by column.
		for x := range n.cw {
			wy.apply(content[x:], tmp[x:], n.cw)
		}
		// Steps 5-6.
		dst := out[c*plane : (c+1)*plane]
		mean, std := n.mean[c], n.std[c]
		bg := float32((0 - mean) / std)
		for i := range dst {
			dst[i] = bg
		}
		for y := range n.ch {
			drow := dst[(oy+y)*n.w+ox:]
			for x := range n.cw {
				v := content[y*n.cw+x]
				drow[x] = float32((float64(v*n.scale) - mean) / std)
			}
		}
	}
	return out, []int{1, n.c, n.h, n.w}, nil
}

// resampler holds, for each output position, the first input index and the
// weights of consecutive inputs from there.
type resampler struct {
	start []int
	w     [][]float64
}

// weights builds the 1-D resampling weights from src to dst samples: area
// averaging when shrinking, linear interpolation between pixel centres
// (edges clamped) when growing, identity when equal.
func weights(src, dst int) resampler {
	rs := resampler{start: make([]int, dst), w: make([][]float64, dst)}
	ratio := float64(src) / float64(dst)
	for i := range dst {
		switch {
		case src == dst:
			rs.start[i], rs.w[i] = i, []float64{1}
		case src > dst:
			// Output pixel i covers input [lo, hi).
			lo, hi := float64(i)*ratio, float64(i+1)*ratio
			first, last := int(math.Floor(lo)), min(int(math.Ceil(hi)), src)-1
			ws := make([]float64, last-first+1)
			for k := range ws {
				j := float64(first + k)
				ws[k] = (math.Min(hi, j+1) - math.Max(lo, j)) / ratio
			}
			rs.start[i], rs.w[i] = first, ws
		default:
			// Centre of output pixel i in input pixel coordinates.
			c := float64((float64(i)+0.5)*ratio) - 0.5
			j := int(math.Floor(c))
			f := c - float64(j)
			switch {
			case j < 0:
				rs.start[i], rs.w[i] = 0, []float64{1}
			case j >= src-1:
				rs.start[i], rs.w[i] = src-1, []float64{1}
			default:
				rs.start[i], rs.w[i] = j, []float64{1 - f, f}
			}
		}
	}
	return rs
}

// apply resamples in (stride apart) into out (stride apart).
func (rs resampler) apply(out, in []float64, stride int) {
	for i, ws := range rs.w {
		base := rs.start[i] * stride
		acc := 0.0
		for k, w := range ws {
			acc += float64(w * in[base+k*stride])
		}
		out[i*stride] = acc
	}
}
