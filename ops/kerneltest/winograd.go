package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// The F(4,3) matrices Bᵀ and Aᵀ, for the float64 checks.
var (
	bt4 = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	at4 = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

// laneCase is a lane layout of the Winograd kernels: the number of groups
// and each tile's row and channel strides (in floats).
type laneCase struct {
	n       int
	row, ch [4]int
}

// span returns the floats lane l spans for tiles of rows×cols values.
func (c laneCase) span(l, rows, cols int) int {
	return (c.n-1)*c.ch[l] + (rows-1)*c.row[l] + cols
}

// lanes places the four lanes of c one after another (with gaps of a few
// values) in one buffer and returns it with the lanes' offsets in it.
func (c laneCase) lanes(rng *rand.Rand, rows, cols int) (buf, [4]int) {
	var off [4]int
	total := 0
	for l := range off {
		off[l] = total + 1 + l
		total = off[l] + c.span(l, rows, cols)
	}
	return newBuf(rng, total+3), off
}

// laneSlices returns the lanes of b at off, each running to b's end.
func (c laneCase) laneSlices(b buf, off [4]int) [4][]float32 {
	var s [4][]float32
	for l := range s {
		s[l] = b.s[off[l]:]
	}
	return s
}

// wino4InContract is Winograd4InKernel's contract as a plain loop.
func wino4InContract(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			var x, t [36]float32
			for r := 0; r < 6; r++ {
				for j := 0; j < 6; j++ {
					x[r*6+j] = src[l][g*ch[l]+r*row[l]+j]
				}
			}
			for j := 0; j < 6; j++ {
				t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j] = ops.Winograd4In(x[j], x[6+j], x[12+j], x[18+j], x[24+j], x[30+j])
			}
			for i := 0; i < 6; i++ {
				r := t[6*i : 6*i+6]
				y := [6]float32{}
				y[0], y[1], y[2], y[3], y[4], y[5] = ops.Winograd4In(r[0], r[1], r[2], r[3], r[4], r[5])
				for j := range y {
					v[(i*6+j)*stride+g*4+l] = y[j]
				}
			}
		}
	}
}

// TestWinograd4In checks a Winograd4InKernel on lane layouts that mix
// input-like strides, scratch-like ones, a zero-stride lane (one patch for
// every group) and odd ones, with V's position stride at or above n*4: V
// bit-identical to the contract loop and to ops' pure-Go kernel (the values
// between positions untouched), the patches unchanged, and the contract
// loop within rounding of Bᵀ x B in float64.
func TestWinograd4In(t *testing.T, impl ops.Winograd4InKernel) {
	rng := rand.New(rand.NewPCG(11, 12))
	pure := ops.GoKernels().Winograd4In
	for _, tc := range []laneCase{
		{1, [4]int{6, 6, 6, 6}, [4]int{36, 36, 36, 36}},
		{3, [4]int{11, 6, 0, 7}, [4]int{99, 36, 0, 50}},
		{17, [4]int{56, 56, 56, 56}, [4]int{56 * 56, 56 * 56, 56 * 56, 56 * 56}},
		{64, [4]int{14, 6, 9, 6}, [4]int{196, 36, 61, 36}},
	} {
		stride := tc.n*4 + 4*(tc.n%3)
		t.Run(caseName("n", tc.n, "row", tc.row, "ch", tc.ch, "stride", stride), func(t *testing.T) {
			in, off := tc.lanes(rng, 6, 6)
			in0 := in.clone()
			v := newBuf(rng, 35*stride+tc.n*4)
			want, fromGo, got := v.clone(), v.clone(), v.clone()
			src := tc.laneSlices(in, off)
			wino4InContract(src, tc.row, tc.ch, want.s, tc.n, stride)
			pure(tc.laneSlices(in0.clone(), off), tc.row, tc.ch, fromGo.s, tc.n, stride)
			sameBits(t, "pure-Go v", fromGo, want)
			impl(src, tc.row, tc.ch, got.s, tc.n, stride)
			sameBits(t, "v", got, want)
			unchanged(t, "src", in, in0)
			for g := 0; g < tc.n; g++ {
				for l := 0; l < 4; l++ {
					for i := 0; i < 6; i++ {
						for j := 0; j < 6; j++ {
							s, mag := 0.0, 0.0
							for r := 0; r < 6; r++ {
								for c := 0; c < 6; c++ {
									p := bt4[i][r] * float64(src[l][g*tc.ch[l]+r*tc.row[l]+c]) * bt4[j][c]
									s += p
									mag += math.Abs(p)
								}
							}
							near(t, "contract v", want.s[(i*6+j)*stride+g*4+l], s, mag, 1e-6)
						}
					}
				}
			}
		})
	}
}

// clip3 is the clip of the Winograd4OutKernel and ClipKernel contracts:
// lo if v < lo, hi if v > hi, both tests on v.
func clip3(v, lo, hi float32) float32 {
	u := v
	if v < lo {
		u = lo
	}
	if v > hi {
		u = hi
	}
	return u
}

// wino4OutContract is Winograd4OutKernel's contract as a plain loop.
func wino4OutContract(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			var m [36]float32
			var t [24]float32
			for p := range m {
				m[p] = y[p*stride+g*ldy+l]
			}
			for j := 0; j < 6; j++ {
				t[j], t[6+j], t[12+j], t[18+j] = ops.Winograd4Out(m[j], m[6+j], m[12+j], m[18+j], m[24+j], m[30+j])
			}
			for i := 0; i < 4; i++ {
				r := t[6*i : 6*i+6]
				var o [4]float32
				o[0], o[1], o[2], o[3] = ops.Winograd4Out(r[0], r[1], r[2], r[3], r[4], r[5])
				for c, v := range o {
					if bias != nil {
						v += bias[g]
					}
					if clip {
						v = clip3(v, lo, hi)
					}
					dst[l][g*ch[l]+i*row[l]+c] = v
				}
			}
		}
	}
}

// TestWinograd4Out checks a Winograd4OutKernel, with and without bias and
// clip (ReLU, ordered bounds, equal bounds), each tile writing its own
// region of one buffer: the buffer bit-identical to the contract loop and
// to ops' pure-Go kernel (the values between the tiles' rows untouched),
// Y and the bias unchanged, and the contract loop within rounding of
// Aᵀ m A in float64.
func TestWinograd4Out(t *testing.T, impl ops.Winograd4OutKernel) {
	rng := rand.New(rand.NewPCG(13, 14))
	pure := ops.GoKernels().Winograd4Out
	type clipCase struct {
		on     bool
		lo, hi float32
	}
	clips := []clipCase{{}, {true, 0, float32(math.Inf(1))}, {true, -0.3, 0.4}, {true, 0.1, 0.1}}
	for ci, tc := range []laneCase{
		{1, [4]int{4, 4, 4, 4}, [4]int{16, 16, 16, 16}},
		{2, [4]int{13, 4, 20, 5}, [4]int{117, 16, 300, 64}},
		{5, [4]int{9, 9, 9, 9}, [4]int{40, 40, 40, 40}},
		{13, [4]int{56, 56, 56, 56}, [4]int{56 * 56, 56 * 56, 56 * 56, 56 * 56}},
		{128, [4]int{4, 7, 4, 28}, [4]int{16, 28, 16, 784}},
	} {
		cl := clips[ci%len(clips)]
		withBias := ci%2 == 1
		stride, ldy := tc.n*8+3, 8
		t.Run(caseName("n", tc.n, "row", tc.row, "ch", tc.ch, "bias", withBias, "clip", cl.on, "lo", cl.lo, "hi", cl.hi), func(t *testing.T) {
			y := newBuf(rng, 35*stride+(tc.n-1)*ldy+4)
			for i := range y.s {
				y.s[i] *= 4
			}
			y0 := y.clone()
			var bias *buf
			if withBias {
				b := newBuf(rng, tc.n)
				bias = &b
			}
			bias0 := cloneOpt(bias)
			out, off := tc.lanes(rng, 4, 4)
			want, fromGo, got := out.clone(), out.clone(), out.clone()
			wino4OutContract(y.s, stride, ldy, tc.laneSlices(want, off), tc.row, tc.ch, tc.n, orNil(bias), cl.on, cl.lo, cl.hi)
			pure(y0.clone().s, stride, ldy, tc.laneSlices(fromGo, off), tc.row, tc.ch, tc.n, orNil(cloneOpt(bias)), cl.on, cl.lo, cl.hi)
			sameBits(t, "pure-Go dst", fromGo, want)
			impl(y.s, stride, ldy, tc.laneSlices(got, off), tc.row, tc.ch, tc.n, orNil(bias), cl.on, cl.lo, cl.hi)
			sameBits(t, "dst", got, want)
			unchanged(t, "y", y, y0)
			if bias != nil {
				unchanged(t, "bias", *bias, *bias0)
			}
			dst := tc.laneSlices(want, off)
			for g := 0; g < tc.n; g++ {
				for l := 0; l < 4; l++ {
					for i := 0; i < 4; i++ {
						for c := 0; c < 4; c++ {
							s, mag := 0.0, 0.0
							if bias != nil {
								s, mag = float64(bias.s[g]), math.Abs(float64(bias.s[g]))
							}
							for p := 0; p < 6; p++ {
								for q := 0; q < 6; q++ {
									v := at4[i][p] * float64(y.s[(p*6+q)*stride+g*ldy+l]) * at4[c][q]
									s += v
									mag += math.Abs(v)
								}
							}
							if cl.on {
								s = math.Min(math.Max(s, float64(cl.lo)), float64(cl.hi))
							}
							near(t, "contract dst", dst[l][g*tc.ch[l]+i*tc.row[l]+c], s, mag, 1e-6)
						}
					}
				}
			}
		})
	}
}
