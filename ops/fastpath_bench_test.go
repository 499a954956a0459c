package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchPools lists the pooling layers of the zoo's networks at batch 1.
var benchPools = []struct {
	name string
	kind PoolKind
	in   []int
	k, s int
	pad  int
}{
	{"resnet18_max3x3s2p1_64_112", PoolMax, []int{1, 64, 112, 112}, 3, 2, 1},
	{"suite_max2x2s2_64_112", PoolMax, []int{1, 64, 112, 112}, 2, 2, 0},
	{"googlenet_max3x3s1p1_192_28", PoolMax, []int{1, 192, 28, 28}, 3, 1, 1},
	{"avg3x3s1p1_192_28", PoolAvg, []int{1, 192, 28, 28}, 3, 1, 1},
	{"avg2x2s2_64_112", PoolAvg, []int{1, 64, 112, 112}, 2, 2, 0},
}

// BenchmarkFastPool times Pool on real layer shapes (run it under GOOS=js
// with go_js_wasm_exec to see the wasm build's speed).
func BenchmarkFastPool(b *testing.B) {
	for _, c := range benchPools {
		p := PoolParams{Kind: c.kind, Kernel: []int{c.k, c.k}, Window: Window{Strides: []int{c.s, c.s},
			PadsBegin: []int{c.pad, c.pad}, PadsEnd: []int{c.pad, c.pad}}}
		g, err := NewPoolGeom(c.in, p)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		x := randSlice(rng, c.in[0]*c.in[1]*c.in[2]*c.in[3])
		dst := make([]float32, g.N*g.C*g.Out.prod())
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Pool(g, dst, x)
			}
		})
	}
}

// BenchmarkFastElementwise times Add and Activation.Apply on ResNet-18's
// largest residual tensor.
func BenchmarkFastElementwise(b *testing.B) {
	const n = 64 * 56 * 56
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randSlice(rng, n), randSlice(rng, n)
	dst := make([]float32, n)
	for _, act := range []Activation{{}, {Kind: ActReLU}, ReLU6, {Kind: ActLeakyReLU, Alpha: 0.1}} {
		b.Run(fmt.Sprintf("add_%s", act.Kind), func(b *testing.B) {
			for b.Loop() {
				Add(dst, x, y, act)
			}
		})
		b.Run(fmt.Sprintf("apply_%s", act.Kind), func(b *testing.B) {
			for b.Loop() {
				copy(dst, x)
				act.Apply(dst)
			}
		})
	}
}

// BenchmarkFastConv times the im2col convolutions of ResNet-18 whose im2col
// packing is strided (conv1 and the stride-2 3x3 layers) and a depthwise
// layer, on one thread with bias and ReLU.
func BenchmarkFastConv(b *testing.B) {
	shapes := []struct {
		name                        string
		c, m, in, k, s, pad, groups int
		algo                        ConvAlgo
	}{
		{"7x7s2_3-64_224", 3, 64, 224, 7, 2, 3, 1, AlgoIm2col},
		{"3x3s2_64-128_56", 64, 128, 56, 3, 2, 1, 1, AlgoIm2col},
		{"3x3s2_256-512_14", 256, 512, 14, 3, 2, 1, 1, AlgoIm2col},
		{"dw3x3_128_56", 128, 128, 56, 3, 1, 1, 128, AlgoDepthwise},
		{"dw3x3s2_128_56", 128, 128, 56, 3, 2, 1, 128, AlgoDepthwise},
	}
	for _, s := range shapes {
		p := ConvParams{Window: Window{Strides: []int{s.s, s.s}, PadsBegin: []int{s.pad, s.pad}, PadsEnd: []int{s.pad, s.pad}},
			Groups: s.groups}
		g, err := NewConvGeom([]int{1, s.c, s.in, s.in}, []int{s.m, s.c / s.groups, s.k, s.k}, p)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		x := randSlice(rng, convNumel(g.InShape()))
		w := randSlice(rng, convNumel(g.WeightShape()))
		bias := randSlice(rng, s.m)
		dst := make([]float32, convNumel(g.OutShape()))
		b.Run(s.name, func(b *testing.B) {
			cv, err := NewConv(g, w, bias, Activation{Kind: ActReLU}, s.algo)
			if err != nil {
				b.Fatal(err)
			}
			ws := make([]float32, cv.WorkspaceLen())
			b.ReportAllocs()
			for b.Loop() {
				cv.Forward(dst, x, ws, 1)
			}
			b.ReportMetric(float64(g.FLOPs(true))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
