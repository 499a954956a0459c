package equiv

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// dynamicShapes are the input shapes of the dynamic-shape tests ([N 3 6 W]):
// batches 1 to 4, odd and even widths, repeats (plans the guest keeps) and
// the representative shape last.
var dynamicShapes = [][]int{{1, 3, 6, 8}, {2, 3, 6, 13}, {3, 3, 6, 1}, {1, 3, 6, 21}, {2, 3, 6, 13}, {4, 3, 6, 32}, {3, 3, 6, 8}, {1, 3, 6, 8}}

func dynamicNet(t testing.TB, seed uint64) (*runtime.Model, []byte) {
	t.Helper()
	m, err := wasmtest.DynamicNet(seed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}

// TestDynamicShapesBitExact runs the [N 3 6 W] net on inputs of several
// batches and widths natively (4 threads) and in the guest, through Run (the
// fast path) and RunProfiled (the JS API), with the planner's choice and
// forced algorithms: outputs have the shapes of the inputs and agree bit for
// bit.
func TestDynamicShapesBitExact(t *testing.T) {
	m, b := dynamicNet(t, 3)
	for _, algo := range []ops.ConvAlgo{"", ops.AlgoDirect, ops.AlgoIm2col, ops.AlgoWinograd4, ops.AlgoFFT} {
		t.Run(fmt.Sprintf("algo=%s", algo), func(t *testing.T) {
			sess, err := runtime.NewSession(m, runtime.Options{Algo: algo, Threads: 4})
			if err != nil {
				t.Fatal(err)
			}
			gm, err := guest(t).Load(b, host.LoadOptions{Algo: string(algo)})
			if err != nil {
				t.Fatal(err)
			}
			defer gm.Dispose()
			if in := gm.Inputs[0]; in.ShapeString() != "[N 3 6 W]" || !ops.EqualShapes(in.Shape, []int{1, 3, 6, 8}) {
				t.Fatalf("guest input %+v", in)
			}
			rng := rand.New(rand.NewPCG(5, 5))
			for i, shape := range dynamicShapes {
				in := map[string]*ops.Tensor{"x": randTensor(rng, shape...)}
				want, err := sess.Run(context.Background(), in)
				if err != nil {
					t.Fatalf("%v: native: %v", shape, err)
				}
				got, err := gm.Run(context.Background(), in)
				if i%3 == 2 {
					got, _, err = gm.RunProfiled(context.Background(), in)
				}
				if err != nil {
					t.Fatalf("%v: guest: %v", shape, err)
				}
				wantD := []int{shape[0], 5}
				wantP := []int{shape[0], 8, 3, (shape[3] + 1) / 2}
				if !ops.EqualShapes(want["d"].Shape, wantD) || !ops.EqualShapes(want["p"].Shape, wantP) {
					t.Fatalf("%v: native shapes %v %v", shape, want["d"].Shape, want["p"].Shape)
				}
				for name, w := range want {
					g := got[name]
					if g == nil || !ops.EqualShapes(g.Shape, w.Shape) {
						t.Fatalf("%v: output %q: guest %v, native shape %v", shape, name, g, w.Shape)
					}
					checkSame(t, fmt.Sprintf("%v %s", shape, name), g.Data, w.Data)
				}
			}
		})
	}
}

// TestDynamicShapeErrors checks that inputs that do not fit fail in the
// guest with the runtime's messages, naming the input (or, for a shape the
// graph cannot take, the node and the shapes given), and that the model
// keeps working at its last good shape and at others.
func TestDynamicShapeErrors(t *testing.T) {
	m, err := wasmtest.NarrowDynamicNet(4) // c1 needs a width of 3 or more
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	gm, err := guest(t).Load(b, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	rng := rand.New(rand.NewPCG(6, 6))
	good := func(shape ...int) {
		t.Helper()
		in := map[string]*ops.Tensor{"x": randTensor(rng, shape...)}
		want, err := sess.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := gm.Run(context.Background(), in)
		if err != nil {
			t.Fatalf("%v after an error: %v", shape, err)
		}
		for name, w := range want {
			if !ops.EqualShapes(got[name].Shape, w.Shape) {
				t.Fatalf("%v: output %q shape %v, native %v", shape, name, got[name].Shape, w.Shape)
			}
			checkSame(t, name, got[name].Data, w.Data)
		}
	}
	good(2, 3, 6, 9)
	cases := []struct {
		name  string
		shape []int
		is    error
		want  []string
	}{
		{"fixed dim", []int{2, 4, 6, 9}, runtime.ErrInput, []string{`input "x" has shape [2 4 6 9], the model expects [N 3 6 W] (dimension 1 is fixed)`}},
		{"zero width", []int{2, 3, 6, 0}, runtime.ErrInput, []string{`input "x"`, `dimension 3 (W) must be at least 1`}},
		{"rank", []int{2, 3, 6}, runtime.ErrInput, []string{`input "x" has shape [2 3 6], the model expects rank 4: [N 3 6 W]`}},
		{"too narrow for the conv", []int{3, 3, 6, 2}, nil, []string{`for input shapes x [3 3 6 2]`, `node "c1" (Conv)`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]*ops.Tensor{"x": randTensor(rng, c.shape...)}
			_, nerr := sess.Run(context.Background(), in)
			_, gerr := gm.Run(context.Background(), in)
			_, _, perr := gm.RunProfiled(context.Background(), in)
			for _, err := range []error{nerr, gerr, perr} {
				if err == nil {
					t.Fatalf("%v ran", c.shape)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
			}
			if c.is != nil && !errors.Is(nerr, c.is) {
				t.Errorf("native error %v is not %v", nerr, c.is)
			}
			if gerr.Error() != nerr.Error() || perr.Error() != nerr.Error() {
				t.Errorf("guest errors %q (Run), %q (RunProfiled); native %q", gerr, perr, nerr)
			}
			good(2, 3, 6, 9)
			good(1, 3, 6, 5)
		})
	}
}

// TestDynamicShapesMemoryFlat runs one shape, then two alternating shapes,
// many times after a warm-up: the guest's linear memory does not grow (the
// buffers are kept and the plans cached) and results stay bit-identical.
func TestDynamicShapesMemoryFlat(t *testing.T) {
	const warmup = 50
	runs := 2000
	if testing.Short() {
		runs = 400
	}
	m, b := dynamicNet(t, 5)
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	gm, err := h.Load(b, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	rng := rand.New(rand.NewPCG(7, 7))
	type sample struct {
		in   map[string]*ops.Tensor
		want map[string]*ops.Tensor
	}
	mk := func(shape ...int) sample {
		in := map[string]*ops.Tensor{"x": randTensor(rng, shape...)}
		want, err := sess.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return sample{in, want}
	}
	for _, phase := range []struct {
		name    string
		samples []sample
	}{
		{"one shape", []sample{mk(3, 3, 6, 17), mk(3, 3, 6, 17)}},
		{"two shapes alternating", []sample{mk(2, 3, 6, 24), mk(1, 3, 6, 11)}},
	} {
		var before uint32
		for i := 0; i < warmup+runs; i++ {
			if i == warmup {
				before = h.MemorySize()
			}
			s := phase.samples[i%len(phase.samples)]
			got, err := gm.Run(context.Background(), s.in)
			if err != nil {
				t.Fatal(err)
			}
			if i%97 == 0 || i == warmup+runs-1 {
				for name, w := range s.want {
					checkSame(t, name, got[name].Data, w.Data)
				}
			}
		}
		if now := h.MemorySize(); now != before {
			t.Errorf("%s: linear memory grew from %d to %d bytes over %d runs", phase.name, before, now, runs)
		}
	}
}

// TestDynamicClassify classifies images with a model whose input is
// symbolic in height and width ([1 3 H W]): the guest feeds the image at the
// preprocessing's size, planning it once, and gives the native result.
func TestDynamicClassify(t *testing.T) {
	b := runtime.NewBuilder("dynclass", 9)
	x := b.Input("x", 1, 3, 8, 8)
	c := b.Conv("c", x, 6, runtime.ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, Bias: true})
	c = b.Act("r", "Relu", c, nil)
	g := b.GlobalAvgPool("g", c)
	d := b.Dense("d", b.Flatten("f", g), 4)
	b.Output(d)
	b.Meta().Labels = []string{"a", "b", "c", "d"}
	b.Meta().Preprocess = &runtime.Preprocess{Width: 12, Height: 10, Channels: 3, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.25, 0.25, 0.25}}
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	m.Inputs[0].Dims = []string{"", "", "H", "W"}
	file, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := guest(t).Load(file, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 17, 9
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(15 * x), uint8(25 * y), uint8(7 * (x + y)), 255})
		}
	}
	pp := m.Meta.Preprocess
	data, shape, err := imageprep.ToTensor(img, imageprep.Params{Width: pp.Width, Height: pp.Height, Channels: pp.Channels, Mean: pp.Mean, Std: pp.Std})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": {Shape: shape, Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	want := runtime.TopK(outs["d"].Data, m.Meta.Labels, 4)
	for i := 0; i < 2; i++ {
		got, err := gm.Classify(context.Background(), img.Pix, w, h, 4)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("guest %v, native %v", got, want)
		}
	}
	// The fast path still runs at the representative shape after classify.
	in := map[string]*ops.Tensor{"x": randTensor(rand.New(rand.NewPCG(1, 2)), 1, 3, 8, 8)}
	nat, _ := sess.Run(context.Background(), in)
	got, err := gm.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, "d", got["d"].Data, nat["d"].Data)
}

// TestShapeExportsRobust calls wasmnn_rank, wasmnn_dims and
// wasmnn_set_shapes with unknown ids, kinds and indices and with hostile
// dims (negative, huge, too many elements): no trap, errors with messages,
// nothing allocated for refused shapes, and the model keeps working.
func TestShapeExportsRobust(t *testing.T) {
	m, b := dynamicNet(t, 8)
	h := guest(t)
	gm, err := h.Load(b, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	ctx := context.Background()
	call := func(name string, args ...uint64) uint64 {
		t.Helper()
		res, err := h.ExportedFunction(name).Call(ctx, args...)
		if err != nil {
			t.Fatalf("%s%v trapped: %v", name, args, err)
		}
		return res[0]
	}
	lastError := func() string {
		t.Helper()
		p, n := call("wasmnn_error_ptr"), call("wasmnn_error_len")
		b, _ := h.Memory().Read(uint32(p), uint32(n))
		return string(b)
	}
	id := uint64(gm.ID())
	neg := uint64(uint32(0xffffffff))
	for _, c := range [][3]uint64{{id + 1000, 0, 0}, {id, 0, 1}, {id, 1, 2}, {id, 0, neg}, {neg, 1, 0}} {
		if r := int32(call("wasmnn_rank", c[0], c[1], c[2])); r != -1 {
			t.Errorf("wasmnn_rank%v = %d", c, r)
		}
		if p := call("wasmnn_dims", c[0], c[1], c[2]); p != 0 {
			t.Errorf("wasmnn_dims%v = %#x", c, p)
		}
	}
	if r := call("wasmnn_rank", id, 0, 0); r != 4 {
		t.Fatalf("input rank %d", r)
	}
	if call("wasmnn_set_shapes", id+1000) != 1 || !strings.Contains(lastError(), "not loaded") {
		t.Errorf("set_shapes on an unknown model")
	}
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*ops.Tensor{"x": randTensor(rand.New(rand.NewPCG(8, 8)), 2, 3, 6, 5)}
	want, _ := sess.Run(ctx, in)
	for _, c := range []struct {
		dims []int32
		msg  string
	}{
		{[]int32{-1, 3, 6, 8}, "negative"},
		{[]int32{1 << 30, 3, 6, 1 << 30}, "elements"},
		{[]int32{1 << 12, 3, 6, 1 << 12}, "the limit is"},
		{[]int32{2, 3, 6, 0}, "must be at least 1"},
		{[]int32{2, 3, 7, 8}, "dimension 2 is fixed"},
	} {
		before := h.MemorySize()
		p := uint32(call("wasmnn_dims", id, 0, 0))
		buf := make([]byte, 16)
		for i, d := range c.dims {
			buf[4*i], buf[4*i+1], buf[4*i+2], buf[4*i+3] = byte(d), byte(d>>8), byte(d>>16), byte(d>>24)
		}
		h.Memory().Write(p, buf)
		if call("wasmnn_set_shapes", id) != 1 {
			t.Fatalf("%v: accepted", c.dims)
		}
		if msg := lastError(); !strings.Contains(msg, c.msg) {
			t.Errorf("%v: error %q does not say %q", c.dims, msg, c.msg)
		}
		if now := h.MemorySize(); now > before+heapGranule {
			t.Errorf("%v: memory grew from %d to %d bytes", c.dims, before, now)
		}
		got, err := gm.Run(ctx, in)
		if err != nil {
			t.Fatalf("after %v: %v", c.dims, err)
		}
		checkSame(t, "d", got["d"].Data, want["d"].Data)
	}
}
