package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// depthwiseContract is DepthwiseKernel's contract as a plain loop.
func depthwiseContract(dst, x, w []float32, c sweepCase, bias []float32) {
	for r := 0; r < c.rows; r++ {
		for o := 0; o < c.n; o++ {
			var s float32
			for jh := 0; jh < c.kh; jh++ {
				for jw := 0; jw < c.kw; jw++ {
					s += float32(w[jh*c.kw+jw] * x[r*c.xRow+jh*c.tapRow+o*c.sw+jw*c.dw])
				}
			}
			if bias != nil {
				s += bias[0]
			}
			dst[r*c.dstRow+o] = s
		}
	}
}

// TestDepthwise checks a DepthwiseKernel on edge and random geometries
// (windows up to 3×5), with and without bias: dst bit-identical to the
// contract loop and to ops' pure-Go kernel (untouched outside the
// outputs), the inputs unchanged, and the contract loop within float32
// rounding of a float64 sum.
func TestDepthwise(t *testing.T, impl ops.DepthwiseKernel) {
	rng := rand.New(rand.NewPCG(15, 16))
	pure := ops.GoKernels().Depthwise
	for i, tc := range sweepCases(rng, 50, 5) {
		withBias := i%2 == 0
		t.Run(caseName("", tc.name(), "bias", withBias), func(t *testing.T) {
			x := newBuf(rng, tc.xLen())
			w := newBuf(rng, tc.kh*tc.kw)
			var bias *buf
			if withBias {
				b := newBuf(rng, 1)
				bias = &b
			}
			x0, w0, bias0 := x.clone(), w.clone(), cloneOpt(bias)
			d := newBuf(rng, tc.dstLen())
			want, fromGo, got := d.clone(), d.clone(), d.clone()
			depthwiseContract(want.s, x.s, w.s, tc, orNil(bias))
			pure(fromGo.s, x0.clone().s, w0.clone().s, tc.n, tc.rows, tc.dstRow, tc.xRow, tc.kh, tc.kw, tc.tapRow, tc.sw, tc.dw, orNil(cloneOpt(bias)))
			sameBits(t, "pure-Go dst", fromGo, want)
			impl(got.s, x.s, w.s, tc.n, tc.rows, tc.dstRow, tc.xRow, tc.kh, tc.kw, tc.tapRow, tc.sw, tc.dw, orNil(bias))
			sameBits(t, "dst", got, want)
			unchanged(t, "x", x, x0)
			unchanged(t, "w", w, w0)
			if bias != nil {
				unchanged(t, "bias", *bias, *bias0)
			}
			for r := 0; r < tc.rows; r++ {
				for o := 0; o < tc.n; o++ {
					s, mag := 0.0, 0.0
					for jh := 0; jh < tc.kh; jh++ {
						for jw := 0; jw < tc.kw; jw++ {
							p := float64(w.s[jh*tc.kw+jw]) * float64(x.s[r*tc.xRow+jh*tc.tapRow+o*tc.sw+jw*tc.dw])
							s += p
							mag += math.Abs(p)
						}
					}
					if bias != nil {
						s += float64(bias.s[0])
						mag += math.Abs(float64(bias.s[0]))
					}
					near(t, "contract dst", want.s[r*tc.dstRow+o], s, mag, 1e-6*float64(tc.kh*tc.kw+1))
				}
			}
		})
	}
}
