package onnx

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// smallModel is a valid two-node model used as the base of the error tests.
func smallModel() *Model {
	return opCase{name: "small", opset: 13, inputs: []opIn{x(1, 2, 5, 5), w("W", 1, 3, 2, 3, 3), w("B", 2, 3)},
		nodes: []*Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "W", "B"}, Outputs: []string{"c"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}}.model()
}

func TestImportErrors(t *testing.T) {
	valid := smallModel().Encode()
	cases := []struct {
		name   string
		bytes  func() []byte
		target error
		want   []string // substrings of the message
	}{
		{"empty", func() []byte { return nil }, ErrMalformed, []string{"empty"}},
		{"not-protobuf", func() []byte { return []byte("this is a text file, not a model\n") }, ErrMalformed, nil},
		{"truncated-half", func() []byte { return valid[:len(valid)/2] }, ErrMalformed, []string{"truncated"}},
		{"truncated-last-byte", func() []byte { return valid[:len(valid)-1] }, ErrMalformed, nil},
		{"raw-data-size", func() []byte {
			m := smallModel()
			m.Graph.Initializers[0].RawData = m.Graph.Initializers[0].RawData[:20]
			return m.Encode()
		}, ErrMalformed, []string{`tensor "W"`, "raw_data"}},
		{"float-data-count", func() []byte {
			m := smallModel()
			m.Graph.Initializers[1] = &Tensor{Name: "B", Dims: []int64{3}, DataType: TypeFloat, FloatData: []float32{1, 2}}
			return m.Encode()
		}, ErrMalformed, []string{`tensor "B"`, "float_data holds 2"}},
		{"huge-shape-little-data", func() []byte {
			m := smallModel()
			m.Graph.Initializers[1] = &Tensor{Name: "B", Dims: []int64{1 << 30}, DataType: TypeFloat, FloatData: []float32{1, 2}}
			return m.Encode()
		}, ErrMalformed, []string{`tensor "B"`, "1073741824 values"}},
		{"huge-constant-of-shape", func() []byte {
			c := single("cos", 13, "ConstantOfShape", []opIn{ints("shape", 1<<14, 1<<14)})
			c.nodes = append(c.nodes, &Node{Name: "add", OpType: "Add", Inputs: []string{"x", "y"}, Outputs: []string{"z"}})
			c.inputs = append(c.inputs, x(2))
			c.outputs = []string{"z"}
			return c.model().Encode()
		}, ErrUnsupported, []string{"ConstantOfShape"}},
		{"negative-dim", func() []byte {
			m := smallModel()
			m.Graph.Initializers[1].Dims = []int64{-3}
			return m.Encode()
		}, ErrMalformed, []string{`tensor "B"`}},
		{"weights-wrong-shape", func() []byte {
			m := smallModel()
			m.Graph.Initializers[0] = w("W", 1, 3, 4, 3, 3).tensor()
			return m.Encode()
		}, ErrMalformed, []string{`Conv "conv"`}},
		{"cycle", func() []byte {
			m := smallModel()
			m.Graph.Nodes[0].Inputs[0] = "y"
			return m.Encode()
		}, ErrMalformed, []string{"cycle", `"conv"`, `"relu"`}},
		{"missing-input", func() []byte {
			m := smallModel()
			m.Graph.Nodes[1].Inputs[0] = "nowhere"
			return m.Encode()
		}, ErrMalformed, []string{`"nowhere"`, `"relu"`}},
		{"duplicate-output", func() []byte {
			m := smallModel()
			m.Graph.Nodes[1].Outputs[0] = "c"
			return m.Encode()
		}, ErrMalformed, []string{`"c"`}},
		{"output-not-produced", func() []byte {
			m := smallModel()
			m.Graph.Outputs[0].Name = "z"
			return m.Encode()
		}, ErrMalformed, []string{`"z"`}},
		{"unsupported-ops", func() []byte {
			m := smallModel()
			m.Graph.Nodes = append(m.Graph.Nodes,
				&Node{Name: "up1", OpType: "GridSample", Inputs: []string{"y"}, Outputs: []string{"r1"}},
				&Node{Name: "up2", OpType: "GridSample", Inputs: []string{"r1"}, Outputs: []string{"r2"}},
				&Node{Name: "nms", OpType: "NonMaxSuppression", Inputs: []string{"r2"}, Outputs: []string{"r3"}},
				&Node{Name: "custom", OpType: "FusedConv", Domain: "com.microsoft", Inputs: []string{"r3"}, Outputs: []string{"r4"}})
			m.Graph.Outputs[0].Name = "r4"
			return m.Encode()
		}, ErrUnsupported, []string{"3 op type(s)", "opset 13", `GridSample (nodes "up1", "up2")`, `NonMaxSuppression (node "nms")`, `com.microsoft.FusedConv (node "custom")`}},
		{"negative-opset", func() []byte {
			m := smallModel()
			m.Opsets[0].Version = -6
			return m.Encode()
		}, ErrMalformed, []string{"opset -6"}},
		{"no-default-opset", func() []byte {
			m := smallModel()
			m.Opsets[0].Domain = "ai.onnx.ml"
			return m.Encode()
		}, ErrMalformed, []string{"default"}},
		{"external-data", func() []byte {
			m := smallModel()
			m.Graph.Initializers[0].RawData, m.Graph.Initializers[0].hasRaw = nil, false
			m.Graph.Initializers[0].external = true
			return m.Encode()
		}, ErrUnsupported, []string{"external"}},
		{"symbolic-dim-in-a-constant", func() []byte {
			// Reshape(y, [H', -1]) with H' y's third dimension, H and W
			// symbolic: the target has two elements that follow the sizes,
			// which no .wnn Reshape expresses.
			m := smallModel()
			m.Graph.Inputs[0].Shape[2] = Dim{Param: "height"}
			m.Graph.Inputs[0].Shape[3] = Dim{Param: "width"}
			m.Graph.Initializers = append(m.Graph.Initializers, intTensor("idx", []int{1}, []int64{2}), intTensor("minus1", []int{1}, []int64{-1}))
			m.Graph.Nodes = append(m.Graph.Nodes,
				&Node{Name: "shape", OpType: "Shape", Inputs: []string{"y"}, Outputs: []string{"s"}},
				&Node{Name: "h", OpType: "Gather", Inputs: []string{"s", "idx"}, Outputs: []string{"h2"}},
				&Node{Name: "target", OpType: "Concat", Inputs: []string{"h2", "minus1"}, Outputs: []string{"t"}, Attrs: []*Attr{ai("axis", 0)}},
				&Node{Name: "reshape", OpType: "Reshape", Inputs: []string{"y", "t"}, Outputs: []string{"z"}})
			m.Graph.Outputs[0].Name = "z"
			return m.Encode()
		}, ErrUnsupported, []string{`node "reshape" (Reshape): attribute shape`, "height", "--input-shape"}},
		{"int-input", func() []byte {
			m := smallModel()
			m.Graph.Inputs[0].ElemType = TypeInt64
			return m.Encode()
		}, ErrUnsupported, []string{"int64"}},
		{"constant-output", func() []byte {
			m := smallModel()
			m.Graph.Outputs = append(m.Graph.Outputs, &ValueInfo{Name: "B", ElemType: TypeFloat})
			return m.Encode()
		}, ErrUnsupported, []string{`"B"`, "constant"}},
		{"dynamic-weights", func() []byte {
			m := smallModel()
			m.Graph.Initializers = m.Graph.Initializers[1:]
			m.Graph.Inputs = append(m.Graph.Inputs, tensorInfo("W", []int{3, 2, 3, 3}))
			return m.Encode()
		}, ErrUnsupported, []string{"W", "constant"}},
		{"matmul-shapes", func() []byte {
			return single("mm", 13, "MatMul", []opIn{x(2, 3), dynIn("z", 4, 4)}).model().Encode()
		}, ErrMalformed, []string{"MatMul", "inner dimensions"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _, err := Import(c.bytes(), Options{})
			if err == nil {
				t.Fatalf("imported %d nodes, want an error", len(m.Nodes))
			}
			if !errors.Is(err, c.target) {
				t.Errorf("error %q does not wrap %v", err, c.target)
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %s", err, s)
				}
			}
		})
	}
}

// TestImportCorruptNeverPanics flips and truncates bytes of a valid model:
// every variant must import or fail with an error, never panic.
func TestImportCorruptNeverPanics(t *testing.T) {
	valid := smallModel().Encode()
	for i := 0; i < len(valid); i++ {
		for _, v := range []byte{0x00, 0xff, valid[i] ^ 0x80, valid[i] + 1} {
			b := append([]byte(nil), valid...)
			b[i] = v
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("byte %d = %#x: panic %v", i, v, r)
					}
				}()
				Import(b, Options{})
			}()
		}
		if _, _, err := Import(valid[:i], Options{}); err == nil && i > 0 {
			t.Fatalf("truncated to %d of %d bytes: no error", i, len(valid))
		}
	}
}

func FuzzImport(f *testing.F) {
	f.Add(smallModel().Encode())
	f.Add(opCases()[1].model().Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		Import(b, Options{})
	})
}

func TestImportBatch(t *testing.T) {
	cases := []struct {
		name  string
		dim   Dim
		opts  Options
		shape []int
	}{
		{"symbolic-default (representative batch 1)", Dim{Param: "N"}, Options{}, []int{1, 2, 5, 5}},
		{"symbolic-batch-4", Dim{Param: "batch"}, Options{Batch: 4}, []int{4, 2, 5, 5}},
		{"unknown", Dim{}, Options{Batch: 2}, []int{2, 2, 5, 5}},
		{"fixed", Dim{Value: 3, HasValue: true}, Options{Batch: 5}, []int{3, 2, 5, 5}},
		{"input-shape", Dim{Param: "N"}, Options{InputShapes: map[string][]int{"x": {2, 2, 7, 6}}}, []int{2, 2, 7, 6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pm := smallModel()
			pm.Graph.Inputs[0].Shape[0] = c.dim
			m, _, err := Import(pm.Encode(), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !ops.EqualShapes(m.Inputs[0].Shape, c.shape) {
				t.Fatalf("input shape %v, want %v", m.Inputs[0].Shape, c.shape)
			}
		})
	}
}

// TestImportMatchesReference checks imported models against the float64
// reference interpreter, without ONNX Runtime: the conversion of Gemm (alpha,
// beta, transposes) and the folding of BatchNorm and activations keep the
// original model's meaning.
func TestImportMatchesReference(t *testing.T) {
	for _, name := range []string{"gemm-transB-alpha-beta", "constant-weights-conv-bn-relu", "conv2d", "softmax11-axis1", "shape-subgraph"} {
		t.Run(name, func(t *testing.T) {
			var c opCase
			for _, oc := range opCases() {
				if oc.name == name {
					c = oc
				}
			}
			m, rep, err := Import(c.model().Encode(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if name == "constant-weights-conv-bn-relu" && (len(rep.Fused) != 2 || len(m.Nodes) != 1) {
				t.Errorf("fused %v into %d nodes, want BN and ReLU folded into one Conv", rep.Fused, len(m.Nodes))
			}
			// Unoptimised import evaluated in float64 is the reference.
			plain, _, err := Import(c.model().Encode(), Options{NoOptimize: true})
			if err != nil {
				t.Fatal(err)
			}
			in := randomInputs(9, m.Inputs)
			in64 := map[string][]float64{}
			for k, v := range in {
				in64[k] = ref.To64(v.Data)
			}
			want, err := reftest.Eval(plain, in64)
			if err != nil {
				t.Skipf("no float64 reference for this graph: %v", err)
			}
			got := runNative(t, m, in)
			for k, w := range want {
				scale, maxErr := 0.0, 0.0
				for i, v := range w {
					scale = math.Max(scale, math.Abs(v))
					maxErr = math.Max(maxErr, math.Abs(v-float64(got[k].Data[i])))
				}
				if maxErr > 1e-5*scale+1e-6 {
					t.Errorf("output %q: max error %.3g (scale %.3g)", k, maxErr, scale)
				}
			}
		})
	}
}

// TestExportRoundTrip exports and re-imports models built with the runtime's
// builder, including ops that only ONNX models use, and requires identical
// outputs and metadata.
func TestExportRoundTrip(t *testing.T) {
	hand := func(shape []int, weights map[string]opIn, nodes ...*runtime.Node) *runtime.Model {
		m := &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: shape}}, Weights: map[string]*ops.Tensor{},
			Meta: runtime.Meta{Name: "hand", Labels: []string{"a", "b"}, Extra: map[string]string{"k": "v"}}}
		for name, w := range weights {
			m.Weights[name] = &ops.Tensor{Shape: w.shape, Data: w.data}
		}
		for _, n := range nodes {
			n.Outputs = []string{n.Name}
			m.Nodes = append(m.Nodes, n)
		}
		m.Outputs = []string{nodes[len(nodes)-1].Name}
		return m
	}
	type rn = runtime.Node
	lenet, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		m    *runtime.Model
	}{
		{"lenet5", lenet},
		{"fused-activations", hand([]int{1, 2, 6, 6},
			map[string]opIn{"W": w("W", 1, 3, 2, 3, 3), "W2": w("W2", 2, 2, 3, 1, 1), "bias": w("b", 3, 2, 1, 1)},
			&rn{Name: "c", Op: "Conv", Inputs: []string{"x", "W"}, Attrs: map[string]any{"activation": "clip", "alpha": 0.0, "beta": 6.0, "pads": []int64{1, 1, 1, 1}}},
			&rn{Name: "l", Op: "Conv", Inputs: []string{"c", "W2"}, Attrs: map[string]any{"activation": "leakyrelu", "alpha": 0.1}},
			&rn{Name: "s", Op: "Add", Inputs: []string{"l", "bias"}, Attrs: map[string]any{"activation": "sigmoid"}})},
		{"onnx-ops", hand([]int{1, 2, 4, 5},
			map[string]opIn{"Wt": w("Wt", 4, 2, 3, 3, 3), "scale": w("s", 5, 3, 1, 1)},
			&rn{Name: "t", Op: "Transpose", Inputs: []string{"x"}, Attrs: map[string]any{"perm": []int64{0, 1, 3, 2}}},
			&rn{Name: "p", Op: "Pad", Inputs: []string{"t"}, Attrs: map[string]any{"pads": []int64{0, 0, 1, 2, 0, 0, 2, 1}, "mode": "reflect"}},
			&rn{Name: "h", Op: "HardSwish", Inputs: []string{"p"}},
			&rn{Name: "ct", Op: "ConvTranspose", Inputs: []string{"h", "Wt"}, Attrs: map[string]any{"strides": []int64{2, 2}, "output_padding": []int64{1, 0}}},
			&rn{Name: "hs", Op: "HardSigmoid", Inputs: []string{"ct"}, Attrs: map[string]any{"alpha": 0.3}},
			&rn{Name: "pw", Op: "Pow", Inputs: []string{"hs", "scale"}},
			&rn{Name: "m", Op: "Mul", Inputs: []string{"pw", "scale"}})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkModel(t, c.m)
			b, err := Export(c.m)
			if err != nil {
				t.Fatal(err)
			}
			back, _, err := Import(b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := randomInputs(4, c.m.Inputs)
			want := runNative(t, c.m, in)
			got := runNative(t, back, in)
			for k, wt := range want {
				d, err := compareTensors(got[k], wt)
				if err != nil || d.maxAbs != 0 {
					t.Errorf("output %q: %v, max diff %g", k, err, d.maxAbs)
				}
			}
			if strings.Join(back.Meta.Labels, ",") != strings.Join(c.m.Meta.Labels, ",") || back.Meta.Extra["k"] != c.m.Meta.Extra["k"] || back.Meta.Name != c.m.Meta.Name {
				t.Errorf("metadata %+v, want %+v", back.Meta, c.m.Meta)
			}
		})
	}
	t.Run("unrunnable", func(t *testing.T) {
		m := hand([]int{2, 3}, nil, &rn{Name: "r", Op: "Reshape", Inputs: []string{"x"}, Attrs: map[string]any{"shape": []int64{7}}})
		if _, err := Export(m); err == nil {
			t.Fatal("exported a model the runtime rejects")
		}
	})
}

func TestDecodeEncode(t *testing.T) {
	m := smallModel()
	m.Metadata = []KeyValue{{"a", "1"}}
	m.Graph.Nodes[0].Attrs = []*Attr{af("f", 1.5), ai("i", -3), as("s", "x"), aints("is", 1, -2), {Name: "fs", Type: AttrFloats, Floats: []float32{0.5, -1}}}
	back, err := Decode(m.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.IRVersion != m.IRVersion || back.Opsets[0] != m.Opsets[0] || back.Metadata[0] != m.Metadata[0] || back.Graph.Name != "small" {
		t.Fatalf("model fields differ: %+v", back)
	}
	at := back.Graph.Nodes[0].Attrs
	if at[0].F != 1.5 || at[1].I != -3 || string(at[2].S) != "x" || at[3].Ints[1] != -2 || at[4].Floats[1] != -1 {
		t.Fatalf("attributes differ: %+v %+v %+v %+v %+v", at[0], at[1], at[2], at[3], at[4])
	}
	if len(back.Graph.Initializers) != 2 || back.Graph.Inputs[0].Shape[3].Value != 5 {
		t.Fatalf("graph differs")
	}
	// Unpacked repeated fields (as old writers produce) decode too.
	var tb []byte
	for _, d := range []int64{2, 3} {
		tb = appendVarint(tb, 1, uint64(d))
	}
	tb = appendVarint(tb, 2, TypeInt64)
	for _, v := range []int64{-1, 2, 3, 4, 5, 6} {
		tb = appendVarint(tb, 7, uint64(v))
	}
	tt, err := decodeTensor(tb, "t")
	if err != nil {
		t.Fatal(err)
	}
	shape, k, err := tt.decodeData()
	if err != nil || !ops.EqualShapes(shape, []int{2, 3}) || k.i[0] != -1 || k.i[5] != 6 {
		t.Fatalf("unpacked tensor: %v %v %v", shape, k, err)
	}
}

func TestSupportedOpsCoverIssue(t *testing.T) {
	want := strings.Fields(`Conv ConvTranspose MaxPool AveragePool GlobalAveragePool GlobalMaxPool Gemm MatMul Relu
		LeakyRelu Sigmoid Tanh Clip HardSigmoid HardSwish Softmax BatchNormalization LRN Concat Add Sub Mul Div
		Flatten Reshape Transpose Squeeze Unsqueeze Pad Dropout Identity Constant Shape Gather Slice Cast`)
	have := map[string]bool{}
	for _, op := range SupportedOps() {
		have[op] = true
	}
	for _, op := range want {
		if !have[op] {
			t.Errorf("op %s is not supported", op)
		}
	}
	// Every runtime op can be exported.
	for _, op := range runtime.OpNames() {
		m := &runtime.Model{Nodes: []*runtime.Node{{Name: "n", Op: op}}}
		e := &exporter{g: &Graph{}, names: map[string]bool{}}
		if err := e.node(m, &runtime.Node{Name: "n", Op: op, Inputs: []string{"x", "w"}, Outputs: []string{"y"}, Attrs: map[string]any{}}); err != nil &&
			!strings.Contains(err.Error(), "weights") {
			t.Errorf("op %s: %v", op, err)
		}
	}
}

// TestFoldDirectOps checks that ops the runtime shares with ONNX are
// evaluated at conversion when their inputs are constants.
func TestFoldDirectOps(t *testing.T) {
	for _, c := range opCases() {
		if c.name != "fold-direct-ops" {
			continue
		}
		m, rep, err := Import(c.model().Encode(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Nodes) != 1 || m.Nodes[0].Op != "Add" {
			t.Errorf("nodes %v, want only the Add", m.Nodes)
		}
		if len(rep.Folded) != 2 {
			t.Errorf("folded %v, want the HardSigmoid and the Pow", rep.Folded)
		}
		return
	}
	t.Fatal("no case fold-direct-ops")
}

// TestImportSymbolic converts models whose inputs have symbolic dimensions
// and runs them at several shapes against ONNX Runtime, natively.
func TestImportSymbolic(t *testing.T) {
	needORT(t)
	flatten := smallModel()
	flatten.Graph.Inputs[0].Shape[0] = Dim{Param: "N"}
	flatten.Graph.Inputs[0].Shape[3] = Dim{} // unknown: named x:dim3
	// A PyTorch-style flatten through a shape subgraph: Reshape(y, [N, -1]).
	flatten.Graph.Initializers = append(flatten.Graph.Initializers, intTensor("idx", []int{1}, []int64{0}), intTensor("minus1", []int{1}, []int64{-1}))
	flatten.Graph.Nodes = append(flatten.Graph.Nodes,
		&Node{Name: "shape", OpType: "Shape", Inputs: []string{"y"}, Outputs: []string{"s"}},
		&Node{Name: "n", OpType: "Gather", Inputs: []string{"s", "idx"}, Outputs: []string{"nn"}},
		&Node{Name: "target", OpType: "Concat", Inputs: []string{"nn", "minus1"}, Outputs: []string{"t"}, Attrs: []*Attr{ai("axis", 0)}},
		&Node{Name: "reshape", OpType: "Reshape", Inputs: []string{"y", "t"}, Outputs: []string{"z"}})
	flatten.Graph.Outputs[0].Name = "z"
	b := flatten.Encode()
	m, rep, err := Import(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in := m.Inputs[0]; in.ShapeString() != "[N 2 5 x:dim3]" || len(rep.Symbolic) != 2 {
		t.Errorf("input %s, report %v", in.ShapeString(), rep.Symbolic)
	}
	compareShapes(t, b, m, [][]int{{1, 2, 5, 5}, {3, 2, 5, 9}, {2, 2, 5, 3}}, 1e-5)
}

// compareShapes runs the ONNX file in ONNX Runtime and the converted model
// natively on seeded random inputs of each shape (one input model), and
// requires the outputs to agree within tol of the output's largest
// magnitude. It returns the worst difference so seen.
func compareShapes(t *testing.T, onnxFile []byte, m *runtime.Model, shapes [][]int, tol float64) float64 {
	t.Helper()
	return compareShapesOpts(t, onnxFile, m, shapes, tol, runtime.Options{})
}

// compareShapesOpts is compareShapes with session options.
func compareShapesOpts(t *testing.T, onnxFile []byte, m *runtime.Model, shapes [][]int, tol float64, opts runtime.Options) float64 {
	t.Helper()
	return compareShapesFeed(t, onnxFile, m, shapes, tol, opts, nil)
}

// compareShapesFeed is compareShapesOpts with the inputs from mk (nil:
// seeded random values in [-1, 1)).
func compareShapesFeed(t *testing.T, onnxFile []byte, m *runtime.Model, shapes [][]int, tol float64, opts runtime.Options, mk func([]int) *ops.Tensor) float64 {
	t.Helper()
	dir := t.TempDir()
	sess, err := runtime.NewSession(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []ortJob
	var inputs []map[string]*ops.Tensor
	for i, shape := range shapes {
		rng := rand.New(rand.NewPCG(uint64(i), 17))
		x, _ := ops.NewTensor(shape...)
		for j := range x.Data {
			x.Data[j] = rng.Float32()*2 - 1
		}
		if mk != nil {
			x = mk(shape)
		}
		in := map[string]*ops.Tensor{m.Inputs[0].Name: x}
		inputs = append(inputs, in)
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(sub, "model.onnx") // one per job: runORT keys its results by model path
		if err := os.WriteFile(path, onnxFile, 0o644); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, ortJob{Model: path, Inputs: writeInputs(t, sub, in), OutDir: filepath.Join(sub, "out")})
	}
	results := runORT(t, jobs)
	worst := 0.0
	for i, shape := range shapes {
		got, err := sess.Run(context.Background(), inputs[i])
		if err != nil {
			t.Fatalf("%v: %v", shape, err)
		}
		for name, w := range readORTOutputs(t, results[jobs[i].Model]) {
			d, err := compareTensors(got[name], w)
			if err != nil {
				t.Fatalf("%v: output %q: %v", shape, name, err)
			}
			worst = max(worst, d.maxRel)
			t.Logf("input %v: output %q %v: max difference %.3g of the output's largest magnitude", shape, name, w.Shape, d.maxRel)
			if d.maxRel > tol {
				t.Errorf("input %v: output %q differs from ONNX Runtime by %.3g of its largest magnitude (tolerance %.3g)", shape, name, d.maxRel, tol)
			}
		}
	}
	return worst
}

// TestONNXDocListsOps requires docs/ONNX.md's importer table to have a row
// for every ONNX op the importer converts.
func TestONNXDocListsOps(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "ONNX.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| ONNX op |") {
			in = true
			continue
		}
		if in && !strings.HasPrefix(line, "|") {
			in = false
		}
		if !in {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, name := range strings.FieldsFunc(cells[1], func(r rune) bool { return r == ',' || r == ' ' || r == '/' || r == '`' }) {
			listed[name] = true
		}
	}
	for _, op := range SupportedOps() {
		if !listed[op] {
			t.Errorf("docs/ONNX.md's op table has no row for %s", op)
		}
	}
}
