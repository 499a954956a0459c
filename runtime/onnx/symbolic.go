package onnx

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Symbolic input dimensions.
//
// The converters work on concrete shapes (they fold shape computations into
// constants). A model whose inputs have symbolic dimensions is therefore
// converted three times, with different sizes for those dimensions, and the
// three results are merged: they must have the same nodes, weights and
// attributes, except where an attribute follows the sizes in a way the
// runtime can express for any size: a Reshape target element that copies the
// input's dimension becomes 0 and a single element that follows the element
// count becomes -1; an Expand target element that equals the input's
// dimension becomes 1; a Resize given sizes that are a constant multiple of
// the input becomes a Resize by scales; a Slice start or end that is the
// input's dimension (or more) becomes INT64 max and one that is the dimension
// minus a fixed amount a negative index (symbolic_slice.go); Squeeze,
// Unsqueeze and other reshapes that move dimensions past size-1 axes are
// written as views that keep them in place (lower_ones.go), and a MatMul of a
// rank-3+ activation by a constant matrix stays a MatMul. Anything else that
// depends on the sizes fails the conversion with an error that names the node
// and the attribute (give the shape with Options.InputShapes instead).

// probeSizes are the sizes the three conversions give a symbolic dimension:
// batch-like ones (an input's first axis) and the others.
var (
	probeBatch = [3]int{2, 3, 5}
	probeOther = [3]int{64, 96, 160}
)

// dimName names an input's symbolic dimension: its dim_param, or
// INPUT:dimI for an unknown one.
func dimName(input string, i int, d Dim) string {
	if d.Param != "" {
		return d.Param
	}
	return fmt.Sprintf("%s:dim%d", input, i)
}

// symbolicDims returns, per input, the names of its symbolic dimensions ("" for
// fixed ones; nil for an input without any), and which names occur as a first
// axis.
func symbolicDims(g *Graph, opts Options) (map[string][]string, map[string]bool) {
	inits := map[string]bool{}
	for _, t := range g.Initializers {
		inits[t.Name] = true
	}
	names := map[string][]string{}
	leading := map[string]bool{}
	for _, in := range g.Inputs {
		if inits[in.Name] || !in.HasShape || opts.InputShapes[in.Name] != nil {
			continue
		}
		var dims []string
		for i, d := range in.Shape {
			if d.HasValue && d.Value > 0 || i == 0 && opts.Batch > 0 {
				continue
			}
			if dims == nil {
				dims = make([]string, len(in.Shape))
			}
			dims[i] = dimName(in.Name, i, d)
			if i == 0 {
				leading[dims[i]] = true
			}
		}
		if dims != nil {
			names[in.Name] = dims
		}
	}
	return names, leading
}

// ImportModel converts a decoded ONNX model; see Import. Symbolic input
// dimensions stay symbolic (see the comment above probeSizes).
func ImportModel(pm *Model, opts Options) (*runtime.Model, *Report, error) {
	if opts.Batch < 0 || opts.Batch > 1<<16 {
		return nil, nil, fmt.Errorf("batch size %d is out of range", opts.Batch)
	}
	if pm.Graph == nil {
		return convert(pm, opts, nil)
	}
	dims, leading := symbolicDims(pm.Graph, opts)
	if len(dims) == 0 {
		return convert(pm, opts, nil)
	}
	var symbols []string
	seen := map[string]bool{}
	for _, list := range dims {
		for _, name := range list {
			if name != "" && !seen[name] {
				seen[name] = true
				symbols = append(symbols, name)
			}
		}
	}
	sort.Strings(symbols)
	var passes [3]*runtime.Model
	var report *Report
	var sizes [3]map[string]int
	for k := range passes {
		sizes[k] = map[string]int{}
		for _, s := range symbols {
			sizes[k][s] = probeOther[k]
			if leading[s] {
				sizes[k][s] = probeBatch[k]
			}
		}
		m, rep, err := convert(pm, opts, sizes[k])
		if err != nil {
			if k == 0 {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("with the symbolic dimensions at %s: %w (give fixed sizes with --input-shape)", describeSizes(sizes[k]), err)
		}
		passes[k] = m
		if k == 0 {
			report = rep
		}
	}
	m, err := mergePasses(passes, sizes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the model cannot keep its symbolic dimensions (%s): %w; give fixed sizes with --input-shape",
			ErrUnsupported, strings.Join(symbols, ", "), err)
	}
	for i := range m.Inputs {
		if names, ok := dims[m.Inputs[i].Name]; ok {
			m.Inputs[i].Dims = names
		}
	}
	// The representative shapes: a batch of 1 where the model takes it.
	repr := make([]runtime.ValueInfo, len(m.Inputs))
	copy(repr, m.Inputs)
	for i, in := range repr {
		shape := append([]int(nil), in.Shape...)
		for j, name := range in.Dims {
			if name != "" && leading[name] {
				shape[j] = 1
			}
		}
		repr[i].Shape = shape
	}
	trial := *m
	trial.Inputs = repr
	if _, err := runtime.Summarize(&trial, runtime.Options{}); err == nil {
		m.Inputs = repr
	}
	if _, err := runtime.Summarize(m, runtime.Options{}); err != nil {
		return nil, nil, fmt.Errorf("the converted model does not check: %w", err)
	}
	report.Symbolic = symbols
	return m, report, nil
}

func describeSizes(sizes map[string]int) string {
	var parts []string
	for name, v := range sizes {
		parts = append(parts, fmt.Sprintf("%s=%d", name, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// mergePasses merges the three conversions into one model (the first's),
// with the attributes that follow the symbolic sizes rewritten so that the
// runtime resolves them for any size.
func mergePasses(passes [3]*runtime.Model, sizes [3]map[string]int) (*runtime.Model, error) {
	var shapes [3]map[string][]int
	for k, m := range passes {
		s, err := valueShapes(m)
		if err != nil {
			return nil, err
		}
		shapes[k] = s
	}
	a := passes[0]
	for _, m := range passes[1:] {
		if len(m.Nodes) != len(a.Nodes) {
			return nil, fmt.Errorf("the converted graph has %d nodes for one size and %d for another", len(a.Nodes), len(m.Nodes))
		}
		if len(m.Weights) != len(a.Weights) {
			return nil, fmt.Errorf("the converted graph has %d weights for one size and %d for another", len(a.Weights), len(m.Weights))
		}
	}
	for name, w := range a.Weights {
		for _, m := range passes[1:] {
			o := m.Weights[name]
			if o == nil || !ops.EqualShapes(o.Shape, w.Shape) || !sameBits(o.Data, w.Data) {
				return nil, fmt.Errorf("constant %q depends on the sizes", name)
			}
		}
	}
	for i, n := range a.Nodes {
		var ns [3]*runtime.Node
		for k, m := range passes {
			ns[k] = m.Nodes[i]
			if ns[k].Op != n.Op || strings.Join(ns[k].Inputs, "\x00") != strings.Join(n.Inputs, "\x00") || strings.Join(ns[k].Outputs, "\x00") != strings.Join(n.Outputs, "\x00") {
				return nil, fmt.Errorf("node %q (%s) is converted differently for different sizes", n.Name, n.Op)
			}
		}
		for key := range n.Attrs {
			var vals [3]any
			for k := range ns {
				vals[k] = ns[k].Attrs[key]
			}
			if fmt.Sprint(vals[0]) == fmt.Sprint(vals[1]) && fmt.Sprint(vals[0]) == fmt.Sprint(vals[2]) {
				continue
			}
			var in, out [3][]int
			for k := range ns {
				in[k] = shapes[k][ns[k].Inputs[0]]
				out[k] = shapes[k][ns[k].Outputs[0]]
			}
			if err := generalise(n, key, vals, in, out); err != nil {
				return nil, fmt.Errorf("node %q (%s): attribute %s: %w", n.Name, n.Op, key, err)
			}
		}
		for _, m := range passes[1:] {
			for key := range m.Nodes[i].Attrs {
				if _, ok := n.Attrs[key]; !ok {
					return nil, fmt.Errorf("node %q (%s): attribute %s is set for some sizes only", n.Name, n.Op, key)
				}
			}
		}
	}
	return a, nil
}

// generalise rewrites n's attribute key, which took the values vals in the
// three conversions (inputs of shapes in, outputs of shapes out), into one
// value that gives each conversion's result, or says why it cannot.
func generalise(n *runtime.Node, key string, vals [3]any, in, out [3][]int) error {
	var lists [3][]int64
	for k, v := range vals {
		l, ok := toInt64s(v)
		if !ok {
			return fmt.Errorf("its value %v depends on the sizes", vals[0])
		}
		lists[k] = l
	}
	for k := range lists {
		if len(lists[k]) != len(lists[0]) {
			return fmt.Errorf("its length depends on the sizes")
		}
	}
	switch {
	case n.Op == "Reshape" && key == "shape":
		g := make([]int64, len(lists[0]))
		infer := -1
		for j := range g {
			same, copies := true, true
			for k := range lists {
				same = same && lists[k][j] == lists[0][j]
				copies = copies && j < len(in[k]) && lists[k][j] == int64(in[k][j])
			}
			switch {
			case same && lists[0][j] != -1:
				g[j] = lists[0][j]
			case copies:
				g[j] = 0
			default:
				if infer >= 0 {
					return fmt.Errorf("the target %v has more than one element that follows the sizes", lists[0])
				}
				infer, g[j] = j, -1
			}
		}
		for k := range lists {
			got, err := runtime.ResolveReshape(in[k], toInts(g))
			if err != nil || !ops.EqualShapes(got, out[k]) {
				return fmt.Errorf("the target %v cannot be written for every size", lists[0])
			}
		}
		n.Attrs[key] = g
		return nil
	case n.Op == "Expand" && key == "shape":
		g := make([]int64, len(lists[0]))
		for j := range g {
			same, follows := true, true
			for k := range lists {
				same = same && lists[k][j] == lists[0][j]
				off := j - (len(g) - len(in[k]))
				follows = follows && off >= 0 && lists[k][j] == int64(in[k][off])
			}
			switch {
			case same:
				g[j] = lists[0][j]
			case follows:
				g[j] = 1 // broadcasting keeps the input's dimension
			default:
				return fmt.Errorf("the target %v follows the sizes", lists[0])
			}
		}
		n.Attrs[key] = g
		return nil
	case n.Op == "Slice" && (key == "starts" || key == "ends"):
		return generaliseSlice(n, key, lists, in, out)
	case n.Op == "Resize" && key == "sizes":
		scales := make([]float64, len(lists[0]))
		for j := range scales {
			scales[j] = float64(lists[0][j]) / float64(in[0][j])
			for k := range lists {
				if int64(math.Floor(float64(in[k][j])*scales[j])) != lists[k][j] {
					return fmt.Errorf("the sizes %v are not a fixed multiple of the input", lists[0])
				}
			}
		}
		delete(n.Attrs, "sizes")
		n.Attrs["scales"] = scales
		return nil
	}
	return fmt.Errorf("its value %v depends on the sizes", vals[0])
}

func toInt64s(v any) ([]int64, bool) {
	switch x := v.(type) {
	case []int64:
		return x, true
	case []int:
		return ints64(x), true
	}
	return nil, false
}

func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// valueShapes infers the shape of every value of m (whose nodes are in
// topological order, as Import writes them) with the runtime's shape rules.
func valueShapes(m *runtime.Model) (map[string][]int, error) {
	shapes := map[string][]int{}
	weight := map[string]bool{}
	for _, in := range m.Inputs {
		shapes[in.Name] = in.Shape
	}
	for name, w := range m.Weights {
		shapes[name], weight[name] = w.Shape, true
	}
	for _, n := range m.Nodes {
		ins := make([][]int, len(n.Inputs))
		ws := make([]bool, len(n.Inputs))
		for i, name := range n.Inputs {
			s, ok := shapes[name]
			if !ok {
				return nil, fmt.Errorf("node %q reads %q before it is computed", n.Name, name)
			}
			ins[i], ws[i] = s, weight[name]
		}
		outs, err := runtime.InferShapes(n, ins, ws)
		if err != nil {
			return nil, err
		}
		for i, o := range n.Outputs {
			if i < len(outs) {
				shapes[o] = outs[i]
			}
		}
	}
	return shapes, nil
}
