package ops

import (
	"fmt"
	"math"
	"testing"
)

// TestActivationSelects checks the branch-free ReLU, LeakyReLU and Clip of
// Apply and Add on the values where comparisons are subtle (±0, NaNs,
// infinities, subnormals) and on inverted and NaN clip bounds, bit for bit
// against the comparisons written out in float64.
func TestActivationSelects(t *testing.T) {
	nan := math.Float32frombits(0x7fc01234)
	negNaN := math.Float32frombits(0xffc04321)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 7, -7, 1e-45, -1e-45, float32(math.Inf(1)), float32(math.Inf(-1)), nan, negNaN}
	step := func(v, lo, hi float64) float64 { // Clip: two comparisons in sequence
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		return v
	}
	for _, tc := range []struct {
		act  Activation
		want func(v float64) float64
	}{
		{Activation{Kind: ActReLU}, func(v float64) float64 { return step(v, 0, math.Inf(1)) }},
		{Activation{Kind: ActLeakyReLU, Alpha: 0.5}, func(v float64) float64 {
			if v < 0 {
				return v * 0.5
			}
			return v
		}},
		{Activation{Kind: ActClip, Alpha: -1, Beta: 6}, func(v float64) float64 { return step(v, -1, 6) }},
		{Activation{Kind: ActClip, Alpha: 3, Beta: 2}, func(v float64) float64 { return step(v, 3, 2) }},
		{Activation{Kind: ActClip, Alpha: float32(math.NaN()), Beta: 2}, func(v float64) float64 { return step(v, math.NaN(), 2) }},
		{Activation{Kind: ActClip, Alpha: -2, Beta: float32(math.NaN())}, func(v float64) float64 { return step(v, -2, math.NaN()) }},
	} {
		t.Run(fmt.Sprintf("%s_%v_%v", tc.act.Kind, tc.act.Alpha, tc.act.Beta), func(t *testing.T) {
			got := append([]float32(nil), vals...)
			tc.act.Apply(got)
			zeros := make([]float32, len(vals))
			sum := make([]float32, len(vals))
			Add(sum, vals, zeros, tc.act)
			for i, v := range vals {
				w := tc.want(float64(v))
				var want float32
				if w == float64(v) || w != w && v != v {
					want = v // unchanged, bits included
				} else {
					want = float32(w)
				}
				if math.Float32bits(got[i]) != math.Float32bits(want) {
					t.Fatalf("Apply(%v) = %v (%#x), want %v (%#x)", v, got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
				}
				if tc.act.Kind == ActReLU && v == v && math.Float32bits(sum[i]) != math.Float32bits(want+0) {
					t.Fatalf("Add(%v, 0) with ReLU = %v, want %v", v, sum[i], want+0)
				}
			}
		})
	}
}
