package ops

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestPadKernel(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		pads  []int
		mode  string
	}{
		{"constant-2d", []int{3, 4}, []int{1, 2, 0, 3}, "constant"},
		{"constant-nchw", []int{1, 2, 3, 3}, []int{0, 0, 1, 1, 0, 1, 2, 0}, "constant"},
		{"constant-outer", []int{2, 3}, []int{2, 0, 1, 0}, "constant"},
		{"reflect", []int{1, 2, 4, 5}, []int{0, 0, 3, 2, 0, 0, 1, 4}, "reflect"},
		{"edge", []int{1, 2, 3, 4}, []int{0, 1, 4, 2, 0, 2, 1, 5}, "edge"},
		{"edge-1d", []int{5}, []int{3, 7}, "edge"},
		{"none", []int{2, 3}, []int{0, 0, 0, 0}, "reflect"},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randSlice(rng, prodInts(c.shape))
			mode, err := ParsePadMode(c.mode)
			if err != nil {
				t.Fatal(err)
			}
			g, err := NewPadGeom(c.shape, c.pads, mode, 0.25)
			if err != nil {
				t.Fatal(err)
			}
			want, ws := ref.Pad(ref.To64(x), c.shape, c.pads, c.mode, 0.25)
			if !EqualShapes(g.Out, ws) {
				t.Fatalf("shape %v, want %v", g.Out, ws)
			}
			dst, check := guarded(t, g.Size())
			Pad(g, dst, x)
			check()
			checkClose(t, dst, want, 0)
		})
	}
	bad := []struct {
		name  string
		shape []int
		pads  []int
		mode  PadMode
	}{
		{"negative", []int{3}, []int{-1, 0}, PadConstant},
		{"reflect-too-far", []int{3}, []int{3, 0}, PadReflect},
		{"count", []int{3, 3}, []int{1, 1}, PadConstant},
	}
	for _, c := range bad {
		t.Run("bad-"+c.name, func(t *testing.T) {
			if _, err := NewPadGeom(c.shape, c.pads, c.mode, 0); !errors.Is(err, ErrShape) {
				t.Fatalf("err %v, want ErrShape", err)
			}
		})
	}
}
