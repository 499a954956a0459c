package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// gemmCase is one call of a GemmKernel.
type gemmCase struct {
	m, n, kc, ldc int
	load, bias    bool
}

// gemmCases are the edge sizes (one row, odd rows, a single B panel, empty
// K, padded C rows, a whole cache block of ops' GEMM) and random ones.
func gemmCases() []gemmCase {
	cases := []gemmCase{
		{m: 1, n: 4, kc: 1, ldc: 4},
		{m: 2, n: 4, kc: 0, ldc: 5, bias: true},
		{m: 2, n: 4, kc: 0, ldc: 4, load: true, bias: true},
		{m: 3, n: 4, kc: 2, ldc: 7, load: true},
		{m: 6, n: 8, kc: 2, ldc: 8},
		{m: 7, n: 12, kc: 5, ldc: 13, load: true, bias: true},
		{m: 13, n: 28, kc: 33, ldc: 29, bias: true},
		{m: 128, n: 128, kc: 256, ldc: 128, load: true, bias: true},
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for range 40 {
		c := gemmCase{m: 1 + rng.IntN(25), n: 4 * (1 + rng.IntN(9)), kc: 1 + rng.IntN(40)}
		c.ldc = c.n + rng.IntN(5)
		c.load = rng.IntN(2) == 1
		c.bias = rng.IntN(2) == 1
		cases = append(cases, c)
	}
	return cases
}

// gemmContract is GemmKernel's contract as a plain loop.
func gemmContract(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			if load {
				s = c[i*ldc+j]
			}
			for kk := 0; kk < kc; kk++ {
				s += float32(a[i/2*2*kc+kk*2+i%2] * b[j/4*4*kc+kk*4+j%4])
			}
			if bias != nil {
				s += bias[i]
			}
			c[i*ldc+j] = s
		}
	}
}

// TestGemm checks a GemmKernel: C bit-identical to the contract loop and to
// ops' pure-Go kernel, untouched outside the m×n block (between rows too),
// inputs unchanged, and the contract loop within float32 rounding of a
// float64 product.
func TestGemm(t *testing.T, impl ops.GemmKernel) {
	rng := rand.New(rand.NewPCG(1, 2))
	pure := ops.GoKernels().Gemm
	for _, tc := range gemmCases() {
		t.Run(caseName("m", tc.m, "n", tc.n, "k", tc.kc, "ldc", tc.ldc, "load", tc.load, "bias", tc.bias), func(t *testing.T) {
			a := newBuf(rng, (tc.m+1)/2*2*tc.kc)
			b := newBuf(rng, tc.n*tc.kc)
			c := newBuf(rng, (tc.m-1)*tc.ldc+tc.n)
			var bias *buf
			if tc.bias {
				bb := newBuf(rng, tc.m)
				bias = &bb
			}
			a0, b0, bias0 := a.clone(), b.clone(), cloneOpt(bias)
			want, fromGo, got := c.clone(), c.clone(), c.clone()
			gemmContract(a.s, b.s, want.s, tc.kc, tc.m, tc.n, tc.ldc, tc.load, orNil(bias))
			pure(a0.s, b0.s, fromGo.s, tc.kc, tc.m, tc.n, tc.ldc, tc.load, orNil(bias0))
			sameBits(t, "pure-Go C", fromGo, want)
			impl(a.s, b.s, got.s, tc.kc, tc.m, tc.n, tc.ldc, tc.load, orNil(bias))
			sameBits(t, "C", got, want)
			unchanged(t, "a", a, a0)
			unchanged(t, "b", b, b0)
			if bias != nil {
				unchanged(t, "bias", *bias, *bias0)
			}
			for i := 0; i < tc.m; i++ {
				for j := 0; j < tc.n; j++ {
					s, mag := 0.0, 0.0
					if tc.load {
						v := float64(c.s[i*tc.ldc+j])
						s, mag = v, math.Abs(v)
					}
					for kk := 0; kk < tc.kc; kk++ {
						p := float64(a.s[i/2*2*tc.kc+kk*2+i%2]) * float64(b.s[j/4*4*tc.kc+kk*4+j%4])
						s += p
						mag += math.Abs(p)
					}
					if bias != nil {
						s += float64(bias.s[i])
						mag += math.Abs(float64(bias.s[i]))
					}
					near(t, "contract C", want.s[i*tc.ldc+j], s, mag, 1e-6*float64(tc.kc+2))
				}
			}
		})
	}
}
