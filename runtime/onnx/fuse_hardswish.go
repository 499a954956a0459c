package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// fuseHardSwish replaces the hard-swish of exporters that spell it out
// (PaddleOCR's MobileNetV3 and PP-OCRv4, torch before opset 14) by one
// HardSwish node. It runs on the lowered model, whose arithmetic nodes are
// the runtime's binary ops with constants as one-element weights, and
// recognises
//
//   - x * Clip(x + 3, 0, 6) / 6: Add of 3 (either order) then Clip(0, 6)
//     (a Clip node, or the Add's fused clip activation), Mul by x (either
//     order), then Div by 6 or Mul by 1/6 (either order); the scaling may
//     also come first, x * (Clip(x + 3, 0, 6) / 6);
//   - x * HardSigmoid(x) with alpha 1/6 and beta 0.5, Mul in either order.
//
// Every intermediate value must have the one use the pattern gives it and
// not be a graph output. HardSwish computes x * max(0, min(1, x/6 + 0.5))
// (ONNX's definition), which differs from the spelled-out form by float32
// roundings; the conversion is where that is allowed (a .wnn file keeps
// what it computes when it is loaded). Three or four elementwise layers
// become one. It returns one line per fusion.
func fuseHardSwish(m *runtime.Model) []string {
	f := newFusion(m)
	konst := func(name string, v float64) bool {
		s, ok := f.scalar(name)
		return ok && math.Abs(float64(s)-v) <= 1e-6*math.Abs(v)
	}
	binary := func(n *runtime.Node, op, name string) (string, bool) { return binaryOperand(n, op, name, false) }
	// sixth reports whether n divides name by 6 (Div(name, 6), Mul by 1/6).
	sixth := func(n *runtime.Node, name string) bool {
		if n == nil || f.removed[n] {
			return false
		}
		if other, ok := binary(n, "Mul", name); ok && konst(other, 1.0/6) {
			return true
		}
		return n.Op == "Div" && len(n.Inputs) == 2 && n.Inputs[0] == name && len(n.Attrs) == 0 && len(n.Outputs) == 1 && konst(n.Inputs[1], 6)
	}
	isClip06 := func(act ops.Activation) bool {
		return act.Kind == ops.ActClip && act.Alpha == 0 && act.Beta == 6
	}
	var done []string
	replace := func(group []*runtime.Node, x, how string) {
		last := group[len(group)-1]
		var names []string
		for _, n := range group {
			names = append(names, n.Name)
			if n != last {
				f.removed[n] = true
			}
		}
		done = append(done, fmt.Sprintf("%s (%s) fused into HardSwish %s", strings.Join(names[:len(names)-1], ", "), how, last.Name))
		last.Op, last.Inputs, last.Attrs = "HardSwish", []string{x}, nil
	}
	for _, n := range m.Nodes {
		if f.removed[n] {
			continue
		}
		switch n.Op {
		case "Add":
			// x + 3, with its clip fused or in the next node.
			if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
				continue
			}
			var x string
			switch {
			case konst(n.Inputs[1], 3):
				x = n.Inputs[0]
			case konst(n.Inputs[0], 3):
				x = n.Inputs[1]
			default:
				continue
			}
			group := []*runtime.Node{n}
			clipped := n
			if len(n.Attrs) != 0 {
				act, err := runtime.FusedActivation(n)
				if err != nil || !isClip06(act) {
					continue
				}
			} else {
				c := f.only(n)
				if c == nil || f.removed[c] || c.Op != "Clip" || len(c.Inputs) != 1 || len(c.Outputs) != 1 {
					continue
				}
				if act, ok := runtime.ActivationOf(c); !ok || !isClip06(act) {
					continue
				}
				group = append(group, c)
				clipped = c
			}
			next := f.only(clipped)
			if next == nil || f.removed[next] {
				continue
			}
			cv := clipped.Outputs[0]
			if other, ok := binary(next, "Mul", cv); ok && other == x {
				// x * clip, then / 6.
				if last := f.only(next); sixth(last, next.Outputs[0]) {
					replace(append(group, next, last), x, "x*Clip(x+3,0,6)/6")
				}
			} else if sixth(next, cv) {
				// x * (clip / 6).
				if last := f.only(next); last != nil && !f.removed[last] {
					if other, ok := binary(last, "Mul", next.Outputs[0]); ok && other == x {
						replace(append(group, next, last), x, "x*(Clip(x+3,0,6)/6)")
					}
				}
			}
		case "HardSigmoid":
			if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
				continue
			}
			alpha, beta := 0.2, 0.5
			if v, ok := n.Attrs["alpha"].(float64); ok {
				alpha = v
			}
			if v, ok := n.Attrs["beta"].(float64); ok {
				beta = v
			}
			if math.Abs(alpha-1.0/6) > 1e-6 || beta != 0.5 {
				continue
			}
			x := n.Inputs[0]
			last := f.only(n)
			if last == nil || f.removed[last] {
				continue
			}
			if other, ok := binary(last, "Mul", n.Outputs[0]); ok && other == x {
				replace([]*runtime.Node{n, last}, x, "x*HardSigmoid(x)")
			}
		}
	}
	f.sweep()
	return done
}
