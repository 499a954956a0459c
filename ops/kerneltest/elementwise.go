package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestHardAct checks a HardActKernel on blocks with row lengths around the
// vector width and padded rows, inputs with NaNs, ±0, ±Inf and values
// around the kinks, for HardSigmoid (ONNX's default and HardSwish's
// parameters) and HardSwish: c bit-identical to the contract loop and to
// ops' pure-Go kernel, values outside the block untouched, and the
// contract loop equal to the float64 formula where the rounding cannot
// matter (the clamped ends).
func TestHardAct(t *testing.T, impl ops.HardActKernel) {
	rng := rand.New(rand.NewPCG(19, 20))
	pure := ops.GoKernels().HardAct
	params := [][2]float32{{1.0 / 6, 0.5}, {0.2, 0.5}, {-0.75, 0.125}}
	for i := range 48 {
		rows, cols := 1+rng.IntN(4), 1+rng.IntN(13)
		if i < 4 {
			rows, cols = 1, 4*(i+1)-i%2
		}
		ldc := cols + rng.IntN(3)
		alpha, beta := params[i%len(params)][0], params[i%len(params)][1]
		swish := i%2 == 0
		t.Run(caseName("rows", rows, "cols", cols, "ldc", ldc, "alpha", alpha, "swish", swish), func(t *testing.T) {
			c := newBuf(rng, (rows-1)*ldc+cols)
			for j := range c.back {
				c.back[j] *= 5
			}
			specialFloats(rng, c.s)
			if len(c.s) > 2 {
				c.s[0], c.s[1] = -3, 3 // HardSwish's kinks
			}
			want, fromGo, got := c.clone(), c.clone(), c.clone()
			for r := 0; r < rows; r++ {
				for j := 0; j < cols; j++ {
					v := &want.s[r*ldc+j]
					h := float32(alpha**v) + beta
					if h < 0 {
						h = 0
					}
					if h > 1 {
						h = 1
					}
					if swish {
						h = *v * h
					}
					*v = h
				}
			}
			pure(fromGo.s, rows, cols, ldc, alpha, beta, swish)
			sameBits(t, "pure-Go c", fromGo, want)
			impl(got.s, rows, cols, ldc, alpha, beta, swish)
			sameBits(t, "c", got, want)
			for j, v := range c.s {
				h := float64(alpha)*float64(v) + float64(beta)
				if j%ldc >= cols || math.IsNaN(h) || h > 0 && h < 1 {
					continue
				}
				w := 0.0
				if h >= 1 {
					w = 1
				}
				if swish {
					w *= float64(v)
				}
				if g := float64(want.s[j]); g != w && !(math.IsNaN(g) && math.IsInf(float64(v), 0)) {
					t.Fatalf("contract c[%d] = %v from %v, want %v", j, g, v, w)
				}
			}
		})
	}
}

// TestBinary checks a BinaryKernel for Add, Sub, Mul and Div with both
// operands contiguous, b broadcast along the rows (one value per row: the
// channel broadcast) and a broadcast, on row lengths around the vector
// width, padded and repeated rows and in place: dst bit-identical to the
// contract loop and to ops' pure-Go kernel (except for which NaN a NaN
// result is: hardware picks one of the operands' payloads or its default
// NaN by operand order, which compilers may swap for Add and Mul), nothing
// outside dst written, the inputs unchanged, and the contract equal to
// float64 arithmetic rounded once.
func TestBinary(t *testing.T, impl ops.BinaryKernel) {
	rng := rand.New(rand.NewPCG(21, 22))
	pure := ops.GoKernels().Binary
	kinds := []ops.BinaryKind{ops.BinAdd, ops.BinSub, ops.BinMul, ops.BinDiv}
	layouts := [][2]int{{1, 1}, {1, 0}, {0, 1}}
	for i := range 96 {
		kind := kinds[i%4]
		lay := layouts[(i/4)%3]
		acs, bcs := lay[0], lay[1]
		rows, n := 1+rng.IntN(5), 1+rng.IntN(14)
		if i < 12 {
			rows, n = 1, 4*(i%4+1)+i%3
		}
		// Row strides: the operand's own rows (padded), or a repeated row
		// (0) for a contiguous operand, or one value per row.
		stride := func(cs int) int {
			if cs == 0 {
				return rng.IntN(2) // 1: one value per row, 0: one value for all
			}
			if rng.IntN(3) == 0 {
				return 0
			}
			return n + rng.IntN(3)
		}
		ars, brs := stride(acs), stride(bcs)
		inPlace := acs == 1 && ars == n && i%5 == 0
		t.Run(caseName("kind", kind, "rows", rows, "n", n, "a", [2]int{ars, acs}, "b", [2]int{brs, bcs}, "inplace", inPlace), func(t *testing.T) {
			a := newBuf(rng, (rows-1)*ars+(n-1)*acs+1)
			b := newBuf(rng, (rows-1)*brs+(n-1)*bcs+1)
			specialFloats(rng, a.s)
			specialFloats(rng, b.s)
			dst := newBuf(rng, rows*n)
			want := dst.clone()
			for r := 0; r < rows; r++ {
				for j := 0; j < n; j++ {
					x, y := a.s[r*ars+j*acs], b.s[r*brs+j*bcs]
					var v float32
					var v64 float64
					switch kind {
					case ops.BinAdd:
						v, v64 = x+y, float64(x)+float64(y)
					case ops.BinSub:
						v, v64 = x-y, float64(x)-float64(y)
					case ops.BinMul:
						v, v64 = x*y, float64(x)*float64(y)
					default:
						v, v64 = x/y, float64(x)/float64(y)
					}
					if w := float32(v64); !(math.IsNaN(float64(v)) && math.IsNaN(float64(w))) && v != w {
						t.Fatalf("contract (%d, %d): %v op %v = %v, float64 %v", r, j, x, y, v, w)
					}
					want.s[r*n+j] = v
				}
			}
			run := func(k ops.BinaryKernel) (buf, buf, buf) {
				ac, bc, dc := a.clone(), b.clone(), dst.clone()
				if inPlace {
					k(kind, ac.s, ac.s, bc.s, rows, n, ars, acs, brs, bcs)
					return ac, bc, ac
				}
				k(kind, dc.s, ac.s, bc.s, rows, n, ars, acs, brs, bcs)
				return ac, bc, dc
			}
			check := func(what string, k ops.BinaryKernel) {
				ac, bc, dc := run(k)
				if inPlace {
					w := a.clone()
					copy(w.s, want.s)
					sameOrNaN(t, what+" dst (a)", dc, w)
				} else {
					sameOrNaN(t, what+" dst", dc, want)
					unchanged(t, what+" a", ac, a)
				}
				unchanged(t, what+" b", bc, b)
			}
			check("pure-Go", pure)
			check("", impl)
		})
	}
}

// TestGlobalAvg checks a GlobalAvgKernel on plane counts around a
// multiple of four and plane sizes from 1 up: dst bit-identical to the
// contract loop (a float64 sum in order, divided, rounded once) and to
// ops' pure-Go kernel, nothing outside dst written, x unchanged.
func TestGlobalAvg(t *testing.T, impl ops.GlobalAvgKernel) {
	rng := rand.New(rand.NewPCG(23, 24))
	pure := ops.GoKernels().GlobalAvg
	for i := range 40 {
		planes, spatial := 1+rng.IntN(11), 1+rng.IntN(40)
		if i < 4 {
			planes, spatial = 4*(i+1), 1+i
		}
		t.Run(caseName("planes", planes, "spatial", spatial), func(t *testing.T) {
			x := newBuf(rng, planes*spatial)
			for j := range x.s {
				x.s[j] *= float32(int(1) << (j % 24)) // a sum float32 would round
			}
			dst := newBuf(rng, planes)
			want := dst.clone()
			for p := 0; p < planes; p++ {
				s := 0.0
				for _, v := range x.s[p*spatial : (p+1)*spatial] {
					s += float64(v)
				}
				want.s[p] = float32(s / float64(spatial))
			}
			for what, k := range map[string]ops.GlobalAvgKernel{"pure-Go": pure, "": impl} {
				xc, dc := x.clone(), dst.clone()
				k(dc.s, xc.s, planes, spatial)
				sameBits(t, what+" dst", dc, want)
				unchanged(t, what+" x", xc, x)
			}
		})
	}
}

// sameOrNaN is sameBits with every NaN equal to every other.
func sameOrNaN(t *testing.T, what string, got, want buf) {
	t.Helper()
	for i := range want.back {
		g, w := got.back[i], want.back[i]
		if g != g && w != w {
			continue
		}
		if math.Float32bits(g) != math.Float32bits(w) {
			t.Fatalf("%s[%d] = %v (%#08x), want %v (%#08x)", what, i-guard, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
}
