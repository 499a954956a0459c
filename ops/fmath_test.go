package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// relErr returns |got-want|/|want|, 0 when both are equal (including equal
// infinities) and +Inf when exactly one is NaN.
func relErr(got, want float64) float64 {
	switch {
	case got == want, math.IsNaN(got) && math.IsNaN(want):
		return 0
	case math.IsNaN(got) || math.IsNaN(want) || math.IsInf(got, 0) || math.IsInf(want, 0):
		return math.Inf(1)
	case want == 0:
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// sameFloat64 reports whether a and b are both NaN or equal, with the same
// sign for zeros.
func sameFloat64(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

// refExp is math.Exp, except near overflow where amd64's assembly math.Exp
// returns +Inf early (Exp(709.7) is 1.65e308, finite): there it is computed
// as e**(x-16) * e**16 (x-16 is exact; two roundings).
func refExp(x float64) float64 {
	if x > 700 && x < 710 {
		return math.Exp(x-16) * math.Exp(16)
	}
	return math.Exp(x)
}

// refLog is math.Log, except for subnormal x, where amd64's assembly
// math.Log is wrong (it returns -709.09 for 5e-324, not -744.44): there it
// is computed as log(x * 2**52) - 52 ln 2 (the scaling is exact).
func refLog(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p52) - 52*math.Ln2
	}
	return math.Log(x)
}

func TestExp64(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		name   string
		lo, hi float64
		tol    float64 // relative
		abs    float64 // absolute slack (subnormal results)
	}{
		{"tiny", -1e-10, 1e-10, 1e-15, 0},
		{"unit", -1, 1, 1e-15, 0},
		{"moderate", -50, 50, 1e-14, 0},
		{"wide", -708, 709.78, 1e-14, 0},
		// Results below 2**-1022 are subnormal: their precision is absolute.
		{"subnormal", -745.13, -708.4, 1e-14, 2 * math.SmallestNonzeroFloat64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			worst := 0.0
			for i := 0; i < 20000; i++ {
				x := tc.lo + (tc.hi-tc.lo)*rng.Float64()
				got, want := Exp64(x), refExp(x)
				if d := math.Abs(got - want); d > tc.abs && relErr(got, want) > tc.tol {
					t.Fatalf("Exp64(%v) = %v, math.Exp %v (relative error %.3g)", x, got, want, relErr(got, want))
				}
				if want > 0x1p-1022 {
					worst = math.Max(worst, relErr(got, want))
				}
			}
			t.Logf("worst relative error %.3g", worst)
		})
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(), 709.78, 709.8, 710,
		1e300, -745.2, -746, -1e300, 1e-300, -1e-300, math.SmallestNonzeroFloat64, math.Ln2, 88.72, -103.97} {
		t.Run(fmt.Sprint("special_", x), func(t *testing.T) {
			got, want := Exp64(x), refExp(x)
			if !sameFloat64(got, want) && relErr(got, want) > 1e-15 {
				t.Fatalf("Exp64(%v) = %v, want %v", x, got, want)
			}
		})
	}
}

func TestLog64(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct {
		name           string
		minExp, maxExp int // x = m * 2**e, m in [1, 2)
	}{
		{"near_one", -1, 0},
		{"normal", -1022, 1023},
		{"subnormal", -1074, -1023},
	} {
		t.Run(tc.name, func(t *testing.T) {
			worst := 0.0
			for i := 0; i < 20000; i++ {
				e := tc.minExp + rng.IntN(tc.maxExp-tc.minExp+1)
				x := math.Ldexp(1+rng.Float64(), e)
				if x == 0 {
					continue
				}
				got, want := Log64(x), refLog(x)
				if r := relErr(got, want); r > 1e-14 {
					t.Fatalf("Log64(%v) = %v, math.Log %v (relative error %.3g)", x, got, want, r)
				}
				worst = math.Max(worst, relErr(got, want))
			}
			t.Logf("worst relative error %.3g", worst)
		})
	}
	t.Run("close_to_one", func(t *testing.T) {
		for _, d := range []float64{1e-15, 1e-10, 1e-5, 0.01, 0.29, 0.3, 0.42} {
			for _, x := range []float64{1 + d, 1 - d/2} {
				if r := relErr(Log64(x), math.Log(x)); r > 1e-14 {
					t.Fatalf("Log64(%v) = %v, math.Log %v", x, Log64(x), math.Log(x))
				}
			}
		}
	})
	for _, x := range []float64{0, math.Copysign(0, -1), 1, 2, math.E, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, 1e-300, 1e300} {
		t.Run(fmt.Sprint("special_", x), func(t *testing.T) {
			got, want := Log64(x), refLog(x)
			if !sameFloat64(got, want) && relErr(got, want) > 1e-15 {
				t.Fatalf("Log64(%v) = %v, want %v", x, got, want)
			}
		})
	}
}

func TestPow64(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct {
		name       string
		xLog2, yAb float64 // x = 2**u, u in [-xLog2, xLog2]; y in [-yAb, yAb]
		tol        float64
	}{
		// LRN's range: bias plus a scaled sum of squares, beta near 0.75.
		{"lrn_range", 10, 4, 1e-14},
		{"unit_exponent", 30, 1, 1e-14},
		// Wide: the result's relative error is about |y ln x| ulps of the
		// exponent, so the bound grows with it (math.Pow uses extra precision).
		{"wide", 1000, 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			worst := 0.0
			for i := 0; i < 20000; i++ {
				x := math.Exp2(tc.xLog2 * (2*rng.Float64() - 1))
				y := tc.yAb * (2*rng.Float64() - 1)
				z := y * math.Log(x)
				if math.Abs(z) > 700 {
					continue
				}
				got, want := Pow64(x, y), math.Pow(x, y)
				tol := tc.tol
				if tol == 0 {
					tol = 1e-14 + 4e-16*math.Abs(z)
				}
				if r := relErr(got, want); r > tol {
					t.Fatalf("Pow64(%v, %v) = %v, math.Pow %v (relative error %.3g > %.3g)", x, y, got, want, r, tol)
				}
				worst = math.Max(worst, relErr(got, want))
			}
			t.Logf("worst relative error %.3g", worst)
		})
	}
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct{ x, y float64 }{
		{2, 0}, {0, 0}, {nan, 0}, {inf, 0}, {0, 2}, {0, 0.5}, {0, -2}, {1, nan}, {1, inf}, {1, -inf}, {1, 123.4},
		{nan, 1}, {2, nan}, {0, nan}, {inf, 2}, {inf, -2}, {2, inf}, {0.5, inf}, {2, -inf}, {0.5, -inf},
		{4, 0.5}, {2, 10}, {10, -3}, {1e-300, 0.5}, {1e300, 1.02},
	} {
		t.Run(fmt.Sprintf("special_%v^%v", tc.x, tc.y), func(t *testing.T) {
			got, want := Pow64(tc.x, tc.y), math.Pow(tc.x, tc.y)
			z := tc.y * math.Log(tc.x)
			if math.IsNaN(z) || math.IsInf(z, 0) {
				z = 0
			}
			tol := 1e-15 + 4e-16*math.Abs(z)
			if !sameFloat64(got, want) && relErr(got, want) > tol {
				t.Fatalf("Pow64(%v, %v) = %v, want %v", tc.x, tc.y, got, want)
			}
		})
	}
	t.Run("negative_base", func(t *testing.T) {
		if v := Pow64(-2, 2); !math.IsNaN(v) {
			t.Fatalf("Pow64(-2, 2) = %v, want NaN (documented)", v)
		}
		if v := Pow64(-2, 0); v != 1 {
			t.Fatalf("Pow64(-2, 0) = %v, want 1", v)
		}
	})
}

// ulps32 returns the distance in float32 units in the last place between a
// and b (0 for equal values, -1 if exactly one is NaN or the signs of nonzero
// values differ; +0 and -0 are 0 apart if exact is false, -1 if it is true).
func ulps32(a, b float32, exact bool) int64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return -1
	}
	if a == b {
		if exact && math.Signbit(float64(a)) != math.Signbit(float64(b)) {
			return -1 // +0 and -0
		}
		return 0
	}
	ord := func(f float32) int64 {
		u := int64(math.Float32bits(f))
		if u&0x80000000 != 0 {
			return -(u & 0x7fffffff)
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return d
}

// float32Sweep returns about n finite float32 values spread over every binade
// of both signs, plus special values.
func float32Sweep(n int) []float32 {
	step := uint32(0x7f800000 / (n / 2))
	var vs []float32
	for u := uint32(0); u < 0x7f800000; u += step {
		f := math.Float32frombits(u)
		vs = append(vs, f, -f)
	}
	inf := float32(math.Inf(1))
	return append(vs, 0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()), math.MaxFloat32,
		-math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-4, -1e-4, 0.99999994e-4, 20, -20, 20.000002, 88.72, -88.72, -103.97)
}

func TestSigmoidTanh32(t *testing.T) {
	xs := float32Sweep(400000)
	rng := rand.New(rand.NewPCG(17, 18))
	for i := 0; i < 200000; i++ {
		xs = append(xs, float32(rng.NormFloat64()*4)) // the range that matters
	}
	for _, tc := range []struct {
		name string
		f    func(float32) float32
		ref  func(float64) float64
	}{
		{"sigmoid", Sigmoid32, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"tanh", Tanh32, math.Tanh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := 0
			for _, x := range xs {
				got, want := tc.f(x), float32(tc.ref(float64(x)))
				d := ulps32(got, want, true)
				if d < 0 || d > 1 {
					t.Fatalf("%s(%v) = %v, want %v (%d ulps)", tc.name, x, got, want, d)
				}
				if d == 1 {
					off++
				}
			}
			t.Logf("%d values, %d one ulp off", len(xs), off)
		})
	}
}

// exp64Ldexp is Exp64 as first written (the Horner loop over a literal and
// math.Ldexp): Exp64 must keep its bits (the OCR recogniser's scores and
// every Softmax, Sigmoid and Tanh depend on them).
func exp64Ldexp(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 709.782712893384:
		return math.Inf(1)
	case x < -745.1332191019412:
		return 0
	}
	k := math.Floor(float64(x*log2e) + 0.5)
	r := float64(x-float64(k*ln2Hi)) - float64(k*ln2Lo)
	p := 1.0 / 6227020800.0
	for _, c := range [...]float64{1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880,
		1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = float64(p*r) + c
	}
	return math.Ldexp(p, int(k))
}

// TestExp64Bits checks that Exp64 gives the bits of the math.Ldexp version
// everywhere: random values over the whole range and in the subnormal and
// overflow ends, the thresholds and their neighbours, the points where k
// changes, zeros, infinities and NaN.
func TestExp64Bits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	xs := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1, -1, 0.5, 1e-300, -1e-300,
		709.782712893384, -745.1332191019412, math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}
	for _, b := range []float64{709.782712893384, -745.1332191019412, 709.4, -708.39641853226408, -744.44007192138126} {
		x := b
		for range 64 {
			xs = append(xs, x)
			x = math.Nextafter(x, math.Inf(1))
		}
		x = b
		for range 64 {
			x = math.Nextafter(x, math.Inf(-1))
			xs = append(xs, x)
		}
	}
	for k := -1076; k <= 1025; k++ {
		x := (float64(k) - 0.5) / log2e
		xs = append(xs, x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1)), math.Nextafter(x, math.Inf(-1)))
	}
	for range 200000 {
		xs = append(xs, -746+1456*rng.Float64())
	}
	for range 20000 {
		xs = append(xs, -745.2+37*rng.Float64(), 700+10*rng.Float64(), rng.NormFloat64())
	}
	for _, x := range xs {
		if got, want := Exp64(x), exp64Ldexp(x); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("Exp64(%v) = %v (%#x), the Ldexp version %v (%#x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}

func BenchmarkExp64(b *testing.B) {
	xs := make([]float64, 1024)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range xs {
		xs[i] = rng.NormFloat64() * 10
	}
	s := 0.0
	for i := 0; b.Loop(); i++ {
		s += Exp64(xs[i&1023])
	}
	_ = s
}
