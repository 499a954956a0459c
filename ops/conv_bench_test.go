package ops

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchConv is one convolution shape of a real network (batch 1): square
// 2D, or 1D when the name starts with "1d".
type benchConv struct {
	net, name                string
	c, m, in, k, stride, pad int
}

// benchConvShapes lists every distinct convolution shape of ResNet-18 and
// VGG-16 on a 224x224 input, plus large-kernel stride-1 shapes for fft.
var benchConvShapes = []benchConv{
	{"resnet18", "7x7s2_3-64_224", 3, 64, 224, 7, 2, 3},
	{"resnet18", "3x3_64-64_56", 64, 64, 56, 3, 1, 1},
	{"resnet18", "3x3s2_64-128_56", 64, 128, 56, 3, 2, 1},
	{"resnet18", "3x3_128-128_28", 128, 128, 28, 3, 1, 1},
	{"resnet18", "1x1s2_64-128_56", 64, 128, 56, 1, 2, 0},
	{"resnet18", "3x3s2_128-256_28", 128, 256, 28, 3, 2, 1},
	{"resnet18", "3x3_256-256_14", 256, 256, 14, 3, 1, 1},
	{"resnet18", "1x1s2_128-256_28", 128, 256, 28, 1, 2, 0},
	{"resnet18", "3x3s2_256-512_14", 256, 512, 14, 3, 2, 1},
	{"resnet18", "3x3_512-512_7", 512, 512, 7, 3, 1, 1},
	{"resnet18", "1x1s2_256-512_14", 256, 512, 14, 1, 2, 0},
	{"vgg16", "3x3_3-64_224", 3, 64, 224, 3, 1, 1},
	{"vgg16", "3x3_64-64_224", 64, 64, 224, 3, 1, 1},
	{"vgg16", "3x3_64-128_112", 64, 128, 112, 3, 1, 1},
	{"vgg16", "3x3_128-128_112", 128, 128, 112, 3, 1, 1},
	{"vgg16", "3x3_128-256_56", 128, 256, 56, 3, 1, 1},
	{"vgg16", "3x3_256-256_56", 256, 256, 56, 3, 1, 1},
	{"vgg16", "3x3_256-512_28", 256, 512, 28, 3, 1, 1},
	{"vgg16", "3x3_512-512_28", 512, 512, 28, 3, 1, 1},
	{"vgg16", "3x3_512-512_14", 512, 512, 14, 3, 1, 1},
	{"large", "7x7_64-64_56", 64, 64, 56, 7, 1, 3},
	{"large", "1d_k63_32-32_4096", 32, 32, 4096, 63, 1, 31},
}

// BenchmarkConv runs every shape with every applicable algorithm on 1 and 2
// threads (bias and ReLU included) and reports GFLOP/s, e.g.
// BenchmarkConv/resnet18/3x3_64-64_56/im2col/t1.
func BenchmarkConv(b *testing.B) {
	for _, s := range benchConvShapes {
		p := ConvParams{Window: Window{Strides: []int{s.stride, s.stride}, PadsBegin: []int{s.pad, s.pad}, PadsEnd: []int{s.pad, s.pad}}}
		xs, ws := []int{1, s.c, s.in, s.in}, []int{s.m, s.c, s.k, s.k}
		if strings.HasPrefix(s.name, "1d") {
			p = ConvParams{Window: Window{Strides: []int{s.stride}, PadsBegin: []int{s.pad}, PadsEnd: []int{s.pad}}}
			xs, ws = []int{1, s.c, s.in}, []int{s.m, s.c, s.k}
		}
		g, err := NewConvGeom(xs, ws, p)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		x := randSlice(rng, convNumel(g.InShape()))
		w := randSlice(rng, convNumel(g.WeightShape()))
		bias := randSlice(rng, s.m)
		dst := make([]float32, convNumel(g.OutShape()))
		for _, algo := range ConvAlgos(g) {
			cv, err := NewConv(g, w, bias, Activation{Kind: ActReLU}, algo)
			if err != nil {
				b.Fatal(err)
			}
			ws := make([]float32, cv.WorkspaceLen())
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/%s/t%d", s.net, s.name, algo, threads), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						cv.Forward(dst, x, ws, threads)
					}
					b.ReportMetric(float64(g.FLOPs(true))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
