package onnx

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// symIn makes input 0 of m [N, ..., W]-symbolic on the given axes.
func symIn(m *Model, axes ...int) {
	for _, ax := range axes {
		m.Graph.Inputs[0].Shape[ax] = Dim{Param: fmt.Sprintf("d%d", ax)}
	}
}

// TestImportSymbolicSlice converts Slices whose bounds come from the shape
// of a symbolic input (W-3 to W, W+5 as an end, W-1 backwards, 0 to N) and
// runs them at several shapes against ONNX Runtime; the bounds become
// negative indices and INT64 max.
func TestImportSymbolicSlice(t *testing.T) {
	needORT(t)
	c := opCase{name: "sym-slice", opset: 13,
		inputs: []opIn{x(2, 4, 9), ints("i0", 0), ints("i2", 2), ints("one", 1), ints("three", 3), ints("five", 5),
			ints("ax0", 0), ints("ax2", 2), ints("zero", 0), ints("minint", math.MinInt64), ints("back", -2)},
		nodes: []*Node{
			{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
			{Name: "n", OpType: "Gather", Inputs: []string{"s", "i0"}, Outputs: []string{"nn"}},
			{Name: "w", OpType: "Gather", Inputs: []string{"s", "i2"}, Outputs: []string{"w"}},
			{Name: "w-1", OpType: "Sub", Inputs: []string{"w", "one"}, Outputs: []string{"wm1"}},
			{Name: "w-3", OpType: "Sub", Inputs: []string{"w", "three"}, Outputs: []string{"wm3"}},
			{Name: "w+5", OpType: "Add", Inputs: []string{"w", "five"}, Outputs: []string{"wp5"}},
			{Name: "last3", OpType: "Slice", Inputs: []string{"a", "wm3", "w", "ax2"}, Outputs: []string{"y1"}},
			{Name: "last3b", OpType: "Slice", Inputs: []string{"a", "wm3", "wp5", "ax2"}, Outputs: []string{"y2"}},
			{Name: "back", OpType: "Slice", Inputs: []string{"a", "wm1", "minint", "ax2", "back"}, Outputs: []string{"y3"}},
			{Name: "batch", OpType: "Slice", Inputs: []string{"a", "zero", "nn", "ax0"}, Outputs: []string{"y4"}},
		}, outputs: []string{"y1", "y2", "y3", "y4"}}
	pm := c.model()
	symIn(pm, 0, 2)
	b := pm.Encode()
	m, _, err := Import(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"last3":  "starts [-3] ends [9223372036854775807]",
		"last3b": "starts [-3] ends [9223372036854775807]",
		"back":   "starts [-1] ends [-9223372036854775808]",
		"batch":  "starts [0] ends [9223372036854775807]",
	}
	for _, n := range m.Nodes {
		if w, ok := want[n.Name]; ok {
			if got := fmt.Sprintf("starts %v ends %v", n.Attrs["starts"], n.Attrs["ends"]); got != w {
				t.Errorf("node %s: %s, want %s", n.Name, got, w)
			}
			delete(want, n.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("nodes %v are missing", want)
	}
	compareShapes(t, b, m, [][]int{{1, 4, 9}, {3, 4, 4}, {2, 4, 70}}, 0)
}

// TestImportSymbolicSliceErrors: bounds that follow the sizes otherwise
// fail the conversion, naming the node.
func TestImportSymbolicSliceErrors(t *testing.T) {
	for _, op := range []string{"Div", "Mul"} {
		c := opCase{name: "sym-slice-half", opset: 13,
			inputs: []opIn{x(2, 4, 9), ints("i2", 2), ints("two", 2), ints("zero", 0), ints("ax2", 2)},
			nodes: []*Node{
				{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
				{Name: "shape", OpType: "Shape", Inputs: []string{"x"}, Outputs: []string{"s"}},
				{Name: "w", OpType: "Gather", Inputs: []string{"s", "i2"}, Outputs: []string{"w"}},
				{Name: "half", OpType: op, Inputs: []string{"w", "two"}, Outputs: []string{"h"}},
				{Name: "cut", OpType: "Slice", Inputs: []string{"a", "zero", "h", "ax2"}, Outputs: []string{"y"}},
			}, outputs: []string{"y"}}
		pm := c.model()
		symIn(pm, 2)
		_, _, err := Import(pm.Encode(), Options{})
		if op == "Mul" { // 2W is beyond the end: INT64 max
			if err != nil {
				t.Errorf("W*2 as an end: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), `node "cut" (Slice): attribute ends`) || !strings.Contains(err.Error(), "depends on the sizes") {
			t.Errorf("W/2 as an end: error %v", err)
		}
	}
}

// TestImportSymbolicViews converts Squeeze, Unsqueeze, a Transpose of a
// size-1 axis and a MatMul of a rank-3 activation by a constant matrix with
// symbolic dimensions that move position, and runs them against ONNX
// Runtime at several shapes.
func TestImportSymbolicViews(t *testing.T) {
	needORT(t)
	c := opCase{name: "sym-views", opset: 11,
		inputs: []opIn{x(2, 1, 9, 4), w("B", 7, 4, 3)},
		nodes: []*Node{
			{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "sq", OpType: "Squeeze", Inputs: []string{"a"}, Outputs: []string{"b"}, Attrs: []*Attr{aints("axes", 1)}},
			{Name: "mm", OpType: "MatMul", Inputs: []string{"b", "B"}, Outputs: []string{"c"}},
			{Name: "un", OpType: "Unsqueeze", Inputs: []string{"c"}, Outputs: []string{"d"}, Attrs: []*Attr{aints("axes", 0, 3)}},
			{Name: "tr", OpType: "Transpose", Inputs: []string{"d"}, Outputs: []string{"e"}, Attrs: []*Attr{aints("perm", 1, 2, 0, 3, 4)}},
			{Name: "sq2", OpType: "Squeeze", Inputs: []string{"e"}, Outputs: []string{"y"}, Attrs: []*Attr{aints("axes", 2)}},
		}, outputs: []string{"y"}}
	pm := c.model()
	symIn(pm, 0, 2)
	b := pm.Encode()
	m, _, err := Import(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Nodes {
		if n.Op != "Reshape" && n.Op != "Transpose" && n.Op != "MatMul" && n.Op != "Relu" {
			t.Errorf("node %s is a %s", n.Name, n.Op)
		}
	}
	compareShapes(t, b, m, [][]int{{1, 1, 9, 4}, {3, 1, 2, 4}, {2, 1, 33, 4}}, 1e-6)
}
