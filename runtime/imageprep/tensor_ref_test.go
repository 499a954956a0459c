package imageprep

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"
)

// toTensorRef is ToTensor as first written, step by step: the image drawn
// over white with image/draw, every value through float64 planes, each axis
// resampled with its weights (one weight 1 per output for an unchanged
// axis), the vertical pass column by column. ToTensor must give its bits.
func toTensorRef(img image.Image, p Params) []float32 {
	n, err := p.normalize()
	if err != nil {
		panic(err)
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	rgb := image.NewRGBA(image.Rect(0, 0, sw, sh))
	draw.Draw(rgb, rgb.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(rgb, rgb.Bounds(), img, b.Min, draw.Over)
	type rs struct {
		start []int
		w     [][]float64
	}
	mk := func(src, dst int) rs {
		r := weights(src, dst)
		out := rs{start: r.start, w: make([][]float64, dst)}
		for i := range dst {
			out.w[i] = r.w[r.off[i]:r.off[i+1]]
		}
		return out
	}
	apply := func(r rs, out, in []float64, stride int) {
		for i, ws := range r.w {
			base := r.start[i] * stride
			acc := 0.0
			for k, w := range ws {
				acc += float64(w * in[base+k*stride])
			}
			out[i*stride] = acc
		}
	}
	wx, wy := mk(sw, n.cw), mk(sh, n.ch)
	plane := n.w * n.h
	out := make([]float32, n.c*plane)
	row := make([]float64, sw)
	tmp := make([]float64, sh*n.cw)
	content := make([]float64, n.ch*n.cw)
	ox, oy := (n.w-n.cw)/2, (n.h-n.ch)/2
	for c := range n.c {
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
			apply(wx, tmp[y*n.cw:(y+1)*n.cw], row, 1)
		}
		for x := range n.cw {
			apply(wy, content[x:], tmp[x:], n.cw)
		}
		dst := out[c*plane : (c+1)*plane]
		mean, std := n.mean[c], n.std[c]
		bg := float32((0 - mean) / std)
		for i := range dst {
			dst[i] = bg
		}
		for y := range n.ch {
			drow := dst[(oy+y)*n.w+ox:]
			for x := range n.cw {
				drow[x] = float32((float64(content[y*n.cw+x]*n.scale) - mean) / std)
			}
		}
	}
	return out
}

// randomImage returns a w x h image of kind k: opaque and translucent RGBA
// (premultiplied) and NRGBA, gray, YCbCr, and a sub-image of an RGBA whose
// bounds do not start at 0.
func randomImage(rng *rand.Rand, kind string, w, h int) image.Image {
	r := image.Rect(0, 0, w, h)
	switch kind {
	case "rgba", "rgba_alpha":
		m := image.NewRGBA(r)
		for i := 0; i < len(m.Pix); i += 4 {
			a := uint8(255)
			if kind == "rgba_alpha" && rng.IntN(3) == 0 {
				a = uint8(rng.IntN(256))
			}
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(rng.IntN(int(a)+1)), uint8(rng.IntN(int(a)+1)), uint8(rng.IntN(int(a)+1)), a
		}
		return m
	case "nrgba", "nrgba_alpha":
		m := image.NewNRGBA(r)
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
			if i%4 == 3 && (kind == "nrgba" || rng.IntN(3) != 0) {
				m.Pix[i] = 255
			}
		}
		return m
	case "gray":
		m := image.NewGray(r)
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
		}
		return m
	case "ycbcr":
		m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
			for i := range p {
				p[i] = uint8(rng.IntN(256))
			}
		}
		return m
	default: // "sub": the middle of a larger opaque RGBA
		m := image.NewRGBA(image.Rect(0, 0, w+5, h+3))
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
		}
		for y := range h + 3 {
			for x := range w + 5 {
				c := m.RGBAAt(x, y)
				c.A = 255
				m.SetRGBA(x, y, c)
			}
		}
		return m.SubImage(image.Rect(3, 2, 3+w, 2+h))
	}
}

// TestToTensorMatchesReference checks that ToTensor and ToTensorInto give
// the bits of the step-by-step reference on random images of every kind,
// one and three channels, with and without inversion, with sizes that
// shrink, grow and keep each axis, content smaller than the canvas, and
// random scales, means and standard deviations.
func TestToTensorMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	kinds := []string{"rgba", "rgba_alpha", "nrgba", "nrgba_alpha", "gray", "ycbcr", "sub"}
	for i := range 120 {
		kind := kinds[i%len(kinds)]
		sw, sh := 1+rng.IntN(40), 1+rng.IntN(30)
		pick := func(s int) int {
			switch rng.IntN(3) {
			case 0:
				return s
			case 1:
				return max(1, s/(1+rng.IntN(3)))
			}
			return s + 1 + rng.IntN(20)
		}
		cw, ch := pick(sw), pick(sh)
		p := Params{Width: cw + rng.IntN(3), Height: ch + rng.IntN(3), ContentWidth: cw, ContentHeight: ch,
			Channels: []int{1, 3}[rng.IntN(2)], Invert: rng.IntN(3) == 0}
		if rng.IntN(2) == 0 {
			p.Scale = float32(rng.Float64())
			p.Mean = []float32{float32(rng.Float64()), float32(rng.Float64()), float32(rng.Float64())}[:p.Channels]
			p.Std = []float32{0.1 + float32(rng.Float64()), 0.2, 0.3}[:p.Channels]
		}
		img := randomImage(rng, kind, sw, sh)
		t.Run(fmt.Sprintf("%d_%s_%dx%d_to_%dx%d_c%d", i, kind, sw, sh, cw, ch, p.Channels), func(t *testing.T) {
			want := toTensorRef(img, p)
			got, shape, err := ToTensor(img, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(shape) != 4 || shape[1] != p.Channels || shape[2] != p.Height || shape[3] != p.Width {
				t.Fatalf("shape %v", shape)
			}
			buf := make([]float32, len(want)+5)
			for j := range buf {
				buf[j] = float32(math.NaN())
			}
			into, _, err := ToTensorInto(buf, img, p)
			if err != nil {
				t.Fatal(err)
			}
			if &into[0] != &buf[0] {
				t.Error("ToTensorInto did not write into dst")
			}
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) || math.Float32bits(into[j]) != math.Float32bits(want[j]) {
					t.Fatalf("value %d: ToTensor %v, ToTensorInto %v, reference %v", j, got[j], into[j], want[j])
				}
			}
			if len(into) != len(want) {
				t.Fatalf("ToTensorInto returned %d values, want %d", len(into), len(want))
			}
		})
	}
	// A translucent NRGBA pixel next to opaque ones: read through draw.
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 255})
	img.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 100})
	img.SetNRGBA(2, 0, color.NRGBA{10, 20, 30, 255})
	p := Params{Width: 3, Height: 1, Channels: 3, Scale: 1}
	got, _, err := ToTensor(img, p)
	if err != nil {
		t.Fatal(err)
	}
	// 10 over white at alpha 100/255: 10*100/255 + 255*155/255, as image/draw rounds it.
	if want := toTensorRef(img, p); got[1] != want[1] || got[1] < 158 || got[1] > 160 {
		t.Fatalf("translucent pixel: %v, reference %v", got[1], want[1])
	}
}
