package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPow32 checks Pow32 against math.Pow (C's pow in float64): the special
// cases exactly, random operands to within one float32 rounding.
func TestPow32(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	special := []struct{ x, y float32 }{
		{2, 0}, {nan, 0}, {1, nan}, {1, inf}, {-1, inf}, {-1, -inf}, {0.5, inf}, {2, inf}, {0.5, -inf}, {2, -inf},
		{0, 3}, {0, -3}, {negZero, 3}, {negZero, -3}, {negZero, 2}, {negZero, 0.5}, {negZero, -0.5}, {0, 0.5},
		{-2, 3}, {-2, 2}, {-2, -3}, {-8, 1.0 / 3}, {-2, 0.5}, {-inf, 3}, {-inf, 2}, {-inf, 0.5}, {-inf, -0.5}, {-inf, -3},
		{inf, 2}, {inf, -2}, {inf, 0.5}, {nan, 2}, {nan, 1}, {2, nan}, {3, 1}, {-3, 1}, {1.5, 2}, {-1.5, 2}, {4, 0.5},
		{2, 127}, {2, -149}, {10, 38}, {10, 39}, {-10, 39}, {1e-20, 3}, {-3, 1 << 24}, {-3, 1<<24 + 2},
	}
	for _, c := range special {
		got := Pow32(c.x, c.y)
		want := float32(math.Pow(float64(c.x), float64(c.y)))
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			if d := math.Abs(float64(got-want)) / math.Abs(float64(want)); !(d <= 1.2e-7) {
				t.Errorf("Pow32(%v, %v) = %v (%08x), want %v (%08x)", c.x, c.y, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		x := float32(rng.NormFloat64() * 4)
		y := float32(rng.NormFloat64() * 3)
		if i%3 == 0 {
			y = float32(math.Round(float64(y))) // integer exponents, negative bases too
		}
		got := Pow32(x, y)
		w := math.Pow(float64(x), float64(y))
		want := float32(w)
		switch {
		case math.IsNaN(w) || math.IsInf(float64(want), 0) || want == 0:
			if math.Float32bits(got) != math.Float32bits(want) && !(got != got && w != w) {
				t.Fatalf("Pow32(%v, %v) = %v, want %v", x, y, got, want)
			}
		case math.Abs(float64(got)-w) > math.Abs(w)*1.2e-7: // half an ulp of float32 plus the float64 error
			t.Fatalf("Pow32(%v, %v) = %v, want %v (float64 %v)", x, y, got, want, w)
		}
	}
}

// TestBinaryPow checks Binary with BinPow over every broadcast layout
// against Pow32 element by element.
func TestBinaryPow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ a, b []int }{{[]int{3, 4}, []int{3, 4}}, {[]int{3, 4}, []int{}}, {[]int{1}, []int{2, 5}}, {[]int{4, 1}, []int{1, 6}}} {
		a, b := randSlice(rng, prodInts(c.a)), randSlice(rng, prodInts(c.b))
		for i := range b {
			if i%2 == 0 {
				b[i] = float32(math.Round(float64(b[i] * 3)))
			}
		}
		g, err := NewBroadcastGeom(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, g.Size())
		Binary(BinPow, g, dst, a, b, Activation{})
		ra, rb := broadcastIndex(g.Out, c.a), broadcastIndex(g.Out, c.b)
		for i, v := range dst {
			want := Pow32(a[ra[i]], b[rb[i]])
			if math.Float32bits(v) != math.Float32bits(want) && !(v != v && want != want) {
				t.Fatalf("%v ** %v [%d]: %v, want %v", c.a, c.b, i, v, want)
			}
		}
	}
}

// broadcastIndex maps each output index of shape out to the index of the
// operand of shape in that numpy broadcasting reads.
func broadcastIndex(out, in []int) []int {
	n := ShapeSize(out)
	idx := make([]int, n)
	for o := 0; o < n; o++ {
		rem, src, stride := o, 0, 1
		for ax := len(out) - 1; ax >= 0; ax-- {
			c := rem % out[ax]
			rem /= out[ax]
			if ia := ax - (len(out) - len(in)); ia >= 0 {
				if in[ia] != 1 {
					src += c * stride
				}
				stride *= in[ia]
			}
		}
		idx[o] = src
	}
	return idx
}
