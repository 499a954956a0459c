package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// TestWinogradTransforms checks the 1D transforms of F(2,3) and F(4,3):
// Aᵀ[(G g) ⊙ (Bᵀ d)], with Bᵀ and Aᵀ applied by the float32 kernels to
// values that keep them exact and G from winoG2/winoG4 in float64, must
// equal the 3-tap correlation y_i = Σ_k g_k d_{i+k} computed in float64.
func TestWinogradTransforms(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{2, 4} {
		t.Run(fmt.Sprintf("F(%d,3)", m), func(t *testing.T) {
			alpha := m + 2
			gm := winoG2
			if m == 4 {
				gm = winoG4
			}
			for trial := 0; trial < 50; trial++ {
				// Small integers keep the float32 transforms exact.
				var d [6]float32
				var g [3]float64
				for i := range d {
					d[i] = float32(rng.IntN(17) - 8)
				}
				for i := range g {
					g[i] = float64(rng.IntN(17) - 8)
				}
				var v [6]float32
				if m == 2 {
					v[0], v[1], v[2], v[3] = wino2In(d[0], d[1], d[2], d[3])
				} else {
					v[0], v[1], v[2], v[3], v[4], v[5] = Winograd4In(d[0], d[1], d[2], d[3], d[4], d[5])
				}
				// The products (G g)⊙v are rounded to float32 by the
				// kernel's GEMM; with these inputs they are multiples of
				// 1/24 below 2^14 and exact.
				var prod [6]float32
				for j := 0; j < alpha; j++ {
					u := float64(gm[j][0]*g[0]) + float64(gm[j][1]*g[1]) + float64(gm[j][2]*g[2])
					prod[j] = float32(u * float64(v[j]))
				}
				var y [4]float32
				if m == 2 {
					y[0], y[1] = wino2Out(prod[0], prod[1], prod[2], prod[3])
				} else {
					y[0], y[1], y[2], y[3] = Winograd4Out(prod[0], prod[1], prod[2], prod[3], prod[4], prod[5])
				}
				for i := 0; i < m; i++ {
					want := float64(g[0]*float64(d[i])) + float64(g[1]*float64(d[i+1])) + float64(g[2]*float64(d[i+2]))
					if math.Abs(float64(y[i])-want) > 1e-3 {
						t.Fatalf("d=%v g=%v: output %d = %v, want %v", d, g, i, y[i], want)
					}
				}
			}
		})
	}
}

// accLayer is a layer of a real network for the accuracy tests.
type accLayer struct {
	name string
	x, w []int
	p    ConvParams
}

func pad2(p int) ConvParams {
	return ConvParams{Window: Window{PadsBegin: []int{p, p}, PadsEnd: []int{p, p}}}
}

// Accuracy-test layers: two ResNet-18 3x3 layers, a 7x7 stride-1 layer and
// a long 1D convolution.
var (
	accResNet56 = accLayer{"resnet18_3x3_64-64_56", []int{1, 64, 56, 56}, []int{64, 64, 3, 3}, pad2(1)}
	accResNet14 = accLayer{"resnet18_3x3_256-256_14", []int{1, 256, 14, 14}, []int{256, 256, 3, 3}, pad2(1)}
	acc7x7      = accLayer{"7x7_32-32_28", []int{1, 32, 28, 28}, []int{32, 32, 7, 7}, pad2(3)}
	acc1D       = accLayer{"1d_k63_16-16_2048", []int{1, 16, 2048}, []int{16, 16, 63},
		ConvParams{Window: Window{PadsBegin: []int{31}, PadsEnd: []int{31}}}}
)

// accData is a layer's geometry, data and float64 reference output.
type accData struct {
	g       ConvGeom
	x, w, b []float32
	want    []float64
}

// accCache keeps reference outputs shared by the Winograd and FFT tests.
var accCache = map[string]*accData{}

// accSetup returns the geometry, random data (inputs and weights uniform in
// [-1, 1), a bias) and the float64 reference output of a layer.
func accSetup(t *testing.T, l accLayer) *accData {
	t.Helper()
	if d := accCache[l.name]; d != nil {
		return d
	}
	g, err := NewConvGeom(l.x, l.w, l.p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	d := &accData{g: g, x: randSlice(rng, convNumel(l.x)), w: randSlice(rng, convNumel(l.w)), b: randSlice(rng, l.w[0])}
	d.want, _ = ref.Conv(ref.To64(d.x), l.x, ref.To64(d.w), l.w, ref.To64(d.b), ref.ConvAttrs{PadsBegin: l.p.PadsBegin, PadsEnd: l.p.PadsEnd})
	accCache[l.name] = d
	return d
}

// checkAccuracy runs each algorithm on a layer (1 thread, and 2 threads
// which must give the same bits), logs its largest absolute and relative
// error against the float64 reference, and fails when the relative error
// exceeds the algorithm's bound.
func checkAccuracy(t *testing.T, l accLayer, bounds map[ConvAlgo]float64) {
	d := accSetup(t, l)
	for _, algo := range []ConvAlgo{AlgoDirect, AlgoIm2col, AlgoWinograd2, AlgoWinograd4, AlgoFFT} {
		bound, ok := bounds[algo]
		if !ok {
			continue
		}
		t.Run(string(algo), func(t *testing.T) {
			cv, err := NewConv(d.g, d.w, d.b, Activation{}, algo)
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]float32, len(d.want))
			ws := make([]float32, cv.WorkspaceLen())
			cv.Forward(dst, d.x, ws, 1)
			abs, rel := errStats(dst, d.want)
			t.Logf("%s %-9s max abs error %.3g, relative to max |y| %.3g (bound %.0e)", l.name, algo, abs, rel, bound)
			if rel > bound {
				t.Errorf("relative error %.3g > %.3g", rel, bound)
			}
			dst2 := make([]float32, len(d.want))
			cv.Forward(dst2, d.x, ws, 2)
			if i := firstBitDiff(dst, dst2); i >= 0 {
				t.Fatalf("2 threads differ from 1 at %d", i)
			}
		})
	}
}

// TestWinogradAccuracy measures Winograd's error on ResNet-18 layers next to
// direct and im2col. Measured (amd64, seeds as here): direct and im2col
// about 4e-7 relative to the largest output, winograd2 about 1e-6 and
// winograd4 about 4e-6 (~10x direct); the bounds leave a 3-5x margin.
func TestWinogradAccuracy(t *testing.T) {
	bounds := map[ConvAlgo]float64{AlgoDirect: 6e-6, AlgoIm2col: 6e-6, AlgoWinograd2: 3e-6, AlgoWinograd4: 4e-5}
	for _, l := range []accLayer{accResNet56, accResNet14} {
		t.Run(l.name, func(t *testing.T) { checkAccuracy(t, l, bounds) })
	}
}

// forceTileBlocks re-blocks a Winograd or FFT convolution to at most tbMax
// tiles per block (a multiple of gemmNR), so small tests reach several
// tile blocks, ragged last blocks and padded columns.
func forceTileBlocks(c *Conv, tbMax int) {
	c.xf.blocks(tbMax)
	c.wsLen = c.xf.wsLen()
}

// TestWinogradBlocking checks cases that span several tile blocks (forced
// small), row blocks (M > 128, odd), K blocks (C > 256), images per block
// and ragged edge tiles against the float64 reference.
func TestWinogradBlocking(t *testing.T) {
	cases := []convCase{
		{name: "2d/deep_wide_batch2", x: []int{2, 260, 7, 6}, w: []int{131, 260, 3, 3}, p: pad2(1), bias: true, act: Activation{Kind: ActReLU}},
		{name: "2d/asym_pad_batch3", x: []int{3, 5, 11, 13}, w: []int{7, 5, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{2, 0}, []int{1, 2}, PadExplicit)}, bias: true},
		{name: "2d/same_lower", x: []int{1, 3, 9, 10}, w: []int{4, 3, 3, 3}, p: ConvParams{Window: convWin(nil, nil, nil, nil, PadSameLower)}, act: Activation{Kind: ActTanh}},
		{name: "2d/valid_ragged", x: []int{2, 4, 8, 9}, w: []int{5, 4, 3, 3}, p: ConvParams{Window: convWin(nil, nil, nil, nil, PadValid)}, bias: true},
		{name: "2d/kernel_1x3", x: []int{2, 4, 5, 9}, w: []int{6, 4, 1, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1}, []int{0, 1}, PadExplicit)}, bias: true, act: ReLU6},
		{name: "1d/long_pad", x: []int{2, 3, 37}, w: []int{5, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1}, []int{2}, PadExplicit)}, bias: true},
		{name: "1d/same_upper_short", x: []int{3, 2, 2}, w: []int{3, 2, 3}, p: ConvParams{Window: convWin(nil, nil, nil, nil, PadSameUpper)}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, uint64(100+i))
			var b64 []float64
			if b != nil {
				b64 = ref.To64(b)
			}
			want, _ := ref.Conv(ref.To64(x), c.x, ref.To64(w), c.w, b64, c.refAttrs())
			refActivation(c.act, want)
			for _, algo := range []ConvAlgo{AlgoWinograd2, AlgoWinograd4} {
				for _, tb := range []int{0, 4, 8} {
					t.Run(fmt.Sprintf("%s/tb%d", algo, tb), func(t *testing.T) {
						cv, err := NewConv(g, w, b, c.act, algo)
						if err != nil {
							t.Fatal(err)
						}
						if tb > 0 {
							forceTileBlocks(cv, tb)
						}
						got := runConv(t, cv, x, 1)
						checkClose(t, got, want, convAlgoTol(algo))
						if i := firstBitDiff(got, runConv(t, cv, x, 3)); i >= 0 {
							t.Fatalf("threads=3 differs from threads=1 at %d", i)
						}
					})
				}
			}
		})
	}
}

func TestWinogradApplies(t *testing.T) {
	tests := []struct {
		name string
		x, w []int
		p    ConvParams
		want bool
	}{
		{"3x3", []int{1, 2, 5, 5}, []int{2, 2, 3, 3}, ConvParams{}, true},
		{"1x3", []int{1, 2, 5, 5}, []int{2, 2, 1, 3}, ConvParams{}, true},
		{"1d_3tap", []int{1, 2, 5}, []int{2, 2, 3}, ConvParams{}, true},
		{"3x1", []int{1, 2, 5, 5}, []int{2, 2, 3, 1}, ConvParams{}, false},
		{"5x5", []int{1, 2, 5, 5}, []int{2, 2, 5, 5}, ConvParams{}, false},
		{"stride2", []int{1, 2, 5, 5}, []int{2, 2, 3, 3}, ConvParams{Window: Window{Strides: []int{2, 2}}}, false},
		{"dilation2", []int{1, 2, 5, 5}, []int{2, 2, 3, 3}, ConvParams{Window: Window{Dilations: []int{2, 2}}}, false},
		{"groups2", []int{1, 4, 5, 5}, []int{4, 2, 3, 3}, ConvParams{Groups: 2}, false},
		{"3d", []int{1, 2, 5, 5, 5}, []int{2, 2, 1, 3, 3}, ConvParams{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewConvGeom(tc.x, tc.w, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			w := make([]float32, convNumel(tc.w))
			for _, algo := range []ConvAlgo{AlgoWinograd2, AlgoWinograd4} {
				_, err := NewConv(g, w, nil, Activation{}, algo)
				if tc.want && err != nil {
					t.Fatalf("%s: %v", algo, err)
				}
				if !tc.want && err == nil {
					t.Fatalf("%s accepted", algo)
				}
			}
		})
	}
}
