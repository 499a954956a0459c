package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Single-op ONNX models, written with this package's encoder, run in ONNX
// Runtime and (after Import) in wasmnn natively and in the wasm build.

// opIn is one input of a test model: a graph input (data nil) or an
// initializer (float data, or ints for an int64 tensor).
type opIn struct {
	name  string
	shape []int
	data  []float32
	ints  []int64
	isInt bool
}

func (in opIn) tensor() *Tensor {
	if in.isInt {
		return intTensor(in.name, in.shape, in.ints)
	}
	return floatTensor(in.name, in.shape, in.data)
}

// opCase is a test model: nodes (usually one) over inputs, with outputs.
type opCase struct {
	name    string
	opset   int64
	inputs  []opIn
	nodes   []*Node
	outputs []string
	// outType is the ONNX element type of the outputs (0: float). ONNX
	// Runtime's integer outputs reach the comparison as float32 numbers.
	outType int32
}

// Helpers to write attributes and inputs briefly.
func ai(name string, v int64) *Attr       { return attrInt(name, v) }
func af(name string, v float32) *Attr     { return attrFloat(name, v) }
func as(name, v string) *Attr             { return attrStr(name, v) }
func aints(name string, v ...int64) *Attr { return attrInts(name, v) }

func x(shape ...int) opIn { return opIn{name: "x", shape: shape} }
func dynIn(name string, shape ...int) opIn {
	return opIn{name: name, shape: shape}
}

// w returns a constant with seeded random values in [-1, 1).
func w(name string, seed uint64, shape ...int) opIn {
	rng := rand.New(rand.NewPCG(seed, 5))
	d := make([]float32, ops.ShapeSize(shape))
	for i := range d {
		d[i] = rng.Float32()*2 - 1
	}
	return opIn{name: name, shape: shape, data: d}
}

// wpos returns a constant with values in [0.5, 1.5) (variances, divisors).
func wpos(name string, seed uint64, shape ...int) opIn {
	c := w(name, seed, shape...)
	for i := range c.data {
		c.data[i] = c.data[i]/2 + 1
	}
	return c
}

func scalar(name string, v float32) opIn { return opIn{name: name, shape: []int{}, data: []float32{v}} }
func ints(name string, v ...int64) opIn {
	return opIn{name: name, shape: []int{len(v)}, ints: v, isInt: true}
}

func node(op string, inputs []string, attrs ...*Attr) *Node {
	return &Node{Name: op + "_node", OpType: op, Inputs: inputs, Outputs: []string{"y"}, Attrs: attrs}
}

// single builds a one-node case reading the inputs in order.
func single(name string, opset int64, op string, inputs []opIn, attrs ...*Attr) opCase {
	var names []string
	for _, in := range inputs {
		names = append(names, in.name)
	}
	return opCase{name: name, opset: opset, inputs: inputs, nodes: []*Node{node(op, names, attrs...)}, outputs: []string{"y"}}
}

// singleOpt is single with omitted optional inputs ("" names).
func singleOpt(name string, opset int64, op string, names []string, inputs []opIn, attrs ...*Attr) opCase {
	return opCase{name: name, opset: opset, inputs: inputs, nodes: []*Node{node(op, names, attrs...)}, outputs: []string{"y"}}
}

func (c opCase) model() *Model {
	g := &Graph{Name: c.name, Nodes: c.nodes}
	for _, in := range c.inputs {
		if in.data == nil && !in.isInt {
			g.Inputs = append(g.Inputs, tensorInfo(in.name, in.shape))
		} else {
			g.Initializers = append(g.Initializers, in.tensor())
		}
	}
	for _, o := range c.outputs {
		et := int32(TypeFloat)
		if c.outType != 0 {
			et = c.outType
		}
		g.Outputs = append(g.Outputs, &ValueInfo{Name: o, ElemType: et})
	}
	return &Model{IRVersion: 7, Opsets: []OpsetID{{Version: c.opset}}, ProducerName: "wasmnn-test", Graph: g}
}

func opCases() []opCase {
	x4 := x(2, 3, 7, 8)
	cs := []opCase{
		// Conv: 1D/2D/3D, pads, strides, dilations, groups, auto_pad.
		single("conv1d", 13, "Conv", []opIn{x(1, 3, 10), w("W", 1, 4, 3, 3), w("B", 2, 4)}, aints("strides", 2), aints("pads", 1, 2)),
		single("conv2d", 13, "Conv", []opIn{x4, w("W", 3, 5, 3, 3, 2), w("B", 4, 5)}, aints("kernel_shape", 3, 2), aints("pads", 1, 0, 2, 1), aints("strides", 2, 1), aints("dilations", 1, 2)),
		single("conv2d-nobias", 11, "Conv", []opIn{x4, w("W", 5, 4, 3, 1, 1)}),
		single("conv2d-group", 13, "Conv", []opIn{x(1, 4, 6, 6), w("W", 6, 6, 2, 3, 3), w("B", 7, 6)}, ai("group", 2), aints("pads", 1, 1, 1, 1)),
		single("conv2d-depthwise", 13, "Conv", []opIn{x(1, 4, 6, 6), w("W", 8, 4, 1, 3, 3)}, ai("group", 4), aints("strides", 2, 2)),
		single("conv2d-same-upper", 13, "Conv", []opIn{x(1, 2, 7, 8), w("W", 9, 3, 2, 4, 3)}, as("auto_pad", "SAME_UPPER"), aints("strides", 2, 3)),
		single("conv2d-same-lower", 13, "Conv", []opIn{x(1, 2, 7, 8), w("W", 10, 3, 2, 4, 3)}, as("auto_pad", "SAME_LOWER"), aints("strides", 2, 3)),
		single("conv2d-valid", 7, "Conv", []opIn{x(1, 2, 7, 8), w("W", 11, 3, 2, 3, 3)}, as("auto_pad", "VALID"), aints("strides", 2, 2)),
		single("conv3d", 13, "Conv", []opIn{x(1, 2, 5, 6, 6), w("W", 12, 3, 2, 2, 3, 3), w("B", 13, 3)}, aints("strides", 1, 2, 1), aints("pads", 0, 1, 1, 1, 0, 1)),
		// ConvTranspose.
		single("convT2d", 13, "ConvTranspose", []opIn{x(1, 3, 4, 5), w("W", 14, 3, 2, 3, 3), w("B", 15, 2)}, aints("strides", 2, 2), aints("pads", 1, 0, 0, 1), aints("output_padding", 1, 0)),
		single("convT2d-group-dilated", 13, "ConvTranspose", []opIn{x(1, 4, 3, 3), w("W", 16, 4, 3, 2, 2)}, ai("group", 2), aints("dilations", 2, 1), aints("strides", 1, 2)),
		single("convT2d-output-shape", 13, "ConvTranspose", []opIn{x(1, 2, 3, 3), w("W", 17, 2, 2, 3, 3)}, aints("strides", 2, 2), aints("output_shape", 8, 7)),
		single("convT2d-same-upper", 13, "ConvTranspose", []opIn{x(1, 2, 3, 4), w("W", 18, 2, 2, 4, 3)}, aints("strides", 2, 2), as("auto_pad", "SAME_UPPER")),
		single("convT1d", 13, "ConvTranspose", []opIn{x(1, 2, 6), w("W", 19, 2, 3, 4)}, aints("strides", 3)),
		// Pooling.
		single("maxpool", 13, "MaxPool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), aints("pads", 1, 1, 1, 1)),
		single("maxpool-ceil", 13, "MaxPool", []opIn{x4}, aints("kernel_shape", 3, 2), aints("strides", 2, 2), ai("ceil_mode", 1)),
		single("maxpool-dilated", 13, "MaxPool", []opIn{x4}, aints("kernel_shape", 2, 2), aints("dilations", 2, 3)),
		single("maxpool-same-upper", 13, "MaxPool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), as("auto_pad", "SAME_UPPER")),
		single("maxpool-same-lower", 13, "MaxPool", []opIn{x4}, aints("kernel_shape", 2, 2), aints("strides", 2, 3), as("auto_pad", "SAME_LOWER")),
		single("maxpool1d", 8, "MaxPool", []opIn{x(2, 3, 9)}, aints("kernel_shape", 3), aints("strides", 2)),
		single("maxpool3d", 13, "MaxPool", []opIn{x(1, 2, 4, 5, 5)}, aints("kernel_shape", 2, 2, 2), aints("strides", 2, 2, 2)),
		single("avgpool-exclude-pad", 13, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), aints("pads", 1, 1, 1, 1)),
		single("avgpool-include-pad", 13, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), aints("pads", 1, 1, 1, 1), ai("count_include_pad", 1)),
		single("avgpool-ceil", 13, "AveragePool", []opIn{x4}, aints("kernel_shape", 2, 3), aints("strides", 2, 2), ai("ceil_mode", 1)),
		single("avgpool-same-upper", 13, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), as("auto_pad", "SAME_UPPER")),
		single("avgpool-dilated", 19, "AveragePool", []opIn{x4}, aints("kernel_shape", 2, 2), aints("dilations", 2, 2)),
		single("globalavgpool", 13, "GlobalAveragePool", []opIn{x4}),
		single("globalmaxpool", 13, "GlobalMaxPool", []opIn{x(2, 3, 4, 5, 2)}),
		single("reducemean-keepdims", 13, "ReduceMean", []opIn{x4}, aints("axes", 2, 3)),
		single("reducemean-flat", 13, "ReduceMean", []opIn{x4}, aints("axes", -1, -2), ai("keepdims", 0)),
		// Gemm and MatMul.
		single("gemm", 13, "Gemm", []opIn{x(3, 5), w("B", 20, 5, 4), w("C", 21, 4)}),
		single("gemm-transB-alpha-beta", 13, "Gemm", []opIn{x(3, 5), w("B", 22, 4, 5), w("C", 23, 1, 4)}, ai("transB", 1), af("alpha", 0.5), af("beta", 2)),
		single("gemm-transA", 13, "Gemm", []opIn{x(5, 3), w("B", 24, 5, 4), w("C", 25, 3, 4)}, ai("transA", 1)),
		single("gemm-scalar-bias", 13, "Gemm", []opIn{x(3, 5), w("B", 26, 5, 4), scalar("C", 0.75)}, af("beta", -1)),
		single("gemm-column-bias", 13, "Gemm", []opIn{x(3, 5), w("B", 27, 4, 5), w("C", 28, 3, 1)}, ai("transB", 1)),
		single("gemm-no-bias", 11, "Gemm", []opIn{x(2, 6), w("B", 29, 6, 3)}),
		single("matmul", 13, "MatMul", []opIn{x(3, 5), w("B", 30, 5, 4)}),
		single("matmul-3d", 13, "MatMul", []opIn{x(2, 3, 5), w("B", 31, 5, 4)}),
		// Activations.
		single("relu", 14, "Relu", []opIn{x4}),
		single("leakyrelu", 13, "LeakyRelu", []opIn{x4}, af("alpha", 0.2)),
		single("sigmoid", 13, "Sigmoid", []opIn{x4}),
		single("tanh", 13, "Tanh", []opIn{x4}),
		single("hardsigmoid", 13, "HardSigmoid", []opIn{x4}, af("alpha", 0.3), af("beta", 0.4)),
		single("hardswish", 14, "HardSwish", []opIn{x4}),
		single("clip-attrs", 7, "Clip", []opIn{x4}, af("min", -0.5), af("max", 0.25)),
		single("clip-inputs", 13, "Clip", []opIn{x4, scalar("lo", -0.3), scalar("hi", 0.6)}),
		singleOpt("clip-max-only", 13, "Clip", []string{"x", "", "hi"}, []opIn{x4, scalar("hi", 0.1)}),
		single("clip-min-only", 12, "Clip", []opIn{x4, scalar("lo", 0.1)}),
		// Softmax: opset 13 axis semantics, and the 2D coercion before.
		single("softmax13-axis1", 13, "Softmax", []opIn{x(2, 3, 4)}, ai("axis", 1)),
		single("softmax13-default", 13, "Softmax", []opIn{x(2, 3, 4)}),
		single("softmax11-axis1", 11, "Softmax", []opIn{x(2, 3, 4)}, ai("axis", 1)),
		single("softmax11-default-4d", 11, "Softmax", []opIn{x(2, 3, 2, 2)}),
		single("softmax11-last", 11, "Softmax", []opIn{x(2, 5)}),
		// Normalisation.
		single("batchnorm", 15, "BatchNormalization", []opIn{x4, wpos("scale", 32, 3), w("B", 33, 3), w("mean", 34, 3), wpos("var", 35, 3)}, af("epsilon", 1e-3)),
		single("batchnorm7", 7, "BatchNormalization", []opIn{x(2, 3, 5), wpos("scale", 36, 3), w("B", 37, 3), w("mean", 38, 3), wpos("var", 39, 3)}),
		single("lrn", 13, "LRN", []opIn{x(2, 5, 3, 3)}, ai("size", 3), af("alpha", 1e-3), af("beta", 0.6), af("bias", 1.5)),
		single("lrn-wide", 13, "LRN", []opIn{x(1, 6, 2, 2)}, ai("size", 5)),
		// Arithmetic with broadcasting.
		single("add-same", 13, "Add", []opIn{x4, dynIn("z", 2, 3, 7, 8)}),
		single("add-channel", 13, "Add", []opIn{x4, w("c", 40, 3, 1, 1)}),
		single("sub-rows", 13, "Sub", []opIn{w("c", 41, 8), x4}),
		single("mul-scalar", 13, "Mul", []opIn{x4, scalar("s", 1.5)}),
		single("mul-both-dynamic", 13, "Mul", []opIn{x4, dynIn("z", 1, 3, 1, 8)}),
		single("div-channel", 7, "Div", []opIn{x4, wpos("c", 42, 1, 3, 1, 1)}),
		single("pow-square", 13, "Pow", []opIn{x4, scalar("e", 2)}),
		single("pow-cube", 13, "Pow", []opIn{x4, scalar("e", 3)}),
		single("pow-sqrt", 15, "Pow", []opIn{x4, scalar("e", 0.5)}),
		single("pow-negative-integer", 13, "Pow", []opIn{x4, scalar("e", -2)}),
		single("pow-channel-base", 13, "Pow", []opIn{wpos("c", 50, 1, 3, 1, 1), x4}),
		single("pow-both-dynamic", 12, "Pow", []opIn{x4, dynIn("z", 1, 3, 1, 8)}),
		// Data movement.
		single("concat", 13, "Concat", []opIn{x(2, 3, 4), dynIn("z", 2, 5, 4), w("c", 43, 2, 1, 4)}, ai("axis", 1)),
		single("concat-last", 11, "Concat", []opIn{x(2, 3), dynIn("z", 2, 2)}, ai("axis", -1)),
		single("flatten0", 13, "Flatten", []opIn{x4}, ai("axis", 0)),
		single("flatten2", 13, "Flatten", []opIn{x4}, ai("axis", 2)),
		single("flatten-neg", 13, "Flatten", []opIn{x4}, ai("axis", -1)),
		single("reshape", 13, "Reshape", []opIn{x4, ints("shape", 0, -1, 4)}),
		single("reshape14", 14, "Reshape", []opIn{x4, ints("shape", 0, 0, 56)}, ai("allowzero", 0)),
		single("transpose", 13, "Transpose", []opIn{x4}, aints("perm", 0, 2, 3, 1)),
		single("transpose-default", 13, "Transpose", []opIn{x(2, 3, 4)}),
		single("squeeze11", 11, "Squeeze", []opIn{x(2, 1, 3, 1)}, aints("axes", 1, -1)),
		single("squeeze13", 13, "Squeeze", []opIn{x(2, 1, 3, 1), ints("axes", 3)}),
		single("squeeze-all", 13, "Squeeze", []opIn{x(1, 3, 1, 4)}),
		single("unsqueeze11", 11, "Unsqueeze", []opIn{x(2, 3)}, aints("axes", 0, 3)),
		single("unsqueeze13", 13, "Unsqueeze", []opIn{x(2, 3), ints("axes", -1, 1)}),
		single("pad-constant", 13, "Pad", []opIn{x4, ints("pads", 0, 1, 2, 0, 0, 0, 1, 3), scalar("v", 0.5)}),
		single("pad-reflect", 13, "Pad", []opIn{x4, ints("pads", 0, 0, 2, 3, 0, 0, 1, 2)}, as("mode", "reflect")),
		single("pad-edge", 11, "Pad", []opIn{x4, ints("pads", 0, 0, 3, 1, 0, 0, 0, 4)}, as("mode", "edge")),
		single("pad-axes", 18, "Pad", []opIn{x4, ints("pads", 1, 2, 3, 0), scalar("v", -1), ints("axes", -1, 2)}),
		single("pad-attrs", 7, "Pad", []opIn{x4}, aints("pads", 0, 0, 1, 1, 0, 0, 1, 1), af("value", 2)),
		single("dropout", 13, "Dropout", []opIn{x4}),
		single("identity", 13, "Identity", []opIn{x4}),
	}
	// Multi-node graphs: a PyTorch-style flatten through a shape subgraph,
	// and weights in Constant nodes feeding a Conv, BatchNorm and ReLU (which
	// the importer folds and fuses).
	cs = append(cs, opCase{name: "shape-subgraph", opset: 13, inputs: []opIn{x4, ints("idx", 0), ints("minus1", -1)},
		nodes: []*Node{
			{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
			{Name: "gather", OpType: "Gather", Inputs: []string{"s", "idx"}, Outputs: []string{"n"}, Attrs: []*Attr{ai("axis", 0)}},
			{Name: "concat", OpType: "Concat", Inputs: []string{"n", "minus1"}, Outputs: []string{"shape2"}, Attrs: []*Attr{ai("axis", 0)}},
			{Name: "cast", OpType: "Cast", Inputs: []string{"shape2"}, Outputs: []string{"shape3"}, Attrs: []*Attr{ai("to", TypeInt64)}},
			{Name: "reshape", OpType: "Reshape", Inputs: []string{"x", "shape3"}, Outputs: []string{"flat"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"flat"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	// An op the runtime shares with ONNX, on constants, is folded by running
	// it (here a HardSigmoid and a Pow of initializers).
	cs = append(cs, opCase{name: "fold-direct-ops", opset: 13, inputs: []opIn{x(2, 5), w("c", 51, 5), wpos("e", 52, 5)},
		nodes: []*Node{
			{Name: "hs", OpType: "HardSigmoid", Inputs: []string{"c"}, Outputs: []string{"h"}, Attrs: []*Attr{af("alpha", 0.7)}},
			{Name: "pw", OpType: "Pow", Inputs: []string{"e", "h"}, Outputs: []string{"p"}},
			{Name: "add", OpType: "Add", Inputs: []string{"x", "p"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	wc, bc := w("W", 44, 4, 3, 3, 3), w("B", 45, 4)
	cs = append(cs, opCase{name: "constant-weights-conv-bn-relu", opset: 13, inputs: []opIn{x4, wpos("scale", 46, 4), w("beta", 47, 4), w("mean", 48, 4), wpos("var", 49, 4)},
		nodes: []*Node{
			{Name: "cw", OpType: "Constant", Outputs: []string{"W"}, Attrs: []*Attr{{Name: "value", Type: AttrTensor, T: wc.tensor()}}},
			{Name: "cb", OpType: "Constant", Outputs: []string{"B"}, Attrs: []*Attr{{Name: "value", Type: AttrTensor, T: bc.tensor()}}},
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "W", "B"}, Outputs: []string{"c"}, Attrs: []*Attr{aints("pads", 1, 1, 1, 1)}},
			{Name: "bn", OpType: "BatchNormalization", Inputs: []string{"c", "scale", "beta", "mean", "var"}, Outputs: []string{"b"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"b"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	return cs
}

// TestORTOps runs every single-op model in ONNX Runtime and in wasmnn
// (natively, and in the wasm build under wazero) and compares them.
func TestORTOps(t *testing.T) { runORTCases(t, opCases()) }

// runORTCases runs each case in ONNX Runtime and in wasmnn (natively, and in
// the wasm build under wazero when it is available) and requires them to
// agree within the output-scaled tolerance of compareTensors. Op families
// keep their cases in files of their own and call it from a test of their
// own.
func runORTCases(t *testing.T, cases []opCase) {
	t.Helper()
	cs := make([]ortCase, len(cases))
	for i, c := range cases {
		b := c.model().Encode()
		cs[i] = ortCase{name: c.name, oracle: b, model: b, inputs: c.inputs}
	}
	compareWithORT(t, cs, 3)
}

// ortCase is one comparison of compareWithORT: ONNX Runtime runs oracle,
// wasmnn imports and runs model, both on the same random graph inputs.
type ortCase struct {
	name          string
	oracle, model []byte
	inputs        []opIn // the graph inputs: those with no data and not ints are drawn at random
}

// compareWithORT runs each case's oracle in ONNX Runtime and its model in
// wasmnn (natively, and in the wasm build under wazero when it is
// available) on inputs uniform in [-2, 2) from PCG(case index, stream), as
// subtests named after the cases, and requires them to agree within the
// output-scaled tolerance of compareTensors.
func compareWithORT(t *testing.T, cases []ortCase, stream uint64) {
	t.Helper()
	needORT(t)
	dir := t.TempDir()
	var jobs []ortJob
	inputs := make([]map[string]*ops.Tensor, len(cases))
	for i, c := range cases {
		path := filepath.Join(dir, fmt.Sprintf("%03d-%s.onnx", i, c.name))
		if err := os.WriteFile(path, c.oracle, 0o644); err != nil {
			t.Fatal(err)
		}
		in := map[string]*ops.Tensor{}
		rng := rand.New(rand.NewPCG(uint64(i), stream))
		for _, op := range c.inputs {
			if op.data == nil && !op.isInt {
				tt, _ := ops.NewTensor(op.shape...)
				for j := range tt.Data {
					tt.Data[j] = rng.Float32()*4 - 2
				}
				in[op.name] = tt
			}
		}
		inputs[i] = in
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, ortJob{Model: path, Inputs: writeInputs(t, sub, in), OutDir: filepath.Join(sub, "out")})
	}
	results := runORT(t, jobs)
	g := wasmGuest(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := readORTOutputs(t, results[jobs[i].Model])
			m, _, err := Import(c.model, Options{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			got := runNative(t, m, inputs[i])
			for name, wt := range want {
				d, err := compareTensors(got[name], wt)
				if err != nil {
					t.Fatalf("output %q: %v", name, err)
				}
				t.Logf("output %q: max abs difference %.3g, %.3g of the output scale", name, d.maxAbs, d.maxRel)
				if d.worst > 1 {
					t.Errorf("output %q: wasmnn and ONNX Runtime differ by %.3g (%.3g of the output scale)", name, d.maxAbs, d.maxRel)
				}
			}
			if g != nil {
				guestMatches(t, g, m, inputs[i], got)
			}
		})
	}
}

// checkExportORT runs pb, the export of m, in ONNX Runtime on random inputs
// (randomInputs(seed)) and requires every one of m's outputs to agree with
// m's native run within the tolerance of compareTensors; importing pb back
// must give the native outputs bit for bit (NaN for NaN).
func checkExportORT(t *testing.T, m *runtime.Model, pb []byte, seed uint64) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, pb, 0o644); err != nil {
		t.Fatal(err)
	}
	in := randomInputs(seed, m.Inputs)
	want := runNative(t, m, in)
	res := runORT(t, []ortJob{{Model: path, Inputs: writeInputs(t, dir, in), OutDir: filepath.Join(dir, "out")}})
	got := readORTOutputs(t, res[path])
	if len(got) != len(m.Outputs) {
		t.Fatalf("ONNX Runtime gave %d outputs, want %d", len(got), len(m.Outputs))
	}
	for name, o := range got {
		d, err := compareTensors(want[name], o)
		if err != nil {
			t.Fatalf("output %q: %v", name, err)
		}
		if d.worst > 1 {
			t.Errorf("output %q: wasmnn and ONNX Runtime differ by %.3g (%.3g of the output scale)", name, d.maxAbs, d.maxRel)
		}
	}
	back, _, err := Import(pb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again := runNative(t, back, in)
	for name, w := range want {
		for i, v := range w.Data {
			if g := again[name].Data[i]; math.Float32bits(g) != math.Float32bits(v) && !(g != g && v != v) {
				t.Fatalf("re-imported output %q[%d] = %v, want %v", name, i, g, v)
			}
		}
	}
}

// checkModel runs runtime.Summarize, for tests that build models by hand.
func checkModel(t *testing.T, m *runtime.Model) {
	t.Helper()
	if _, err := runtime.Summarize(m, runtime.Options{}); err != nil {
		t.Fatal(err)
	}
}
