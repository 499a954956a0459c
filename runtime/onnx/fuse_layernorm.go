package onnx

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// fuseLayerNorm replaces the decomposed layer normalisation of exporters
// that predate ONNX's LayerNormalization (opset 17; PaddleOCR's SVTR blocks,
// older PyTorch exports) by one LayerNormalization node. It runs on the
// lowered model, whose constants are weights, and recognises
//
//	mean = ReduceMean(x, axes = the last k axes)   (or GlobalAveragePool, its lowering on a rank 3 to 5 input)
//	d    = Sub(x, mean)
//	var  = ReduceMean(Pow(d, 2) or Mul(d, d), the same axes)
//	std  = Sqrt(Add(var, eps))                     (Add in either order)
//	y    = Div(d, std), or Mul(d, Reciprocal(std)) (either order)
//	y    = Mul(y, gamma), then Add(y, beta)        (optional, either order; gamma and beta weights)
//
// with eps a one-element weight. Every intermediate value must have the
// uses the pattern gives it (d two, the others one) and not be a graph
// output; gamma and beta must broadcast to the normalised dims without
// changing the output's shape. The fused node computes the statistics in
// float64, so its results differ from the decomposition's by float32
// roundings. It returns one line per fusion.
func fuseLayerNorm(m *runtime.Model) []string {
	shapes := loweredShapes(m)
	if shapes == nil {
		return nil
	}
	f := newFusion(m)
	// meanFrom returns the first normalised axis if n is a mean of its
	// input over its last axes, keeping them.
	meanFrom := func(n *runtime.Node) (int, bool) {
		if n == nil || len(n.Inputs) != 1 || len(n.Outputs) != 1 {
			return 0, false
		}
		rank := len(shapes[n.Inputs[0]])
		switch n.Op {
		case "GlobalAveragePool":
			return 2, rank >= 3
		case "ReduceMean":
			a := runtime.ReadAttrs(n)
			axes, err := runtime.ReduceAxes(a.Ints("axes", -1), rank, a.Int("noop_with_empty_axes") == 1)
			if a.Err() != nil || err != nil || a.Int("keepdims") != 1 || len(axes) == 0 {
				return 0, false
			}
			for i, ax := range axes {
				if ax != rank-len(axes)+i {
					return 0, false
				}
			}
			return axes[0], true
		}
		return 0, false
	}
	var done []string
	for _, mean := range m.Nodes {
		axis, ok := meanFrom(mean)
		if !ok || f.removed[mean] {
			continue
		}
		x := mean.Inputs[0]
		sub := f.only(mean)
		if other, ok := binaryOperand(sub, "Sub", mean.Outputs[0], false); !ok || other != x || sub.Inputs[0] != x {
			continue
		}
		d := sub.Outputs[0]
		var users []*runtime.Node // d's users, once each (Mul(d, d) reads it twice)
		for _, u := range f.uses[d] {
			if len(users) == 0 || users[len(users)-1] != u {
				users = append(users, u)
			}
		}
		if f.output[d] || len(users) != 2 {
			continue
		}
		var sq, norm *runtime.Node
		for _, u := range users {
			if e, ok := binaryOperand(u, "Pow", d, true); ok {
				if v, ok := f.scalar(e); ok && v == 2 {
					sq = u
				}
			} else if u.Op == "Mul" && len(u.Inputs) == 2 && u.Inputs[0] == d && u.Inputs[1] == d && len(u.Attrs) == 0 {
				sq = u
			} else {
				norm = u
			}
		}
		if sq == nil || norm == nil {
			continue
		}
		variance := f.only(sq)
		if a2, ok := meanFrom(variance); !ok || a2 != axis {
			continue
		}
		addEps := f.only(variance)
		epsName, ok := binaryOperand(addEps, "Add", variance.Outputs[0], false)
		eps, isScalar := f.scalar(epsName)
		if !ok || !isScalar || !(eps >= 0) || math.IsInf(float64(eps), 1) {
			continue
		}
		sqrt := f.only(addEps)
		if sqrt == nil || sqrt.Op != "Sqrt" || len(sqrt.Attrs) != 0 {
			continue
		}
		chain := []*runtime.Node{mean, sub, sq, variance, addEps, sqrt}
		switch next := f.only(sqrt); {
		case next == norm && norm.Op == "Div" && len(norm.Attrs) == 0 && norm.Inputs[0] == d && norm.Inputs[1] == sqrt.Outputs[0]:
		case next != nil && next.Op == "Reciprocal" && len(next.Attrs) == 0 && f.only(next) == norm:
			if other, ok := binaryOperand(norm, "Mul", next.Outputs[0], false); !ok || other != d {
				continue
			}
			chain = append(chain, next)
		default:
			continue
		}
		chain = append(chain, norm)
		last := norm
		var gamma, beta string
		if mul := f.only(last); mul != nil {
			if g, ok := binaryOperand(mul, "Mul", last.Outputs[0], false); ok && m.Weights[g] != nil {
				gamma, last = g, mul
				chain = append(chain, mul)
			}
		}
		if add := f.only(last); add != nil {
			if b, ok := binaryOperand(add, "Add", last.Outputs[0], false); ok && m.Weights[b] != nil {
				beta, last = b, add
				chain = append(chain, add)
			}
		}
		xs := shapes[x]
		normShape := xs[axis:]
		if gamma == "" {
			gamma = freshWeightName(m, mean.Name+"/ones")
			ones := make([]float32, ops.ShapeSize(normShape))
			for i := range ones {
				ones[i] = 1
			}
			m.Weights[gamma] = &ops.Tensor{Shape: append([]int(nil), normShape...), Data: ones}
		}
		inputs := []string{x, gamma}
		if beta != "" {
			inputs = append(inputs, beta)
		}
		ln := &runtime.Node{Name: mean.Name + "/layernorm", Op: "LayerNormalization", Inputs: inputs, Outputs: []string{last.Outputs[0]},
			Attrs: map[string]any{"axis": int64(axis), "epsilon": float64(eps)}}
		in := [][]int{xs, m.Weights[gamma].Shape}
		if beta != "" {
			in = append(in, m.Weights[beta].Shape)
		}
		got, err := runtime.InferShapes(ln, in, []bool{false, true, true}[:len(in)])
		if err != nil || !ops.EqualShapes(got[0], shapes[last.Outputs[0]]) {
			continue // gamma or beta broadcast beyond the normalised dims
		}
		// The fused node takes the place of the last one.
		*last = *ln
		for _, n := range chain {
			if n != last {
				f.removed[n] = true
			}
		}
		done = append(done, fmt.Sprintf("%d nodes from %s fused into LayerNormalization %s (axis %d, epsilon %g)", len(chain), mean.Name, ln.Name, axis, eps))
	}
	f.sweep()
	return done
}

// loweredShapes returns the shape of every value of m (nodes in topological
// order, as the importer emits them), or nil if a shape cannot be inferred.
func loweredShapes(m *runtime.Model) map[string][]int {
	shapes := map[string][]int{}
	for _, in := range m.Inputs {
		shapes[in.Name] = in.Shape
	}
	for name, w := range m.Weights {
		shapes[name] = w.Shape
	}
	for _, n := range m.Nodes {
		in := make([][]int, len(n.Inputs))
		weight := make([]bool, len(n.Inputs))
		for i, name := range n.Inputs {
			s, ok := shapes[name]
			if !ok {
				return nil
			}
			in[i], weight[i] = s, m.Weights[name] != nil
		}
		out, err := runtime.InferShapes(n, in, weight)
		if err != nil || len(out) < len(n.Outputs) {
			return nil
		}
		for i, o := range n.Outputs {
			shapes[o] = out[i]
		}
	}
	return shapes
}

// freshWeightName returns base, or base with a suffix, unused by m's
// weights, inputs and node outputs.
func freshWeightName(m *runtime.Model, base string) string {
	used := map[string]bool{}
	for name := range m.Weights {
		used[name] = true
	}
	for _, in := range m.Inputs {
		used[in.Name] = true
	}
	for _, n := range m.Nodes {
		for _, o := range n.Outputs {
			used[o] = true
		}
	}
	return freshName(used, base)
}
