package ops

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestTransposeKernel(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		perm  []int
	}{
		{"2d", []int{3, 5}, []int{1, 0}},
		{"nchw-nhwc", []int{2, 3, 4, 5}, []int{0, 2, 3, 1}},
		{"nhwc-nchw", []int{2, 4, 5, 3}, []int{0, 3, 1, 2}},
		{"identity", []int{2, 3, 4}, []int{0, 1, 2}},
		{"unit-axes", []int{1, 6, 1, 4}, []int{2, 1, 0, 3}},
		{"5d", []int{2, 1, 3, 2, 2}, []int{4, 2, 0, 3, 1}},
		{"reverse", []int{2, 3, 4}, nil},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randSlice(rng, prodInts(c.shape))
			g, err := NewTransposeGeom(c.shape, c.perm)
			if err != nil {
				t.Fatal(err)
			}
			want, ws := ref.Transpose(ref.To64(x), c.shape, g.Perm)
			if !EqualShapes(g.Out, ws) {
				t.Fatalf("shape %v, want %v", g.Out, ws)
			}
			dst, check := guarded(t, g.Size())
			Transpose(g, dst, x)
			check()
			checkClose(t, dst, want, 0)
		})
	}
	for _, perm := range [][]int{{0, 0, 1}, {0, 1}, {0, 1, 3}} {
		if _, err := NewTransposeGeom([]int{2, 3, 4}, perm); !errors.Is(err, ErrShape) {
			t.Errorf("perm %v: err %v, want ErrShape", perm, err)
		}
	}
}
