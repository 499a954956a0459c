package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/wasmnn/wasmnn/runtime"
)

// fuseGelu replaces the decomposed Gelu of exporters that predate ONNX's
// Gelu (opset 20), x * 0.5 * (1 + Erf(x / sqrt(2))), by one Gelu node. It
// runs on the lowered model, whose arithmetic nodes are the runtime's
// binary ops with constants as one-element weights, and recognises:
//
//   - the scaling of x as Div by sqrt(2) (1.4142135) or Mul by 1/sqrt(2)
//     (0.70710678), either operand order for Mul;
//   - Add of 1, either order;
//   - the halving anywhere: Mul(Mul(x, Add), 0.5), Mul(Mul(x, 0.5), Add) or
//     Mul(x, Mul(Add, 0.5)), each Mul in either order, and Div by 2 in
//     place of Mul by 0.5.
//
// Every intermediate value must have the one use the pattern gives it and
// not be a graph output. The fused result is the exact Gelu (the runtime's
// kernel computes x/2 * erfc(-x/sqrt(2)) in float64), which differs from the
// decomposition by float32 roundings. It returns one line per fusion.
func fuseGelu(m *runtime.Model) []string {
	f := newFusion(m)
	// konst reports whether name is a one-element weight of value v.
	konst := func(name string, v float64) bool {
		s, ok := f.scalar(name)
		return ok && math.Abs(float64(s)-v) <= 1e-6*v
	}
	// binary returns n's operand other than name if n is op (no fused
	// activation) with name as either operand.
	binary := func(n *runtime.Node, op, name string) (string, bool) { return binaryOperand(n, op, name, false) }
	// halves reports whether n is Mul(name, 0.5), Mul(0.5, name) or
	// Div(name, 2).
	halves := func(n *runtime.Node, name string) bool {
		if other, ok := binary(n, "Mul", name); ok && konst(other, 0.5) {
			return true
		}
		return n != nil && n.Op == "Div" && len(n.Inputs) == 2 && n.Inputs[0] == name && len(n.Attrs) == 0 && konst(n.Inputs[1], 2)
	}
	var done []string
	for _, erf := range m.Nodes {
		if erf.Op != "Erf" || f.removed[erf] || len(erf.Attrs) != 0 {
			continue
		}
		scale := f.producer[erf.Inputs[0]]
		if scale == nil || f.removed[scale] || f.only(scale) != erf || len(scale.Attrs) != 0 || len(scale.Inputs) != 2 {
			continue
		}
		var x string
		switch {
		case scale.Op == "Div" && konst(scale.Inputs[1], math.Sqrt2):
			x = scale.Inputs[0]
		case scale.Op == "Mul" && konst(scale.Inputs[1], 1/math.Sqrt2):
			x = scale.Inputs[0]
		case scale.Op == "Mul" && konst(scale.Inputs[0], 1/math.Sqrt2):
			x = scale.Inputs[1]
		default:
			continue
		}
		add := f.only(erf)
		if one, ok := binary(add, "Add", erf.Outputs[0]); !ok || !konst(one, 1) {
			continue
		}
		next := f.only(add)
		var group []*runtime.Node         // the nodes replaced, the last one's output kept
		if halves(next, add.Outputs[0]) { // Mul(x, Mul(Add, 0.5))
			if last := f.only(next); last != nil {
				if other, ok := binary(last, "Mul", next.Outputs[0]); ok && other == x {
					group = []*runtime.Node{scale, erf, add, next, last}
				}
			}
		} else if other, ok := binary(next, "Mul", add.Outputs[0]); ok {
			switch h := f.producer[other]; {
			case other == x: // Mul(x, Add), then halved
				if last := f.only(next); halves(last, next.Outputs[0]) {
					group = []*runtime.Node{scale, erf, add, next, last}
				}
			case h != nil && !f.removed[h] && f.only(h) == next && halves(h, x): // Mul(Mul(x, 0.5), Add)
				group = []*runtime.Node{h, scale, erf, add, next}
			}
		}
		if group == nil {
			continue
		}
		last := group[len(group)-1]
		var names []string
		for _, n := range group {
			names = append(names, n.Name)
			if n != last {
				f.removed[n] = true
			}
		}
		done = append(done, fmt.Sprintf("%s (decomposed Gelu) fused into Gelu %s", strings.Join(names[:len(names)-1], ", "), last.Name))
		last.Op, last.Inputs, last.Attrs = "Gelu", []string{x}, nil
	}
	f.sweep()
	return done
}
