package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestDepthwiseKernel runs the generated depthwise on randomized
// geometries (strides 1, 2 and 3, dilations, padded rows, misaligned
// operands, with and without bias) and requires results bit-identical to
// DepthwiseRef, dst untouched outside the outputs, and DepthwiseRef within
// float32 rounding of a float64 sum.
func TestDepthwiseKernel(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(15, 16))
	for i := 0; i < 50; i++ {
		n := 4 * (1 + rng.IntN(6))
		rows := 1 + rng.IntN(4)
		kh, kw := 1+rng.IntN(3), 1+rng.IntN(5)
		sw, dw := 1+rng.IntN(3), 1+rng.IntN(2)
		dh := 1 + rng.IntN(2)
		inW := (n-1)*sw + (kw-1)*dw + 1 + rng.IntN(3)
		tapRow := dh * inW
		xRow := (1 + rng.IntN(2)) * inW
		dstRow := n + rng.IntN(3)
		withBias := i%2 == 0
		skew := uint32(4 * rng.IntN(4))
		name := fmt.Sprintf("n%d_rows%d_k%dx%d_sw%d_dw%d_dh%d_bias%v_skew%d", n, rows, kh, kw, sw, dw, dh, withBias, skew)
		t.Run(name, func(t *testing.T) {
			xlen := (rows-1)*xRow + (kh-1)*tapRow + inW
			x := randSlice(rng, xlen)
			w := randSlice(rng, kh*kw)
			var bias []float32
			if withBias {
				bias = randSlice(rng, 1)
			}
			dlen := (rows-1)*dstRow + n + 8 // guard values after the last row
			d := randSlice(rng, dlen)
			xAddr := 1<<16 + skew
			wAddr := xAddr + uint32(4*xlen) + 32 + skew
			bAddr := wAddr + uint32(4*len(w)) + 16
			dAddr := bAddr + 64 + skew
			k.write(xAddr, x)
			k.write(wAddr, w)
			pb := uint32(0)
			if withBias {
				k.write(bAddr, bias)
				pb = bAddr
			}
			k.write(dAddr, d)
			k.call(t, "depthwise", dAddr, xAddr, wAddr, uint32(n), uint32(rows), uint32(dstRow), uint32(xRow), uint32(kh), uint32(kw),
				uint32(tapRow), uint32(sw), uint32(dw), pb)
			got := make([]float32, dlen)
			k.read(dAddr, got)
			want := append([]float32(nil), d...)
			DepthwiseRef(want, x, w, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, bias)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("dst[%d] = %v, DepthwiseRef %v", j, got[j], want[j])
				}
			}
			for r := 0; r < rows; r++ {
				for o := 0; o < n; o++ {
					s, mag := 0.0, 0.0
					for jh := 0; jh < kh; jh++ {
						for jw := 0; jw < kw; jw++ {
							p := float64(w[jh*kw+jw]) * float64(x[r*xRow+jh*tapRow+o*sw+jw*dw])
							s += p
							mag += math.Abs(p)
						}
					}
					if bias != nil {
						s += float64(bias[0])
						mag += math.Abs(float64(bias[0]))
					}
					if g := float64(want[r*dstRow+o]); math.Abs(g-s) > 1e-6*float64(kh*kw+1)*mag+1e-30 {
						t.Fatalf("DepthwiseRef output (%d, %d) = %v, float64 sum %v", r, o, g, s)
					}
				}
			}
		})
	}
}

// TestClipKernel runs the generated clip on randomized blocks (row lengths
// around the vector width, padded rows, misaligned blocks; inputs with NaNs,
// ±0 and ±Inf) for ReLU and Clip bounds, and requires results bit-identical
// to ClipRef, values outside the block untouched, and ClipRef equal to the
// definition on float64 values.
func TestClipKernel(t *testing.T) {
	k := newKernels(t, Module())
	rng := rand.New(rand.NewPCG(17, 18))
	bounds := [][2]float32{{0, float32(math.Inf(1))}, {0, 6}, {-1.5, 0.25}, {0.5, 0.5}}
	for i := 0; i < 40; i++ {
		rows, cols := 1+rng.IntN(4), 1+rng.IntN(13)
		ldc := cols + rng.IntN(3)
		lo, hi := bounds[i%len(bounds)][0], bounds[i%len(bounds)][1]
		skew := uint32(4 * rng.IntN(4))
		t.Run(fmt.Sprintf("rows%d_cols%d_ldc%d_lo%v_hi%v_skew%d", rows, cols, ldc, lo, hi, skew), func(t *testing.T) {
			n := (rows-1)*ldc + cols + 8
			c := randSlice(rng, n)
			for j := range c {
				c[j] *= 8
			}
			specialFloats(rng, c)
			cAddr := 1<<16 + skew
			k.write(cAddr, c)
			k.call(t, "clip", cAddr, uint32(rows), uint32(cols), uint32(ldc), math.Float32bits(lo), math.Float32bits(hi))
			got := make([]float32, n)
			k.read(cAddr, got)
			want := append([]float32(nil), c...)
			ClipRef(want, rows, cols, ldc, lo, hi)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("c[%d] = %v (%#x), ClipRef %v (%#x)", j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				}
			}
			for j, v := range c {
				inside := j/ldc < rows && j%ldc < cols && j < (rows-1)*ldc+cols
				w := float64(v)
				if inside && !math.IsNaN(w) {
					w = math.Min(math.Max(w, float64(lo)), float64(hi))
				}
				g := float64(want[j])
				if math.IsNaN(w) != math.IsNaN(g) || !math.IsNaN(w) && g != w {
					t.Fatalf("ClipRef c[%d] = %v from %v, want %v", j, g, v, w)
				}
			}
		})
	}
}

// refDepthwise and refClip are DepthwiseRef and ClipRef as ops hooks that
// check the slice lengths the hooks' contracts imply and count calls.
func refDepthwise(t *testing.T, calls *int) ops.DepthwiseKernel {
	return func(dst, x, w []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32) {
		*calls++
		if n <= 0 || n%4 != 0 || len(w) != kh*kw || bias != nil && len(bias) != 1 || len(dst) < (rows-1)*dstRow+n ||
			len(x) < (rows-1)*xRow+(kh-1)*tapRow+(n-1)*sw+(kw-1)*dw+1 {
			t.Fatalf("DepthwiseKernel called with n %d rows %d dstRow %d xRow %d k %dx%d tapRow %d sw %d dw %d: len(dst) %d len(x) %d len(w) %d",
				n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, len(dst), len(x), len(w))
		}
		DepthwiseRef(dst, x, w, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, bias)
	}
}

func refClip(t *testing.T, calls *int) ops.ClipKernel {
	return func(c []float32, rows, cols, ldc int, lo, hi float32) {
		*calls++
		if rows <= 0 || cols <= 0 || ldc < cols || len(c) != (rows-1)*ldc+cols || lo > hi {
			t.Fatalf("ClipKernel called with rows %d cols %d ldc %d lo %v hi %v: len(c) %d", rows, cols, ldc, lo, hi, len(c))
		}
		ClipRef(c, rows, cols, ldc, lo, hi)
	}
}

// TestHookDepthwise runs depthwise convolutions (strides 1 and 2,
// dilation, channel multiplier, 1D, with and without bias, ReLU and Clip)
// with the depthwise, clip and GEMM hooks set to the kernels' twins and
// requires results bit-identical to the pure-Go path and close to a
// float64 direct convolution.
func TestHookDepthwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	cases := []struct {
		in, w     []int
		s, d, pad int
		bias      bool
		act       ops.Activation
		wantCalls bool
	}{
		{in: []int{1, 8, 20, 20}, w: []int{8, 1, 3, 3}, s: 1, d: 1, pad: 1, bias: true, act: ops.Activation{Kind: ops.ActReLU}, wantCalls: true},
		{in: []int{2, 3, 23, 19}, w: []int{6, 1, 3, 3}, s: 2, d: 1, pad: 1, act: ops.ReLU6, wantCalls: true},
		{in: []int{1, 4, 17, 22}, w: []int{4, 1, 5, 5}, s: 1, d: 2, pad: 3, bias: true, wantCalls: true},
		{in: []int{1, 2, 40}, w: []int{2, 1, 7}, s: 3, d: 1, pad: 2, bias: true, act: ops.Activation{Kind: ops.ActReLU}, wantCalls: true},
		{in: []int{1, 3, 6, 6}, w: []int{3, 1, 3, 3}, s: 2, d: 1, pad: 1, bias: true, wantCalls: false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v_%v_s%d_d%d_p%d", tc.in, tc.w, tc.s, tc.d, tc.pad), func(t *testing.T) {
			rank := len(tc.in) - 2
			rep := func(v int) []int {
				s := make([]int, rank)
				for i := range s {
					s[i] = v
				}
				return s
			}
			p := ops.ConvParams{Window: ops.Window{Strides: rep(tc.s), Dilations: rep(tc.d), PadsBegin: rep(tc.pad), PadsEnd: rep(tc.pad)}, Groups: tc.in[1]}
			g, err := ops.NewConvGeom(tc.in, tc.w, p)
			if err != nil {
				t.Fatal(err)
			}
			wlen, xlen := 1, 1
			for _, v := range tc.w {
				wlen *= v
			}
			for _, v := range tc.in {
				xlen *= v
			}
			w, x := randSlice(rng, wlen), randSlice(rng, xlen)
			var bias []float32
			if tc.bias {
				bias = randSlice(rng, tc.w[0])
			}
			c, err := ops.NewConv(g, w, bias, tc.act, ops.AlgoDepthwise)
			if err != nil {
				t.Fatal(err)
			}
			out := 1
			for _, v := range g.OutShape() {
				out *= v
			}
			want := make([]float32, out)
			c.Forward(want, x, nil, 1)
			got := make([]float32, out)
			dcalls, ccalls := 0, 0
			ops.SetDepthwiseKernel(refDepthwise(t, &dcalls))
			ops.SetClipKernel(refClip(t, &ccalls))
			c.Forward(got, x, nil, 2)
			ops.SetDepthwiseKernel(nil)
			ops.SetClipKernel(nil)
			sameBits(t, got, want)
			if (dcalls > 0) != tc.wantCalls {
				t.Fatalf("%d depthwise kernel calls, want calls: %v", dcalls, tc.wantCalls)
			}
			if tc.act.Kind != ops.ActNone && ccalls == 0 {
				t.Fatal("the clip kernel was never called")
			}
			// An independent float64 direct convolution.
			mult := tc.w[0] / tc.in[1]
			os := g.OutShape()
			inH, inW, kh, kw, oh, ow := 1, tc.in[len(tc.in)-1], 1, tc.w[len(tc.w)-1], 1, os[len(os)-1]
			if rank == 2 {
				inH, kh, oh = tc.in[2], tc.w[2], os[2]
			}
			for n := 0; n < tc.in[0]; n++ {
				for m := 0; m < tc.w[0]; m++ {
					for y := 0; y < oh; y++ {
						for xx := 0; xx < ow; xx++ {
							s := 0.0
							if bias != nil {
								s = float64(bias[m])
							}
							for i := 0; i < kh; i++ {
								for j := 0; j < kw; j++ {
									iy, ix := y*tc.s-tc.pad+i*tc.d, xx*tc.s-tc.pad+j*tc.d
									if rank == 1 {
										iy = 0
									}
									if iy < 0 || iy >= inH || ix < 0 || ix >= inW {
										continue
									}
									s += float64(x[((n*tc.in[1]+m/mult)*inH+iy)*inW+ix]) * float64(w[(m*kh+i)*kw+j])
								}
							}
							switch tc.act.Kind {
							case ops.ActReLU:
								s = max(s, 0)
							case ops.ActClip:
								s = min(max(s, float64(tc.act.Alpha)), float64(tc.act.Beta))
							}
							g := float64(got[((n*tc.w[0]+m)*oh+y)*ow+xx])
							if math.Abs(g-s) > 1e-5*(1+math.Abs(s)) {
								t.Fatalf("out (%d, %d, %d, %d) = %v, float64 reference %v", n, m, y, xx, g, s)
							}
						}
					}
				}
			}
		})
	}
}

// TestHookDense runs ops.Dense created with the GEMM and clip hooks set to
// the kernels' twins (which packs the weights for y = x·Wᵀ with C's unit
// column stride) and requires results bit-identical to a Dense created and
// run without hooks, for batches of 1 and more, ragged output counts and
// every activation the clip kernel takes.
func TestHookDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		batch, in, out int
		transposed     bool
		act            ops.Activation
	}{
		{1, 512, 1000, true, ops.Activation{}},
		{1, 300, 7, false, ops.Activation{Kind: ops.ActReLU}},
		{3, 33, 130, true, ops.ReLU6},
		{2, 520, 17, false, ops.Activation{Kind: ops.ActTanh}},
		{130, 20, 9, true, ops.Activation{Kind: ops.ActReLU}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("b%d_in%d_out%d_T%v_%v", tc.batch, tc.in, tc.out, tc.transposed, tc.act.Kind), func(t *testing.T) {
			w, bias, x := randSlice(rng, tc.in*tc.out), randSlice(rng, tc.out), randSlice(rng, tc.batch*tc.in)
			d, err := ops.NewDense(w, bias, tc.in, tc.out, tc.transposed, tc.act)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, tc.batch*tc.out)
			d.Forward(want, x, make([]float32, d.WorkspaceLen(tc.batch)), tc.batch, 1)
			calls, ccalls := 0, 0
			ops.SetClipKernel(refClip(t, &ccalls))
			withKernel(refKernel(t, &calls), func() {
				dk, err := ops.NewDense(w, bias, tc.in, tc.out, tc.transposed, tc.act)
				if err != nil {
					t.Fatal(err)
				}
				for _, threads := range []int{1, 2} {
					got := make([]float32, tc.batch*tc.out)
					dk.Forward(got, x, make([]float32, dk.WorkspaceLen(tc.batch)), tc.batch, threads)
					sameBits(t, got, want)
				}
			})
			ops.SetClipKernel(nil)
			if calls == 0 {
				t.Fatal("the GEMM kernel was never called")
			}
			// A float64 reference, independent of both paths.
			for b := 0; b < tc.batch; b++ {
				for o := 0; o < tc.out; o++ {
					s := float64(bias[o])
					for i := 0; i < tc.in; i++ {
						wv := w[i*tc.out+o]
						if tc.transposed {
							wv = w[o*tc.in+i]
						}
						s += float64(x[b*tc.in+i]) * float64(wv)
					}
					switch tc.act.Kind {
					case ops.ActReLU:
						s = max(s, 0)
					case ops.ActClip:
						s = min(max(s, float64(tc.act.Alpha)), float64(tc.act.Beta))
					case ops.ActTanh:
						s = math.Tanh(s)
					}
					if g := float64(want[b*tc.out+o]); math.Abs(g-s) > 1e-4*(1+math.Abs(s)) {
						t.Fatalf("y[%d, %d] = %v, float64 reference %v", b, o, g, s)
					}
				}
			}
		})
	}
}
