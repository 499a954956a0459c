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

// value is step 6 for a value v of a channel with the given mean and std:
// (v*scale - mean) / std in float64, rounded once to float32.
func (n *norm) value(v, mean, std float64) float32 {
	return float32((float64(v*n.scale) - mean) / std)
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
	return ToTensorInto(nil, img, p)
}

// ToTensorInto is ToTensor writing into dst when it has the capacity for
// the tensor (Channels*Width*Height values); otherwise it allocates. It
// returns the tensor's data (dst[:Channels*Width*Height] or the new slice)
// and shape.
//
// Opaque *image.RGBA and *image.NRGBA images are read in place (over white
// they are their own pixels); others are composited first. An axis whose
// size does not change is not resampled (its weights would be one 1 per
// pixel: the values pass unchanged), and when neither axis is resampled
// the values of three-channel images are bytes, normalised through a table
// of 256 values per channel; the vertical pass runs row by row with the
// sums of each output in the same order. The result is bit for bit what
// the steps in the package documentation give.
func ToTensorInto(dst []float32, img image.Image, p Params) ([]float32, []int, error) {
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
	pix, stride := overWhite(img)

	plane := n.w * n.h
	size := n.c * plane
	out := dst
	if cap(out) < size {
		out = make([]float32, size)
	}
	out = out[:size]
	wx := weights(sw, n.cw)
	wy := weights(sh, n.ch)
	ox, oy := (n.w-n.cw)/2, (n.h-n.ch)/2
	// Scratch: one source row; the horizontal pass's output row, or all of
	// them for a vertical pass; the vertical pass's sums.
	var row, hrow, tmp, acc []float64
	bytesOnly := n.c == 3 && wx.identity && wy.identity
	if !bytesOnly {
		row = make([]float64, sw)
		switch {
		case !wy.identity:
			tmp = make([]float64, sh*n.cw)
			acc = make([]float64, n.cw)
		case !wx.identity:
			hrow = make([]float64, n.cw)
		}
	}
	for c := range n.c {
		dst := out[c*plane : (c+1)*plane]
		mean, std := n.mean[c], n.std[c]
		fillBorder(dst, n.w, n.h, ox, oy, n.cw, n.ch, float32((0-mean)/std))
		if bytesOnly {
			// Bytes straight to the canvas.
			var lut [256]float32
			for i := range lut {
				v := float64(i)
				if n.invert {
					v = 255 - v
				}
				lut[i] = n.value(v, mean, std)
			}
			for y := range sh {
				src := pix[y*stride+c : y*stride+4*sw]
				drow := dst[(oy+y)*n.w+ox : (oy+y)*n.w+ox+sw]
				for x := range drow {
					drow[x] = lut[src[4*x]]
				}
			}
			continue
		}
		norm := func(y int, v []float64) {
			drow := dst[(oy+y)*n.w+ox : (oy+y)*n.w+ox+n.cw]
			for x, u := range v {
				drow[x] = n.value(u, mean, std)
			}
		}
		// Steps 2-3 per source row, then the horizontal pass of step 4.
		hpass := func(y int, out []float64) {
			if wx.identity {
				values(out, pix[y*stride:y*stride+4*sw], n.c, c, n.invert)
				return
			}
			values(row, pix[y*stride:y*stride+4*sw], n.c, c, n.invert)
			wx.apply(out, row)
		}
		if wy.identity {
			h := hrow
			if wx.identity {
				h = row
			}
			for y := range sh {
				hpass(y, h)
				norm(y, h)
			}
			continue
		}
		for y := range sh {
			hpass(y, tmp[y*n.cw:(y+1)*n.cw])
		}
		// The vertical pass, a row of outputs at a time.
		for y := range n.ch {
			clear(acc)
			for k, w := range wy.w[wy.off[y]:wy.off[y+1]] {
				in := tmp[(wy.start[y]+k)*n.cw : (wy.start[y]+k+1)*n.cw]
				in = in[:len(acc)]
				for x := range acc {
					acc[x] += float64(w * in[x])
				}
			}
			norm(y, acc)
		}
	}
	return out, []int{1, n.c, n.h, n.w}, nil
}

// overWhite returns img composited over opaque white as 8-bit RGBA pixels
// and their row stride in bytes: the pixels of an opaque *image.RGBA or
// *image.NRGBA themselves (read only), else a copy drawn with image/draw.
func overWhite(img image.Image) ([]uint8, int) {
	b := img.Bounds()
	var pix []uint8
	var stride int
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	case *image.NRGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	}
	if pix != nil && opaque(pix, stride, b.Dx(), b.Dy()) {
		return pix, stride
	}
	rgb := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgb, rgb.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(rgb, rgb.Bounds(), img, b.Min, draw.Over)
	return rgb.Pix, rgb.Stride
}

// opaque reports whether every alpha byte of the w x h RGBA pixels is 255.
func opaque(pix []uint8, stride, w, h int) bool {
	for y := range h {
		r := pix[y*stride : y*stride+4*w]
		for x := 3; x < len(r); x += 4 {
			if r[x] != 255 {
				return false
			}
		}
	}
	return true
}

// values sets v to the values of steps 2-3 for channel c of one row of
// RGBA pixels: the luma for one channel, else the channel's byte, then
// 255 - v when inverting.
func values(v []float64, pix []uint8, channels, c int, invert bool) {
	if channels == 1 {
		for x := range v {
			p := pix[4*x : 4*x+3]
			r, g, bl := float64(p[0]), float64(p[1]), float64(p[2])
			v[x] = float64(0.299*r) + float64(0.587*g) + float64(0.114*bl)
		}
	} else {
		for x := range v {
			v[x] = float64(pix[4*x+c])
		}
	}
	if invert {
		for x, u := range v {
			v[x] = 255 - u
		}
	}
}

// fillBorder sets the w x h canvas to bg outside the cw x ch content at
// (ox, oy).
func fillBorder(dst []float32, w, h, ox, oy, cw, ch int, bg float32) {
	for y := range h {
		r := dst[y*w : (y+1)*w]
		if y < oy || y >= oy+ch {
			for i := range r {
				r[i] = bg
			}
			continue
		}
		for i := range r[:ox] {
			r[i] = bg
		}
		for i := ox + cw; i < w; i++ {
			r[i] = bg
		}
	}
}

// resampler holds, for each output position i, the first input index
// start[i] and the weights w[off[i]:off[i+1]] of consecutive inputs from
// there; identity marks a resampling to the same size (one weight 1 per
// output, which leaves the values unchanged).
type resampler struct {
	start, off []int
	w          []float64
	identity   bool
}

// weights builds the 1-D resampling weights from src to dst samples: area
// averaging when shrinking, linear interpolation between pixel centres
// (edges clamped) when growing, identity when equal.
func weights(src, dst int) resampler {
	rs := resampler{start: make([]int, dst), off: make([]int, dst+1), identity: src == dst}
	ratio := float64(src) / float64(dst)
	for i := range dst {
		switch {
		case src == dst:
			rs.start[i] = i
			rs.w = append(rs.w, 1)
		case src > dst:
			// Output pixel i covers input [lo, hi).
			lo, hi := float64(i)*ratio, float64(i+1)*ratio
			first, last := int(math.Floor(lo)), min(int(math.Ceil(hi)), src)-1
			for k := range last - first + 1 {
				j := float64(first + k)
				rs.w = append(rs.w, (math.Min(hi, j+1)-math.Max(lo, j))/ratio)
			}
			rs.start[i] = first
		default:
			// Centre of output pixel i in input pixel coordinates.
			c := float64((float64(i)+0.5)*ratio) - 0.5
			j := int(math.Floor(c))
			f := c - float64(j)
			switch {
			case j < 0:
				rs.start[i] = 0
				rs.w = append(rs.w, 1)
			case j >= src-1:
				rs.start[i] = src - 1
				rs.w = append(rs.w, 1)
			default:
				rs.start[i] = j
				rs.w = append(rs.w, 1-f, f)
			}
		}
		rs.off[i+1] = len(rs.w)
	}
	return rs
}

// apply resamples in into out (both contiguous): out[i] is the sum from 0
// of the weighted inputs in order.
func (rs resampler) apply(out, in []float64) {
	for i := range out {
		base := rs.start[i]
		acc := 0.0
		for k, w := range rs.w[rs.off[i]:rs.off[i+1]] {
			acc += float64(w * in[base+k])
		}
		out[i] = acc
	}
}
