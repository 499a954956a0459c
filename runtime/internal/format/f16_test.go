package format

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Tests of the float16 conversions against a float64 reference.

// refHalfToFloat64 computes the value of binary16 bits h from the IEEE 754
// definition with float64 arithmetic (NaN for NaNs).
func refHalfToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	case 0:
		return sign * math.Ldexp(mant, -24)
	}
	return sign * math.Ldexp(1+mant/1024, exp-15)
}

// halfValues holds the value of every non-negative finite binary16 (index =
// bits), plus 65536 at index 0x7c00 standing for the first value beyond
// the range, which rounds to infinity.
var halfValues = func() []float64 {
	v := make([]float64, 0x7c01)
	for h := range 0x7c00 {
		v[h] = refHalfToFloat64(uint16(h))
	}
	v[0x7c00] = 65536
	return v
}()

// refNearestHalf returns the binary16 bits nearest to the non-NaN x, ties to
// the even bit pattern, by searching the table of all values.
func refNearestHalf(x float64) uint16 {
	sign := uint16(0)
	if math.Signbit(x) {
		sign = 0x8000
		x = -x
	}
	if x >= 65536 {
		return sign | 0x7c00
	}
	i, found := slices.BinarySearch(halfValues, x)
	if found {
		return sign | uint16(i)
	}
	lo, hi := i-1, i // halfValues[lo] < x < halfValues[hi]
	dlo, dhi := x-halfValues[lo], halfValues[hi]-x
	switch {
	case dlo < dhi, dlo == dhi && lo%2 == 0:
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

func TestHalfToFloat32Exhaustive(t *testing.T) {
	tests := []struct {
		name string
		lo   int
		hi   int
	}{
		{"positive", 0, 0x8000},
		{"negative", 0x8000, 0x10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := tt.lo; i < tt.hi; i++ {
				h := uint16(i)
				f := HalfToFloat32(h)
				want := refHalfToFloat64(h)
				if math.IsNaN(want) {
					bits := math.Float32bits(f)
					if !math.IsNaN(float64(f)) || bits>>31 != uint32(h>>15) || bits&0x7fffff != uint32(h&0x3ff)<<13 {
						t.Fatalf("%#04x: NaN -> %#08x", h, bits)
					}
					back := Float32ToHalf(f)
					if back != h|0x0200 {
						t.Fatalf("%#04x: NaN round trip gives %#04x, want %#04x", h, back, h|0x0200)
					}
					continue
				}
				if float64(f) != want || math.Signbit(float64(f)) != math.Signbit(want) {
					t.Fatalf("HalfToFloat32(%#04x) = %v, want %v", h, f, want)
				}
				if back := Float32ToHalf(f); back != h {
					t.Fatalf("Float32ToHalf(HalfToFloat32(%#04x)) = %#04x", h, back)
				}
			}
		})
	}
}

func TestFloat32ToHalf(t *testing.T) {
	check := func(t *testing.T, x float32) {
		t.Helper()
		got := Float32ToHalf(x)
		if math.IsNaN(float64(x)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 || got>>15 != uint16(math.Float32bits(x)>>31) {
				t.Fatalf("Float32ToHalf(NaN %#08x) = %#04x", math.Float32bits(x), got)
			}
			return
		}
		if want := refNearestHalf(float64(x)); got != want {
			t.Fatalf("Float32ToHalf(%v = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), got, want)
		}
	}
	t.Run("specials", func(t *testing.T) {
		for _, x := range []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
			65504, 65519.996, 65520, 65536, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
			0x1p-24, 0x1p-25, 0x1.000002p-25, 0x1.8p-24, 0x1p-14, 0x1.ff8p-15, 1e-30,
			float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000)} {
			check(t, x)
		}
	})
	t.Run("midpoints", func(t *testing.T) {
		// Every midpoint between adjacent binary16 values (exact in float32)
		// and its float32 neighbours, both signs.
		for i := range 0x7c00 {
			mid := float32((halfValues[i] + halfValues[i+1]) / 2)
			if float64(mid) != (halfValues[i]+halfValues[i+1])/2 {
				t.Fatalf("midpoint %d not exact", i)
			}
			for _, x := range []float32{mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, math.MaxFloat32)} {
				check(t, x)
				check(t, -x)
			}
		}
	})
	t.Run("random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 200000 {
			bits := rng.Uint32()
			if rng.IntN(2) == 0 {
				// Exponents around the binary16 range.
				bits = bits&0x807fffff | uint32(100+rng.IntN(45))<<23
			}
			check(t, math.Float32frombits(bits))
		}
	})
	t.Run("slices", func(t *testing.T) {
		x := []float32{1, 0.1, -3e5}
		h := F32ToF16(x)
		back := F16ToF32(h)
		for i := range x {
			if h[i] != Float32ToHalf(x[i]) || back[i] != HalfToFloat32(h[i]) {
				t.Errorf("[%d]: %#04x %v", i, h[i], back[i])
			}
		}
	})
}
