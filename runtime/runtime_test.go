package runtime_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
)

func randTensor(rng *rand.Rand, shape ...int) *ops.Tensor {
	t, _ := ops.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = rng.Float32()*2 - 1
	}
	return t
}

// smallNet has every op kind the format defines, in a branching graph.
func smallNet(t *testing.T) *runtime.Model {
	t.Helper()
	b := runtime.NewBuilder("small", 11)
	x := b.Input("x", 2, 3, 9, 9)
	c1 := b.Conv("c1", x, 8, runtime.ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 0, 2, 1}, Bias: true})
	bn := b.BatchNorm("bn1", c1, 1e-5)
	r := b.Act("r1", "LeakyRelu", bn, map[string]any{"alpha": 0.1})
	p := b.Pool("p1", "MaxPool", r, 3, 2, 1, true)
	c2 := b.Conv("c2", p, 8, runtime.ConvSpec{Kernel: []int{3, 3}, AutoPad: "same_upper", Groups: 8})
	s := b.Act("s2", "Sigmoid", c2, nil)
	lrn := b.Generic("lrn", "LRN", []string{p}, map[string]any{"size": int64(3), "alpha": 1e-3, "beta": 0.75, "bias": 2.0}, b.Shape(p))
	a := b.Add("add", s, lrn)
	cl := b.Act("clip", "Clip", a, map[string]any{"min": -0.5, "max": 0.5})
	avg := b.Generic("avg", "AveragePool", []string{cl}, map[string]any{"kernel_shape": []int64{2, 2}, "strides": []int64{1, 1},
		"pads": []int64{0, 0, 1, 1}, "count_include_pad": int64(1)}, []int{2, 8, 6, 5})
	cat := b.Concat("cat", avg, cl)
	g := b.GlobalAvgPool("gap", cat)
	f := b.Flatten("flat", g)
	d := b.Dropout("drop", f, 0.3)
	th := b.Act("tanh", "Tanh", b.Dense("fc", d, 7), nil)
	rs := b.Generic("reshape", "Reshape", []string{th}, map[string]any{"shape": []int64{0, -1}}, []int{2, 7})
	sm := b.Generic("softmax", "Softmax", []string{rs}, map[string]any{"axis": int64(1)}, []int{2, 7})
	b.Output(sm, g)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSmallNetAgainstReference(t *testing.T) {
	m := smallNet(t)
	rng := rand.New(rand.NewPCG(1, 2))
	x := randTensor(rng, 2, 3, 9, 9)
	want, err := reftest.Eval(m, map[string][]float64{"x": toF64(x.Data)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts runtime.Options
	}{
		{"fused", runtime.Options{}},
		{"unfused", runtime.Options{NoFusion: true}},
		{"direct", runtime.Options{Algo: ops.AlgoDirect}},
		{"im2col-2threads", runtime.Options{Algo: ops.AlgoIm2col, Threads: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sess, err := runtime.NewSession(m, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range m.Outputs {
				if rel := relErr(got[name].Data, want[name]); rel > 1e-5 {
					t.Errorf("output %s: relative error %.3g", name, rel)
				}
			}
		})
	}
}

func TestThreadsBitIdentical(t *testing.T) {
	m := smallNet(t)
	x := randTensor(rand.New(rand.NewPCG(5, 6)), 2, 3, 9, 9)
	var first map[string]*ops.Tensor
	for _, th := range []int{1, 2, 3, 8} {
		sess, err := runtime.NewSession(m, runtime.Options{Threads: th, Algo: ops.AlgoIm2col})
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out
			continue
		}
		for name, o := range out {
			for i, v := range o.Data {
				if math.Float32bits(v) != math.Float32bits(first[name].Data[i]) {
					t.Fatalf("threads %d: output %s[%d] = %v, threads 1 gave %v", th, name, i, v, first[name].Data[i])
				}
			}
		}
	}
}

func TestEncodeLoadRoundTrip(t *testing.T) {
	m := smallNet(t)
	m.Meta.Labels = []string{"a", "b", "c", "d", "e", "f", "g"}
	x := randTensor(rand.New(rand.NewPCG(7, 8)), 2, 3, 9, 9)
	run := func(m *runtime.Model) map[string]*ops.Tensor {
		sess, err := runtime.NewSession(m, runtime.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := run(m)
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := runtime.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Meta.Labels[6] != "g" || m2.Meta.Name != "small" {
		t.Fatalf("metadata lost: %+v", m2.Meta)
	}
	got := run(m2)
	for name := range want {
		for i := range want[name].Data {
			if want[name].Data[i] != got[name].Data[i] {
				t.Fatalf("output %s differs after a round trip", name)
			}
		}
	}
	// f16 storage halves the weights and stays close.
	m.WeightDType = "f16"
	b16, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	weightBytes := 0
	for _, w := range m.Weights {
		weightBytes += 4 * len(w.Data)
	}
	if saved := len(b) - len(b16); saved < weightBytes*45/100 {
		t.Errorf("f16 file %d bytes saves %d bytes of %d weight bytes", len(b16), saved, weightBytes)
	}
	m3, err := runtime.Load(b16)
	if err != nil {
		t.Fatal(err)
	}
	got16 := run(m3)
	name := m.Outputs[0]
	if rel := relErr(got16[name].Data, toF64(want[name].Data)); rel > 1e-2 {
		t.Errorf("f16 weights: relative error %.3g", rel)
	}
}

func TestGraphErrors(t *testing.T) {
	conv := func(name, in, out string) *runtime.Node {
		return &runtime.Node{Name: name, Op: "Conv", Inputs: []string{in, "w"}, Outputs: []string{out}}
	}
	base := func() *runtime.Model {
		return &runtime.Model{
			Inputs:  []runtime.ValueInfo{{Name: "x", Shape: []int{1, 2, 5, 5}}},
			Outputs: []string{"y"},
			Weights: map[string]*ops.Tensor{"w": {Shape: []int{2, 2, 3, 3}, Data: make([]float32, 36)}},
			Nodes:   []*runtime.Node{conv("c", "x", "y")},
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(m *runtime.Model)
		want   []string
		is     error
	}{
		{"ok", func(m *runtime.Model) {}, nil, nil},
		{"unknown ops", func(m *runtime.Model) {
			m.Nodes = append(m.Nodes, &runtime.Node{Name: "u1", Op: "Frobnicate", Inputs: []string{"y"}, Outputs: []string{"z"}},
				&runtime.Node{Name: "u2", Op: "Warp", Inputs: []string{"y"}, Outputs: []string{"z2"}})
		}, []string{`"Frobnicate" (node "u1")`, `"Warp" (node "u2")`}, runtime.ErrUnsupportedOp},
		{"bad weight shape", func(m *runtime.Model) {
			m.Weights["w"] = &ops.Tensor{Shape: []int{2, 3, 3, 3}, Data: make([]float32, 54)}
		}, []string{`node "c" (Conv)`, "[1 2 5 5]", "[2 3 3 3]"}, runtime.ErrShape},
		{"kernel larger than input", func(m *runtime.Model) {
			m.Inputs[0].Shape = []int{1, 2, 2, 2}
		}, []string{`node "c"`, "larger than padded input"}, runtime.ErrShape},
		{"missing input", func(m *runtime.Model) { m.Nodes[0].Inputs[0] = "nope" }, []string{`node "c"`, `"nope"`}, runtime.ErrBadModel},
		{"cycle", func(m *runtime.Model) {
			m.Nodes = []*runtime.Node{conv("a", "q", "p"), conv("b", "p", "q"), conv("c", "x", "y")}
		}, []string{"cycle", `"a"`, `"b"`}, runtime.ErrBadModel},
		{"duplicate node", func(m *runtime.Model) { m.Nodes = append(m.Nodes, conv("c", "x", "y2")) }, []string{`two nodes are named "c"`}, runtime.ErrBadModel},
		{"output twice", func(m *runtime.Model) { m.Nodes = append(m.Nodes, conv("d", "x", "y")) }, []string{`"y"`, `"c"`}, runtime.ErrBadModel},
		{"overwrites weight", func(m *runtime.Model) { m.Nodes = append(m.Nodes, conv("d", "x", "w")) }, []string{"overwrites"}, runtime.ErrBadModel},
		{"no such output", func(m *runtime.Model) { m.Outputs = []string{"zz"} }, []string{`"zz"`}, runtime.ErrBadModel},
		{"weight from activation", func(m *runtime.Model) {
			m.Nodes = append(m.Nodes, &runtime.Node{Name: "d", Op: "Conv", Inputs: []string{"x", "y"}, Outputs: []string{"z"}})
		}, []string{`node "d"`, "weight tensor"}, runtime.ErrBadModel},
		{"bad attribute type", func(m *runtime.Model) { m.Nodes[0].Attrs = map[string]any{"strides": "two"} }, []string{`node "c"`, "strides"}, nil},
		{"unknown attribute", func(m *runtime.Model) { m.Nodes[0].Attrs = map[string]any{"stride": []int64{1, 1}} }, []string{"unknown attributes", "stride"}, runtime.ErrBadModel},
		{"wrong strides count", func(m *runtime.Model) { m.Nodes[0].Attrs = map[string]any{"strides": []int64{1}} }, []string{"strides", "want 2"}, nil},
		{"too many inputs", func(m *runtime.Model) { m.Nodes[0].Inputs = []string{"x", "w", "w", "w"} }, []string{"4 inputs"}, runtime.ErrBadModel},
		{"huge input", func(m *runtime.Model) { m.Inputs[0].Shape = []int{1 << 20, 1 << 20, 1 << 20, 2} }, []string{`input "x"`}, runtime.ErrShape},
		{"bad algo for layer", func(m *runtime.Model) {}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.mutate(m)
			_, err := runtime.NewSession(m, runtime.Options{})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}

func TestForcedAlgorithms(t *testing.T) {
	m := smallNet(t)
	if _, err := runtime.NewSession(m, runtime.Options{LayerAlgos: map[string]ops.ConvAlgo{"c1": ops.AlgoDepthwise}}); err == nil ||
		!strings.Contains(err.Error(), `node "c1"`) {
		t.Errorf("depthwise forced on a dense conv: %v", err)
	}
	if _, err := runtime.NewSession(m, runtime.Options{LayerAlgos: map[string]ops.ConvAlgo{"nosuch": ops.AlgoDirect}}); err == nil {
		t.Error("no error for an unknown layer")
	}
	// A model-wide algorithm applies where it can and leaves the rest automatic.
	sess, err := runtime.NewSession(m, runtime.Options{Algo: ops.AlgoDepthwise, LayerAlgos: map[string]ops.ConvAlgo{"c1": ops.AlgoDirect}})
	if err != nil {
		t.Fatal(err)
	}
	algos := map[string]string{}
	for _, l := range sess.Summary().Layers {
		algos[l.Name] = l.Algo
	}
	if algos["c1"] != "direct" || algos["c2"] != "depthwise" {
		t.Errorf("algorithms %v", algos)
	}
}

func TestRunInputErrors(t *testing.T) {
	m := smallNet(t)
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := randTensor(rand.New(rand.NewPCG(9, 9)), 2, 3, 9, 9)
	want, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": good})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		inputs map[string]*ops.Tensor
		want   string
	}{
		{"missing", map[string]*ops.Tensor{}, `missing input "x"`},
		{"wrong shape", map[string]*ops.Tensor{"x": {Shape: []int{1, 3, 9, 9}, Data: make([]float32, 243)}}, "[1 3 9 9]"},
		{"short data", map[string]*ops.Tensor{"x": {Shape: []int{2, 3, 9, 9}, Data: make([]float32, 10)}}, "10 values"},
		{"unknown", map[string]*ops.Tensor{"x": good, "y": good}, `unknown input "y"`},
		{"misnamed", map[string]*ops.Tensor{"image": good}, `unknown input "image" (the model's inputs: "x")`},
		{"nil", map[string]*ops.Tensor{"x": nil}, `missing input "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sess.Run(context.Background(), tc.inputs)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, runtime.ErrInput) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			// The session still works and gives the same answer.
			got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": good})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got["softmax"].Data {
				if v != want["softmax"].Data[i] {
					t.Fatal("a failed run changed later results")
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sess.Run(ctx, map[string]*ops.Tensor{"x": good}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestRunIntoAllocatesNothing(t *testing.T) {
	m := smallNet(t)
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]*ops.Tensor{"x": randTensor(rand.New(rand.NewPCG(1, 1)), 2, 3, 9, 9)}
	out := map[string]*ops.Tensor{}
	for _, o := range sess.Outputs() {
		out[o.Name], _ = ops.NewTensor(o.Shape...)
	}
	ctx := context.Background()
	if err := sess.RunInto(ctx, in, out); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { _ = sess.RunInto(ctx, in, out) }); n != 0 {
		t.Errorf("RunInto allocates %v times per run", n)
	}
}

func TestSummary(t *testing.T) {
	m := smallNet(t)
	sum, err := runtime.Summarize(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]runtime.LayerSummary{}
	for _, l := range sum.Layers {
		layers[l.Name] = l
	}
	c1 := layers["c1"]
	if strings.Join(c1.Fused, ",") != "bn1,r1" {
		t.Errorf("c1 fused %v, want bn1 and r1", c1.Fused)
	}
	// conv 8*3*3*3 + 8 bias, BN scale and shift 16.
	if c1.Params != 8*27+8+16 {
		t.Errorf("c1 params %d", c1.Params)
	}
	if c1.MACs != 2*8*5*5*27*0+int64(2*8*c1.OutputShape[2]*c1.OutputShape[3]*27) {
		t.Errorf("c1 MACs %d", c1.MACs)
	}
	if c1.Algo == "" {
		t.Error("no algorithm reported")
	}
	var total int64
	for _, w := range m.Weights {
		total += int64(len(w.Data))
	}
	if sum.TotalParams != total-16 { // running mean and var are not parameters
		t.Errorf("total params %d, weights %d", sum.TotalParams, total)
	}
	var text strings.Builder
	if err := sum.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "bn1+r1") {
		t.Errorf("text summary lacks the fusion:\n%s", text.String())
	}
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func relErr(got []float32, want []float64) float64 {
	scale, maxAbs := 0.0, 0.0
	for i, w := range want {
		scale = math.Max(scale, math.Abs(w))
		d := math.Abs(float64(got[i]) - w)
		if d != d {
			return math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, d)
	}
	if scale == 0 {
		return maxAbs
	}
	return maxAbs / scale
}

func TestAutotune(t *testing.T) {
	m := smallNet(t)
	sess, err := runtime.NewSession(m, runtime.Options{Autotune: true, LayerAlgos: map[string]ops.ConvAlgo{"c2": ops.AlgoDirect}})
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]runtime.LayerSummary{}
	for _, l := range sess.Summary().Layers {
		layers[l.Name] = l
	}
	if layers["c2"].Algo != "direct" {
		t.Errorf("forced algorithm replaced by the autotuner: %q", layers["c2"].Algo)
	}
	if layers["c1"].Algo == "" {
		t.Error("no algorithm chosen for c1")
	}
	x := randTensor(rand.New(rand.NewPCG(1, 2)), 2, 3, 9, 9)
	got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := reftest.Eval(m, map[string][]float64{"x": toF64(x.Data)})
	if rel := relErr(got["softmax"].Data, want["softmax"]); rel > 1e-5 {
		t.Errorf("autotuned session: relative error %.3g", rel)
	}
}

func TestLimits(t *testing.T) {
	m := smallNet(t)
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		lim  runtime.Limits
		load bool
		want string
	}{
		{"model bytes", runtime.Limits{MaxModelBytes: 100}, true, "bytes"},
		{"weight elements", runtime.Limits{MaxTensorElements: 50}, true, "elements"},
		{"nodes", runtime.Limits{MaxNodes: 3}, false, "nodes"},
		{"depth", runtime.Limits{MaxGraphDepth: 4}, false, "deep"},
		{"input rank", runtime.Limits{MaxInputRank: 3}, false, "dimensions"},
		{"value elements", runtime.Limits{MaxTensorElements: 400}, false, "elements"},
		{"activation bytes", runtime.Limits{MaxActivationBytes: 1000}, false, "bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.load {
				_, err = runtime.LoadWithLimits(b, tc.lim)
			} else {
				_, err = runtime.NewSession(m, runtime.Options{Limits: tc.lim})
			}
			if !errors.Is(err, runtime.ErrLimit) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a limit error about %s", err, tc.want)
			}
		})
	}
	// Negative means unlimited; defaults admit the model.
	if _, err := runtime.NewSession(m, runtime.Options{Limits: runtime.Limits{MaxNodes: -1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := runtime.LoadWithLimits(b, runtime.Limits{}); err != nil {
		t.Fatal(err)
	}
}

// TestBroadcastAndShapeOps checks the ops added for ONNX against the float64
// reference interpreter: broadcasting arithmetic with weights on either side,
// Pow, Transpose, Pad and the hard activations.
func TestBroadcastAndShapeOps(t *testing.T) {
	b := runtime.NewBuilder("onnxish", 3)
	x := b.Input("x", 2, 3, 4, 5)
	model, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	model.Weights["scale"] = randTensor(rng, 1, 3, 1, 1)
	model.Weights["row"] = randTensor(rng, 5)
	model.Weights["expo"] = randTensor(rng, 7)
	model.Nodes = append(model.Nodes,
		&runtime.Node{Name: "mul", Op: "Mul", Inputs: []string{x, "scale"}, Outputs: []string{"mul"}},
		&runtime.Node{Name: "sub", Op: "Sub", Inputs: []string{"row", "mul"}, Outputs: []string{"sub"}},
		&runtime.Node{Name: "div", Op: "Div", Inputs: []string{"sub", "scale"}, Outputs: []string{"div"}, Attrs: map[string]any{"activation": "relu"}},
		&runtime.Node{Name: "tr", Op: "Transpose", Inputs: []string{"div"}, Outputs: []string{"tr"}, Attrs: map[string]any{"perm": []int64{0, 3, 1, 2}}},
		&runtime.Node{Name: "pad", Op: "Pad", Inputs: []string{"tr"}, Outputs: []string{"pad"}, Attrs: map[string]any{"pads": []int64{0, 0, 1, 2, 0, 1, 0, 1}, "mode": "reflect"}},
		&runtime.Node{Name: "hs", Op: "HardSwish", Inputs: []string{"pad"}, Outputs: []string{"hs"}},
		&runtime.Node{Name: "hsig", Op: "HardSigmoid", Inputs: []string{"hs"}, Outputs: []string{"hsig"}, Attrs: map[string]any{"alpha": 0.3, "beta": 0.4}},
		&runtime.Node{Name: "pow", Op: "Pow", Inputs: []string{"hsig", "expo"}, Outputs: []string{"pow"}},
		&runtime.Node{Name: "add", Op: "Add", Inputs: []string{"pow", "hs"}, Outputs: []string{"add"}},
	)
	model.Outputs = []string{"add"}
	sess, err := runtime.NewSession(model, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := randTensor(rng, 2, 3, 4, 5)
	got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": in})
	if err != nil {
		t.Fatal(err)
	}
	want, err := reftest.Eval(model, map[string][]float64{"x": toF64(in.Data)})
	if err != nil {
		t.Fatal(err)
	}
	if !ops.EqualShapes(got["add"].Shape, []int{2, 6, 4, 7}) { // transposed to [2 5 3 4], then padded
		t.Fatalf("output shape %v", got["add"].Shape)
	}
	if rel := relErr(got["add"].Data, want["add"]); rel > 1e-6 {
		t.Errorf("relative error %.3g", rel)
	}
}

// TestBatchNormAfterFusedActivation: a BatchNormalization after a Conv that
// already has a fused activation is not folded into it (the activation
// comes between them), natively and in ONNX's Optimize alike.
func TestBatchNormAfterFusedActivation(t *testing.T) {
	b := runtime.NewBuilder("act-bn", 4)
	x := b.Input("x", 1, 2, 5, 5)
	c := b.Conv("c", x, 3, runtime.ConvSpec{Kernel: []int{3, 3}, Bias: true})
	bn := b.BatchNorm("bn", c, 1e-5)
	b.Output(bn)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	m.Nodes[0].Attrs["activation"] = "relu"
	groups, err := runtime.FusionGroups(m)
	if err != nil || len(groups) != 2 {
		t.Fatalf("groups %v, %v: want conv and batch norm apart", groups, err)
	}
	rng := rand.New(rand.NewPCG(2, 9))
	in := randTensor(rng, 1, 2, 5, 5)
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": in})
	if err != nil {
		t.Fatal(err)
	}
	want, err := reftest.Eval(m, map[string][]float64{"x": toF64(in.Data)})
	if err != nil {
		t.Fatal(err)
	}
	if rel := relErr(got[bn].Data, want[bn]); rel > 1e-6 {
		t.Errorf("relative error %.3g", rel)
	}
}
