package equiv

import (
	"sort"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// elemModel is a hand-built model over one input x, for ops whose cases
// need chosen weights (scales, slopes).
type elemModel struct {
	in      []int
	weights map[string]*ops.Tensor
	nodes   []*runtime.Node
}

func (e *elemModel) weight(name string, shape []int, data ...float32) string {
	e.weights[name] = &ops.Tensor{Shape: shape, Data: data}
	return name
}

// add appends a node and returns its output's name (the node's name).
func (e *elemModel) add(name, op string, attrs map[string]any, inputs ...string) string {
	e.nodes = append(e.nodes, &runtime.Node{Name: name, Op: op, Inputs: inputs, Outputs: []string{name}, Attrs: attrs})
	return name
}

func (e *elemModel) model(out string) *runtime.Model {
	return &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: e.in}}, Weights: e.weights, Nodes: e.nodes,
		Outputs: []string{out}, WeightDType: "f32", Meta: runtime.Meta{Name: "elementwise"}}
}

// elementwiseModels are the unary ops, Gelu, PRelu and the variadic ops.
// Inputs are uniform in [-1, 1); scaled by up to 60 they reach Exp's
// overflow, Erf's tails and, with Log, NaNs.
func elementwiseModels() map[string]*runtime.Model {
	ms := map[string]*runtime.Model{}
	newModel := func(in ...int) *elemModel { return &elemModel{in: in, weights: map[string]*ops.Tensor{}} }
	for _, kind := range ops.UnaryKinds() {
		op := kind.String()
		e := newModel(2, 3, 17)
		wide := e.add("wide_in", "Mul", nil, "x", e.weight("s", []int{1}, 60))
		mid := e.add("mid_in", "Mul", nil, "x", e.weight("m", []int{3, 1}, 4, -0.01, 1e-30))
		ms[op] = e.model(e.add("cat", "Concat", map[string]any{"axis": int64(1)},
			e.add("small", op, nil, "x"), e.add("wide", op, nil, wide), e.add("mid", op, nil, mid)))
	}
	for _, approx := range []string{"none", "tanh"} {
		e := newModel(3, 5, 11)
		a := map[string]any{"approximate": approx}
		wide := e.add("wide_in", "Mul", nil, "x", e.weight("s", []int{1}, 12))
		ms["Gelu-"+approx] = e.model(e.add("cat", "Concat", map[string]any{"axis": int64(1)},
			e.add("g1", "Gelu", a, "x"), e.add("g2", "Gelu", a, wide)))
	}
	e := newModel(2, 4, 5, 6)
	ch := e.add("p1", "PRelu", nil, "x", e.weight("slope_c", []int{4, 1, 1}, 0.1, -0.5, 2, 0.25))
	row := e.add("p2", "PRelu", nil, ch, e.weight("slope_w", []int{6}, 1, 2, 3, -1, -2, 0.5))
	ms["PRelu"] = e.model(e.add("p3", "PRelu", nil, row, "x")) // a computed slope
	e = newModel(2, 3, 4, 5)
	c := e.weight("c", []int{3, 1, 1}, 0.5, -0.25, 1e-3)
	r := e.weight("r", []int{5}, -1, 0, 1, 2, -0.5)
	ex := e.add("e", "Exp", nil, "x")
	ms["variadic"] = e.model(e.add("cat", "Concat", map[string]any{"axis": int64(1)},
		e.add("sum", "Sum", nil, "x", c, ex, r),
		e.add("mean", "Mean", nil, c, "x", ex),
		e.add("max", "Max", nil, "x", r, e.add("l", "Log", nil, "x")), // NaNs
		e.add("min", "Min", nil, r, ex, e.add("l2", "Log", nil, ex), "x"),
		e.add("one", "Sum", nil, "x")))
	return ms
}

// TestElementwiseBitIdentical runs the elementwise ops natively (two
// threads) and in the wasm module and compares bits.
func TestElementwiseBitIdentical(t *testing.T) {
	ms := elementwiseModels()
	for i, name := range sortedKeys(ms) {
		t.Run(name, func(t *testing.T) {
			if _, err := runtime.Summarize(ms[name], runtime.Options{}); err != nil {
				t.Fatal(err)
			}
			compare(t, ms[name], ops.AlgoAuto, 2, uint64(100+i))
		})
	}
}

func sortedKeys(m map[string]*runtime.Model) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
