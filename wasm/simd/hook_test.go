package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// refKernel is GemmRef as an ops.GemmKernel that also checks the slice
// lengths ops.GemmKernel documents, and counts its calls.
func refKernel(t *testing.T, calls *int) ops.GemmKernel {
	return func(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32) {
		*calls++
		if n%4 != 0 || len(a) != (m+1)/2*2*kc || len(b) != n*kc || len(c) != (m-1)*ldc+n || bias != nil && len(bias) != m {
			t.Fatalf("GemmKernel called with kc %d m %d n %d ldc %d: len(a) %d len(b) %d len(c) %d len(bias) %d",
				kc, m, n, ldc, len(a), len(b), len(c), len(bias))
		}
		flags := 0
		if load {
			flags = GemmFlagLoad
		}
		GemmRef(a, b, c, kc, m, n, ldc, flags, bias)
	}
}

// refWino is Wino4InRef and Wino4OutRef as ops.WinogradKernels that also
// check the slice lengths ops.WinogradKernels documents, and count calls.
func refWino(t *testing.T, calls *int) ops.WinogradKernels {
	return ops.WinogradKernels{
		In4: func(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
			*calls++
			for l := range src {
				if len(src[l]) < (n-1)*ch[l]+5*row[l]+6 {
					t.Fatalf("In4 called with n %d row %v ch %v: len(src[%d]) %d", n, row, ch, l, len(src[l]))
				}
			}
			if len(v) != 35*stride+n*4 {
				t.Fatalf("In4 called with n %d stride %d: len(v) %d", n, stride, len(v))
			}
			Wino4InRef(src, row, ch, v, n, stride)
		},
		Out4: func(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
			*calls++
			for l := range dst {
				if len(dst[l]) < (n-1)*ch[l]+3*row[l]+4 {
					t.Fatalf("Out4 called with n %d row %v ch %v: len(dst[%d]) %d", n, row, ch, l, len(dst[l]))
				}
			}
			if len(y) != 35*stride+(n-1)*ldy+4 || bias != nil && len(bias) != n {
				t.Fatalf("Out4 called with stride %d ldy %d n %d: len(y) %d len(bias) %d", stride, ldy, n, len(y), len(bias))
			}
			Wino4OutRef(y, stride, ldy, dst, row, ch, n, bias, clip, lo, hi)
		},
	}
}

// withKernel runs f with k installed.
func withKernel(k ops.GemmKernel, f func()) {
	ops.SetGemmKernel(k)
	defer ops.SetGemmKernel(nil)
	f()
}

func sameBits(t *testing.T, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("[%d] = %v with the kernel hook, %v without", i, got[i], want[i])
		}
	}
}

// TestHookGemm checks that ops.Gemm gives bit-identical results with a
// GemmKernel installed (GemmRef, the twin of the generated kernel) and
// without, and that the result is close to a float64 product.
func TestHookGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []ops.GemmParams{
		{M: 1, N: 4, K: 1},
		{M: 7, N: 13, K: 9, Accumulate: true},
		{M: 130, N: 131, K: 300},
		{M: 33, N: 260, K: 257, TransA: true, TransB: true, LDC: 270},
		{M: 5, N: 3, K: 5},
	}
	for _, p := range cases {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			a := randSlice(rng, p.M*p.K)
			b := randSlice(rng, p.K*p.N)
			ldc := max(p.LDC, p.N)
			c0 := randSlice(rng, p.M*ldc)
			ws := make([]float32, ops.GemmWorkspaceLen(p))
			want := append([]float32(nil), c0...)
			ops.Gemm(p, a, b, want, ws, 2)
			got := append([]float32(nil), c0...)
			calls := 0
			withKernel(refKernel(t, &calls), func() { ops.Gemm(p, a, b, got, ws, 2) })
			if p.N >= 4 && calls == 0 {
				t.Fatal("the kernel was never called")
			}
			sameBits(t, got, want)
			for i := 0; i < p.M; i++ {
				for j := 0; j < p.N; j++ {
					s, mag := 0.0, 0.0
					if p.Accumulate {
						s, mag = float64(c0[i*ldc+j]), math.Abs(float64(c0[i*ldc+j]))
					}
					for k := 0; k < p.K; k++ {
						av, bv := a[i*p.K+k], b[k*p.N+j]
						if p.TransA {
							av = a[k*p.M+i]
						}
						if p.TransB {
							bv = b[j*p.K+k]
						}
						s += float64(av) * float64(bv)
						mag += math.Abs(float64(av) * float64(bv))
					}
					if d := math.Abs(float64(got[i*ldc+j]) - s); d > 1e-6*float64(p.K+1)*mag {
						t.Fatalf("C[%d][%d] = %v, float64 %v", i, j, got[i*ldc+j], s)
					}
				}
			}
		})
	}
}

// TestHookConv does the same for the convolutions built on the packed GEMM.
func TestHookConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	type convCase struct {
		in, w []int
		pad   int
		algo  ops.ConvAlgo
		act   ops.Activation
	}
	cases := []convCase{
		{in: []int{1, 5, 11, 9}, w: []int{7, 5, 3, 3}, pad: 1, algo: ops.AlgoIm2col, act: ops.Activation{Kind: ops.ActReLU}},
		{in: []int{2, 16, 12, 12}, w: []int{13, 16, 1, 1}, algo: ops.AlgoIm2col},
		{in: []int{1, 30, 10, 10}, w: []int{140, 30, 3, 3}, pad: 1, algo: ops.AlgoIm2col, act: ops.ReLU6},
		{in: []int{1, 9, 13, 11}, w: []int{10, 9, 3, 3}, pad: 1, algo: ops.AlgoWinograd2},
		{in: []int{2, 9, 13, 11}, w: []int{11, 9, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, act: ops.Activation{Kind: ops.ActReLU}},
		{in: []int{1, 260, 6, 6}, w: []int{8, 260, 3, 3}, pad: 1, algo: ops.AlgoWinograd4},
		{in: []int{3, 70, 9, 15}, w: []int{130, 70, 3, 3}, pad: 0, algo: ops.AlgoWinograd4, act: ops.ReLU6},
		{in: []int{1, 3, 4, 4}, w: []int{5, 3, 3, 3}, pad: 2, algo: ops.AlgoWinograd4},
		{in: []int{1, 20, 22, 18}, w: []int{9, 20, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, act: ops.Activation{Kind: ops.ActSigmoid}},
		{in: []int{2, 8, 16, 16}, w: []int{6, 8, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, act: ops.Activation{Kind: ops.ActClip, Alpha: -0.2, Beta: 0.3}},
		{in: []int{1, 4, 20, 20}, w: []int{6, 4, 5, 5}, pad: 2, algo: ops.AlgoFFT},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v_%v_%s", tc.in, tc.w, tc.algo), func(t *testing.T) {
			p := ops.ConvParams{Window: ops.Window{PadsBegin: []int{tc.pad, tc.pad}, PadsEnd: []int{tc.pad, tc.pad}}, Groups: 1}
			g, err := ops.NewConvGeom(tc.in, tc.w, p)
			if err != nil {
				t.Fatal(err)
			}
			w := randSlice(rng, tc.w[0]*tc.w[1]*tc.w[2]*tc.w[3])
			bias := randSlice(rng, tc.w[0])
			c, err := ops.NewConv(g, w, bias, tc.act, tc.algo)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, tc.in[0]*tc.in[1]*tc.in[2]*tc.in[3])
			out := 1
			for _, d := range g.OutShape() {
				out *= d
			}
			ws := make([]float32, c.WorkspaceLen())
			want := make([]float32, out)
			c.Forward(want, x, ws, 1)
			got := make([]float32, out)
			calls, wcalls := 0, 0
			withKernel(refKernel(t, &calls), func() { c.Forward(got, x, ws, 2) })
			if calls == 0 {
				t.Fatal("the kernel was never called")
			}
			sameBits(t, got, want)
			// The same conv created with the Winograd kernels installed
			// (they take effect at creation).
			ops.SetWinogradKernels(refWino(t, &wcalls))
			cw, err := ops.NewConv(g, w, bias, tc.act, tc.algo)
			ops.SetWinogradKernels(ops.WinogradKernels{})
			if err != nil {
				t.Fatal(err)
			}
			ws = make([]float32, cw.WorkspaceLen())
			for i := range got {
				got[i] = float32(math.NaN()) // every output must be written
			}
			withKernel(refKernel(t, &calls), func() { cw.Forward(got, x, ws, 2) })
			if tc.algo == ops.AlgoWinograd4 && wcalls == 0 {
				t.Fatal("the Winograd kernels were never called")
			}
			sameBits(t, got, want)
			// A float64 direct convolution as the independent reference
			// (tolerance covers Winograd F(4,3)'s transforms).
			ref := make([]float64, out)
			directConv(ref, x, w, bias, tc.in, tc.w, tc.pad, g.OutShape())
			for i := range ref {
				r := ref[i]
				switch tc.act.Kind {
				case ops.ActReLU:
					r = max(r, 0)
				case ops.ActClip:
					r = min(max(r, float64(tc.act.Alpha)), float64(tc.act.Beta))
				case ops.ActSigmoid:
					r = 1 / (1 + math.Exp(-r))
				}
				if math.Abs(float64(got[i])-r) > 1e-3*(1+math.Abs(r)) {
					t.Fatalf("out[%d] = %v, float64 reference %v", i, got[i], r)
				}
			}
		})
	}
}

// directConv is a float64 2D convolution with symmetric padding and stride 1.
func directConv(dst []float64, x, w, bias []float32, in, ws []int, pad int, out []int) {
	n, c, h, wd := in[0], in[1], in[2], in[3]
	m, kh, kw := ws[0], ws[2], ws[3]
	oh, ow := out[2], out[3]
	for b := 0; b < n; b++ {
		for mo := 0; mo < m; mo++ {
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					s := float64(bias[mo])
					for ci := 0; ci < c; ci++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								iy, ix := y+i-pad, xx+j-pad
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								s += float64(x[((b*c+ci)*h+iy)*wd+ix]) * float64(w[((mo*c+ci)*kh+i)*kw+j])
							}
						}
					}
					dst[((b*m+mo)*oh+y)*ow+xx] = s
				}
			}
		}
	}
}
