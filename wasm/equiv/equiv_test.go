package equiv

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"

	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

var (
	wasmBytes []byte
	cacheDir  = wasmtest.CacheDir()
)

func TestMain(m *testing.M) {
	var err error
	if wasmBytes, err = wasmtest.Module(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

var (
	sharedOnce sync.Once
	shared     *host.Host
	sharedErr  error
)

// guest returns one host shared by the tests (the module is single-threaded
// and tests in this package do not run in parallel).
func guest(t testing.TB) *host.Host {
	t.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir))
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func randInputs(seed uint64, infos []runtime.ValueInfo) map[string]*ops.Tensor {
	rng := rand.New(rand.NewPCG(seed, 99))
	in := map[string]*ops.Tensor{}
	for _, vi := range infos {
		t, _ := ops.NewTensor(vi.Shape...)
		for i := range t.Data {
			t.Data[i] = rng.Float32()*2 - 1
		}
		in[vi.Name] = t
	}
	return in
}

// compare runs m natively (with threads) and in the shared guest (SIMD
// kernels on) and requires identical outputs.
func compare(t *testing.T, m *runtime.Model, algo ops.ConvAlgo, threads int, seed uint64) {
	t.Helper()
	compareOn(t, guest(t), m, algo, threads, seed)
}

// compareOn is compare in the guest h.
func compareOn(t *testing.T, h *host.Host, m *runtime.Model, algo ops.ConvAlgo, threads int, seed uint64) {
	t.Helper()
	sess, err := runtime.NewSession(m, runtime.Options{Algo: algo, Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	inputs := randInputs(seed, sess.Inputs())
	want, err := sess.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := h.Load(b, host.LoadOptions{Algo: string(algo)})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	got, err := gm.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("guest gave no output %q", name)
		}
		if !ops.EqualShapes(g.Shape, w.Shape) {
			t.Fatalf("output %q: guest shape %v, native %v", name, g.Shape, w.Shape)
		}
		checkSame(t, name, g.Data, w.Data)
	}
}

// checkSame requires bit-identical values on amd64, 1e-6 relative elsewhere.
func checkSame(t *testing.T, name string, got, want []float32) {
	t.Helper()
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		if goruntime.GOARCH == "amd64" {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("output %q[%d]: wasm %v (%08x), native %v (%08x)", name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		} else if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*scale {
			t.Fatalf("output %q[%d]: wasm %v, native %v", name, i, got[i], want[i])
		}
	}
}

// singleOp builds a model of one node with random weights.
type opCase struct {
	name  string
	build func(b *runtime.Builder, x string) string
	in    []int
	algos []ops.ConvAlgo
}

func convCase(name string, in []int, out int, s runtime.ConvSpec, act string, algos ...ops.ConvAlgo) opCase {
	return opCase{name: name, in: in, algos: algos, build: func(b *runtime.Builder, x string) string {
		y := b.Conv("conv", x, out, s)
		if act != "" {
			y = b.Act("act", act, y, map[string]any{})
		}
		return y
	}}
}

func opCases() []opCase {
	all := []ops.ConvAlgo{ops.AlgoDirect, ops.AlgoIm2col, ops.AlgoAuto}
	fast := []ops.ConvAlgo{ops.AlgoWinograd2, ops.AlgoWinograd4, ops.AlgoFFT}
	k := func(v ...int) []int { return v }
	cases := []opCase{
		convCase("winograd-fft-3x3", k(2, 17, 13, 11), 18, runtime.ConvSpec{Kernel: k(3, 3), Pads: k(1, 0, 2, 1), Bias: true}, "Relu", fast...),
		convCase("fft-7x7", k(1, 9, 21, 19), 10, runtime.ConvSpec{Kernel: k(7, 7), Pads: k(3, 3, 3, 3), Bias: true}, "", ops.AlgoFFT, ops.AlgoAuto),
		convCase("fft-1d-long", k(1, 8, 300), 8, runtime.ConvSpec{Kernel: k(31), AutoPad: "same_upper"}, "Tanh", ops.AlgoFFT, ops.AlgoWinograd4),
		convCase("winograd-1d", k(2, 16, 40), 16, runtime.ConvSpec{Kernel: k(3), Pads: k(1, 1)}, "", ops.AlgoWinograd2, ops.AlgoWinograd4),
		convCase("conv2d-3x3-pad", k(2, 5, 11, 9), 7, runtime.ConvSpec{Kernel: k(3, 3), Pads: k(1, 0, 2, 1), Bias: true}, "Relu", all...),
		convCase("conv2d-stride-dilate", k(1, 4, 13, 12), 6, runtime.ConvSpec{Kernel: k(3, 2), Strides: k(2, 3), Dilations: k(2, 1), Bias: true}, "", all...),
		convCase("conv2d-groups", k(1, 6, 8, 8), 9, runtime.ConvSpec{Kernel: k(3, 3), Groups: 3, AutoPad: "same_upper"}, "Sigmoid", all...),
		convCase("conv2d-depthwise", k(2, 8, 9, 9), 16, runtime.ConvSpec{Kernel: k(3, 3), Groups: 8, Pads: k(1, 1, 1, 1), Bias: true}, "Clip",
			ops.AlgoDirect, ops.AlgoIm2col, ops.AlgoDepthwise),
		convCase("conv2d-kernel-bigger-than-input", k(1, 2, 2, 3), 3, runtime.ConvSpec{Kernel: k(5, 5), Pads: k(2, 2, 2, 2)}, "Tanh", all...),
		convCase("conv2d-1x1", k(1, 32, 7, 7), 24, runtime.ConvSpec{Kernel: k(1, 1), Bias: true}, "", all...),
		convCase("conv2d-1pixel", k(3, 5, 1, 1), 4, runtime.ConvSpec{Kernel: k(1, 1)}, "LeakyRelu", all...),
		convCase("conv2d-large", k(1, 40, 20, 20), 48, runtime.ConvSpec{Kernel: k(3, 3), Pads: k(1, 1, 1, 1), Bias: true}, "Relu", all...),
		convCase("conv1d", k(2, 3, 40), 5, runtime.ConvSpec{Kernel: k(7), Strides: k(2), Pads: k(3, 1), Bias: true}, "", all...),
		convCase("conv3d", k(1, 2, 6, 7, 5), 4, runtime.ConvSpec{Kernel: k(3, 2, 3), Dilations: k(1, 2, 1), Pads: k(1, 0, 1, 1, 1, 0)}, "Relu", all...),
		{name: "maxpool-ceil", in: k(2, 3, 11, 10), build: func(b *runtime.Builder, x string) string { return b.Pool("p", "MaxPool", x, 3, 2, 1, true) }},
		{name: "avgpool-pad", in: k(1, 3, 9, 9), build: func(b *runtime.Builder, x string) string {
			return b.Generic("p", "AveragePool", []string{x}, map[string]any{"kernel_shape": []int64{3, 2}, "strides": []int64{2, 1},
				"pads": []int64{1, 0, 1, 1}, "count_include_pad": int64(1), "ceil_mode": int64(1)}, nil)
		}},
		{name: "avgpool1d", in: k(2, 2, 17), build: func(b *runtime.Builder, x string) string { return b.Pool("p", "AveragePool", x, 4, 3, 1, false) }},
		{name: "maxpool3d", in: k(1, 2, 5, 6, 7), build: func(b *runtime.Builder, x string) string { return b.Pool("p", "MaxPool", x, 2, 2, 0, true) }},
		{name: "globalpools", in: k(2, 5, 6, 7), build: func(b *runtime.Builder, x string) string {
			g := b.Generic("gm", "GlobalMaxPool", []string{x}, nil, nil)
			a := b.GlobalAvgPool("ga", x)
			return b.Add("sum", g, a)
		}},
		{name: "dense-softmax", in: k(3, 37), build: func(b *runtime.Builder, x string) string {
			return b.Generic("sm", "Softmax", []string{b.Dense("fc", x, 19)}, map[string]any{"axis": int64(-1)}, nil)
		}},
		{name: "batchnorm-lrn", in: k(2, 7, 5, 4), build: func(b *runtime.Builder, x string) string {
			return b.Generic("lrn", "LRN", []string{b.BatchNorm("bn", x, 1e-3)}, map[string]any{"size": int64(5), "alpha": 1e-4, "beta": 0.75, "bias": 2.0}, nil)
		}},
		{name: "activations", in: k(1, 4, 6, 6), build: func(b *runtime.Builder, x string) string {
			s := b.Act("s", "Sigmoid", x, nil)
			th := b.Act("t", "Tanh", x, nil)
			l := b.Act("l", "LeakyRelu", x, map[string]any{"alpha": 0.2})
			c := b.Act("c", "Clip", x, map[string]any{"min": -0.3, "max": 0.4})
			r := b.Act("r", "Relu", x, nil)
			return b.Concat("cat", s, th, l, c, r)
		}},
		{name: "pow", in: k(2, 3, 4, 5), build: func(b *runtime.Builder, x string) string {
			pos := b.Act("s", "Sigmoid", x, nil)
			p := b.Generic("p", "Pow", []string{pos, x}, nil, nil) // positive bases
			q := b.Generic("q", "Pow", []string{x, pos}, nil, nil) // negative bases: NaN
			r := b.Generic("r", "Pow", []string{x, x}, nil, nil)
			return b.Concat("cat", p, q, r)
		}},
		{name: "flatten-reshape-dropout", in: k(2, 3, 4, 5), build: func(b *runtime.Builder, x string) string {
			f := b.Flatten("f", b.Dropout("d", x, 0.5))
			return b.Generic("r", "Reshape", []string{f}, map[string]any{"shape": []int64{0, 3, -1}}, nil)
		}},
	}
	return cases
}

// TestOpsBitIdentical runs every op, with randomized data and shapes that
// include edge cases, natively and in the wasm module.
func TestOpsBitIdentical(t *testing.T) { runOpCases(t, opCases()) }

// runOpCases builds each case's one-input model with seeded weights and
// compares it natively and in the wasm module (SIMD on and off), bit for
// bit. Op families keep their cases in files of their own and call it from a
// test of their own.
func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	for i, tc := range cases {
		algos := tc.algos
		if algos == nil {
			algos = []ops.ConvAlgo{ops.AlgoAuto}
		}
		for _, algo := range algos {
			t.Run(tc.name+"/"+string(algo), func(t *testing.T) {
				b := runtime.NewBuilder(tc.name, uint64(i+1))
				x := b.Input("x", tc.in...)
				b.Output(tc.build(b, x))
				m, err := b.Model()
				if err != nil {
					t.Fatal(err)
				}
				compare(t, m, algo, 2, uint64(i))
			})
		}
	}
}

// TestRandomConvShapes draws random conv geometries.
func TestRandomConvShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	for i := 0; i < 12; i++ {
		rank := 1 + rng.IntN(3)
		groups := 1 + rng.IntN(3)
		c := groups * (1 + rng.IntN(4))
		m := groups * (1 + rng.IntN(4))
		in := []int{1 + rng.IntN(2), c}
		kernel, strides, dil, pads := []int{}, []int{}, []int{}, make([]int, 2*rank)
		for d := 0; d < rank; d++ {
			kernel = append(kernel, 1+rng.IntN(4))
			strides = append(strides, 1+rng.IntN(3))
			dil = append(dil, 1+rng.IntN(2))
			pads[d], pads[rank+d] = rng.IntN(3), rng.IntN(3)
			ext := (kernel[d]-1)*dil[d] + 1
			in = append(in, max(ext, 1+rng.IntN(10)))
		}
		name := fmt.Sprintf("%d/in%v_k%v_s%v_d%v_p%v_g%d", i, in, kernel, strides, dil, pads, groups)
		name = strings.ReplaceAll(name, " ", ",")
		for _, algo := range []ops.ConvAlgo{ops.AlgoDirect, ops.AlgoIm2col} {
			t.Run(name+"/"+string(algo), func(t *testing.T) {
				b := runtime.NewBuilder("rand", uint64(i))
				x := b.Input("x", in...)
				b.Output(b.Conv("conv", x, m, runtime.ConvSpec{Kernel: kernel, Strides: strides, Dilations: dil, Pads: pads, Groups: groups, Bias: i%2 == 0}))
				model, err := b.Model()
				if err != nil {
					t.Fatal(err)
				}
				compare(t, model, algo, 1, uint64(i))
			})
		}
	}
}

// reduced input sizes keep the zoo test quick; full-size runs belong to the
// benchmarks.
var reduced = map[string]int{"lenet5": 32, "alexnet": 67, "vgg16": 32, "googlenet": 64,
	"resnet18": 64, "resnet34": 48, "resnet50": 64, "mobilenetv2": 64}

func TestZooBitIdentical(t *testing.T) {
	for i, name := range zoo.Names() {
		t.Run(name, func(t *testing.T) {
			m, err := zoo.Build(name, zoo.Config{Seed: uint64(i + 1), InputSize: reduced[name]})
			if err != nil {
				t.Fatal(err)
			}
			compare(t, m, ops.AlgoAuto, 2, uint64(i))
		})
	}
}

// simdInUse asks the guest whether it installed the SIMD kernels.
func simdInUse(t *testing.T, h *host.Host) bool {
	t.Helper()
	res, err := h.ExportedFunction("wasmnn_simd").Call(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res[0] == 1
}

// TestSIMDInUse checks that the shared guest runs the SIMD kernels (so the
// bit-identity tests above cover them): the guest says so, and models run
// with the GEMM-based algorithms call them and match the native build.
func TestSIMDInUse(t *testing.T) {
	h := guest(t)
	if !h.SIMD() || !simdInUse(t, h) {
		t.Fatalf("SIMD kernels: host %v, guest %v; want both on", h.SIMD(), simdInUse(t, h))
	}
	for _, tc := range []struct {
		model string
		algo  ops.ConvAlgo
	}{{"lenet5", ops.AlgoIm2col}, {"resnet18", ops.AlgoWinograd4}, {"resnet18", ops.AlgoWinograd2}} {
		t.Run(tc.model+"/"+string(tc.algo), func(t *testing.T) {
			m, err := zoo.Build(tc.model, zoo.Config{Seed: 5, InputSize: reduced[tc.model]})
			if err != nil {
				t.Fatal(err)
			}
			before := h.SIMDCalls()
			compare(t, m, tc.algo, 1, 5)
			if h.SIMDCalls() == before {
				t.Fatal("the run made no SIMD kernel call")
			}
		})
	}
}

// TestZooNoSIMD runs zoo models in a guest whose SIMD kernels are forced off
// (the fallback where WebAssembly SIMD is missing): outputs must still be
// bit-identical and no kernel may be called.
func TestZooNoSIMD(t *testing.T) {
	h, err := host.New(context.Background(), wasmBytes, host.WithCompilationCacheDir(cacheDir), host.WithSIMD(false))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	if h.SIMD() || simdInUse(t, h) {
		t.Fatalf("SIMD kernels: host %v, guest %v; want both off", h.SIMD(), simdInUse(t, h))
	}
	for i, name := range zoo.Names() {
		if name == "alexnet" || name == "vgg16" || name == "resnet34" || name == "resnet50" {
			continue // the slow ones; their layers are covered by the others
		}
		t.Run(name, func(t *testing.T) {
			m, err := zoo.Build(name, zoo.Config{Seed: uint64(i + 1), InputSize: reduced[name]})
			if err != nil {
				t.Fatal(err)
			}
			compareOn(t, h, m, ops.AlgoAuto, 2, uint64(i))
			if name == "resnet18" {
				compareOn(t, h, m, ops.AlgoWinograd4, 1, uint64(i))
			}
		})
	}
	if n := h.SIMDCalls(); n != 0 {
		t.Fatalf("the guest made %d SIMD kernel calls with SIMD off", n)
	}
}

// TestMemoryStable runs a model 1,000 times after warm-up and requires the
// module's linear memory not to grow.
func TestMemoryStable(t *testing.T) {
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Encode()
	// A host of its own, so that earlier tests' heap does not blur the figure.
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
	inputs := randInputs(1, gm.Inputs)
	for i := 0; i < 300; i++ {
		if _, err := gm.Run(context.Background(), inputs); err != nil {
			t.Fatal(err)
		}
	}
	before := h.MemorySize()
	for i := 0; i < 1000; i++ {
		if _, err := gm.Run(context.Background(), inputs); err != nil {
			t.Fatal(err)
		}
	}
	if after := h.MemorySize(); after != before {
		t.Fatalf("linear memory grew from %d to %d bytes over 1,000 runs", before, after)
	}
	t.Logf("linear memory %d bytes, JS value table %d entries", before, h.RefCount())
}

// TestErrorsKeepInstanceUsable feeds bad models and inputs and checks that
// each fails with a clear message and the next good call still works.
func TestErrorsKeepInstanceUsable(t *testing.T) {
	m, _ := zoo.Build("lenet5", zoo.Config{Seed: 2})
	good, _ := m.Encode()
	h := guest(t)
	gm, err := h.Load(good, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer gm.Dispose()
	inputs := randInputs(3, gm.Inputs)
	want, err := gm.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		do   func() error
		msg  string
	}{
		{"garbage model", func() error { _, err := h.Load([]byte("garbage"), host.LoadOptions{}); return err }, "bad model"},
		{"truncated model", func() error { _, err := h.Load(good[:len(good)/2], host.LoadOptions{}); return err }, "truncated"},
		{"unknown algo", func() error { _, err := h.Load(good, host.LoadOptions{Algo: "magic"}); return err }, "magic"},
		{"unknown input", func() error {
			_, err := gm.Run(context.Background(), map[string]*ops.Tensor{"input": inputs["input"], "nope": inputs["input"]})
			return err
		}, "nope"},
		{"short input", func() error {
			_, err := gm.Run(context.Background(), map[string]*ops.Tensor{"input": {Shape: []int{1, 1, 32, 32}, Data: make([]float32, 5)}})
			return err
		}, "5 float32 values"},
		{"disposed", func() error {
			m2, err := h.Load(good, host.LoadOptions{})
			if err != nil {
				return nil
			}
			m2.Dispose()
			_, err = m2.Run(context.Background(), inputs)
			return err
		}, "not loaded"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want it to mention %q", err, tc.msg)
			}
			got, err := gm.Run(context.Background(), inputs)
			if err != nil {
				t.Fatalf("the next run failed: %v", err)
			}
			checkSame(t, "after error", got["fc3"].Data, want["fc3"].Data)
		})
	}
}

// TestMemoryLimit caps the guest's memory: a model that needs more than the
// cap fails to load with an error (the Go program inside runs out of memory),
// and within the cap a small model runs as usual.
func TestMemoryLimit(t *testing.T) {
	small, _ := zoo.Build("lenet5", zoo.Config{Seed: 1})
	big, _ := zoo.Build("vgg16", zoo.Config{Seed: 1, InputSize: 32}) // 138 M params: 553 MB of weights
	sb, _ := small.Encode()
	bb, err := big.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := host.New(ctx, wasmBytes, host.WithCompilationCacheDir(cacheDir), host.WithMemoryLimit(256<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	gm, err := h.Load(sb, host.LoadOptions{})
	if err != nil {
		t.Fatalf("lenet5 under a 256 MiB cap: %v", err)
	}
	if _, err := gm.Run(context.Background(), randInputs(1, gm.Inputs)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Load(bb, host.LoadOptions{}); err == nil {
		t.Fatal("a 553 MB model loaded under a 256 MiB cap")
	} else {
		t.Logf("as expected: %.200s", err)
	}
	if got := h.MemorySize(); got > 256<<20 {
		t.Errorf("linear memory %d bytes exceeds the cap", got)
	}
}
