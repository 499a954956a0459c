package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPoolInteriorMatchesPerOutput compares Pool, whose interior runs row
// sweeps, with poolOne computed for every output independently, bit for bit
// (NaN payloads included for max pooling), on layer-sized max and average pooling with
// NaNs, ±0 and infinities in the input.
func TestPoolInteriorMatchesPerOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, tc := range []struct {
		in              []int
		k, s, d, pb, pe int
		ceil, incl      bool
	}{
		{[]int{1, 2, 112, 112}, 3, 2, 1, 1, 1, false, false},
		{[]int{1, 2, 30, 31}, 2, 2, 1, 0, 0, false, false},
		{[]int{1, 3, 28, 28}, 3, 1, 1, 1, 1, false, true},
		{[]int{1, 2, 150}, 5, 3, 2, 2, 1, true, false},
		{[]int{1, 1, 7, 9, 11}, 3, 2, 1, 1, 1, true, true},
		{[]int{1, 1, 200, 3}, 3, 1, 1, 0, 2, false, false},
	} {
		for _, kind := range []PoolKind{PoolMax, PoolAvg} {
			rank := len(tc.in) - 2
			rep := func(v int) []int {
				s := make([]int, rank)
				for i := range s {
					s[i] = v
				}
				return s
			}
			t.Run(fmt.Sprintf("%s_in%v_k%d_s%d_d%d_p%d,%d", kind, tc.in, tc.k, tc.s, tc.d, tc.pb, tc.pe), func(t *testing.T) {
				g, err := NewPoolGeom(tc.in, PoolParams{Kind: kind, Kernel: rep(tc.k), CeilMode: tc.ceil, CountIncludePad: tc.incl,
					Window: Window{Strides: rep(tc.s), Dilations: rep(tc.d), PadsBegin: rep(tc.pb), PadsEnd: rep(tc.pe)}})
				if err != nil {
					t.Fatal(err)
				}
				inPlane, outPlane := g.In.prod(), g.Out.prod()
				x := randSlice(rng, g.N*g.C*inPlane)
				for i := range x {
					switch rng.IntN(40) {
					case 0:
						x[i] = math.Float32frombits(0x7fc00000 | uint32(rng.IntN(1<<20)))
					case 1:
						x[i] = float32(math.Copysign(0, -1))
					case 2:
						x[i] = 0
					case 3:
						x[i] = float32(math.Inf(-1))
					}
				}
				got, check := guarded(t, g.N*g.C*outPlane)
				Pool(g, got, x)
				check()
				for p := 0; p < g.N*g.C; p++ {
					xp := x[p*inPlane : (p+1)*inPlane]
					for od := 0; od < g.Out.D; od++ {
						for oh := 0; oh < g.Out.H; oh++ {
							for ow := 0; ow < g.Out.W; ow++ {
								i := p*outPlane + (od*g.Out.H+oh)*g.Out.W + ow
								want := poolOne(&g, xp, od, oh, ow)
								// Sums of NaNs carry either payload (the hardware
								// picks), so average pooling compares NaN-ness only.
								if kind == PoolAvg && got[i] != got[i] && want != want {
									continue
								}
								if math.Float32bits(got[i]) != math.Float32bits(want) {
									t.Fatalf("plane %d output (%d,%d,%d) = %v (%#x), per-output %v (%#x)", p, od, oh, ow,
										got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestFmax32 checks fmax32 against Go's builtin max on ordinary values, ±0,
// infinities and NaNs: the same result, and for NaNs the NaN operand itself
// (v when both are NaN).
func TestFmax32(t *testing.T) {
	nan1 := math.Float32frombits(0x7fc00001)
	nan2 := math.Float32frombits(0xffc00002)
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2.5, -1e-40, 1e-40, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, -math.MaxFloat32, nan1, nan2}
	for _, m := range vals {
		for _, v := range vals {
			t.Run(fmt.Sprintf("%#x_%#x", math.Float32bits(m), math.Float32bits(v)), func(t *testing.T) {
				got := fmax32(m, v)
				want := max(m, v)
				switch {
				case v != v:
					want = v
				case m != m:
					want = m
				}
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("fmax32(%v, %v) = %v (%#x), want %v (%#x)", m, v, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			})
		}
	}
}
