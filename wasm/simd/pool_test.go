package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// specialFloats fills about a quarter of v with values that stress max's
// semantics: NaNs with distinct payloads, ±0, ±Inf.
func specialFloats(rng *rand.Rand, v []float32) {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := range v {
		switch rng.IntN(16) {
		case 0:
			v[i] = math.Float32frombits(0x7fc00000 | uint32(rng.IntN(1<<20))) // NaN, payload
		case 1:
			v[i] = math.Float32frombits(0xffc00000 | uint32(rng.IntN(1<<20))) // negative NaN
		case 2, 3, 4:
			v[i] = specials[rng.IntN(len(specials))]
		}
	}
}

// TestMaxPoolKernel runs the generated maxpool on randomized geometries
// (strides 1, 2 and 3, dilations, padded rows, misaligned operands; inputs
// with NaNs, ±0 and ±Inf) and requires results bit-identical to MaxPoolRef,
// dst untouched outside the outputs, and MaxPoolRef equal to a float64
// maximum where no NaN is involved.
func TestMaxPoolKernel(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 60; i++ {
		n := 4 * (1 + rng.IntN(6))
		rows := 1 + rng.IntN(4)
		kh, kw := 1+rng.IntN(3), 1+rng.IntN(3)
		sw, dw := 1+rng.IntN(3), 1+rng.IntN(2)
		dh := 1 + rng.IntN(2)
		inW := (n-1)*sw + (kw-1)*dw + 1 + rng.IntN(3)
		tapRow := dh * inW
		xRow := (1 + rng.IntN(2)) * inW
		dstRow := n + rng.IntN(3)
		special := i%3 == 0
		skew := uint32(4 * rng.IntN(4))
		name := fmt.Sprintf("n%d_rows%d_k%dx%d_sw%d_dw%d_dh%d_special%v_skew%d", n, rows, kh, kw, sw, dw, dh, special, skew)
		t.Run(name, func(t *testing.T) {
			xlen := (rows-1)*xRow + (kh-1)*tapRow + inW
			x := randSlice(rng, xlen)
			if special {
				specialFloats(rng, x)
			}
			dlen := (rows-1)*dstRow + n + 8 // guard values after the last row
			d := randSlice(rng, dlen)
			xAddr := 1<<16 + skew
			dAddr := xAddr + uint32(4*xlen) + 64 + skew
			k.write(xAddr, x)
			k.write(dAddr, d)
			k.call(t, "maxpool", dAddr, xAddr, uint32(n), uint32(rows), uint32(dstRow), uint32(xRow), uint32(kh), uint32(kw),
				uint32(tapRow), uint32(sw), uint32(dw))
			got := make([]float32, dlen)
			k.read(dAddr, got)
			want := append([]float32(nil), d...)
			MaxPoolRef(want, x, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("dst[%d] = %v (%#x), MaxPoolRef %v (%#x)", j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				}
			}
			for r := 0; r < rows; r++ {
				for o := 0; o < n; o++ {
					m, nan := math.Inf(-1), false
					for jh := 0; jh < kh; jh++ {
						for jw := 0; jw < kw; jw++ {
							v := float64(x[r*xRow+jh*tapRow+o*sw+jw*dw])
							nan = nan || math.IsNaN(v)
							if v > m || v == 0 && m == 0 && !math.Signbit(v) {
								m = v
							}
						}
					}
					g := want[r*dstRow+o]
					if nan != math.IsNaN(float64(g)) || !nan && (float64(g) != m || math.Signbit(float64(g)) != math.Signbit(m)) {
						t.Fatalf("MaxPoolRef output (%d, %d) = %v, float64 max %v (NaN %v)", r, o, g, m, nan)
					}
				}
			}
		})
	}
}
