package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// expInputs fills v with values that exercise Exp64's ranges: normal values
// of a few units, large ones (whose exponentials under- or overflow float32
// but not float64), subnormals, and the special values of specialFloats.
func expInputs(rng *rand.Rand, v []float32) {
	for i := range v {
		switch rng.IntN(8) {
		case 0:
			v[i] = float32(rng.NormFloat64() * 200)
		case 1:
			v[i] = math.Float32frombits(uint32(rng.IntN(1 << 23))) // subnormal
		case 2:
			v[i] = float32(rng.NormFloat64() * 1e30)
		default:
			v[i] = float32(rng.NormFloat64() * 6)
		}
	}
	specialFloats(rng, v)
}

// TestSigmoid checks a SigmoidKernel on blocks with row lengths around the
// vector widths and padded rows, on normal, large, subnormal and special
// inputs (NaNs with payloads, ±0, ±Inf): c bit-identical to the contract
// loop and to ops' pure-Go kernel, values outside the block untouched, and
// the contract loop within a float32 rounding of 1/(1+e**-v) in float64.
func TestSigmoid(t *testing.T, impl ops.SigmoidKernel) {
	rng := rand.New(rand.NewPCG(31, 32))
	pure := ops.GoKernels().Sigmoid
	for i := range 40 {
		rows, cols := 1+rng.IntN(4), 1+rng.IntN(19)
		if i < 6 {
			rows, cols = 1, i+1
		}
		if i == 6 {
			rows, cols = 2, 300
		}
		ldc := cols + rng.IntN(3)
		t.Run(caseName("rows", rows, "cols", cols, "ldc", ldc), func(t *testing.T) {
			c := newBuf(rng, (rows-1)*ldc+cols)
			expInputs(rng, c.s)
			want, fromGo, got := c.clone(), c.clone(), c.clone()
			for r := 0; r < rows; r++ {
				for j := 0; j < cols; j++ {
					v := &want.s[r*ldc+j]
					*v = float32(1 / (1 + ops.Exp64(-float64(*v))))
				}
			}
			pure(fromGo.s, rows, cols, ldc)
			sameBits(t, "pure-Go c", fromGo, want)
			impl(got.s, rows, cols, ldc)
			sameBits(t, "c", got, want)
			for j, v := range c.s {
				if j%ldc >= cols || v != v {
					continue
				}
				w := 1 / (1 + math.Exp(-float64(v)))
				near(t, "contract c", want.s[j], w, w, 1e-7)
			}
		})
	}
}

// softmaxContract is SoftmaxKernel's contract as a plain loop.
func softmaxContract(dst, x []float32, rows, n int) {
	for r := 0; r < rows; r++ {
		xs, ds := x[r*n:(r+1)*n], dst[r*n:(r+1)*n]
		m := xs[0]
		for _, v := range xs[1:] {
			if v > m {
				m = v
			}
		}
		sum := 0.0
		for j, v := range xs {
			e := ops.Exp64(float64(v) - float64(m))
			sum += e
			ds[j] = float32(e)
		}
		for j := range ds {
			ds[j] = float32(float64(ds[j]) / sum)
		}
	}
}

// sameBitsOrNaN is sameBits, except that where want is NaN got may be any
// NaN: a sum of two NaNs carries the payload of either (the compiler may
// put the operands of an addition either way round), as WebAssembly allows.
func sameBitsOrNaN(t *testing.T, what string, got, want buf) {
	t.Helper()
	g, w := got.clone(), want.clone()
	for i, v := range w.back {
		if v != v && g.back[i] != g.back[i] {
			g.back[i], w.back[i] = 0, 0
		}
	}
	sameBits(t, what, g, w)
}

// TestSoftmax checks a SoftmaxKernel on rows of 1 to 70 values (odd and
// even lengths), spread from a few units to far beyond float64's exponent
// range (exponentials that underflow to 0), with and without special values
// (NaN, ±Inf, ±0), out of place and in place: dst bit-identical to the
// contract loop and to ops' pure-Go kernel (a NaN where they have one),
// x unchanged when out of place,
// and the contract loop within float32 rounding of the softmax in float64
// (math.Exp) on rows without special values.
func TestSoftmax(t *testing.T, impl ops.SoftmaxKernel) {
	rng := rand.New(rand.NewPCG(33, 34))
	pure := ops.GoKernels().Softmax
	for i := range 48 {
		rows, n := 1+rng.IntN(4), 1+rng.IntN(70)
		if i < 4 {
			rows, n = 1, i+1
		}
		spread := []float64{1, 6, 50, 2000}[i%4]
		special := i%3 == 2
		inPlace := i%5 == 1
		t.Run(caseName("rows", rows, "n", n, "spread", spread, "special", special, "inplace", inPlace), func(t *testing.T) {
			x := newBuf(rng, rows*n)
			for j := range x.s {
				x.s[j] = float32(rng.NormFloat64() * spread)
			}
			if special {
				specialFloats(rng, x.s)
			}
			x0 := x.clone()
			want := newBuf(rng, rows*n)
			if inPlace {
				want = x.clone()
			}
			fromGo, got := want.clone(), want.clone()
			softmaxContract(want.s, x0.s, rows, n)
			if inPlace {
				pure(fromGo.s, fromGo.s, rows, n)
				impl(got.s, got.s, rows, n)
			} else {
				pure(fromGo.s, x.clone().s, rows, n)
				impl(got.s, x.s, rows, n)
				unchanged(t, "x", x, x0)
			}
			sameBitsOrNaN(t, "pure-Go dst", fromGo, want)
			sameBitsOrNaN(t, "dst", got, want)
			if special {
				return
			}
			for r := 0; r < rows; r++ {
				xs := x0.s[r*n : (r+1)*n]
				m := math.Inf(-1)
				for _, v := range xs {
					m = math.Max(m, float64(v))
				}
				s := 0.0
				for _, v := range xs {
					s += math.Exp(float64(v) - m)
				}
				for j, v := range xs {
					w := math.Exp(float64(v)-m) / s
					near(t, "contract dst", want.s[r*n+j], w, w, 2e-7)
				}
			}
		})
	}
}
