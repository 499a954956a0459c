package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// convTestActs are the activations the conv, gemm and dense tests cycle
// through.
var convTestActs = []Activation{
	{Kind: ActNone},
	{Kind: ActReLU},
	{Kind: ActLeakyReLU, Alpha: 0.1},
	{Kind: ActClip, Alpha: -0.5, Beta: 0.7},
	ReLU6,
	{Kind: ActSigmoid},
	{Kind: ActTanh},
}

// refActivation applies a in float64, from its definition.
func refActivation(a Activation, y []float64) {
	for i, v := range y {
		switch a.Kind {
		case ActReLU:
			v = math.Max(v, 0)
		case ActLeakyReLU:
			if v < 0 {
				v *= float64(a.Alpha)
			}
		case ActClip:
			v = math.Min(math.Max(v, float64(a.Alpha)), float64(a.Beta))
		case ActSigmoid:
			v = 1 / (1 + math.Exp(-v))
		case ActTanh:
			v = math.Tanh(v)
		}
		y[i] = v
	}
}

type convCase struct {
	name string
	x, w []int
	p    ConvParams
	bias bool
	act  Activation
}

func (c convCase) refAttrs() ref.ConvAttrs {
	pads := map[AutoPad]string{PadExplicit: "", PadSameUpper: "SAME_UPPER", PadSameLower: "SAME_LOWER", PadValid: "VALID"}
	return ref.ConvAttrs{Strides: c.p.Strides, Dilations: c.p.Dilations, PadsBegin: c.p.PadsBegin, PadsEnd: c.p.PadsEnd,
		AutoPad: pads[c.p.AutoPad], Groups: c.p.Groups}
}

func convWin(strides, dilations, pb, pe []int, mode AutoPad) Window {
	return Window{Strides: strides, Dilations: dilations, PadsBegin: pb, PadsEnd: pe, AutoPad: mode}
}

// fixedConvCases are hand-picked geometries covering the edge cases.
var fixedConvCases = []convCase{
	{name: "1d/pad1", x: []int{2, 3, 10}, w: []int{4, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1}, []int{1}, PadExplicit)}},
	{name: "1d/asym_pad_stride2", x: []int{1, 2, 9}, w: []int{3, 2, 4}, p: ConvParams{Window: convWin([]int{2}, nil, []int{2}, []int{0}, PadExplicit)}},
	{name: "1d/same_upper_stride3", x: []int{1, 3, 8}, w: []int{2, 3, 4}, p: ConvParams{Window: convWin([]int{3}, nil, nil, nil, PadSameUpper)}},
	{name: "1d/same_lower", x: []int{1, 3, 8}, w: []int{2, 3, 4}, p: ConvParams{Window: convWin(nil, nil, nil, nil, PadSameLower)}},
	{name: "1d/dilation3", x: []int{1, 2, 15}, w: []int{3, 2, 3}, p: ConvParams{Window: convWin(nil, []int{3}, nil, nil, PadExplicit)}},
	{name: "1d/kernel_larger_than_input", x: []int{1, 2, 2}, w: []int{3, 2, 5}, p: ConvParams{Window: convWin(nil, nil, []int{2}, []int{1}, PadExplicit)}},
	{name: "1d/one_pixel", x: []int{1, 4, 1}, w: []int{5, 4, 1}},
	{name: "1d/groups2_valid", x: []int{2, 4, 11}, w: []int{6, 2, 3}, p: ConvParams{Window: convWin([]int{2}, nil, nil, nil, PadValid), Groups: 2}},
	{name: "2d/lenet_conv1", x: []int{2, 1, 12, 12}, w: []int{6, 1, 5, 5}},
	{name: "2d/lenet_conv2", x: []int{1, 6, 14, 14}, w: []int{16, 6, 5, 5}},
	{name: "2d/asym_pad", x: []int{1, 3, 7, 9}, w: []int{8, 3, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{0, 2}, []int{1, 0}, PadExplicit)}},
	{name: "2d/same_upper_stride2", x: []int{1, 4, 9, 7}, w: []int{6, 4, 4, 4}, p: ConvParams{Window: convWin([]int{2, 2}, nil, nil, nil, PadSameUpper)}},
	{name: "2d/same_lower_stride23", x: []int{1, 4, 9, 7}, w: []int{6, 4, 3, 2}, p: ConvParams{Window: convWin([]int{2, 3}, nil, nil, nil, PadSameLower)}},
	{name: "2d/stride_larger_than_kernel", x: []int{1, 3, 11, 13}, w: []int{5, 3, 2, 2}, p: ConvParams{Window: convWin([]int{3, 4}, nil, nil, nil, PadExplicit)}},
	{name: "2d/dilation2", x: []int{1, 3, 10, 10}, w: []int{6, 3, 3, 3}, p: ConvParams{Window: convWin(nil, []int{2, 2}, []int{2, 2}, []int{2, 2}, PadExplicit)}},
	{name: "2d/dilation3_stride2", x: []int{1, 2, 12, 11}, w: []int{4, 2, 3, 3}, p: ConvParams{Window: convWin([]int{2, 2}, []int{3, 3}, []int{3, 1}, []int{0, 3}, PadExplicit)}},
	{name: "2d/groups2", x: []int{2, 4, 8, 8}, w: []int{6, 2, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1}, []int{1, 1}, PadExplicit), Groups: 2}},
	{name: "2d/groups3_stride2", x: []int{1, 6, 7, 7}, w: []int{9, 2, 3, 3}, p: ConvParams{Window: convWin([]int{2, 2}, nil, nil, nil, PadExplicit), Groups: 3}},
	{name: "2d/depthwise", x: []int{1, 5, 8, 8}, w: []int{5, 1, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1}, []int{1, 1}, PadExplicit), Groups: 5}},
	{name: "2d/depthwise_mult2_stride2", x: []int{2, 3, 9, 9}, w: []int{6, 1, 3, 3}, p: ConvParams{Window: convWin([]int{2, 2}, nil, []int{1, 1}, []int{1, 1}, PadExplicit), Groups: 3}},
	{name: "2d/depthwise_same_upper_dil2", x: []int{1, 4, 7, 6}, w: []int{4, 1, 3, 3}, p: ConvParams{Window: convWin(nil, []int{2, 2}, nil, nil, PadSameUpper), Groups: 4}},
	{name: "2d/one_pixel_1x1", x: []int{1, 3, 1, 1}, w: []int{4, 3, 1, 1}},
	{name: "2d/one_pixel_3x3_pad1", x: []int{2, 2, 1, 1}, w: []int{3, 2, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1}, []int{1, 1}, PadExplicit)}},
	{name: "2d/kernel_larger_than_input", x: []int{1, 2, 2, 3}, w: []int{3, 2, 4, 5}, p: ConvParams{Window: convWin(nil, nil, []int{1, 2}, []int{1, 0}, PadExplicit)}},
	{name: "2d/pointwise", x: []int{2, 16, 5, 6}, w: []int{12, 16, 1, 1}},
	{name: "2d/pointwise_stride2", x: []int{1, 16, 5, 6}, w: []int{12, 16, 1, 1}, p: ConvParams{Window: convWin([]int{2, 2}, nil, nil, nil, PadExplicit)}},
	{name: "2d/pointwise_padded", x: []int{1, 8, 4, 4}, w: []int{9, 8, 1, 1}, p: ConvParams{Window: convWin(nil, nil, []int{1, 0}, []int{0, 1}, PadExplicit)}},
	{name: "2d/pointwise_deep", x: []int{1, 300, 6, 6}, w: []int{10, 300, 1, 1}},
	{name: "2d/blocks_k_m_n", x: []int{1, 40, 20, 20}, w: []int{130, 40, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1}, []int{1, 1}, PadExplicit)}},
	{name: "2d/odd_m_wide_stride", x: []int{1, 5, 17, 19}, w: []int{11, 5, 5, 7}, p: ConvParams{Window: convWin([]int{1, 2}, nil, []int{2, 3}, []int{2, 3}, PadExplicit)}},
	{name: "3d/pad1", x: []int{1, 2, 5, 6, 7}, w: []int{3, 2, 3, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1, 1}, []int{1, 1, 1}, PadExplicit)}},
	{name: "3d/same_lower_mixed", x: []int{2, 3, 4, 5, 6}, w: []int{4, 3, 2, 3, 2}, p: ConvParams{Window: convWin([]int{2, 1, 2}, []int{1, 2, 1}, nil, nil, PadSameLower)}},
	{name: "3d/same_upper_dil3", x: []int{1, 2, 7, 4, 5}, w: []int{5, 2, 2, 2, 2}, p: ConvParams{Window: convWin(nil, []int{3, 1, 2}, nil, nil, PadSameUpper)}},
	{name: "3d/depthwise_mult2", x: []int{1, 2, 4, 4, 4}, w: []int{4, 1, 2, 2, 2}, p: ConvParams{Window: convWin(nil, nil, []int{1, 0, 1}, []int{0, 1, 1}, PadExplicit), Groups: 2}},
	{name: "3d/groups3", x: []int{1, 6, 3, 4, 5}, w: []int{3, 2, 1, 3, 3}, p: ConvParams{Window: convWin([]int{1, 2, 1}, nil, []int{0, 1, 1}, []int{0, 1, 1}, PadExplicit), Groups: 3}},
	{name: "3d/one_voxel", x: []int{1, 3, 1, 1, 1}, w: []int{2, 3, 3, 3, 3}, p: ConvParams{Window: convWin(nil, nil, []int{1, 1, 1}, []int{1, 1, 1}, PadExplicit)}},
}

// randomConvCases draws n valid random geometries.
func randomConvCases(rng *rand.Rand, n int) []convCase {
	var cases []convCase
	for len(cases) < n {
		rank := 1 + rng.IntN(3)
		groups, cg, mg := 1, 1+rng.IntN(3), 1+rng.IntN(4)
		switch rng.IntN(5) {
		case 0:
			groups = 2 + rng.IntN(2)
		case 1: // depthwise, channel multiplier 1 or 2
			groups, cg, mg = 1+rng.IntN(4), 1, 1+rng.IntN(2)
		}
		mode := []AutoPad{PadExplicit, PadExplicit, PadExplicit, PadSameUpper, PadSameLower, PadValid}[rng.IntN(6)]
		x := []int{1 + rng.IntN(2), groups * cg}
		w := []int{groups * mg, cg}
		var s, d, pb, pe []int
		maxIn := []int{0, 14, 9, 5}[rank]
		for i := 0; i < rank; i++ {
			in, k := 1+rng.IntN(maxIn), 1+rng.IntN(4)
			st, dil := 1+rng.IntN(3), 1+rng.IntN(3)
			ek := (k-1)*dil + 1
			b, e := rng.IntN(3), rng.IntN(3)
			switch mode {
			case PadExplicit:
				if in+b+e < ek {
					e = ek - in - b
				}
			case PadValid:
				in = max(in, ek+rng.IntN(2))
			}
			x, w = append(x, in), append(w, k)
			s, d, pb, pe = append(s, st), append(d, dil), append(pb, b), append(pe, e)
		}
		c := convCase{x: x, w: w, p: ConvParams{Window: convWin(s, d, pb, pe, mode), Groups: groups}}
		c.name = fmt.Sprintf("random%d/%dd_x%v_w%v_g%d_%v", len(cases), rank, x, w, groups, mode)
		cases = append(cases, c)
	}
	return cases
}

// allConvCases returns the fixed and random cases, with bias and the
// activation varied from case to case.
func allConvCases() []convCase {
	cases := append([]convCase(nil), fixedConvCases...)
	cases = append(cases, randomConvCases(rand.New(rand.NewPCG(1, 2)), 40)...)
	for i := range cases {
		cases[i].bias = i%3 != 0
		cases[i].act = convTestActs[i%len(convTestActs)]
	}
	return cases
}

// convSetup builds the geometry and random data of a case.
func convSetup(t *testing.T, c convCase, seed uint64) (g ConvGeom, x, w, b []float32) {
	t.Helper()
	g, err := NewConvGeom(c.x, c.w, c.p)
	if err != nil {
		t.Fatalf("NewConvGeom: %v", err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	xn, _ := NumElements(c.x)
	wn, _ := NumElements(c.w)
	x, w = randSlice(rng, xn), randSlice(rng, wn)
	if c.bias {
		b = randSlice(rng, c.w[0])
	}
	return g, x, w, b
}

// runConv runs one Forward into a guarded output with a NaN-filled
// workspace, failing on writes outside dst.
func runConv(t *testing.T, cv *Conv, x []float32, threads int) []float32 {
	t.Helper()
	n, _ := NumElements(cv.Geom().OutShape())
	dst, check := guarded(t, n)
	ws, checkWS := guarded(t, cv.WorkspaceLen())
	for i := range ws {
		ws[i] = float32(math.NaN())
	}
	cv.Forward(dst, x, ws, threads)
	check()
	checkWS()
	return append([]float32(nil), dst...)
}

func firstBitDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestConvAgainstReference(t *testing.T) {
	for i, c := range allConvCases() {
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, uint64(i))
			var b64 []float64
			if b != nil {
				b64 = ref.To64(b)
			}
			want, shape := ref.Conv(ref.To64(x), c.x, ref.To64(w), c.w, b64, c.refAttrs())
			if !EqualShapes(shape, g.OutShape()) {
				t.Fatalf("geometry gives output %v, reference %v", g.OutShape(), shape)
			}
			refActivation(c.act, want)
			for _, algo := range ConvAlgos(g) {
				t.Run(string(algo), func(t *testing.T) {
					cv, err := NewConv(g, w, b, c.act, algo)
					if err != nil {
						t.Fatal(err)
					}
					if cv.Algo() != algo {
						t.Fatalf("Algo() = %q", cv.Algo())
					}
					got := runConv(t, cv, x, 1)
					checkClose(t, got, want, convAlgoTol(algo))
					for _, th := range []int{2, 3, 7} {
						if i := firstBitDiff(got, runConv(t, cv, x, th)); i >= 0 {
							t.Fatalf("threads=%d differs from threads=1 at %d", th, i)
						}
					}
				})
			}
		})
	}
}

func TestConvGOMAXPROCS(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for i, c := range fixedConvCases {
		if c.name != "2d/blocks_k_m_n" && c.name != "2d/groups2" && c.name != "2d/depthwise_mult2_stride2" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, uint64(i))
			for _, algo := range ConvAlgos(g) {
				cv, err := NewConv(g, w, b, Activation{Kind: ActReLU}, algo)
				if err != nil {
					t.Fatal(err)
				}
				runtime.GOMAXPROCS(old)
				base := runConv(t, cv, x, 1)
				for _, procs := range []int{1, 2, 4} {
					runtime.GOMAXPROCS(procs)
					for _, th := range []int{2, 3, 7} {
						if i := firstBitDiff(base, runConv(t, cv, x, th)); i >= 0 {
							t.Fatalf("%s: GOMAXPROCS=%d threads=%d differs at %d", algo, procs, th, i)
						}
					}
				}
			}
		})
	}
}

// exactConvAlgo reports whether algo sums the products in the direct
// order (direct, im2col, depthwise), unlike the transform algorithms.
func exactConvAlgo(algo ConvAlgo) bool {
	return algo == AlgoDirect || algo == AlgoIm2col || algo == AlgoDepthwise
}

// convAlgoTol is the error bound of algo against the float64 reference on
// the small random cases, relative to the largest output magnitude.
func convAlgoTol(algo ConvAlgo) float64 {
	switch algo {
	case AlgoWinograd2:
		return 2e-5
	case AlgoWinograd4:
		return 1e-4
	case AlgoFFT:
		return 2e-5
	}
	return 1e-5
}

// TestConvAlgosAgree checks that direct, im2col and depthwise, which sum in
// the same order, give the same values (up to the sign of zero).
func TestConvAlgosAgree(t *testing.T) {
	for i, c := range allConvCases() {
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, uint64(i))
			var first []float32
			for _, algo := range ConvAlgos(g) {
				if !exactConvAlgo(algo) {
					continue
				}
				cv, err := NewConv(g, w, b, c.act, algo)
				if err != nil {
					t.Fatal(err)
				}
				got := runConv(t, cv, x, 1)
				if first == nil {
					first = got
					continue
				}
				for j := range got {
					if got[j] != first[j] {
						t.Fatalf("%s differs from %s at %d: %v vs %v", algo, ConvAlgos(g)[0], j, got[j], first[j])
					}
				}
			}
		})
	}
}

func TestConvErrors(t *testing.T) {
	g, err := NewConvGeom([]int{1, 4, 6, 6}, []int{8, 2, 3, 3}, ConvParams{Groups: 2})
	if err != nil {
		t.Fatal(err)
	}
	w := make([]float32, 8*2*3*3)
	tests := []struct {
		name    string
		w, bias []float32
		act     Activation
		algo    ConvAlgo
		wantErr error
	}{
		{"ok", w, nil, Activation{}, AlgoAuto, nil},
		{"short_weights", w[1:], nil, Activation{}, AlgoDirect, ErrShape},
		{"long_weights", append(w, 1), nil, Activation{}, AlgoIm2col, ErrShape},
		{"bias_length", w, make([]float32, 7), Activation{}, AlgoDirect, ErrShape},
		{"depthwise_not_applicable", w, nil, Activation{}, AlgoDepthwise, ErrAlgo},
		{"unknown_algo", w, nil, Activation{}, ConvAlgo("winograd9"), ErrAlgo},
		{"unknown_activation", w, nil, Activation{Kind: 99}, AlgoDirect, ErrAlgo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewConv(g, tc.w, tc.bias, tc.act, tc.algo)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.wantErr)
			}
		})
	}
	t.Run("bad_geometry", func(t *testing.T) {
		bad := g
		bad.G = 3
		if _, err := NewConv(bad, w, nil, Activation{}, AlgoDirect); !errors.Is(err, ErrShape) {
			t.Fatalf("error %v, want ErrShape", err)
		}
	})
}

func TestConvChooseAlgo(t *testing.T) {
	tests := []struct {
		name string
		x, w []int
		p    ConvParams
		want ConvAlgo
	}{
		{"lenet_conv1", []int{1, 1, 32, 32}, []int{6, 1, 5, 5}, ConvParams{}, AlgoIm2col},
		{"two_outputs", []int{1, 1, 64, 64}, []int{2, 1, 3, 3}, ConvParams{}, AlgoDirect},
		{"tiny_k_pointwise", []int{1, 2, 64, 64}, []int{16, 2, 1, 1}, ConvParams{}, AlgoIm2col},
		{"tiny_k", []int{1, 2, 64, 64}, []int{16, 2, 1, 1}, pad2(1), AlgoDirect},
		{"se_1x1_map", []int{1, 200, 1, 1}, []int{50, 200, 1, 1}, ConvParams{}, AlgoIm2col},
		{"se_1x1_map_2out", []int{1, 8, 1, 1}, []int{2, 8, 1, 1}, ConvParams{}, AlgoIm2col},
		{"resnet_3x3", []int{1, 64, 56, 56}, []int{64, 64, 3, 3}, ConvParams{}, AlgoWinograd4},
		{"resnet_3x3_512_7", []int{1, 512, 7, 7}, []int{512, 512, 3, 3}, pad2(1), AlgoWinograd4},
		{"3x3_few_channels", []int{1, 8, 56, 56}, []int{8, 8, 3, 3}, pad2(1), AlgoIm2col},
		{"3x3_one_tile", []int{1, 64, 4, 4}, []int{64, 64, 3, 3}, pad2(1), AlgoIm2col},
		{"3x3_stride2", []int{1, 64, 56, 56}, []int{128, 64, 3, 3}, ConvParams{Window: Window{Strides: []int{2, 2}}}, AlgoIm2col},
		{"1d_3tap", []int{1, 64, 4096}, []int{64, 64, 3}, ConvParams{}, AlgoWinograd4},
		{"7x7_s1", []int{1, 64, 56, 56}, []int{64, 64, 7, 7}, pad2(3), AlgoFFT},
		{"1d_63tap", []int{1, 32, 4096}, []int{32, 32, 63}, ConvParams{}, AlgoFFT},
		{"7x7_s2", []int{1, 3, 224, 224}, []int{64, 3, 7, 7}, ConvParams{Window: Window{Strides: []int{2, 2}}}, AlgoIm2col},
		{"7x7_rgb", []int{1, 3, 64, 64}, []int{16, 3, 7, 7}, pad2(3), AlgoIm2col},
		{"3x3_rgb", []int{1, 3, 224, 224}, []int{64, 3, 3, 3}, pad2(1), AlgoIm2col},
		{"3x3_one_channel", []int{1, 1, 64, 64}, []int{32, 1, 3, 3}, pad2(1), AlgoDirect},
		{"pointwise", []int{1, 64, 14, 14}, []int{128, 64, 1, 1}, ConvParams{}, AlgoIm2col},
		{"depthwise", []int{1, 32, 14, 14}, []int{32, 1, 3, 3}, ConvParams{Groups: 32}, AlgoDepthwise},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewConvGeom(tc.x, tc.w, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if got := ChooseConvAlgo(g); got != tc.want {
				t.Fatalf("ChooseConvAlgo = %q, want %q", got, tc.want)
			}
			cv, err := NewConv(g, make([]float32, convNumel(g.WeightShape())), nil, Activation{}, AlgoAuto)
			if err != nil || cv.Algo() != tc.want {
				t.Fatalf("NewConv(auto): algo %v, err %v", cv.Algo(), err)
			}
		})
	}
}

func convNumel(shape []int) int {
	n, err := NumElements(shape)
	if err != nil {
		panic(err)
	}
	return n
}

func TestConvForwardAllocs(t *testing.T) {
	for _, c := range fixedConvCases {
		if c.name != "2d/blocks_k_m_n" && c.name != "2d/depthwise" && c.name != "2d/pointwise" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, 3)
			for _, algo := range ConvAlgos(g) {
				cv, err := NewConv(g, w, b, Activation{Kind: ActSigmoid}, algo)
				if err != nil {
					t.Fatal(err)
				}
				dst := make([]float32, convNumel(g.OutShape()))
				ws := make([]float32, cv.WorkspaceLen())
				if n := testing.AllocsPerRun(5, func() { cv.Forward(dst, x, ws, 1) }); n != 0 {
					t.Fatalf("%s: %v allocations per Forward, want 0", algo, n)
				}
			}
		})
	}
}

// TestConvPointwiseDirectEqualsIm2col pins what ChooseConvAlgo relies on
// when it sends every pointwise convolution to im2col: with no padding taps
// the GEMM adds the same products in the same order as direct, so the two
// algorithms agree bit for bit (shapes of MobileNetV3's 1x1 layers, with
// and without bias and activation, grouped too).
func TestConvPointwiseDirectEqualsIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	for _, tc := range []struct {
		x, w []int
		g    int
		act  Activation
	}{
		{[]int{1, 200, 1, 1}, []int{50, 200, 1, 1}, 1, Activation{Kind: ActReLU}},
		{[]int{1, 8, 1, 1}, []int{2, 8, 1, 1}, 1, Activation{}},
		{[]int{1, 8, 24, 96}, []int{8, 8, 1, 1}, 1, ReLU6},
		{[]int{2, 24, 12, 9}, []int{40, 24, 1, 1}, 1, Activation{}},
		{[]int{1, 300, 3, 5}, []int{7, 300, 1, 1}, 1, Activation{}},
		{[]int{1, 8, 5, 7}, []int{12, 4, 1, 1}, 2, Activation{Kind: ActLeakyReLU, Alpha: 0.1}},
	} {
		g, err := NewConvGeom(tc.x, tc.w, ConvParams{Groups: tc.g})
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(rng, convNumel(tc.x))
		w := randSlice(rng, convNumel(tc.w))
		bias := randSlice(rng, tc.w[0])
		var outs [2][]float32
		for i, algo := range []ConvAlgo{AlgoDirect, AlgoIm2col} {
			cv, err := NewConv(g, w, bias, tc.act, algo)
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = make([]float32, convNumel(g.OutShape()))
			cv.Forward(outs[i], x, make([]float32, cv.WorkspaceLen()), 1)
		}
		for i := range outs[0] {
			if math.Float32bits(outs[0][i]) != math.Float32bits(outs[1][i]) {
				t.Fatalf("%v * %v: output %d: direct %v, im2col %v", tc.x, tc.w, i, outs[0][i], outs[1][i])
			}
		}
	}
}
