package explore

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

func randTensor(r *rand.Rand, shape ...int) *ops.Tensor {
	t, err := ops.NewTensor(shape...)
	if err != nil {
		panic(err)
	}
	for i := range t.Data {
		t.Data[i] = float32(r.Float64()*2 - 1)
	}
	return t
}

// refConv is a float64 reference 2D convolution of x [1 C H W] with w
// [M C kh kw], returning [M oh ow] values.
func refConv(x, w *ops.Tensor, stride, pad, dil int, relu bool) ([]float64, int, int) {
	c, h, wd := x.Shape[1], x.Shape[2], x.Shape[3]
	m, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	oh := (h+2*pad-dil*(kh-1)-1)/stride + 1
	ow := (wd+2*pad-dil*(kw-1)-1)/stride + 1
	out := make([]float64, m*oh*ow)
	for o := 0; o < m; o++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				var s float64
				for ci := 0; ci < c; ci++ {
					for i := 0; i < kh; i++ {
						for j := 0; j < kw; j++ {
							iy, ix := y*stride-pad+i*dil, xx*stride-pad+j*dil
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							s += float64(x.Data[(ci*h+iy)*wd+ix]) * float64(w.Data[((o*c+ci)*kh+i)*kw+j])
						}
					}
				}
				if relu && s < 0 {
					s = 0
				}
				out[(o*oh+y)*ow+xx] = s
			}
		}
	}
	return out, oh, ow
}

// refPool pools planes of h x w values (no padding, floor mode).
func refPool(x []float64, planes, h, w, k, s int, max bool) ([]float64, int, int) {
	oh, ow := (h-k)/s+1, (w-k)/s+1
	out := make([]float64, planes*oh*ow)
	for p := 0; p < planes; p++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				acc := 0.0
				if max {
					acc = math.Inf(-1)
				}
				for i := 0; i < k; i++ {
					for j := 0; j < k; j++ {
						v := x[(p*h+y*s+i)*w+xx*s+j]
						if max {
							acc = math.Max(acc, v)
						} else {
							acc += v
						}
					}
				}
				if !max {
					acc /= float64(k * k)
				}
				out[(p*oh+y)*ow+xx] = acc
			}
		}
	}
	return out, oh, ow
}

func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %g, want %g (diff %g)", what, i, got[i], want[i], d)
		}
	}
}

func TestConv2D(t *testing.T) {
	cases := []struct {
		name                   string
		c, h, w, m, kh, kw     int
		spec                   ConvSpec
		poolK, poolS           int
		wantConvH, wantConvW   int
		wantPooledH, wantPoolW int
	}{
		{name: "3x3 edge, defaults", c: 1, h: 12, w: 10, m: 1, kh: 3, kw: 3, wantConvH: 10, wantConvW: 8},
		{name: "5x5 padded", c: 1, h: 9, w: 9, m: 2, kh: 5, kw: 5, spec: ConvSpec{Pad: 2}, wantConvH: 9, wantConvW: 9},
		{name: "stride 2 dilation 2 relu", c: 3, h: 17, w: 15, m: 4, kh: 3, kw: 3,
			spec: ConvSpec{Stride: 2, Dilation: 2, Pad: 1, ReLU: true}, wantConvH: 8, wantConvW: 7},
		{name: "max pool 2", c: 1, h: 14, w: 14, m: 3, kh: 3, kw: 3, spec: ConvSpec{Pad: 1, Pool: "max"},
			poolK: 2, poolS: 2, wantConvH: 14, wantConvW: 14, wantPooledH: 7, wantPoolW: 7},
		{name: "avg pool 3 stride 2", c: 2, h: 13, w: 11, m: 2, kh: 5, kw: 5,
			spec:  ConvSpec{Pool: "avg", PoolSize: 3, PoolStride: 2, Algo: "im2col"},
			poolK: 3, poolS: 2, wantConvH: 9, wantConvW: 7, wantPooledH: 4, wantPoolW: 3},
		{name: "winograd4", c: 2, h: 16, w: 16, m: 2, kh: 3, kw: 3, spec: ConvSpec{Algo: "winograd4", Pad: 1},
			wantConvH: 16, wantConvW: 16},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := randTensor(r, 1, tc.c, tc.h, tc.w)
			w := randTensor(r, tc.m, tc.c, tc.kh, tc.kw)
			res, err := Conv2D(x, w, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			want, oh, ow := refConv(x, w, orDefault(tc.spec.Stride, 1), tc.spec.Pad, orDefault(tc.spec.Dilation, 1), tc.spec.ReLU)
			if oh != tc.wantConvH || ow != tc.wantConvW {
				t.Fatalf("reference output %dx%d, case expects %dx%d", oh, ow, tc.wantConvH, tc.wantConvW)
			}
			if !ops.EqualShapes(res.Conv.Shape, []int{1, tc.m, oh, ow}) {
				t.Fatalf("conv shape %v, want [1 %d %d %d]", res.Conv.Shape, tc.m, oh, ow)
			}
			if tc.spec.Algo != "" && string(res.Algo) != tc.spec.Algo {
				t.Errorf("algo %s, want %s", res.Algo, tc.spec.Algo)
			}
			closeTo(t, "conv", res.Conv.Data, want, 1e-4)
			if tc.poolK == 0 {
				if res.Pooled != nil {
					t.Fatalf("pooled output %v without pooling", res.Pooled.Shape)
				}
				return
			}
			if res.Pooled == nil {
				t.Fatal("no pooled output")
			}
			pw, ph, pwd := refPool(want, tc.m, oh, ow, tc.poolK, tc.poolS, tc.spec.Pool == "max")
			if ph != tc.wantPooledH || pwd != tc.wantPoolW {
				t.Fatalf("reference pooled %dx%d, case expects %dx%d", ph, pwd, tc.wantPooledH, tc.wantPoolW)
			}
			if !ops.EqualShapes(res.Pooled.Shape, []int{1, tc.m, ph, pwd}) {
				t.Fatalf("pooled shape %v, want [1 %d %d %d]", res.Pooled.Shape, tc.m, ph, pwd)
			}
			closeTo(t, "pooled", res.Pooled.Data, pw, 1e-4)
		})
	}
}

func TestConv2DErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	img := randTensor(r, 1, 1, 8, 8)
	k3 := randTensor(r, 1, 1, 3, 3)
	cases := []struct {
		name string
		x, w *ops.Tensor
		spec ConvSpec
		want error
	}{
		{"nil image", nil, k3, ConvSpec{}, ops.ErrShape},
		{"image rank", randTensor(r, 1, 8, 8), k3, ConvSpec{}, ops.ErrShape},
		{"channel mismatch", randTensor(r, 1, 2, 8, 8), k3, ConvSpec{}, ops.ErrShape},
		{"short data", &ops.Tensor{Shape: []int{1, 1, 8, 8}, Data: make([]float32, 10)}, k3, ConvSpec{}, ops.ErrShape},
		{"kernel larger than image", img, randTensor(r, 1, 1, 9, 9), ConvSpec{}, ops.ErrShape},
		{"huge kernel", randTensor(r, 1, 1, 40, 40), randTensor(r, 1, 1, 32, 32), ConvSpec{}, ops.ErrShape},
		{"stride 0 is default but -1 is not", img, k3, ConvSpec{Stride: -1}, ErrSpec},
		{"padding too large", img, k3, ConvSpec{Pad: MaxPad + 1}, ErrSpec},
		{"unknown algo", img, k3, ConvSpec{Algo: "magic"}, ops.ErrAlgo},
		{"winograd on 5x5", img, randTensor(r, 1, 1, 5, 5), ConvSpec{Algo: "winograd4"}, ops.ErrAlgo},
		{"unknown pooling", img, k3, ConvSpec{Pool: "median"}, ErrSpec},
		{"pool window too large", img, k3, ConvSpec{Pool: "max", PoolSize: 7}, ops.ErrShape},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Conv2D(tc.x, tc.w, tc.spec)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.want)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	cases := []struct {
		name, arch string
		size       int
	}{
		{"lenet5", "lenet5", 32},
		{"resnet18 at 32", "resnet18", 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := zoo.Build(tc.arch, zoo.Config{Seed: 7, InputSize: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewProbe(m, runtime.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Outputs) != 1 {
				t.Fatalf("the model has outputs %v; the probe must not change them", m.Outputs)
			}
			r := rand.New(rand.NewPCG(5, 6))
			in := p.Inputs()[0]
			x := randTensor(r, in.Shape...)
			layers, err := p.Run(context.Background(), map[string]*ops.Tensor{in.Name: x})
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != len(m.Nodes) {
				t.Fatalf("%d layers for %d nodes", len(layers), len(m.Nodes))
			}
			byValue := map[string]Layer{}
			for i, l := range layers {
				if l.Name != m.Nodes[i].Name || l.Op != m.Nodes[i].Op {
					t.Fatalf("layer %d is %s (%s), want node %s (%s)", i, l.Name, l.Op, m.Nodes[i].Name, m.Nodes[i].Op)
				}
				byValue[l.Value] = l
			}
			// The first node is a convolution of the input: check it against
			// the float64 reference with the model's own weights.
			first := m.Nodes[0]
			if first.Op != "Conv" {
				t.Fatalf("first node is %s, want Conv", first.Op)
			}
			w := m.Weights[first.Inputs[1]]
			stride, pad := 1, 0
			if s, ok := first.Attrs["strides"].([]int64); ok {
				stride = int(s[0])
			}
			if ps, ok := first.Attrs["pads"].([]int64); ok {
				pad = int(ps[0])
			}
			want, _, _ := refConv(x, w, stride, pad, 1, false)
			if len(first.Inputs) > 2 {
				b := m.Weights[first.Inputs[2]].Data
				per := len(want) / len(b)
				for i := range want {
					want[i] += float64(b[i/per])
				}
			}
			closeTo(t, first.Name, byValue[first.Outputs[0]].Data, want, 1e-4)
			// The model's output equals a normal (fused) session's, up to
			// rounding: fusion folds BatchNorm into the convolution weights.
			sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			outs, err := sess.Run(context.Background(), map[string]*ops.Tensor{in.Name: x})
			if err != nil {
				t.Fatal(err)
			}
			name := m.Outputs[0]
			got, ok := byValue[name]
			if !ok {
				t.Fatalf("no layer produces the output %q", name)
			}
			ref := outs[name].Data
			wantOut := make([]float64, len(ref))
			for i, v := range ref {
				wantOut[i] = float64(v)
			}
			closeTo(t, "output", got.Data, wantOut, 1e-3)
		})
	}
}
