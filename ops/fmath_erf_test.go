package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestErf64 checks Erf64 and Erfc64 against math.Erf and math.Erfc on a
// grid, random values across every branch and the special values.
func TestErf64(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, c := range []struct{ x, erf, erfc float64 }{
		{0, 0, 1}, {negZero, negZero, 1}, {math.Inf(1), 1, 0}, {math.Inf(-1), -1, 2}, {30, 1, 0}, {-30, -1, 2},
	} {
		if got := Erf64(c.x); !sameFloat64(got, c.erf) {
			t.Errorf("Erf64(%v) = %v, want %v", c.x, got, c.erf)
		}
		if got := Erfc64(c.x); !sameFloat64(got, c.erfc) {
			t.Errorf("Erfc64(%v) = %v, want %v", c.x, got, c.erfc)
		}
	}
	if !math.IsNaN(Erf64(math.NaN())) || !math.IsNaN(Erfc64(math.NaN())) {
		t.Error("Erf64(NaN) or Erfc64(NaN) is not NaN")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	var xs []float64
	for x := -7.0; x <= 7; x += 1.0 / 512 {
		xs = append(xs, x)
	}
	for i := 0; i < 50000; i++ {
		xs = append(xs, rng.NormFloat64()*3, (rng.Float64()*2-1)*1e-6, 1.99+rng.Float64()*0.02, 5.99+rng.Float64()*0.02)
	}
	for _, x := range xs {
		if e := relErr(Erf64(x), math.Erf(x)); e > 2e-15 && math.Abs(Erf64(x)-math.Erf(x)) > 2e-16 {
			t.Fatalf("Erf64(%v) = %v, math.Erf %v (relative error %.3g)", x, Erf64(x), math.Erf(x), e)
		}
		if e := relErr(Erfc64(x), math.Erfc(x)); e > 1e-14 && math.Abs(Erfc64(x)-math.Erfc(x)) > 2e-15 {
			t.Fatalf("Erfc64(%v) = %v, math.Erfc %v (relative error %.3g)", x, Erfc64(x), math.Erfc(x), e)
		}
	}
	for x := 6.0; x < 27.5; x += 1.0 / 64 {
		if e := relErr(Erfc64(x), math.Erfc(x)); e > 1e-13 && math.Erfc(x) > 1e-300 {
			t.Fatalf("Erfc64(%v) = %v, math.Erfc %v (relative error %.3g)", x, Erfc64(x), math.Erfc(x), e)
		}
	}
}

// TestErf32 requires Erf32 to be math.Erf rounded to float32 (at most one
// ulp away, where the float64 value sits next to a rounding boundary).
func TestErf32(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	exact := 0
	const n = 100000
	for i := 0; i < n; i++ {
		x := float32(rng.NormFloat64() * 2)
		got, want := Erf32(x), float32(math.Erf(float64(x)))
		if got == want {
			exact++
			continue
		}
		if d := math.Abs(float64(got - want)); d > float64(math.Nextafter32(float32(math.Abs(float64(want))), 2)-float32(math.Abs(float64(want)))) {
			t.Fatalf("Erf32(%v) = %v, want %v", x, got, want)
		}
	}
	if exact < n-n/1000 {
		t.Fatalf("only %d of %d values are exactly math.Erf rounded", exact, n)
	}
}
