package onnx

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Models at opsets 1 to 6, with the semantics of their time.
//
// ONNX Runtime 1.30 loads a model at any opset, but has no kernel for many
// ops below the version its kernels start at: Add, Sub, Mul, Div, Pow, Gemm,
// BatchNormalization, Dropout, AveragePool and PRelu below 7, Concat below 4,
// Pad-1, and the activations, Clip, Sum, Max, Min, Mean and the unary math
// ops below 6 (their opset-1 forms have consumed_inputs). A case of such an
// op has a twin: the same computation written at the first opset ONNX
// Runtime runs, following the ONNX changelog (and the ONNX version
// converter's adapters), which ONNX Runtime computes in its place. The
// legacy broadcasting, the one rewrite that is not a renaming, is also
// checked against values computed here (TestOldOpsetLegacyBroadcast).

// oldCase is a model at an old opset and, when ONNX Runtime cannot run it,
// its twin at a newer opset, with the same graph inputs.
type oldCase struct {
	old  opCase
	twin *opCase
}

// direct is a case ONNX Runtime runs as it is.
func direct(c opCase) oldCase { return oldCase{old: c} }

// twinned is a case ONNX Runtime runs through its twin.
func twinned(c, twin opCase) oldCase { return oldCase{old: c, twin: &twin} }

// have reports whether the importer converts op and the runtime runs it as
// an op of its own (so computed inputs work, not only constants).
func have(op string) bool {
	_, ok := handlers[op]
	_, rt := runtime.Op(op)
	return ok && rt
}

// consumed is the legacy optimisation attribute of opset-1 ops.
func consumed(v ...int64) *Attr { return aints("consumed_inputs", v...) }

// reshapeNode reshapes in to shape (opset 5+: the shape is an input).
func reshapeNode(in, shapeName, out string) *Node {
	return &Node{Name: "reshape_" + out, OpType: "Reshape", Inputs: []string{in, shapeName}, Outputs: []string{out}}
}

func oldOpsetCases() []oldCase {
	rng := rand.New(rand.NewPCG(13, 6))
	x4 := x(2, 3, 5, 6)
	var cs []oldCase

	// Add, Sub, Mul, Div, Pow with the broadcast and axis attributes,
	// randomised: B is a run of A's dimensions at a random axis (or the
	// suffix when axis is absent), a constant or a computed tensor. The twin
	// reshapes B with trailing 1s and broadcasts numpy-style (opset 7).
	for i := range 20 {
		kind := []string{"Add", "Sub", "Mul", "Div", "Pow"}[i%5]
		opset := []int64{1, 6}[i%2]
		rank := 2 + rng.IntN(3)
		ashape := make([]int, rank)
		for d := range ashape {
			ashape[d] = 1 + rng.IntN(4)
		}
		axis := rng.IntN(rank)
		n := 1 + rng.IntN(rank-axis)
		bshape := append([]int(nil), ashape[axis:axis+n]...)
		suffix := axis+n == rank && rng.IntN(2) == 0
		attrs := []*Attr{ai("broadcast", 1)}
		if !suffix {
			attrs = append(attrs, ai("axis", int64(axis)))
		}
		if opset == 1 {
			attrs = append(attrs, consumed())
		}
		var b opIn
		switch {
		case kind == "Pow": // small integer exponents keep negative bases finite
			b = w("b", uint64(i), bshape...)
			for j := range b.data {
				b.data[j] = float32(1 + j%3)
			}
		case kind == "Div":
			b = wpos("b", uint64(i), bshape...)
		case i%3 == 0:
			b = dynIn("b", bshape...)
		default:
			b = w("b", uint64(i), bshape...)
		}
		a := dynIn("x", ashape...)
		name := fmt.Sprintf("%s%d-broadcast-%v-%v", strings.ToLower(kind), opset, ashape, bshape)
		if !suffix {
			name += fmt.Sprintf("-axis%d", axis)
		}
		old := single(name, opset, kind, []opIn{a, b}, attrs...)
		tshape := append(append([]int(nil), bshape...), make([]int, rank-axis-n)...)
		for d := n; d < len(tshape); d++ {
			tshape[d] = 1
		}
		twin := opCase{name: name + "-twin", opset: 7, inputs: []opIn{a, b, ints("bshape", ints64(tshape)...)},
			nodes: []*Node{reshapeNode("b", "bshape", "bt"), {Name: "op", OpType: kind, Inputs: []string{"x", "bt"}, Outputs: []string{"y"}}}, outputs: []string{"y"}}
		cs = append(cs, twinned(old, twin))
	}
	// A one-element B (any rank up to A's), and equal shapes without
	// broadcast.
	cs = append(cs,
		twinned(single("mul1-one-element", 1, "Mul", []opIn{x4, w("b", 60, 1, 1)}, ai("broadcast", 1), consumed()),
			single("mul1-one-element-twin", 7, "Mul", []opIn{x4, w("b", 60, 1, 1)})),
		twinned(single("sub6-scalar", 6, "Sub", []opIn{x4, scalar("b", 0.25)}, ai("broadcast", 1)),
			single("sub6-scalar-twin", 7, "Sub", []opIn{x4, scalar("b", 0.25)})),
		twinned(single("add6-same-shape", 6, "Add", []opIn{x4, dynIn("z", 2, 3, 5, 6)}),
			single("add6-same-shape-twin", 7, "Add", []opIn{x4, dynIn("z", 2, 3, 5, 6)})),
	)

	// Gemm-1 and -6: broadcast=1 broadcasts C to [M, N] (numpy-style, as
	// the version converter's Gemm 6->7 adapter requires); C is required.
	for i, cshape := range [][]int{{4}, {1, 4}, {}, {3, 4}, {3, 1}} {
		for _, opset := range []int64{1, 6} {
			attrs := []*Attr{ai("broadcast", 1), af("alpha", 0.75), af("beta", 1.5)}
			in := []opIn{x(3, 5), w("B", uint64(70+i), 4, 5), w("C", uint64(80+i), cshape...)}
			if len(cshape) == 2 && cshape[1] == 4 {
				attrs = attrs[1:] // C is [M, N]: no broadcast needed
			}
			attrs = append(attrs, ai("transB", 1))
			name := fmt.Sprintf("gemm%d-C%v", opset, cshape)
			cs = append(cs, twinned(single(name, opset, "Gemm", in, attrs...),
				single(name+"-twin", 7, "Gemm", in, af("alpha", 0.75), af("beta", 1.5), ai("transB", 1))))
		}
	}
	cs = append(cs, twinned(single("gemm6-transA", 6, "Gemm", []opIn{x(5, 3), w("B", 90, 5, 4), w("C", 91, 4)}, ai("transA", 1), ai("broadcast", 1)),
		single("gemm6-transA-twin", 7, "Gemm", []opIn{x(5, 3), w("B", 90, 5, 4), w("C", 91, 4)}, ai("transA", 1))))

	// Activations and unary ops: consumed_inputs at opset 1 (twin: opset
	// 6, which ONNX Runtime runs), the same op at opset 6 directly.
	type unary struct {
		op    string
		attrs []*Attr
	}
	unaries := []unary{{"Relu", nil}, {"Sigmoid", nil}, {"Tanh", nil}, {"LeakyRelu", []*Attr{af("alpha", 0.15)}}, {"LeakyRelu", nil},
		{"HardSigmoid", []*Attr{af("alpha", 0.3), af("beta", 0.45)}}}
	for _, op := range []string{"Abs", "Neg", "Ceil", "Floor", "Exp", "Elu", "Selu"} {
		if have(op) {
			unaries = append(unaries, unary{op, nil})
		}
	}
	for i, u := range unaries {
		name := fmt.Sprintf("%s-%d", strings.ToLower(u.op), i)
		cs = append(cs,
			twinned(single(name+"-opset1", 1, u.op, []opIn{x4}, append([]*Attr{consumed()}, u.attrs...)...),
				single(name+"-opset1-twin", 6, u.op, []opIn{x4}, u.attrs...)),
			direct(single(name+"-opset6", 6, u.op, []opIn{x4}, u.attrs...)))
	}
	// Clip-1 and -6: min and max attributes, each optional.
	cs = append(cs,
		twinned(single("clip1", 1, "Clip", []opIn{x4}, af("min", -0.4), af("max", 0.7), consumed()),
			single("clip1-twin", 6, "Clip", []opIn{x4}, af("min", -0.4), af("max", 0.7))),
		twinned(single("clip1-max-only", 1, "Clip", []opIn{x4}, af("max", 0.2)),
			single("clip1-max-only-twin", 6, "Clip", []opIn{x4}, af("max", 0.2))),
		direct(single("clip6", 6, "Clip", []opIn{x4}, af("min", -1), af("max", 1.5))),
		direct(single("clip6-min-only", 6, "Clip", []opIn{x4}, af("min", 0.3))),
	)
	// Variadic elementwise ops (same shapes before opset 8).
	for _, op := range []string{"Sum", "Max", "Min", "Mean"} {
		if !have(op) {
			continue
		}
		in := []opIn{x4, dynIn("z", 2, 3, 5, 6), w("c", 95, 2, 3, 5, 6)}
		cs = append(cs,
			twinned(single(strings.ToLower(op)+"1", 1, op, in, consumed()), single(strings.ToLower(op)+"1-twin", 6, op, in)),
			direct(single(strings.ToLower(op)+"6", 6, op, in)))
	}
	if have("PRelu") {
		for _, opset := range []int64{1, 6} {
			for _, s := range []opIn{w("s", 96, 2, 3, 5, 6), scalar("s", 0.2)} {
				name := fmt.Sprintf("prelu%d-%v", opset, s.shape)
				cs = append(cs, twinned(single(name, opset, "PRelu", []opIn{x4, s}), single(name+"-twin", 7, "PRelu", []opIn{x4, s})))
			}
		}
	}

	// BatchNormalization-1 (consumed_inputs required) and -6: is_test has no
	// effect on Y; spatial=0 has per-element statistics.
	bn := func(shape []int, seed uint64) []opIn {
		x := dynIn("x", 2, 3, 4, 5)
		return []opIn{x, wpos("scale", seed, shape...), w("B", seed+1, shape...), w("mean", seed+2, shape...), wpos("var", seed+3, shape...)}
	}
	bnTwin := func(name string, in []opIn, attrs ...*Attr) opCase {
		return single(name+"-twin", 7, "BatchNormalization", in, attrs...)
	}
	cs = append(cs,
		twinned(single("batchnorm1", 1, "BatchNormalization", bn([]int{3}, 100), consumed(0, 0), ai("is_test", 1), af("epsilon", 1e-3)),
			bnTwin("batchnorm1", bn([]int{3}, 100), af("epsilon", 1e-3))),
		twinned(single("batchnorm6-is-test-0", 6, "BatchNormalization", bn([]int{3}, 104), af("momentum", 0.5)),
			bnTwin("batchnorm6-is-test-0", bn([]int{3}, 104), af("momentum", 0.5))),
		twinned(single("batchnorm6-spatial0", 6, "BatchNormalization", bn([]int{3, 4, 5}, 108), ai("spatial", 0), ai("is_test", 1)),
			bnTwin("batchnorm6-spatial0", bn([]int{3, 4, 5}, 108), ai("spatial", 0))),
		direct(single("batchnorm7-spatial0", 7, "BatchNormalization", bn([]int{3, 4, 5}, 112), ai("spatial", 0), af("epsilon", 1e-2))),
		direct(single("batchnorm8-spatial0", 8, "BatchNormalization", bn([]int{3, 4, 5}, 116), ai("spatial", 0))),
	)

	// Pooling, convolution, normalisation: ONNX Runtime runs their opset-1
	// forms (AveragePool only from 7: count_include_pad came then, and its
	// default, 0, is the old behaviour).
	cs = append(cs,
		direct(single("conv1", 1, "Conv", []opIn{x4, w("W", 120, 4, 3, 3, 3), w("B", 121, 4)}, aints("pads", 1, 0, 1, 2), aints("strides", 2, 1), aints("dilations", 1, 2))),
		direct(single("conv1-group", 1, "Conv", []opIn{x(1, 4, 6, 6), w("W", 122, 4, 2, 3, 3)}, ai("group", 2), as("auto_pad", "SAME_UPPER"))),
		direct(single("convtranspose1", 1, "ConvTranspose", []opIn{x(1, 3, 4, 5), w("W", 123, 3, 2, 3, 3), w("B", 124, 2)}, aints("strides", 2, 2), aints("pads", 1, 0, 0, 1), aints("output_padding", 1, 0))),
		direct(single("maxpool1", 1, "MaxPool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), aints("pads", 1, 1, 1, 1))),
		direct(single("maxpool1-same-upper", 1, "MaxPool", []opIn{x4}, aints("kernel_shape", 2, 3), aints("strides", 2, 2), as("auto_pad", "SAME_UPPER"))),
		direct(single("maxpool1-1d", 1, "MaxPool", []opIn{x(2, 3, 9)}, aints("kernel_shape", 3), aints("strides", 2))),
		twinned(single("avgpool1", 1, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), aints("pads", 1, 1, 1, 1)),
			single("avgpool1-twin", 7, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 3), aints("strides", 2, 2), aints("pads", 1, 1, 1, 1))),
		twinned(single("avgpool6-same-upper", 6, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 2), aints("strides", 2, 2), as("auto_pad", "SAME_UPPER")),
			single("avgpool6-same-upper-twin", 7, "AveragePool", []opIn{x4}, aints("kernel_shape", 3, 2), aints("strides", 2, 2), as("auto_pad", "SAME_UPPER"))),
		direct(single("globalavgpool1", 1, "GlobalAveragePool", []opIn{x4})),
		direct(single("globalmaxpool1", 1, "GlobalMaxPool", []opIn{x4})),
		direct(single("lrn1", 1, "LRN", []opIn{x(2, 5, 3, 3)}, ai("size", 3), af("alpha", 1e-3), af("beta", 0.6), af("bias", 1.5))),
		direct(single("matmul1", 1, "MatMul", []opIn{x(3, 5), w("B", 125, 5, 4)})),
		direct(single("matmul1-3d", 1, "MatMul", []opIn{x(2, 3, 5), w("B", 126, 5, 4)})),
		// Softmax-1: the input is coerced to 2-D at axis (default 1).
		direct(single("softmax1-default-4d", 1, "Softmax", []opIn{x(2, 3, 2, 2)})),
		direct(single("softmax1-axis2", 1, "Softmax", []opIn{x(2, 3, 4, 2)}, ai("axis", 2))),
		direct(single("softmax1-axis0", 1, "Softmax", []opIn{x(2, 3, 4)}, ai("axis", 0))),
		direct(single("softmax6-last", 6, "Softmax", []opIn{x(3, 7)})),
	)
	for _, op := range []string{"ReduceMean", "ReduceMax"} {
		cs = append(cs, direct(single(strings.ToLower(op)+"1", 1, op, []opIn{x4}, aints("axes", 2, 3))),
			direct(single(strings.ToLower(op)+"1-flat", 1, op, []opIn{x4}, aints("axes", 3, 2), ai("keepdims", 0))))
	}

	// Data movement.
	cs = append(cs,
		direct(single("reshape1", 1, "Reshape", []opIn{x4}, aints("shape", 0, -1, 5), consumed())),
		direct(single("reshape4", 4, "Reshape", []opIn{x4}, aints("shape", 6, 30))),
		direct(single("flatten1-axis0", 1, "Flatten", []opIn{x4}, ai("axis", 0))),
		direct(single("flatten1-default", 1, "Flatten", []opIn{x4})),
		direct(single("flatten1-axis3", 1, "Flatten", []opIn{x4}, ai("axis", 3))),
		direct(single("squeeze1", 1, "Squeeze", []opIn{x(2, 1, 3, 1)}, aints("axes", 1))),
		direct(single("squeeze1-all", 1, "Squeeze", []opIn{x(1, 3, 1, 4)})),
		direct(single("unsqueeze1", 1, "Unsqueeze", []opIn{x(2, 3)}, aints("axes", 0, 3))),
		direct(single("transpose1", 1, "Transpose", []opIn{x4}, aints("perm", 0, 2, 3, 1))),
		direct(single("transpose1-default", 1, "Transpose", []opIn{x(2, 3, 4)})),
		direct(single("identity1", 1, "Identity", []opIn{x4})),
		direct(single("concat4", 4, "Concat", []opIn{x(2, 3, 4), dynIn("z", 2, 5, 4), w("c", 127, 2, 1, 4)}, ai("axis", 1))),
		// Concat-1 to -3: axis is optional, default 1.
		twinned(single("concat1-default-axis", 1, "Concat", []opIn{x(2, 3, 4), dynIn("z", 2, 5, 4)}),
			single("concat1-default-axis-twin", 4, "Concat", []opIn{x(2, 3, 4), dynIn("z", 2, 5, 4)}, ai("axis", 1))),
		twinned(single("concat3-axis2", 3, "Concat", []opIn{x(2, 3, 4), w("c", 128, 2, 3, 2)}, ai("axis", 2)),
			single("concat3-axis2-twin", 4, "Concat", []opIn{x(2, 3, 4), w("c", 128, 2, 3, 2)}, ai("axis", 2))),
		// Pad-1 names its attribute paddings; Pad-2 to -10 pads.
		twinned(single("pad1-constant", 1, "Pad", []opIn{x4}, aints("paddings", 0, 1, 2, 0, 0, 0, 1, 3), af("value", 0.5)),
			single("pad1-constant-twin", 2, "Pad", []opIn{x4}, aints("pads", 0, 1, 2, 0, 0, 0, 1, 3), af("value", 0.5))),
		twinned(single("pad1-reflect", 1, "Pad", []opIn{x4}, aints("paddings", 0, 0, 2, 3, 0, 0, 1, 2), as("mode", "reflect")),
			single("pad1-reflect-twin", 2, "Pad", []opIn{x4}, aints("pads", 0, 0, 2, 3, 0, 0, 1, 2), as("mode", "reflect"))),
		direct(single("pad2-edge", 2, "Pad", []opIn{x4}, aints("pads", 0, 0, 3, 1, 0, 0, 0, 4), as("mode", "edge"))),
		direct(single("pad6-constant", 6, "Pad", []opIn{x4}, aints("pads", 1, 0, 0, 2, 0, 1, 1, 0), af("value", -2))),
		// Dropout-1 and -6: is_test (default 0, training) and ratio have no
		// effect at inference.
		twinned(single("dropout1", 1, "Dropout", []opIn{x4}, consumed(), af("ratio", 0.3)),
			single("dropout1-twin", 7, "Dropout", []opIn{x4}, af("ratio", 0.3))),
		twinned(single("dropout6-is-test", 6, "Dropout", []opIn{x4}, ai("is_test", 1)),
			single("dropout6-is-test-twin", 7, "Dropout", []opIn{x4})),
	)
	// Upsample-1 (experimental): height_scale and width_scale, modes
	// nearest and bilinear; the twin is Upsample-7 with scales.
	for i, u := range []struct {
		mode   string
		hs, ws float32
	}{{"nearest", 2, 3}, {"nearest", 1.5, 2}, {"bilinear", 2, 2}, {"bilinear", 3, 1.5}} {
		in := []opIn{x(1, 2, 3, 4)}
		name := fmt.Sprintf("upsample1-%s-%d", u.mode, i)
		mode7 := map[string]string{"nearest": "nearest", "bilinear": "linear"}[u.mode]
		cs = append(cs, twinned(single(name, 1, "Upsample", in, af("height_scale", u.hs), af("width_scale", u.ws), as("mode", u.mode)),
			single(name+"-twin", 7, "Upsample", in, as("mode", mode7), &Attr{Name: "scales", Type: AttrFloats, Floats: []float32{1, 1, u.hs, u.ws}})))
	}
	// Cast-1 takes the type by name; here a computed tensor to FLOAT, and a
	// constant through INT32 and back (folded at conversion time).
	cs = append(cs, twinned(
		opCase{name: "cast1", opset: 1, inputs: []opIn{x(2, 3), w("c", 129, 2, 3)}, nodes: []*Node{
			{Name: "cx", OpType: "Cast", Inputs: []string{"x"}, Outputs: []string{"xf"}, Attrs: []*Attr{as("to", "FLOAT")}},
			{Name: "ci", OpType: "Cast", Inputs: []string{"c"}, Outputs: []string{"ci"}, Attrs: []*Attr{as("to", "INT32")}},
			{Name: "cf", OpType: "Cast", Inputs: []string{"ci"}, Outputs: []string{"cf"}, Attrs: []*Attr{as("to", "FLOAT")}},
			{Name: "add", OpType: "Add", Inputs: []string{"xf", "cf"}, Outputs: []string{"y"}}}, outputs: []string{"y"}},
		opCase{name: "cast1-twin", opset: 7, inputs: []opIn{x(2, 3), w("c", 129, 2, 3)}, nodes: []*Node{
			{Name: "cx", OpType: "Cast", Inputs: []string{"x"}, Outputs: []string{"xf"}, Attrs: []*Attr{ai("to", TypeFloat)}},
			{Name: "ci", OpType: "Cast", Inputs: []string{"c"}, Outputs: []string{"ci"}, Attrs: []*Attr{ai("to", 6)}},
			{Name: "cf", OpType: "Cast", Inputs: []string{"ci"}, Outputs: []string{"cf"}, Attrs: []*Attr{ai("to", TypeFloat)}},
			{Name: "add", OpType: "Add", Inputs: []string{"xf", "cf"}, Outputs: []string{"y"}}}, outputs: []string{"y"}}))

	// A network in the style of the opset-3 era (Caffe2 exports): a Conv
	// without bias and a per-channel bias added with broadcast=1, axis=1,
	// BatchNormalization-1, Relu-1, MaxPool, Reshape-1 with its shape
	// attribute, Gemm-1 with a broadcast bias and Softmax-1.
	cs = append(cs, twinned(
		opCase{name: "opset3-network", opset: 3, inputs: []opIn{x(2, 3, 8, 8), w("W", 130, 4, 3, 3, 3), w("cb", 131, 4),
			wpos("scale", 132, 4), w("beta", 133, 4), w("mean", 134, 4), wpos("var", 135, 4), w("fw", 136, 5, 16), w("fb", 137, 5)},
			nodes: oldNetwork(false), outputs: []string{"y"}},
		opCase{name: "opset3-network-twin", opset: 7, inputs: []opIn{x(2, 3, 8, 8), w("W", 130, 4, 3, 3, 3), w("cb", 131, 4),
			wpos("scale", 132, 4), w("beta", 133, 4), w("mean", 134, 4), wpos("var", 135, 4), w("fw", 136, 5, 16), w("fb", 137, 5),
			ints("cbshape", 4, 1, 1), ints("flat", 0, -1)},
			nodes: oldNetwork(true), outputs: []string{"y"}}))
	return cs
}

// oldNetwork is the graph of the opset3-network case, as written at opset
// 3 or (twin) at opset 7.
func oldNetwork(twin bool) []*Node {
	nodes := []*Node{{Name: "conv", OpType: "Conv", Inputs: []string{"x", "W"}, Outputs: []string{"c"}, Attrs: []*Attr{aints("pads", 1, 1, 1, 1)}}}
	if twin {
		nodes = append(nodes, reshapeNode("cb", "cbshape", "cbr"),
			&Node{Name: "bias", OpType: "Add", Inputs: []string{"c", "cbr"}, Outputs: []string{"cb_out"}},
			&Node{Name: "bn", OpType: "BatchNormalization", Inputs: []string{"cb_out", "scale", "beta", "mean", "var"}, Outputs: []string{"b"}},
			&Node{Name: "relu", OpType: "Relu", Inputs: []string{"b"}, Outputs: []string{"r"}},
			&Node{Name: "pool", OpType: "MaxPool", Inputs: []string{"r"}, Outputs: []string{"p"}, Attrs: []*Attr{aints("kernel_shape", 3, 3), aints("strides", 3, 3)}},
			reshapeNode("p", "flat", "f"),
			&Node{Name: "fc", OpType: "Gemm", Inputs: []string{"f", "fw", "fb"}, Outputs: []string{"g"}, Attrs: []*Attr{ai("transB", 1)}})
	} else {
		nodes = append(nodes,
			&Node{Name: "bias", OpType: "Add", Inputs: []string{"c", "cb"}, Outputs: []string{"cb_out"}, Attrs: []*Attr{ai("broadcast", 1), ai("axis", 1)}},
			&Node{Name: "bn", OpType: "BatchNormalization", Inputs: []string{"cb_out", "scale", "beta", "mean", "var"}, Outputs: []string{"b"}, Attrs: []*Attr{consumed(0, 0, 0, 1, 1), ai("is_test", 1)}},
			&Node{Name: "relu", OpType: "Relu", Inputs: []string{"b"}, Outputs: []string{"r"}, Attrs: []*Attr{consumed(0)}},
			&Node{Name: "pool", OpType: "MaxPool", Inputs: []string{"r"}, Outputs: []string{"p"}, Attrs: []*Attr{aints("kernel_shape", 3, 3), aints("strides", 3, 3)}},
			&Node{Name: "reshape", OpType: "Reshape", Inputs: []string{"p"}, Outputs: []string{"f"}, Attrs: []*Attr{aints("shape", 0, -1)}},
			&Node{Name: "fc", OpType: "Gemm", Inputs: []string{"f", "fw", "fb"}, Outputs: []string{"g"}, Attrs: []*Attr{ai("transB", 1), ai("broadcast", 1)}})
	}
	return append(nodes, &Node{Name: "softmax", OpType: "Softmax", Inputs: []string{"g"}, Outputs: []string{"y"}})
}

// TestORTOldOpsets imports every old-opset case and compares wasmnn
// (natively, and in the wasm build under wazero) with ONNX Runtime running
// the case or its twin.
func TestORTOldOpsets(t *testing.T) { runOldOpsetCases(t, oldOpsetCases()) }

func runOldOpsetCases(t *testing.T, cases []oldCase) {
	t.Helper()
	cs := make([]ortCase, len(cases))
	for i, c := range cases {
		oracle := c.old
		if c.twin != nil {
			oracle = *c.twin
		}
		cs[i] = ortCase{name: c.old.name, oracle: oracle.model().Encode(), model: c.old.model().Encode(), inputs: c.old.inputs}
	}
	compareWithORT(t, cs, 11)
}

// TestOldOpsetLegacyBroadcast checks the broadcasting of opsets 1 to 6
// against values computed here: B [3, 4] added to A [2, 3, 4, 2] at axis 1
// means y[n][c][h][w] = a[n][c][h][w] + b[c][h], and a suffix B [2] means
// y[...][w] = a[...][w] * b[w].
func TestOldOpsetLegacyBroadcast(t *testing.T) {
	a := dynIn("x", 2, 3, 4, 2)
	in := map[string]*ops.Tensor{"x": {Shape: a.shape, Data: make([]float32, 48)}}
	for i := range in["x"].Data {
		in["x"].Data[i] = float32(i) * 0.5
	}
	for _, dynB := range []bool{false, true} {
		b := w("b", 7, 3, 4)
		if dynB {
			b = dynIn("b", 3, 4)
			in["b"] = &ops.Tensor{Shape: []int{3, 4}, Data: w("b", 7, 3, 4).data}
		}
		m, _, err := Import(single("add-axis1", 6, "Add", []opIn{a, b}, ai("broadcast", 1), ai("axis", 1)).model().Encode(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		y := runNative(t, m, in)["y"]
		bd := w("b", 7, 3, 4).data
		for n := range 2 {
			for c := range 3 {
				for h := range 4 {
					for wi := range 2 {
						i := ((n*3+c)*4+h)*2 + wi
						if want := in["x"].Data[i] + bd[c*4+h]; y.Data[i] != want {
							t.Fatalf("dynamic B %v: y[%d,%d,%d,%d] = %v, want %v", dynB, n, c, h, wi, y.Data[i], want)
						}
					}
				}
			}
		}
	}
	delete(in, "b")
	m, _, err := Import(single("mul-suffix", 1, "Mul", []opIn{a, w("b", 8, 2)}, ai("broadcast", 1), consumed()).model().Encode(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	y := runNative(t, m, in)["y"]
	bd := w("b", 8, 2).data
	for i, v := range y.Data {
		if want := in["x"].Data[i] * bd[i%2]; v != want {
			t.Fatalf("y[%d] = %v, want %v", i, v, want)
		}
	}
}

// TestOldOpsetErrors checks what the old opsets refuse, and that a model
// without opset_import (IR versions 1 and 2) is read as opset 1.
func TestOldOpsetErrors(t *testing.T) {
	x4 := x(2, 3, 4, 5)
	for _, tc := range []struct {
		name string
		c    opCase
		want error
		msgs []string
	}{
		{"add-no-broadcast", single("a", 6, "Add", []opIn{x4, w("b", 1, 5)}), ErrMalformed, []string{"broadcast is 0", "[5]"}},
		{"add-b-not-a-run", single("a", 6, "Add", []opIn{x4, w("b", 1, 4)}, ai("broadcast", 1)), ErrMalformed, []string{"axis 3"}},
		{"add-b-axis-out", single("a", 5, "Add", []opIn{x4, w("b", 1, 4, 5)}, ai("broadcast", 1), ai("axis", 3)), ErrMalformed, []string{"does not fit"}},
		{"add-b-higher-rank", single("a", 6, "Sub", []opIn{x(4, 5), w("b", 1, 2, 4, 5)}, ai("broadcast", 1)), ErrMalformed, []string{"higher rank"}},
		{"broadcast-at-opset-7", single("a", 7, "Mul", []opIn{x4, w("b", 1, 5)}, ai("broadcast", 1)), ErrMalformed, []string{"opsets 1 to 6", "opset 7"}},
		{"cast-unknown-type", single("a", 1, "Cast", []opIn{x4}, as("to", "FLOAT128")), ErrMalformed, []string{"FLOAT128"}},
		{"concat4-no-axis", single("a", 4, "Concat", []opIn{x4, dynIn("z", 2, 3, 4, 5)}), ErrMalformed, []string{"axis is required"}},
		{"batchnorm-spatial0-size", single("a", 6, "BatchNormalization", []opIn{x4, wpos("s", 1, 3), w("b", 2, 3), w("m", 3, 3), wpos("v", 4, 3)}, ai("spatial", 0)),
			ErrMalformed, []string{"spatial=0", "60 values"}},
		{"batchnorm1-training-outputs", opCase{name: "a", opset: 1, inputs: []opIn{x4, wpos("s", 1, 3), w("b", 2, 3), w("m", 3, 3), wpos("v", 4, 3)},
			nodes:   []*Node{{Name: "bn", OpType: "BatchNormalization", Inputs: []string{"x", "s", "b", "m", "v"}, Outputs: []string{"y", "mean"}, Attrs: []*Attr{consumed(0, 0, 0, 1, 1)}}},
			outputs: []string{"y", "mean"}}, ErrUnsupported, []string{`"mean"`}},
		{"upsample1-scale-below-1", single("a", 1, "Upsample", []opIn{x4}, af("height_scale", 0.5), af("width_scale", 2)), ErrMalformed, []string{"at least 1"}},
		{"upsample1-no-scales", single("a", 6, "Upsample", []opIn{x4}, af("width_scale", 2)), ErrMalformed, []string{"height_scale"}},
		{"negative-opset", single("a", -1, "Relu", []opIn{x4}), ErrMalformed, []string{"opset -1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Import(tc.c.model().Encode(), Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			for _, s := range tc.msgs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	pm := single("relu", 1, "Relu", []opIn{x4}, consumed()).model()
	pm.IRVersion, pm.Opsets = 2, nil
	_, rep, err := Import(pm.Encode(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Opset != 1 {
		t.Errorf("opset %d, want 1", rep.Opset)
	}
}
