package ops

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestConvTransposeKernel(t *testing.T) {
	cases := []struct {
		name   string
		x, w   []int
		p      ConvTransposeParams
		bias   bool
		outLen []int
	}{
		{"1d", []int{1, 2, 5}, []int{2, 3, 3}, ConvTransposeParams{}, true, nil},
		{"2d-stride2", []int{2, 3, 4, 4}, []int{3, 2, 3, 3}, ConvTransposeParams{Window: Window{Strides: []int{2, 2}}}, true, nil},
		{"2d-pads", []int{1, 2, 5, 4}, []int{2, 4, 3, 2}, ConvTransposeParams{Window: Window{Strides: []int{2, 1}, PadsBegin: []int{1, 0}, PadsEnd: []int{0, 1}}}, false, nil},
		{"2d-dilated", []int{1, 2, 4, 4}, []int{2, 1, 3, 3}, ConvTransposeParams{Window: Window{Strides: []int{3, 2}, Dilations: []int{2, 3}}}, true, nil},
		{"2d-groups", []int{1, 4, 3, 3}, []int{4, 3, 2, 2}, ConvTransposeParams{Groups: 2, Window: Window{Strides: []int{2, 2}}}, true, nil},
		{"2d-outpad", []int{1, 1, 3, 3}, []int{1, 2, 3, 3}, ConvTransposeParams{OutputPadding: []int{1, 1}, Window: Window{Strides: []int{2, 2}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}}, true, nil},
		{"2d-outshape", []int{1, 2, 3, 3}, []int{2, 2, 3, 3}, ConvTransposeParams{OutputShape: []int{6, 7}, Window: Window{Strides: []int{2, 2}}}, false, []int{6, 7}},
		{"2d-same-upper", []int{1, 2, 3, 4}, []int{2, 2, 4, 3}, ConvTransposeParams{Window: Window{Strides: []int{2, 2}, AutoPad: PadSameUpper}}, true, []int{6, 8}},
		{"3d", []int{1, 2, 2, 3, 3}, []int{2, 2, 2, 2, 2}, ConvTransposeParams{Window: Window{Strides: []int{2, 1, 2}}}, true, nil},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := NewConvTransposeGeom(c.x, c.w, c.p)
			if err != nil {
				t.Fatal(err)
			}
			if c.outLen != nil && !EqualShapes(g.OutShape()[2:], c.outLen) {
				t.Fatalf("output %v, want spatial %v", g.OutShape(), c.outLen)
			}
			x, w := randSlice(rng, prodInts(c.x)), randSlice(rng, prodInts(c.w))
			var b []float32
			if c.bias {
				b = randSlice(rng, g.M)
			}
			rank := len(c.x) - 2
			a := ref.ConvTransposeAttrs{Groups: g.G}
			all := func(d Dims3) []int { return d.slice(rank) }
			a.Strides, a.Dilations, a.PadsBegin, a.Out = all(g.Stride), all(g.Dilate), all(g.PadHead), all(g.Out)
			var b64 []float64
			if b != nil {
				b64 = ref.To64(b)
			}
			want, ws := ref.ConvTranspose(ref.To64(x), c.x, ref.To64(w), c.w, b64, a)
			if !EqualShapes(g.OutShape(), ws) {
				t.Fatalf("shape %v, want %v", g.OutShape(), ws)
			}
			for _, threads := range []int{1, 3} {
				dst, check := guarded(t, prodInts(ws))
				ConvTranspose(g, dst, x, w, b, Activation{}, threads)
				check()
				checkClose(t, dst, want, 1e-5)
			}
		})
	}
	if _, err := NewConvTransposeGeom([]int{1, 3, 4, 4}, []int{2, 2, 3, 3}, ConvTransposeParams{}); !errors.Is(err, ErrShape) {
		t.Errorf("channel mismatch: err %v, want ErrShape", err)
	}
}
