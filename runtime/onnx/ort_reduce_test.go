package onnx

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// The reductions, ArgMax/ArgMin and the normalisations against ONNX Runtime.

// randAxes returns a random non-empty subset of the axes of a rank-r
// tensor, some counted from the end.
func randAxes(rng *rand.Rand, r int) []int64 {
	var axes []int64
	for len(axes) == 0 {
		for a := range r {
			if rng.IntN(2) == 0 {
				v := int64(a)
				if rng.IntN(3) == 0 {
					v -= int64(r)
				}
				axes = append(axes, v)
			}
		}
	}
	rng.Shuffle(len(axes), func(i, j int) { axes[i], axes[j] = axes[j], axes[i] })
	return axes
}

func reduceShape(rng *rand.Rand, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + rng.IntN(6)
	}
	return s
}

// positiveInput feeds op with 1 + x*x, for reductions whose ONNX Runtime
// result on negative values is NaN (ReduceLogSum).
func positiveInput(name string, opset int64, shape []int, op string, extra []opIn, attrs ...*Attr) opCase {
	names := []string{"sq1"}
	for _, in := range extra {
		names = append(names, in.name)
	}
	return opCase{name: name, opset: opset, inputs: append([]opIn{x(shape...), scalar("one", 1)}, extra...),
		nodes: []*Node{
			{Name: "sq", OpType: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"sq"}},
			{Name: "sq1", OpType: "Add", Inputs: []string{"sq", "one"}, Outputs: []string{"sq1"}},
			{Name: op, OpType: op, Inputs: names, Outputs: []string{"y"}, Attrs: attrs},
		}, outputs: []string{"y"}}
}

func reduceCases() []opCase {
	rng := rand.New(rand.NewPCG(13, 17))
	var cs []opCase
	for _, kind := range ops.ReduceKinds() {
		op := kind.String()
		for i := 0; i < 4; i++ {
			rank := 1 + rng.IntN(4)
			shape := reduceShape(rng, rank)
			axes := randAxes(rng, rank)
			keep := int64(rng.IntN(2))
			name := fmt.Sprintf("%s-%d-%v-axes%v-keep%d", op, i, shape, axes, keep)
			mk := func(name string, opset int64, extra []opIn, attrs ...*Attr) opCase {
				if kind == ops.ReduceLogSum {
					return positiveInput(name, opset, shape, op, extra, attrs...)
				}
				return single(name, opset, op, append([]opIn{x(shape...)}, extra...), attrs...)
			}
			// The attribute form (ReduceSum's until opset 12) and the input
			// form (ReduceSum from 13, the others from 18).
			attrOpset := int64(13)
			if kind == ops.ReduceSum {
				attrOpset = 11
			}
			inOpset := int64(18)
			if kind == ops.ReduceSum && i%2 == 0 {
				inOpset = 13
			}
			cs = append(cs, mk(name+"-attr", attrOpset, nil, aints("axes", axes...), ai("keepdims", keep)))
			cs = append(cs, mk(name+"-input", inOpset, []opIn{ints("axes", axes...)}, ai("keepdims", keep)))
		}
		// No axes: everything, or nothing with noop_with_empty_axes.
		shape := reduceShape(rng, 3)
		if kind == ops.ReduceLogSum {
			cs = append(cs, positiveInput(op+"-all", 13, shape, op, nil, ai("keepdims", 0)))
		} else {
			cs = append(cs, single(op+"-all", 13, op, []opIn{x(shape...)}, ai("keepdims", 0)))
			cs = append(cs, single(op+"-all-keep", 18, op, []opIn{x(shape...)}))
			cs = append(cs, single(op+"-noop", 18, op, []opIn{x(shape...)}, ai("noop_with_empty_axes", 1)))
		}
	}
	// The spatial case stays global pooling.
	cs = append(cs,
		single("ReduceMean-spatial", 13, "ReduceMean", []opIn{x(2, 3, 5, 4)}, aints("axes", 3, 2)),
		single("ReduceMax-spatial-flat", 18, "ReduceMax", []opIn{x(2, 3, 5, 4), ints("axes", -1, -2)}, ai("keepdims", 0)),
		single("ReduceMean-spatial1d", 11, "ReduceMean", []opIn{x(2, 3, 7)}, aints("axes", -1)),
		single("ReduceSum-empty-axes-input", 13, "ReduceSum", []opIn{x(2, 3, 4), ints("axes")}, ai("noop_with_empty_axes", 1)),
	)
	// ArgMax and ArgMin: int64 indices. Relu gives ties (zeros) for ArgMin.
	for i := 0; i < 12; i++ {
		rank := 1 + rng.IntN(4)
		shape := reduceShape(rng, rank)
		axis := int64(rng.IntN(2*rank) - rank)
		keep, last := int64(rng.IntN(2)), int64(rng.IntN(2))
		op := []string{"ArgMax", "ArgMin"}[i%2]
		name := fmt.Sprintf("%s-%d-%v-axis%d-keep%d-last%d", op, i, shape, axis, keep, last)
		attrs := []*Attr{ai("axis", axis), ai("keepdims", keep)}
		opset := int64(11)
		if i%3 != 0 {
			attrs = append(attrs, ai("select_last_index", last))
			opset = 13
		}
		c := single(name, opset, op, []opIn{x(shape...)}, attrs...)
		if op == "ArgMin" {
			c = opCase{name: name + "-ties", opset: opset, inputs: []opIn{x(shape...)}, nodes: []*Node{
				{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"r"}},
				{Name: "arg", OpType: op, Inputs: []string{"r"}, Outputs: []string{"y"}, Attrs: attrs},
			}, outputs: []string{"y"}}
		}
		c.outType = TypeInt64
		cs = append(cs, c)
	}
	cs = append(cs, single("ArgMax-default", 13, "ArgMax", []opIn{x(4, 3)}))
	cs[len(cs)-1].outType = TypeInt64
	// ArgMax, then a Cast to float (which wasmnn's index already is).
	cs = append(cs, opCase{name: "ArgMax-cast", opset: 13, inputs: []opIn{x(2, 5, 3)}, nodes: []*Node{
		{Name: "arg", OpType: "ArgMax", Inputs: []string{"x"}, Outputs: []string{"i"}, Attrs: []*Attr{ai("axis", 1)}},
		{Name: "cast", OpType: "Cast", Inputs: []string{"i"}, Outputs: []string{"y"}, Attrs: []*Attr{ai("to", TypeFloat)}},
	}, outputs: []string{"y"}})
	return cs
}

func normCases() []opCase {
	rng := rand.New(rand.NewPCG(29, 31))
	var cs []opCase
	for i := 0; i < 10; i++ {
		rank := 1 + rng.IntN(4)
		shape := reduceShape(rng, rank)
		axis := rng.IntN(rank)
		norm := shape[axis:]
		attrAxis := int64(axis)
		if i%2 == 1 {
			attrAxis -= int64(rank)
		}
		inputs := []opIn{x(shape...), w("scale", uint64(100+i), norm...)}
		if i%3 != 0 {
			inputs = append(inputs, w("B", uint64(200+i), norm...))
		}
		attrs := []*Attr{ai("axis", attrAxis)}
		if i%4 == 0 {
			attrs = append(attrs, af("epsilon", 1e-2))
		}
		cs = append(cs, single(fmt.Sprintf("LayerNorm-%d-%v-axis%d", i, shape, attrAxis), 17, "LayerNormalization", inputs, attrs...))
	}
	cs = append(cs, single("LayerNorm-default", 17, "LayerNormalization", []opIn{x(2, 5, 16), w("scale", 300, 16), w("B", 301, 16)}))
	for i := 0; i < 6; i++ {
		shape := reduceShape(rng, 3+rng.IntN(3))
		c := shape[1]
		attrs := []*Attr{}
		if i%2 == 0 {
			attrs = append(attrs, af("epsilon", 1e-3))
		}
		opset := int64(6)
		if i%2 == 1 {
			opset = 13
		}
		cs = append(cs, single(fmt.Sprintf("InstanceNorm-%d-%v", i, shape), opset, "InstanceNormalization",
			[]opIn{x(shape...), w("scale", uint64(400+i), c), w("B", uint64(500+i), c)}, attrs...))
	}
	return cs
}

// TestORTReduce checks the reductions and ArgMax/ArgMin against ONNX
// Runtime, natively and in the wasm build.
func TestORTReduce(t *testing.T) { runORTCases(t, reduceCases()) }

// TestORTNorm checks LayerNormalization and InstanceNormalization against
// ONNX Runtime, natively and in the wasm build.
func TestORTNorm(t *testing.T) { runORTCases(t, normCases()) }

// lnVariant describes a decomposed layer normalisation for fusion tests.
type lnVariant struct {
	name       string
	opset      int64
	shape      []int
	axes       []int64
	affine     bool // Mul by gamma and Add of beta
	swapped    bool // Mul(gamma, y) and Add(beta, y); Add(eps, var)
	mulSquare  bool // Mul(d, d) for Pow(d, 2)
	reciprocal bool // Mul(d, Reciprocal(std)) for Div(d, std)
	extraUse   bool // d is also a graph output: no fusion
}

func (v lnVariant) opCase() opCase {
	axesNorm := make([]int, len(v.axes))
	for i, a := range v.axes {
		if a < 0 {
			a += int64(len(v.shape))
		}
		axesNorm[i] = int(a)
	}
	var norm []int
	for _, a := range axesNorm {
		norm = append(norm, v.shape[a])
	}
	inputs := []opIn{x(v.shape...), scalar("two", 2), scalar("eps", 1e-5)}
	reduce := func(name, in, out string) *Node {
		if v.opset >= 18 {
			return &Node{Name: name, OpType: "ReduceMean", Inputs: []string{in, "axes"}, Outputs: []string{out}}
		}
		return &Node{Name: name, OpType: "ReduceMean", Inputs: []string{in}, Outputs: []string{out}, Attrs: []*Attr{aints("axes", v.axes...)}}
	}
	if v.opset >= 18 {
		inputs = append(inputs, ints("axes", v.axes...))
	}
	pair := func(a, b string) []string {
		if v.swapped {
			return []string{b, a}
		}
		return []string{a, b}
	}
	nodes := []*Node{
		reduce("mean", "x", "mean"),
		{Name: "sub", OpType: "Sub", Inputs: []string{"x", "mean"}, Outputs: []string{"d"}},
	}
	if v.mulSquare {
		nodes = append(nodes, &Node{Name: "sq", OpType: "Mul", Inputs: []string{"d", "d"}, Outputs: []string{"sq"}})
	} else {
		nodes = append(nodes, &Node{Name: "sq", OpType: "Pow", Inputs: []string{"d", "two"}, Outputs: []string{"sq"}})
	}
	nodes = append(nodes, reduce("var", "sq", "var"),
		&Node{Name: "addeps", OpType: "Add", Inputs: pair("var", "eps"), Outputs: []string{"ve"}},
		&Node{Name: "sqrt", OpType: "Sqrt", Inputs: []string{"ve"}, Outputs: []string{"std"}})
	last := "y"
	if v.affine {
		last = "n"
	}
	if v.reciprocal {
		nodes = append(nodes, &Node{Name: "rec", OpType: "Reciprocal", Inputs: []string{"std"}, Outputs: []string{"r"}},
			&Node{Name: "norm", OpType: "Mul", Inputs: pair("d", "r"), Outputs: []string{last}})
	} else {
		nodes = append(nodes, &Node{Name: "norm", OpType: "Div", Inputs: []string{"d", "std"}, Outputs: []string{last}})
	}
	if v.affine {
		inputs = append(inputs, w("gamma", 61, norm...), w("beta", 62, norm...))
		nodes = append(nodes, &Node{Name: "scale", OpType: "Mul", Inputs: pair("n", "gamma"), Outputs: []string{"g"}},
			&Node{Name: "shift", OpType: "Add", Inputs: pair("g", "beta"), Outputs: []string{"y"}})
	}
	outs := []string{"y"}
	if v.extraUse {
		outs = append(outs, "d")
	}
	return opCase{name: "layernorm-fusion-" + v.name, opset: v.opset, inputs: inputs, nodes: nodes, outputs: outs}
}

var lnVariants = []lnVariant{
	{name: "ppocr", opset: 9, shape: []int{1, 40, 120}, axes: []int64{-1}, affine: true},
	{name: "opset13-rank4", opset: 13, shape: []int{2, 3, 5, 16}, axes: []int64{-1}, affine: true},
	{name: "opset18-input-axes", opset: 18, shape: []int{2, 7, 16}, axes: []int64{2}, affine: true, swapped: true},
	{name: "plain", opset: 13, shape: []int{3, 9, 24}, axes: []int64{-1}},
	{name: "reciprocal-mulsquare", opset: 13, shape: []int{2, 6, 10}, axes: []int64{-1}, affine: true, mulSquare: true, reciprocal: true, swapped: true},
	{name: "two-axes", opset: 13, shape: []int{2, 3, 4, 5}, axes: []int64{-2, -1}, affine: true},
	{name: "not-fused", opset: 13, shape: []int{2, 5, 8}, axes: []int64{-1}, affine: true, extraUse: true},
}

// TestORTLayerNormFusion runs decomposed layer normalisations in ONNX
// Runtime and in wasmnn, which fuses them (except where an intermediate
// value has another use).
func TestORTLayerNormFusion(t *testing.T) {
	var cases []opCase
	for _, v := range lnVariants {
		cases = append(cases, v.opCase())
	}
	runORTCases(t, cases)
	for _, v := range lnVariants {
		t.Run("report/"+v.name, func(t *testing.T) {
			m, rep, err := Import(v.opCase().model().Encode(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			fused := 0
			for _, line := range rep.Fused {
				if strings.Contains(line, "LayerNormalization") {
					fused++
				}
			}
			ops := map[string]int{}
			for _, n := range m.Nodes {
				ops[n.Op]++
			}
			if v.extraUse {
				if fused != 0 || ops["LayerNormalization"] != 0 {
					t.Fatalf("fused although d is a graph output: %v, %v", rep.Fused, ops)
				}
				return
			}
			if fused != 1 || ops["LayerNormalization"] != 1 || len(m.Nodes) != 1 {
				t.Fatalf("report %v, nodes %v; want one LayerNormalization", rep.Fused, ops)
			}
		})
	}
	// Through Import with NoOptimize the pattern stays decomposed.
	m, rep, err := Import(lnVariants[0].opCase().model().Encode(), Options{NoOptimize: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Nodes {
		if n.Op == "LayerNormalization" {
			t.Fatalf("fused with NoOptimize: %v", rep.Fused)
		}
	}
}

// TestORTExportReduce exports a model with the reductions, ArgMax/ArgMin
// and the normalisations, runs it in ONNX Runtime and compares with the
// native run; importing the export back gives the same outputs bit for bit.
func TestORTExportReduce(t *testing.T) {
	needORT(t)
	rng := rand.New(rand.NewPCG(41, 43))
	weight := func(shape ...int) *ops.Tensor {
		w, _ := ops.NewTensor(shape...)
		for i := range w.Data {
			w.Data[i] = rng.Float32()*2 - 1
		}
		return w
	}
	m := &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: []int{2, 3, 4, 5}}},
		Weights: map[string]*ops.Tensor{"ls": weight(4, 5), "lb": weight(5), "is": weight(3), "ib": weight(3)}}
	add := func(name, op string, inputs []string, attrs map[string]any) {
		m.Nodes = append(m.Nodes, &runtime.Node{Name: name, Op: op, Inputs: inputs, Outputs: []string{name}, Attrs: attrs})
		m.Outputs = append(m.Outputs, name)
	}
	m.Nodes = append(m.Nodes, &runtime.Node{Name: "sig", Op: "Sigmoid", Inputs: []string{"x"}, Outputs: []string{"sig"}})
	for i, k := range ops.ReduceKinds() {
		in := "x"
		if k == ops.ReduceLogSum {
			in = "sig"
		}
		name := strings.ToLower(k.String())
		add(name, k.String(), []string{in}, map[string]any{"axes": []int64{1, -1}, "keepdims": int64(i % 2)})
		add(name+"_all", k.String(), []string{in}, nil)
		add(name+"_noop", k.String(), []string{in}, map[string]any{"noop_with_empty_axes": int64(1)})
	}
	add("argmax", "ArgMax", []string{"x"}, map[string]any{"axis": int64(2)})
	add("argmin", "ArgMin", []string{"x"}, map[string]any{"axis": int64(-1), "keepdims": int64(0), "select_last_index": int64(1)})
	add("ln", "LayerNormalization", []string{"x", "ls", "lb"}, map[string]any{"axis": int64(2), "epsilon": 1e-3})
	add("in", "InstanceNormalization", []string{"x", "is", "ib"}, nil)
	checkModel(t, m)
	pb, err := Export(m)
	if err != nil {
		t.Fatal(err)
	}
	checkExportORT(t, m, pb, 11)
}
