package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestFFTSinCos(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7, 8, 64, 1000, 1 << 16, 1 << 22} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			step := max(1, n/4099)
			for j := -n; j <= 2*n; j += step {
				s, c := fftSinCos(j, n)
				// The reference angle is reduced to [0, 2π) first: its
				// rounding error (up to 2π·2⁻⁵³) bounds the comparison.
				a := 2 * math.Pi * float64((j%n+n)%n) / float64(n)
				if math.Abs(s-math.Sin(a)) > 2e-15 || math.Abs(c-math.Cos(a)) > 2e-15 {
					t.Fatalf("j=%d: sin %v cos %v, want %v %v", j, s, c, math.Sin(a), math.Cos(a))
				}
			}
		})
	}
}

// TestFFT32 compares the float32 FFT, forward and inverse, with a float64
// DFT computed from the definition.
func TestFFT32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 4, 8, 16, 64, 256, 1024} {
		for _, inverse := range []bool{false, true} {
			t.Run(fmt.Sprintf("n%d/inverse=%v", n, inverse), func(t *testing.T) {
				a := newFFTAxis(n)
				z := randSlice(rng, 2*n)
				want := make([]float64, 2*n)
				sign := -1.0
				if inverse {
					sign = 1
				}
				for k := 0; k < n; k++ {
					for j := 0; j < n; j++ {
						ang := sign * 2 * math.Pi * float64(j*k%n) / float64(n)
						c, s := math.Cos(ang), math.Sin(ang)
						xr, xi := float64(z[2*j]), float64(z[2*j+1])
						want[2*k] += float64(xr*c) - float64(xi*s)
						want[2*k+1] += float64(xr*s) + float64(xi*c)
					}
				}
				tw := a.fw
				if inverse {
					tw = a.inv
				}
				fft32(z, a.rev, tw)
				// float32 FFT error grows like log2(n)·ε·sqrt(n)·|x|.
				checkClose(t, z, want, 1e-6*float64(bitsLen(n)+1))
			})
		}
	}
}

func bitsLen(n int) int {
	l := 0
	for ; n > 1; n >>= 1 {
		l++
	}
	return l
}

// TestFFTTiles forces FFT sizes (from the smallest that fits the kernel to
// one tile per axis), and small tile blocks, on 1D, 2D and 3D convolutions
// with padding, and checks them against the float64 reference.
func TestFFTTiles(t *testing.T) {
	cases := []struct {
		c     convCase
		sizes []Dims3
	}{
		{convCase{name: "1d/long_kernel", x: []int{2, 3, 50}, w: []int{4, 3, 9}, p: ConvParams{Window: convWin(nil, nil, []int{4}, []int{3}, PadExplicit)}, bias: true, act: Activation{Kind: ActReLU}},
			[]Dims3{{1, 1, 16}, {1, 1, 32}, {1, 1, 64}}},
		{convCase{name: "2d/7x7_asym", x: []int{2, 3, 13, 11}, w: []int{5, 3, 7, 5}, p: ConvParams{Window: convWin(nil, nil, []int{3, 1}, []int{2, 4}, PadExplicit)}, bias: true},
			[]Dims3{{1, 8, 8}, {1, 16, 8}, {1, 8, 16}, {1, 32, 16}}},
		{convCase{name: "2d/deep_wide", x: []int{1, 140, 9, 8}, w: []int{70, 140, 3, 3}, p: pad2(1), bias: true, act: Activation{Kind: ActSigmoid}},
			[]Dims3{{1, 4, 4}, {1, 8, 16}}},
		{convCase{name: "3d/pad", x: []int{1, 2, 6, 5, 7}, w: []int{3, 2, 3, 2, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 0, 2}, []int{1, 1, 0}, PadExplicit)}},
			[]Dims3{{4, 2, 4}, {8, 8, 8}, {4, 4, 16}}},
	}
	for i, tc := range cases {
		c := tc.c
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, uint64(200+i))
			var b64 []float64
			if b != nil {
				b64 = ref.To64(b)
			}
			want, _ := ref.Conv(ref.To64(x), c.x, ref.To64(w), c.w, b64, c.refAttrs())
			refActivation(c.act, want)
			auto, _ := fftChooseTile(g)
			for _, size := range append(tc.sizes, auto) {
				for _, tb := range []int{0, 4} {
					t.Run(fmt.Sprintf("T%dx%dx%d/tb%d", size.D, size.H, size.W, tb), func(t *testing.T) {
						cv, err := NewConv(g, w, b, c.act, AlgoFFT)
						if err != nil {
							t.Fatal(err)
						}
						cv.fftSetupTile(w, size)
						if tb > 0 {
							forceTileBlocks(cv, tb)
						}
						got := runConv(t, cv, x, 1)
						checkClose(t, got, want, convAlgoTol(AlgoFFT))
						if i := firstBitDiff(got, runConv(t, cv, x, 3)); i >= 0 {
							t.Fatalf("threads=3 differs from threads=1 at %d", i)
						}
					})
				}
			}
		})
	}
}

// TestFFTAccuracy measures the FFT convolution's error on a ResNet 3x3
// layer, a 7x7 layer and a long 1D convolution, next to im2col. Measured
// (amd64): im2col about 4e-7 relative to the largest output, fft 5e-7 to
// 1e-6; the bounds leave a 4x margin.
func TestFFTAccuracy(t *testing.T) {
	bounds := map[ConvAlgo]float64{AlgoIm2col: 6e-6, AlgoFFT: 2e-6}
	for _, l := range []accLayer{accResNet56, acc7x7, acc1D} {
		t.Run(l.name, func(t *testing.T) { checkAccuracy(t, l, bounds) })
	}
}

func TestFFTApplies(t *testing.T) {
	tests := []struct {
		name string
		x, w []int
		p    ConvParams
		want bool
	}{
		{"7x7", []int{1, 2, 20, 20}, []int{2, 2, 7, 7}, ConvParams{}, true},
		{"1d", []int{1, 2, 100}, []int{2, 2, 33}, ConvParams{}, true},
		{"3d", []int{1, 2, 5, 5, 5}, []int{2, 2, 3, 3, 3}, ConvParams{}, true},
		{"stride2", []int{1, 2, 20, 20}, []int{2, 2, 7, 7}, ConvParams{Window: Window{Strides: []int{2, 2}}}, false},
		{"dilation2", []int{1, 2, 20, 20}, []int{2, 2, 3, 3}, ConvParams{Window: Window{Dilations: []int{2, 2}}}, false},
		{"groups2", []int{1, 4, 20, 20}, []int{4, 2, 3, 3}, ConvParams{Groups: 2}, false},
		// A 2049x2049 kernel needs 4096x4096 tiles: more than fftMaxPlane.
		{"huge_kernel", []int{1, 1, 2049, 2049}, []int{1, 1, 2049, 2049}, ConvParams{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewConvGeom(tc.x, tc.w, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			size, ok := fftChooseTile(g)
			if ok != tc.want {
				t.Fatalf("fftChooseTile ok = %v, want %v", ok, tc.want)
			}
			has := false
			for _, a := range ConvAlgos(g) {
				has = has || a == AlgoFFT
			}
			if has != tc.want {
				t.Fatalf("ConvAlgos offers fft: %v, want %v", has, tc.want)
			}
			if ok && (size.prod() > fftMaxPlane || size.D < g.Kernel.D || size.H < g.Kernel.H || size.W < g.Kernel.W) {
				t.Fatalf("tile %+v does not fit kernel %+v or the plane limit", size, g.Kernel)
			}
		})
	}
}
