package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// elementwiseCases are the unary ops, Gelu, PRelu and the variadic ops,
// with seeded random shapes, in the opsets that changed them, plus constant
// folding and the fusion of decomposed Gelus. Graph inputs are uniform in
// [-2, 2), so Sqrt, Log and Reciprocal meet negative values and NaN.
func elementwiseCases() []opCase {
	rng := rand.New(rand.NewPCG(130, 7))
	shape := func() []int {
		s := make([]int, 1+rng.IntN(4))
		for i := range s {
			s[i] = 1 + rng.IntN(6)
		}
		return s
	}
	var cs []opCase
	for _, op := range []string{"Sqrt", "Exp", "Log", "Erf", "Abs", "Floor", "Ceil", "Neg", "Reciprocal"} {
		opsets := []int64{6, 13}
		if op == "Erf" {
			opsets = []int64{9, 13}
		}
		for _, v := range opsets {
			cs = append(cs, single(fmt.Sprintf("%s-%d", strings.ToLower(op), v), v, op, []opIn{x(shape()...)}))
		}
	}
	// Wide ranges: Exp overflowing and underflowing, Erf's tails, Log of
	// tiny values (the input is scaled by a constant).
	cs = append(cs, chain("exp-wide", 13, x(3, 40), scalar("s", 60), "Mul", "Exp"),
		chain("erf-wide", 13, x(3, 40), scalar("s", 3), "Mul", "Erf"),
		chain("log-tiny", 13, x(3, 40), scalar("s", 1e-30), "Mul", "Log"))
	// Gelu, opset 20, both forms, and a wide range.
	for _, approx := range []string{"none", "tanh"} {
		cs = append(cs, single("gelu-"+approx, 20, "Gelu", []opIn{x(shape()...)}, as("approximate", approx)),
			chain("gelu-wide-"+approx, 20, x(4, 50), scalar("s", 4), "Mul", "Gelu", as("approximate", approx)))
	}
	cs = append(cs, single("gelu-default", 20, "Gelu", []opIn{x(2, 3, 5)}))
	// PRelu: a per-channel constant slope, a scalar, a row, a computed one.
	cs = append(cs,
		single("prelu-channel", 9, "PRelu", []opIn{x(2, 3, 5, 4), w("slope", 60, 3, 1, 1)}),
		single("prelu-scalar", 7, "PRelu", []opIn{x(2, 3, 5), w("slope", 61, 1)}),
		single("prelu-last-axis", 16, "PRelu", []opIn{x(2, 3, 4), w("slope", 62, 4)}),
		single("prelu-same-shape", 9, "PRelu", []opIn{x(2, 3, 4), w("slope", 63, 2, 3, 4)}),
		single("prelu-computed-slope", 16, "PRelu", []opIn{x(2, 3, 4, 4), dynIn("s", 3, 1, 1)}))
	// The variadic ops: opset 7 (same shapes) and 8 and 13 (broadcasting),
	// 1 to 4 inputs, weights anywhere.
	for _, op := range []string{"Sum", "Mean", "Max", "Min"} {
		lo := strings.ToLower(op)
		s := shape()
		cs = append(cs,
			single(lo+"-1", 13, op, []opIn{x(s...)}),
			single(lo+"-7-same", 7, op, []opIn{x(2, 3, 4), dynIn("b", 2, 3, 4), w("c", 64, 2, 3, 4)}),
			single(lo+"-8-broadcast", 8, op, []opIn{x(2, 1, 4), dynIn("b", 3, 1), w("c", 65, 4)}),
			single(lo+"-13-weight-first", 13, op, []opIn{w("c", 66, 3, 1, 1), x(2, 3, 4, 5), dynIn("b", 5), scalar("d", 0.25)}),
			single(lo+"-13-two", 13, op, []opIn{x(s...), w("c", 67, s[len(s)-1])}))
	}
	// NaN and infinities in Max, Min, Sum: ONNX Runtime propagates NaN in
	// Max and Min.
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := opIn{name: "c", shape: []int{6}, data: []float32{nan, inf, -inf, 0, 1, nan}}
	for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
		cs = append(cs, single(strings.ToLower(op)+"-nan", 13, op, []opIn{x(2, 6), special}),
			single(strings.ToLower(op)+"-nan-first", 13, op, []opIn{special, x(3, 6)}))
	}
	// Constants fold through the runtime's kernels (float), and int64 shape
	// arithmetic still folds as integers: Neg twice of a shape, Abs, Max.
	cs = append(cs, opCase{name: "fold-float-constants", opset: 13, inputs: []opIn{x(2, 5), wpos("c", 68, 5), w("d", 69, 5)},
		nodes: []*Node{
			{Name: "sq", OpType: "Sqrt", Inputs: []string{"c"}, Outputs: []string{"s"}},
			{Name: "rc", OpType: "Reciprocal", Inputs: []string{"s"}, Outputs: []string{"r"}},
			{Name: "ng", OpType: "Neg", Inputs: []string{"d"}, Outputs: []string{"n"}},
			{Name: "er", OpType: "Erf", Inputs: []string{"n"}, Outputs: []string{"e"}},
			{Name: "mx", OpType: "Max", Inputs: []string{"r", "e"}, Outputs: []string{"m"}},
			{Name: "mul", OpType: "Mul", Inputs: []string{"x", "m"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	cs = append(cs, opCase{name: "fold-int-shape", opset: 13, inputs: []opIn{x(2, 3, 4), ints("idx", 1, 2), ints("one", 1)},
		nodes: []*Node{
			{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
			{Name: "gather", OpType: "Gather", Inputs: []string{"s", "idx"}, Outputs: []string{"hw"}, Attrs: []*Attr{ai("axis", 0)}},
			{Name: "neg", OpType: "Neg", Inputs: []string{"hw"}, Outputs: []string{"nhw"}},
			{Name: "abs", OpType: "Abs", Inputs: []string{"nhw"}, Outputs: []string{"ahw"}},
			{Name: "max", OpType: "Max", Inputs: []string{"ahw", "one"}, Outputs: []string{"mhw"}},
			{Name: "prod", OpType: "Mul", Inputs: []string{"mhw", "one"}, Outputs: []string{"p"}},
			{Name: "neg1", OpType: "Neg", Inputs: []string{"one"}, Outputs: []string{"m1"}},
			{Name: "concat", OpType: "Concat", Inputs: []string{"m1", "p"}, Outputs: []string{"shape2"}, Attrs: []*Attr{ai("axis", 0)}},
			{Name: "reshape", OpType: "Reshape", Inputs: []string{"x", "shape2"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	cs = append(cs, geluDecompositions()...)
	return cs
}

// chain is x scaled by a constant (op1), then op2.
func chain(name string, opset int64, in, c opIn, op1, op2 string, attrs ...*Attr) opCase {
	return opCase{name: name, opset: opset, inputs: []opIn{in, c}, nodes: []*Node{
		{Name: "scale", OpType: op1, Inputs: []string{in.name, c.name}, Outputs: []string{"t"}},
		{Name: "op", OpType: op2, Inputs: []string{"t"}, Outputs: []string{"y"}, Attrs: attrs},
	}, outputs: []string{"y"}}
}

// geluDecompositions are the decomposed Gelus exporters write (scaled x in
// every form, the halving before or after, operands in either order), the
// x being a computed value; and two that must not fuse (an intermediate
// that is also a graph output, a wrong constant). The tests use the case
// names: "gelu-decomposed-*" must fuse, "gelu-unfused-*" must not.
func geluDecompositions() []opCase {
	type step struct{ op, a, b, out string }
	build := func(name string, consts []opIn, steps []step, outputs ...string) opCase {
		in := append([]opIn{x(2, 3, 16)}, consts...)
		in = append(in, w("bias", 70, 16))
		nodes := []*Node{{Name: "pre", OpType: "Add", Inputs: []string{"x", "bias"}, Outputs: []string{"h"}}}
		for i, s := range steps {
			nodes = append(nodes, &Node{Name: fmt.Sprintf("n%d_%s", i, s.op), OpType: s.op, Inputs: []string{s.a, s.b}, Outputs: []string{s.out}})
			if s.op == "Erf" {
				nodes[len(nodes)-1].Inputs = []string{s.a}
			}
		}
		if len(outputs) == 0 {
			outputs = []string{"y"}
		}
		return opCase{name: name, opset: 13, inputs: in, nodes: nodes, outputs: outputs}
	}
	sqrt2, isqrt2, half, one, two := scalar("sqrt2", 1.4142135), scalar("isqrt2", 0.70710678), scalar("half", 0.5), scalar("one", 1), scalar("two", 2)
	oneVec := opIn{name: "one", shape: []int{1}, data: []float32{1}}
	return []opCase{
		// PyTorch's: Div, Erf, Add, Mul(x, ·), Mul(·, 0.5).
		build("gelu-decomposed-div-after", []opIn{sqrt2, one, half}, []step{
			{"Div", "h", "sqrt2", "t"}, {"Erf", "t", "", "e"}, {"Add", "e", "one", "p"}, {"Mul", "h", "p", "m"}, {"Mul", "m", "half", "y"}}),
		// Mul by 1/sqrt(2), constants first, halving at the end.
		build("gelu-decomposed-mul-swapped", []opIn{isqrt2, oneVec, half}, []step{
			{"Mul", "isqrt2", "h", "t"}, {"Erf", "t", "", "e"}, {"Add", "one", "e", "p"}, {"Mul", "p", "h", "m"}, {"Mul", "half", "m", "y"}}),
		// Halving x first.
		build("gelu-decomposed-half-before", []opIn{sqrt2, one, half}, []step{
			{"Mul", "h", "half", "hh"}, {"Div", "h", "sqrt2", "t"}, {"Erf", "t", "", "e"}, {"Add", "e", "one", "p"}, {"Mul", "hh", "p", "y"}}),
		// Halving (1 + erf).
		build("gelu-decomposed-half-of-sum", []opIn{isqrt2, one, half}, []step{
			{"Mul", "h", "isqrt2", "t"}, {"Erf", "t", "", "e"}, {"Add", "e", "one", "p"}, {"Mul", "p", "half", "ph"}, {"Mul", "h", "ph", "y"}}),
		// Div by 2 in place of Mul by 0.5.
		build("gelu-decomposed-div2", []opIn{sqrt2, one, two}, []step{
			{"Div", "h", "sqrt2", "t"}, {"Erf", "t", "", "e"}, {"Add", "e", "one", "p"}, {"Mul", "h", "p", "m"}, {"Div", "m", "two", "y"}}),
		// The Erf is also a graph output: nothing fuses.
		build("gelu-unfused-shared", []opIn{sqrt2, one, half}, []step{
			{"Div", "h", "sqrt2", "t"}, {"Erf", "t", "", "e"}, {"Add", "e", "one", "p"}, {"Mul", "h", "p", "m"}, {"Mul", "m", "half", "y"}}, "y", "e"),
		// Not sqrt(2): nothing fuses.
		build("gelu-unfused-constant", []opIn{scalar("sqrt2", 1.5), one, half}, []step{
			{"Div", "h", "sqrt2", "t"}, {"Erf", "t", "", "e"}, {"Add", "e", "one", "p"}, {"Mul", "h", "p", "m"}, {"Mul", "m", "half", "y"}}),
	}
}

// TestORTElementwise runs the elementwise cases in ONNX Runtime and in
// wasmnn, natively and (with WASMNN_WASM) in the wasm build.
func TestORTElementwise(t *testing.T) { runORTCases(t, elementwiseCases()) }

// TestGeluFusion checks that the decomposed Gelus import as one Gelu node
// (reported as fused), that the others keep their Erf, and that
// NoOptimize keeps the decomposition.
func TestGeluFusion(t *testing.T) {
	for _, c := range geluDecompositions() {
		t.Run(c.name, func(t *testing.T) {
			b := c.model().Encode()
			m, rep, err := Import(b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, n := range m.Nodes {
				count[n.Op]++
			}
			fusedLines := 0
			for _, f := range rep.Fused {
				if strings.Contains(f, "fused into Gelu") {
					fusedLines++
				}
			}
			var text strings.Builder
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(c.name, "gelu-decomposed") {
				if count["Gelu"] != 1 || count["Erf"] != 0 || fusedLines != 1 || len(m.Nodes) != 2 {
					t.Fatalf("nodes %v, report %q; want Add and one Gelu, reported", count, rep.Fused)
				}
				if !strings.Contains(text.String(), "fused into Gelu") {
					t.Fatalf("the report's text does not show the fusion:\n%s", text.String())
				}
			} else if count["Gelu"] != 0 || count["Erf"] != 1 || fusedLines != 0 {
				t.Fatalf("nodes %v, report %q; want no Gelu", count, rep.Fused)
			}
			m, _, err = Import(b, Options{NoOptimize: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range m.Nodes {
				if n.Op == "Gelu" {
					t.Fatal("NoOptimize fused a Gelu")
				}
			}
		})
	}
}

// TestElementwiseFolding checks that the constant cases fold completely and
// that int64 shape arithmetic still folds as integers.
func TestElementwiseFolding(t *testing.T) {
	for _, c := range elementwiseCases() {
		if !strings.HasPrefix(c.name, "fold-") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			m, rep, err := Import(c.model().Encode(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Nodes) != 1 {
				t.Fatalf("%d nodes, want 1 (everything else folded); folded %q", len(m.Nodes), rep.Folded)
			}
			if c.name == "fold-int-shape" {
				if n := m.Nodes[0]; n.Op != "Reshape" {
					t.Fatalf("node %s %v, want a Reshape", n.Op, n.Attrs)
				}
			}
		})
	}
}

// TestPReluLegacySlope checks that a per-channel slope of opsets 1 to 6
// (ONNX Runtime has no PRelu before opset 7) broadcasts along the channels.
func TestPReluLegacySlope(t *testing.T) {
	if MinOpset > 6 {
		t.Skipf("the importer starts at opset %d", MinOpset)
	}
	c := single("prelu-6", 6, "PRelu", []opIn{x(1, 3, 2, 2), {name: "slope", shape: []int{3}, data: []float32{0.5, 2, -1}}})
	m, _, err := Import(c.model().Encode(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := &ops.Tensor{Shape: []int{1, 3, 2, 2}, Data: []float32{-1, 1, -2, 2, -1, 1, -2, 2, -1, 1, -2, 2}}
	got := runNative(t, m, map[string]*ops.Tensor{"x": in})["y"]
	want := []float32{-0.5, 1, -1, 2, -2, 1, -4, 2, 1, 1, 2, 2}
	for i, v := range want {
		if got.Data[i] != v {
			t.Fatalf("got %v, want %v", got.Data, want)
		}
	}
}

// TestORTExportElementwise exports a model with every elementwise op (a
// Gelu makes it opset 20), runs it in ONNX Runtime and compares with the
// native run; importing the export back gives the same outputs bit for bit.
func TestORTExportElementwise(t *testing.T) {
	needORT(t)
	b := runtime.NewBuilder("elementwise", 3)
	x := b.Input("x", 2, 3, 4)
	outs := []string{}
	for _, k := range ops.UnaryKinds() {
		outs = append(outs, b.Generic(strings.ToLower(k.String()), k.String(), []string{x}, nil, nil))
	}
	outs = append(outs,
		b.Generic("gelu", "Gelu", []string{x}, nil, nil),
		b.Generic("gelu_tanh", "Gelu", []string{x}, map[string]any{"approximate": "tanh"}, nil),
		b.Generic("prelu", "PRelu", []string{x, outs[1]}, nil, nil),
		b.Generic("sum", "Sum", []string{x, outs[1], outs[4]}, nil, nil),
		b.Generic("mean", "Mean", []string{outs[0], x}, nil, nil),
		b.Generic("max", "Max", []string{x, outs[7]}, nil, nil),
		b.Generic("min", "Min", []string{outs[2], x, outs[6]}, nil, nil))
	b.Output(b.Concat("cat", outs...))
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := Export(m)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := Decode(pb)
	if err != nil {
		t.Fatal(err)
	}
	if pm.Opsets[0].Version != 20 {
		t.Fatalf("exported opset %d, want 20 (Gelu)", pm.Opsets[0].Version)
	}
	checkExportORT(t, m, pb, 9)
}
