package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// sweepCase is one call of a PoolMaxKernel or DepthwiseKernel: n outputs
// in each of rows rows, a kh×kw window, and the strides in floats.
type sweepCase struct {
	n, rows, dstRow, xRow int
	kh, kw, tapRow        int
	sw, dw                int
}

// xLen returns the length of x: up to the last tap.
func (c sweepCase) xLen() int {
	return (c.rows-1)*c.xRow + (c.kh-1)*c.tapRow + (c.n-1)*c.sw + (c.kw-1)*c.dw + 1
}

// dstLen returns the length of dst: up to the last output.
func (c sweepCase) dstLen() int { return (c.rows-1)*c.dstRow + c.n }

func (c sweepCase) name() string {
	return caseName("n", c.n, "rows", c.rows, "dstRow", c.dstRow, "xRow", c.xRow, "k", c.kh, "x", c.kw, "tapRow", c.tapRow, "sw", c.sw, "dw", c.dw)
}

// sweepCases returns the edge geometries (one row of 4 outputs, a 1x1 and
// a 1-row window, 3x3 stride 1 and 2) and count random ones (strides 1 to
// 3, dilations, padded rows), for windows up to maxK wide.
func sweepCases(rng *rand.Rand, count, maxK int) []sweepCase {
	cases := []sweepCase{
		{n: 4, rows: 1, dstRow: 4, xRow: 4, kh: 1, kw: 1, tapRow: 4, sw: 1, dw: 1},
		{n: 4, rows: 1, dstRow: 4, xRow: 6, kh: 1, kw: 3, tapRow: 6, sw: 1, dw: 1},
		{n: 8, rows: 3, dstRow: 10, xRow: 10, kh: 3, kw: 3, tapRow: 10, sw: 1, dw: 1},
		{n: 12, rows: 2, dstRow: 12, xRow: 2 * 25, kh: 3, kw: 3, tapRow: 25, sw: 2, dw: 1},
		{n: 16, rows: 4, dstRow: 17, xRow: 40, kh: 2, kw: 2, tapRow: 40, sw: 2, dw: 1},
		{n: 36, rows: 3, dstRow: 38, xRow: 41, kh: 5, kw: 5, tapRow: 41, sw: 1, dw: 1},
		{n: 20, rows: 2, dstRow: 20, xRow: 2 * 23, kh: 3, kw: 3, tapRow: 23, sw: 1, dw: 1},
		{n: 24, rows: 1, dstRow: 24, xRow: 30, kh: 1, kw: 5, tapRow: 30, sw: 1, dw: 1},
	}
	for range count {
		c := sweepCase{n: 4 * (1 + rng.IntN(6)), rows: 1 + rng.IntN(4), kh: 1 + rng.IntN(3), kw: 1 + rng.IntN(maxK)}
		c.sw, c.dw = 1+rng.IntN(3), 1+rng.IntN(2)
		inW := (c.n-1)*c.sw + (c.kw-1)*c.dw + 1 + rng.IntN(3)
		c.tapRow = (1 + rng.IntN(2)) * inW
		c.xRow = (1 + rng.IntN(2)) * inW
		c.dstRow = c.n + rng.IntN(3)
		cases = append(cases, c)
	}
	return cases
}

// fmax is the maximum of the PoolMaxKernel contract: Go's max, a NaN v
// winning over everything (so the last NaN wins), +0 above -0.
func fmax(m, v float32) float32 {
	switch {
	case v != v:
		return v
	case m != m:
		return m
	case v > m:
		return v
	case v == 0 && m == 0 && math.Signbit(float64(m)):
		return v
	}
	return m
}

// poolMaxContract is PoolMaxKernel's contract as a plain loop.
func poolMaxContract(dst, x []float32, c sweepCase) {
	for r := 0; r < c.rows; r++ {
		for o := 0; o < c.n; o++ {
			m := float32(math.Inf(-1))
			for jh := 0; jh < c.kh; jh++ {
				for jw := 0; jw < c.kw; jw++ {
					m = fmax(m, x[r*c.xRow+jh*c.tapRow+o*c.sw+jw*c.dw])
				}
			}
			dst[r*c.dstRow+o] = m
		}
	}
}

// TestPoolMax checks a PoolMaxKernel on edge and random geometries, a
// third of them with NaNs (distinct payloads), ±0 and ±Inf among the
// inputs: dst bit-identical to the contract loop and to ops' pure-Go kernel
// (untouched outside the outputs), x unchanged.
func TestPoolMax(t *testing.T, impl ops.PoolMaxKernel) {
	rng := rand.New(rand.NewPCG(5, 6))
	pure := ops.GoKernels().PoolMax
	for i, tc := range sweepCases(rng, 60, 3) {
		special := i%3 == 0
		t.Run(caseName("", tc.name(), "special", special), func(t *testing.T) {
			x := newBuf(rng, tc.xLen())
			if special {
				specialFloats(rng, x.s)
			}
			x0 := x.clone()
			d := newBuf(rng, tc.dstLen())
			want, fromGo, got := d.clone(), d.clone(), d.clone()
			poolMaxContract(want.s, x.s, tc)
			pure(fromGo.s, x0.clone().s, tc.n, tc.rows, tc.dstRow, tc.xRow, tc.kh, tc.kw, tc.tapRow, tc.sw, tc.dw)
			sameBits(t, "pure-Go dst", fromGo, want)
			impl(got.s, x.s, tc.n, tc.rows, tc.dstRow, tc.xRow, tc.kh, tc.kw, tc.tapRow, tc.sw, tc.dw)
			sameBits(t, "dst", got, want)
			unchanged(t, "x", x, x0)
		})
	}
}
