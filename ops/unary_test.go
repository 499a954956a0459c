package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// unaryInputs returns n values of every magnitude an op's domain needs, and
// the edge cases: zeros of both signs, infinities, NaN, tiny and huge values.
func unaryInputs(rng *rand.Rand, n int) []float32 {
	inf := float32(math.Inf(1))
	x := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), 1e-40, -1e-40, 3e38, -3e38,
		0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 88.7, 89, -103, -104, 1, -1}
	for len(x) < n {
		switch len(x) % 3 {
		case 0:
			x = append(x, float32(rng.NormFloat64()*3))
		case 1:
			x = append(x, float32(math.Exp(rng.NormFloat64()*10)*math.Copysign(1, rng.Float64()-0.5)))
		default:
			x = append(x, float32(math.Round(rng.NormFloat64()*5)))
		}
	}
	return x
}

// TestUnary checks every unary function against its float64 definition in
// ops/ref: within one float32 rounding (two for Exp and Log near the limits
// of float32), with the special values exactly, and no write outside dst.
func TestUnary(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, kind := range UnaryKinds() {
		t.Run(kind.String(), func(t *testing.T) {
			f := ref.UnaryFunc(kind.String())
			if f == nil {
				t.Fatalf("no reference for %s", kind)
			}
			x := unaryInputs(rng, 5000)
			dst, check := guarded(t, len(x))
			Unary(kind, dst, x)
			check()
			for i, v := range x {
				w := f(float64(v))
				want := float32(w)
				got := dst[i]
				if got != Unary32(kind, v) && got == got {
					t.Fatalf("Unary and Unary32 differ at %v", v)
				}
				switch {
				case math.IsNaN(w) || math.IsInf(float64(want), 0) || want == 0 || math.Abs(w) < 1e-37:
					if math.Float32bits(got) != math.Float32bits(want) && !(got != got && w != w) &&
						math.Abs(float64(got)-w) > 1.5e-45 {
						t.Fatalf("%s(%v) = %v, want %v", kind, v, got, want)
					}
				case math.Abs(float64(got)-w) > math.Abs(w)*1.2e-7:
					t.Fatalf("%s(%v) = %v, want %v (float64 %v)", kind, v, got, want, w)
				}
			}
			// In place.
			y := append([]float32(nil), x...)
			Unary(kind, y, y)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(dst[i]) {
					t.Fatalf("in place: element %d is %v, want %v", i, y[i], dst[i])
				}
			}
		})
	}
}

// TestGelu checks both forms of Gelu against the float64 definitions,
// including large negative inputs, where x/2*(1+erf) cancels.
func TestGelu(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	x := unaryInputs(rng, 20000)
	for _, tanh := range []bool{false, true} {
		dst, check := guarded(t, len(x))
		Gelu(dst, x, tanh)
		check()
		for i, v := range x {
			w := ref.Gelu(float64(v), tanh)
			got := dst[i]
			if math.IsNaN(w) || math.IsInf(w, 0) {
				if !(got != got && w != w) && float64(got) != w {
					t.Fatalf("Gelu(%v, tanh %v) = %v, want %v", v, tanh, got, w)
				}
				continue
			}
			// ref.Gelu itself cancels for v < -3: there compare against
			// the absolute error it has (a few 1e-16 of |v|).
			tol := math.Abs(w)*1.2e-7 + 1e-45
			if v < -3 {
				tol += 1e-15 * math.Abs(float64(v))
			}
			if math.Abs(float64(got)-w) > tol {
				t.Fatalf("Gelu(%v, tanh %v) = %v, want %v", v, tanh, got, w)
			}
		}
	}
	// Far in the negative tail both forms are tiny negative values or -0,
	// never positive, never NaN.
	for _, v := range []float32{-10, -30, -1e4, -3e38} {
		for _, tanh := range []bool{false, true} {
			if g := Gelu32(v, tanh); g > 0 || g != g {
				t.Errorf("Gelu32(%v, %v) = %v", v, tanh, g)
			}
		}
	}
	if g := Gelu32(-1, false); math.Abs(float64(g)+0.15865525393145707) > 1e-8 {
		t.Errorf("Gelu32(-1) = %v", g)
	}
}

// broadcastCases are pairs of shapes: the output's (or X's) and one that
// broadcasts to it.
var broadcastCases = [][2][]int{
	{{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {3, 1, 1}}, {{2, 3, 4, 5}, {}}, {{2, 3, 4, 5}, {1}},
	{{2, 3, 4, 5}, {5}}, {{2, 3, 4, 5}, {1, 3, 1, 5}}, {{2, 3, 4, 5}, {2, 1, 4, 1}}, {{3, 7}, {3, 1}}, {{6}, {1}},
	{{1, 4, 1, 6}, {4, 1, 6}}, {{0, 3}, {3}},
}

func TestPRelu(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, c := range broadcastCases {
		xs, ss := c[0], c[1]
		g, err := NewBroadcastGeom(xs, ss)
		if err != nil {
			t.Fatal(err)
		}
		x, s := randSlice(rng, ShapeSize(xs)), randSlice(rng, ShapeSize(ss))
		if len(x) > 0 {
			x[0] = float32(math.NaN())
		}
		dst, check := guarded(t, len(x))
		PRelu(g, dst, x, s)
		check()
		want, _ := ref.Binary(ref.To64(x), xs, ref.To64(s), ss, ref.PRelu)
		for i := range want {
			if float32(want[i]) != dst[i] && !(dst[i] != dst[i] && want[i] != want[i]) {
				t.Fatalf("x %v slope %v: element %d = %v, want %v", xs, ss, i, dst[i], want[i])
			}
		}
		PRelu(g, x, x, s) // in place
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("in place: element %d differs", i)
			}
		}
	}
}

// TestVariadic checks Sum, Mean, Max and Min of 1 to 4 inputs, broadcast in
// every layout, against ops/ref, with NaNs and infinities in the inputs.
func TestVariadic(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	names := map[VariadicKind]string{VarSum: "Sum", VarMean: "Mean", VarMax: "Max", VarMin: "Min"}
	for kind, name := range names {
		for ci, c := range broadcastCases {
			for k := 1; k <= 4; k++ {
				shapes := [][]int{c[1]}
				for j := 1; j < k; j++ {
					shapes = append(shapes, broadcastCases[(ci+j)%len(broadcastCases)][1])
				}
				shapes[k/2] = c[0]
				out := []int{}
				ok := true
				for _, s := range shapes {
					g, err := NewBroadcastGeom(out, s)
					if err != nil {
						ok = false
						break
					}
					out = g.Out
				}
				if !ok {
					continue
				}
				var gs []BroadcastGeom
				var srcs [][]float32
				var x64 [][]float64
				for j, s := range shapes {
					g, err := NewBroadcastGeom(out, s)
					if err != nil {
						t.Fatal(err)
					}
					v := randSlice(rng, ShapeSize(s))
					if len(v) > 2 && j == 1 {
						v[1], v[2] = float32(math.NaN()), float32(math.Inf(-1))
					}
					gs, srcs, x64 = append(gs, g), append(srcs, v), append(x64, ref.To64(v))
				}
				dst, check := guarded(t, ShapeSize(out))
				Variadic(kind, gs, dst, srcs)
				check()
				want, ws := ref.Variadic(name, x64, shapes)
				if !EqualShapes(ws, out) {
					t.Fatalf("%s %v: reference shape %v, want %v", name, shapes, ws, out)
				}
				for i := range want {
					w := want[i]
					if d := math.Abs(float64(dst[i]) - w); !(d <= 4e-7*float64(k)) && !(dst[i] != dst[i] && w != w) && float64(dst[i]) != w {
						t.Fatalf("%s %v: element %d = %v, want %v", name, shapes, i, dst[i], w)
					}
				}
			}
		}
	}
}

// TestVariadicOrder checks that Sum adds left to right in float32:
// (1e8 + 1) + -1e8 is 0 in float32, 1e8 + (1 + -1e8) is not.
func TestVariadicOrder(t *testing.T) {
	g, _ := NewBroadcastGeom([]int{1}, []int{1})
	dst := make([]float32, 1)
	Variadic(VarSum, []BroadcastGeom{g, g, g}, dst, [][]float32{{1e8}, {1}, {-1e8}})
	if dst[0] != 0 {
		t.Fatalf("Sum(1e8, 1, -1e8) = %v, want 0 (left to right in float32)", dst[0])
	}
	Variadic(VarMax, []BroadcastGeom{g, g}, dst, [][]float32{{float32(math.NaN())}, {1}})
	if dst[0] == dst[0] {
		t.Fatalf("Max(NaN, 1) = %v, want NaN", dst[0])
	}
	Variadic(VarMin, []BroadcastGeom{g, g}, dst, [][]float32{{1}, {float32(math.NaN())}})
	if dst[0] == dst[0] {
		t.Fatalf("Min(1, NaN) = %v, want NaN", dst[0])
	}
}
