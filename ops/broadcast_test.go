package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestBinaryBroadcast(t *testing.T) {
	fns := map[BinaryKind]func(x, y float64) float64{
		BinAdd: func(x, y float64) float64 { return x + y },
		BinSub: func(x, y float64) float64 { return x - y },
		BinMul: func(x, y float64) float64 { return x * y },
		BinDiv: func(x, y float64) float64 { return x / y },
	}
	cases := []struct {
		name string
		a, b []int
	}{
		{"same", []int{2, 3, 4}, []int{2, 3, 4}},
		{"scalar-b", []int{2, 3, 4}, []int{}},
		{"scalar-a", []int{1}, []int{2, 5}},
		{"channel", []int{2, 3, 4, 5}, []int{3, 1, 1}},
		{"channel-4d", []int{1, 3, 1, 1}, []int{2, 3, 4, 5}},
		{"row", []int{4, 6}, []int{6}},
		{"column", []int{4, 6}, []int{4, 1}},
		{"outer", []int{4, 1}, []int{1, 6}},
		{"mixed", []int{2, 1, 4, 1}, []int{3, 1, 5}},
		{"ones", []int{1, 1}, []int{1}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		for kind, f := range fns {
			t.Run(c.name+"/"+kind.String(), func(t *testing.T) {
				a, b := randSlice(rng, prodInts(c.a)), randSlice(rng, prodInts(c.b))
				if kind == BinDiv {
					for i := range b {
						b[i] = float32(math.Copysign(0.5, float64(b[i]))) + b[i]
					}
				}
				g, err := NewBroadcastGeom(c.a, c.b)
				if err != nil {
					t.Fatal(err)
				}
				want, ws := ref.Binary(ref.To64(a), c.a, ref.To64(b), c.b, f)
				if !EqualShapes(g.Out, ws) {
					t.Fatalf("shape %v, want %v", g.Out, ws)
				}
				dst, check := guarded(t, g.Size())
				Binary(kind, g, dst, a, b, Activation{})
				check()
				checkClose(t, dst, want, 1e-6)
				// A fused ReLU equals ReLU applied afterwards.
				Binary(kind, g, dst, a, b, Activation{Kind: ActReLU})
				checkClose(t, dst, ref.Map(want, ref.ReLU), 1e-6)
			})
		}
	}
	t.Run("incompatible", func(t *testing.T) {
		if _, err := NewBroadcastGeom([]int{2, 3}, []int{4}); !errors.Is(err, ErrShape) {
			t.Fatalf("err %v, want ErrShape", err)
		}
	})
}
