package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randSlice returns n values uniform in [-1, 1).
func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// errStats returns the largest absolute error of got against want and the
// largest error relative to the largest magnitude of want (a scale-aware
// relative error that does not explode near zero).
func errStats(got []float32, want []float64) (maxAbs, maxRel float64) {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i, g := range got {
		d := math.Abs(float64(g) - want[i])
		if d != d {
			return math.Inf(1), math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, d)
	}
	if scale == 0 {
		return maxAbs, maxAbs
	}
	return maxAbs, maxAbs / scale
}

// checkClose fails the test if got differs from want by more than tol relative
// to want's largest magnitude (or absolute, when want is all zeros), or if the
// lengths differ.
func checkClose(t *testing.T, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("length %d, want %d", len(got), len(want))
	}
	if abs, rel := errStats(got, want); rel > tol {
		t.Fatalf("max abs error %.3g, relative error %.3g > %.3g", abs, rel, tol)
	}
}

// guarded returns a slice of n elements that sits inside a larger buffer
// filled with a sentinel, and a function that fails the test if anything
// outside the slice was written.
func guarded(t *testing.T, n int) ([]float32, func()) {
	const pad = 16
	sentinel := float32(math.Float32frombits(0x7fc0dead))
	buf := make([]float32, n+2*pad)
	for i := range buf {
		buf[i] = sentinel
	}
	return buf[pad : pad+n : pad+n], func() {
		t.Helper()
		for i := 0; i < pad; i++ {
			if math.Float32bits(buf[i]) != 0x7fc0dead || math.Float32bits(buf[n+pad+i]) != 0x7fc0dead {
				t.Fatalf("kernel wrote outside its output buffer")
			}
		}
	}
}
