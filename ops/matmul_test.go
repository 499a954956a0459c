package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// matMulShapes returns seeded random MatMul operand shapes: ranks 1 to 4,
// batch axes that broadcast (size 1 or missing on either side).
func matMulShapes(rng *rand.Rand) (a, b []int) {
	m, n, k := 1+rng.IntN(9), 1+rng.IntN(9), 1+rng.IntN(12)
	ra, rb := 1+rng.IntN(4), 1+rng.IntN(4)
	batch := []int{1 + rng.IntN(3), 1 + rng.IntN(3)}
	bat := func(r int) []int {
		var s []int
		for i := 0; i < r-2; i++ {
			d := batch[len(batch)-(r-2)+i]
			if rng.IntN(3) == 0 {
				d = 1
			}
			s = append(s, d)
		}
		return s
	}
	if ra == 1 {
		a = []int{k}
	} else {
		a = append(bat(ra), m, k)
	}
	if rb == 1 {
		b = []int{k}
	} else {
		b = append(bat(rb), k, n)
	}
	return a, b
}

func TestMatMulKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := [][2][]int{
		{{3, 4}, {4, 5}}, {{4}, {4}}, {{4}, {2, 4, 3}}, {{2, 3, 4}, {4}},
		{{2, 1, 3, 4}, {5, 4, 6}}, {{1, 1}, {1, 1}}, {{3, 300, 40}, {40, 150}}, // Gemm blocking across K and N blocks
		{{8, 2, 3}, {8, 3, 2}}, // many small products: split across goroutines
	}
	for range 60 {
		a, b := matMulShapes(rng)
		cases = append(cases, [2][]int{a, b})
	}
	for _, c := range cases {
		a, b := c[0], c[1]
		g, err := NewMatMulGeom(a, b)
		if err != nil {
			t.Fatalf("%v x %v: %v", a, b, err)
		}
		x, y := randSlice(rng, ShapeSize(a)), randSlice(rng, ShapeSize(b))
		want, ws := ref.MatMul(ref.To64(x), a, ref.To64(y), b)
		if !EqualShapes(ws, g.Out) {
			t.Fatalf("%v x %v: shape %v, want %v", a, b, g.Out, ws)
		}
		var first []float32
		for _, threads := range []int{1, 2, 3, 7} {
			dst, check := guarded(t, ShapeSize(g.Out))
			work := make([]float32, g.WorkspaceLen())
			MatMul(g, dst, x, y, work, threads)
			check()
			checkClose(t, dst, want, 1e-5)
			if first == nil {
				first = append([]float32(nil), dst...)
			}
			for i := range dst {
				if math.Float32bits(dst[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v x %v: %d threads differ from 1 at %d", a, b, threads, i)
				}
			}
		}
		// Each output is Gemm's sum: in increasing K, float32 products and
		// additions from 0, bit for bit.
		for t2 := 0; t2 < g.Batches; t2++ {
			for i := 0; i < g.M; i++ {
				for j := 0; j < g.N; j++ {
					s := float32(0)
					for p := 0; p < g.K; p++ {
						s += float32(x[g.aOff[t2]+i*g.K+p] * y[g.bOff[t2]+p*g.N+j])
					}
					if got := first[(t2*g.M+i)*g.N+j]; math.Float32bits(got) != math.Float32bits(s) {
						t.Fatalf("%v x %v: element (%d, %d, %d) = %v, want %v (summation order)", a, b, t2, i, j, got, s)
					}
				}
			}
		}
	}
}

func TestMatMulGeomErrors(t *testing.T) {
	for _, c := range [][2][]int{{{}, {3}}, {{3, 4}, {5, 2}}, {{2, 3, 4}, {3, 4, 5}}, {{3}, {4}}} {
		if _, err := NewMatMulGeom(c[0], c[1]); !errors.Is(err, ErrShape) {
			t.Errorf("%v x %v: err %v, want ErrShape", c[0], c[1], err)
		}
	}
}
