package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// randShapeAxes draws a shape of rank 1 to 5 (sizes 1 to 5) and a random
// subset of its axes.
func randShapeAxes(rng *rand.Rand) ([]int, []int) {
	rank := 1 + rng.IntN(5)
	shape := make([]int, rank)
	var axes []int
	for a := range shape {
		shape[a] = 1 + rng.IntN(5)
		if rng.IntN(2) == 0 {
			axes = append(axes, a)
		}
	}
	return shape, axes
}

func TestReduceMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 60; i++ {
		shape, axes := randShapeAxes(rng)
		if i%10 == 0 {
			axes = nil // no axes: every output is one element
		}
		x := randSlice(rng, ShapeSize(shape))
		g, err := NewReduceGeom(shape, axes)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range ReduceKinds() {
			t.Run(fmt.Sprintf("%d/%v/axes%v/%s", i, shape, axes, kind), func(t *testing.T) {
				in := x
				switch kind {
				case ReduceLogSum: // positive sums
					in = make([]float32, len(x))
					for j, v := range x {
						in[j] = v + 1.5
					}
				case ReduceProd: // products that stay in float32's range
					in = make([]float32, len(x))
					for j, v := range x {
						in[j] = 1 + v/8
					}
				}
				want, wantShape := ref.Reduce(kind.String(), ref.To64(in), shape, axes)
				if !EqualShapes(g.Out, wantShape) {
					t.Fatalf("out shape %v, want %v", g.Out, wantShape)
				}
				dst, check := guarded(t, g.OutSize())
				Reduce(kind, g, dst, in)
				check()
				checkClose(t, dst, want, 2e-7)
			})
		}
	}
}

func TestReduceEdgeCases(t *testing.T) {
	// All axes reduced, repeated axes, a 1-element tensor.
	for _, tc := range []struct {
		shape, axes, out []int
	}{
		{[]int{3, 4}, []int{0, 1, 1, 0}, []int{1, 1}},
		{[]int{1}, []int{0}, []int{1}},
		{[]int{2, 1, 3}, []int{1}, []int{2, 1, 3}},
		{[]int{2, 0, 3}, []int{1}, []int{2, 1, 3}},
	} {
		g, err := NewReduceGeom(tc.shape, tc.axes)
		if err != nil || !EqualShapes(g.Out, tc.out) {
			t.Fatalf("NewReduceGeom(%v, %v) = %v, %v; want %v", tc.shape, tc.axes, g.Out, err, tc.out)
		}
	}
	if _, err := NewReduceGeom([]int{2, 3}, []int{2}); err == nil {
		t.Fatal("axis 2 of a rank-2 shape was accepted")
	}
	// Empty reductions give the identities.
	g, _ := NewReduceGeom([]int{2, 0}, []int{1})
	for kind, want := range map[ReduceKind]float32{ReduceSum: 0, ReduceProd: 1, ReduceMax: float32(math.Inf(-1)), ReduceMin: float32(math.Inf(1))} {
		dst := []float32{7, 7}
		Reduce(kind, g, dst, nil)
		if dst[0] != want || dst[1] != want {
			t.Errorf("%s of nothing = %v, want %v", kind, dst, want)
		}
	}
	// NaN and infinities.
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	g, _ = NewReduceGeom([]int{3, 3}, []int{1})
	x := []float32{1, nan, 2, -inf, -inf, -inf, 1, inf, 3}
	dst := make([]float32, 3)
	for _, kind := range []ReduceKind{ReduceMax, ReduceMin, ReduceLogSumExp} {
		Reduce(kind, g, dst, x)
		if dst[0] == dst[0] {
			t.Errorf("%s with a NaN = %v, want NaN", kind, dst[0])
		}
	}
	Reduce(ReduceLogSumExp, g, dst, x)
	if !math.IsInf(float64(dst[1]), -1) || !math.IsInf(float64(dst[2]), 1) {
		t.Errorf("LogSumExp of -Inf row and of a row with +Inf = %v", dst)
	}
	Reduce(ReduceMax, g, dst, []float32{0, float32(math.Copysign(0, -1)), -1, -1, -2, -3, 5, 5, 5})
	if math.Signbit(float64(dst[0])) || dst[1] != -1 || dst[2] != 5 {
		t.Errorf("ReduceMax = %v", dst)
	}
	// A steady-state reduction allocates nothing.
	g, _ = NewReduceGeom([]int{4, 5, 6}, []int{0, 2})
	x = make([]float32, 120)
	dst = make([]float32, 5)
	if n := testing.AllocsPerRun(10, func() { Reduce(ReduceLogSumExp, g, dst, x) }); n != 0 {
		t.Errorf("Reduce allocates %v times per call", n)
	}
}

func TestArgReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for i := 0; i < 40; i++ {
		outer, axis, inner := 1+rng.IntN(4), 1+rng.IntN(6), 1+rng.IntN(4)
		x := randSlice(rng, outer*axis*inner)
		for j := range x {
			if rng.IntN(3) == 0 {
				x[j] = float32(rng.IntN(3)) // ties
			}
		}
		for _, min := range []bool{false, true} {
			for _, last := range []bool{false, true} {
				dst, check := guarded(t, outer*inner)
				ArgReduce(dst, x, outer, axis, inner, min, last)
				check()
				want := ref.ArgReduce(ref.To64(x), outer, axis, inner, min, last)
				for k := range want {
					if float64(dst[k]) != want[k] {
						t.Fatalf("[%d %d %d] min %v last %v: index %d is %v, want %v", outer, axis, inner, min, last, k, dst[k], want[k])
					}
				}
			}
		}
	}
	nan := float32(math.NaN())
	dst := make([]float32, 1)
	for _, tc := range []struct {
		x         []float32
		min, last bool
		want      float32
	}{
		{[]float32{1, 3, 3, 2}, false, false, 1},
		{[]float32{1, 3, 3, 2}, false, true, 2},
		{[]float32{1, 0, 3, 0}, true, true, 3},
		{[]float32{1, nan, 3, nan}, false, false, 1},
		{[]float32{1, nan, 3, nan}, true, true, 3},
	} {
		ArgReduce(dst, tc.x, 1, len(tc.x), 1, tc.min, tc.last)
		if dst[0] != tc.want {
			t.Errorf("ArgReduce(%v, min %v, last %v) = %v, want %v", tc.x, tc.min, tc.last, dst[0], tc.want)
		}
	}
}

func TestLayerAndInstanceNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	for i := 0; i < 30; i++ {
		outer, inner := 1+rng.IntN(6), 1+rng.IntN(40)
		x := randSlice(rng, outer*inner)
		for j := range x {
			x[j] = x[j]*3 + 5 // a mean far from 0
		}
		scale, bias := randSlice(rng, inner), randSlice(rng, inner)
		eps := float32(1e-5)
		if i%3 == 0 {
			bias = nil
		}
		dst, check := guarded(t, outer*inner)
		LayerNorm(dst, x, scale, bias, outer, inner, eps)
		check()
		var b64 []float64
		if bias != nil {
			b64 = ref.To64(bias)
		}
		checkClose(t, dst, ref.LayerNorm(ref.To64(x), ref.To64(scale), b64, outer, inner, float64(eps)), 1e-6)

		n, c, sp := 1+rng.IntN(3), 1+rng.IntN(4), 1+rng.IntN(30)
		x = randSlice(rng, n*c*sp)
		scale, bias = randSlice(rng, c), randSlice(rng, c)
		dst, check = guarded(t, n*c*sp)
		InstanceNorm(dst, x, scale, bias, n, c, sp, 1e-3)
		check()
		checkClose(t, dst, ref.InstanceNorm(ref.To64(x), ref.To64(scale), ref.To64(bias), n, c, sp, 1e-3), 1e-6)
	}
	// A constant row normalises to the bias; in place works.
	x := []float32{2, 2, 2, 2}
	LayerNorm(x, x, []float32{1, 1, 1, 1}, []float32{0.5, 0.5, 0.5, 0.5}, 1, 4, 1e-5)
	for _, v := range x {
		if v != 0.5 {
			t.Fatalf("constant row normalised to %v", x)
		}
	}
}
