package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestBinaryBroadcast(t *testing.T) {
	fns := map[BinaryKind]func(x, y float64) float64{
		BinAdd: func(x, y float64) float64 { return x + y },
		BinSub: func(x, y float64) float64 { return x - y },
		BinMul: func(x, y float64) float64 { return x * y },
		BinDiv: func(x, y float64) float64 { return x / y },
	}
	cases := []struct {
		name string
		a, b []int
	}{
		{"same", []int{2, 3, 4}, []int{2, 3, 4}},
		{"scalar-b", []int{2, 3, 4}, []int{}},
		{"scalar-a", []int{1}, []int{2, 5}},
		{"channel", []int{2, 3, 4, 5}, []int{3, 1, 1}},
		{"channel-4d", []int{1, 3, 1, 1}, []int{2, 3, 4, 5}},
		{"row", []int{4, 6}, []int{6}},
		{"column", []int{4, 6}, []int{4, 1}},
		{"outer", []int{4, 1}, []int{1, 6}},
		{"mixed", []int{2, 1, 4, 1}, []int{3, 1, 5}},
		{"ones", []int{1, 1}, []int{1}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		for kind, f := range fns {
			t.Run(c.name+"/"+kind.String(), func(t *testing.T) {
				a, b := randSlice(rng, prodInts(c.a)), randSlice(rng, prodInts(c.b))
				if kind == BinDiv {
					for i := range b {
						b[i] = float32(math.Copysign(0.5, float64(b[i]))) + b[i]
					}
				}
				g, err := NewBroadcastGeom(c.a, c.b)
				if err != nil {
					t.Fatal(err)
				}
				want, ws := ref.Binary(ref.To64(a), c.a, ref.To64(b), c.b, f)
				if !EqualShapes(g.Out, ws) {
					t.Fatalf("shape %v, want %v", g.Out, ws)
				}
				dst, check := guarded(t, g.Size())
				Binary(kind, g, dst, a, b, Activation{})
				check()
				checkClose(t, dst, want, 1e-6)
				// A fused ReLU equals ReLU applied afterwards.
				Binary(kind, g, dst, a, b, Activation{Kind: ActReLU})
				checkClose(t, dst, ref.Map(want, ref.ReLU), 1e-6)
			})
		}
	}
	t.Run("incompatible", func(t *testing.T) {
		if _, err := NewBroadcastGeom([]int{2, 3}, []int{4}); !errors.Is(err, ErrShape) {
			t.Fatalf("err %v, want ErrShape", err)
		}
	})
}

func TestTransposeKernel(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		perm  []int
	}{
		{"2d", []int{3, 5}, []int{1, 0}},
		{"nchw-nhwc", []int{2, 3, 4, 5}, []int{0, 2, 3, 1}},
		{"nhwc-nchw", []int{2, 4, 5, 3}, []int{0, 3, 1, 2}},
		{"identity", []int{2, 3, 4}, []int{0, 1, 2}},
		{"unit-axes", []int{1, 6, 1, 4}, []int{2, 1, 0, 3}},
		{"5d", []int{2, 1, 3, 2, 2}, []int{4, 2, 0, 3, 1}},
		{"reverse", []int{2, 3, 4}, nil},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randSlice(rng, prodInts(c.shape))
			g, err := NewTransposeGeom(c.shape, c.perm)
			if err != nil {
				t.Fatal(err)
			}
			want, ws := ref.Transpose(ref.To64(x), c.shape, g.Perm)
			if !EqualShapes(g.Out, ws) {
				t.Fatalf("shape %v, want %v", g.Out, ws)
			}
			dst, check := guarded(t, g.Size())
			Transpose(g, dst, x)
			check()
			checkClose(t, dst, want, 0)
		})
	}
	for _, perm := range [][]int{{0, 0, 1}, {0, 1}, {0, 1, 3}} {
		if _, err := NewTransposeGeom([]int{2, 3, 4}, perm); !errors.Is(err, ErrShape) {
			t.Errorf("perm %v: err %v, want ErrShape", perm, err)
		}
	}
}

func TestPadKernel(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		pads  []int
		mode  string
	}{
		{"constant-2d", []int{3, 4}, []int{1, 2, 0, 3}, "constant"},
		{"constant-nchw", []int{1, 2, 3, 3}, []int{0, 0, 1, 1, 0, 1, 2, 0}, "constant"},
		{"constant-outer", []int{2, 3}, []int{2, 0, 1, 0}, "constant"},
		{"reflect", []int{1, 2, 4, 5}, []int{0, 0, 3, 2, 0, 0, 1, 4}, "reflect"},
		{"edge", []int{1, 2, 3, 4}, []int{0, 1, 4, 2, 0, 2, 1, 5}, "edge"},
		{"edge-1d", []int{5}, []int{3, 7}, "edge"},
		{"none", []int{2, 3}, []int{0, 0, 0, 0}, "reflect"},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := randSlice(rng, prodInts(c.shape))
			mode, err := ParsePadMode(c.mode)
			if err != nil {
				t.Fatal(err)
			}
			g, err := NewPadGeom(c.shape, c.pads, mode, 0.25)
			if err != nil {
				t.Fatal(err)
			}
			want, ws := ref.Pad(ref.To64(x), c.shape, c.pads, c.mode, 0.25)
			if !EqualShapes(g.Out, ws) {
				t.Fatalf("shape %v, want %v", g.Out, ws)
			}
			dst, check := guarded(t, g.Size())
			Pad(g, dst, x)
			check()
			checkClose(t, dst, want, 0)
		})
	}
	bad := []struct {
		name  string
		shape []int
		pads  []int
		mode  PadMode
	}{
		{"negative", []int{3}, []int{-1, 0}, PadConstant},
		{"reflect-too-far", []int{3}, []int{3, 0}, PadReflect},
		{"count", []int{3, 3}, []int{1, 1}, PadConstant},
	}
	for _, c := range bad {
		t.Run("bad-"+c.name, func(t *testing.T) {
			if _, err := NewPadGeom(c.shape, c.pads, c.mode, 0); !errors.Is(err, ErrShape) {
				t.Fatalf("err %v, want ErrShape", err)
			}
		})
	}
}

func TestConvTransposeKernel(t *testing.T) {
	cases := []struct {
		name   string
		x, w   []int
		p      ConvTransposeParams
		bias   bool
		outLen []int
	}{
		{"1d", []int{1, 2, 5}, []int{2, 3, 3}, ConvTransposeParams{}, true, nil},
		{"2d-stride2", []int{2, 3, 4, 4}, []int{3, 2, 3, 3}, ConvTransposeParams{Window: Window{Strides: []int{2, 2}}}, true, nil},
		{"2d-pads", []int{1, 2, 5, 4}, []int{2, 4, 3, 2}, ConvTransposeParams{Window: Window{Strides: []int{2, 1}, PadsBegin: []int{1, 0}, PadsEnd: []int{0, 1}}}, false, nil},
		{"2d-dilated", []int{1, 2, 4, 4}, []int{2, 1, 3, 3}, ConvTransposeParams{Window: Window{Strides: []int{3, 2}, Dilations: []int{2, 3}}}, true, nil},
		{"2d-groups", []int{1, 4, 3, 3}, []int{4, 3, 2, 2}, ConvTransposeParams{Groups: 2, Window: Window{Strides: []int{2, 2}}}, true, nil},
		{"2d-outpad", []int{1, 1, 3, 3}, []int{1, 2, 3, 3}, ConvTransposeParams{OutputPadding: []int{1, 1}, Window: Window{Strides: []int{2, 2}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}}, true, nil},
		{"2d-outshape", []int{1, 2, 3, 3}, []int{2, 2, 3, 3}, ConvTransposeParams{OutputShape: []int{6, 7}, Window: Window{Strides: []int{2, 2}}}, false, []int{6, 7}},
		{"2d-same-upper", []int{1, 2, 3, 4}, []int{2, 2, 4, 3}, ConvTransposeParams{Window: Window{Strides: []int{2, 2}, AutoPad: PadSameUpper}}, true, []int{6, 8}},
		{"3d", []int{1, 2, 2, 3, 3}, []int{2, 2, 2, 2, 2}, ConvTransposeParams{Window: Window{Strides: []int{2, 1, 2}}}, true, nil},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := NewConvTransposeGeom(c.x, c.w, c.p)
			if err != nil {
				t.Fatal(err)
			}
			if c.outLen != nil && !EqualShapes(g.OutShape()[2:], c.outLen) {
				t.Fatalf("output %v, want spatial %v", g.OutShape(), c.outLen)
			}
			x, w := randSlice(rng, prodInts(c.x)), randSlice(rng, prodInts(c.w))
			var b []float32
			if c.bias {
				b = randSlice(rng, g.M)
			}
			rank := len(c.x) - 2
			a := ref.ConvTransposeAttrs{Groups: g.G}
			all := func(d Dims3) []int { return d.slice(rank) }
			a.Strides, a.Dilations, a.PadsBegin, a.Out = all(g.Stride), all(g.Dilate), all(g.PadHead), all(g.Out)
			var b64 []float64
			if b != nil {
				b64 = ref.To64(b)
			}
			want, ws := ref.ConvTranspose(ref.To64(x), c.x, ref.To64(w), c.w, b64, a)
			if !EqualShapes(g.OutShape(), ws) {
				t.Fatalf("shape %v, want %v", g.OutShape(), ws)
			}
			for _, threads := range []int{1, 3} {
				dst, check := guarded(t, prodInts(ws))
				ConvTranspose(g, dst, x, w, b, Activation{}, threads)
				check()
				checkClose(t, dst, want, 1e-5)
			}
		})
	}
	if _, err := NewConvTransposeGeom([]int{1, 3, 4, 4}, []int{2, 2, 3, 3}, ConvTransposeParams{}); !errors.Is(err, ErrShape) {
		t.Errorf("channel mismatch: err %v, want ErrShape", err)
	}
}

func TestHardActivations(t *testing.T) {
	x := make([]float32, 201)
	for i := range x {
		x[i] = float32(i-100) / 20
	}
	cases := []struct {
		name string
		run  func(dst []float32)
		ref  func(float64) float64
	}{
		{"hardsigmoid", func(d []float32) { HardSigmoid(d, x, 0.2, 0.5) }, func(v float64) float64 { return ref.HardSigmoid(v, 0.2, 0.5) }},
		{"hardsigmoid-custom", func(d []float32) { HardSigmoid(d, x, 0.7, -0.1) }, func(v float64) float64 { return ref.HardSigmoid(v, 0.7, -0.1) }},
		{"hardswish", func(d []float32) { HardSwish(d, x) }, ref.HardSwish},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]float32, len(x))
			c.run(dst)
			checkClose(t, dst, ref.Map(ref.To64(x), c.ref), 1e-6)
		})
	}
}
