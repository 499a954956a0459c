package onnx

import (
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// isReduceOp reports whether op is one of the runtime's reductions.
func isReduceOp(op string) bool {
	for _, k := range ops.ReduceKinds() {
		if k.String() == op {
			return true
		}
	}
	return false
}

// reduce writes a reduction or ArgMax/ArgMin at opset 17: the axes are an
// attribute, but ReduceSum's are an input; a reduction over no axes with
// noop_with_empty_axes (an attribute only ReduceSum has at opset 17) is its
// elementwise part. ArgMax and ArgMin are followed by a Cast to float, the type of
// wasmnn's index.
func (e *exporter) reduce(n *runtime.Node, a *runtime.AttrReader, out string) {
	if n.Op == "ArgMax" || n.Op == "ArgMin" {
		idx := e.fresh(out + "/index")
		e.add(n.Name, n.Op, n.Inputs, []string{idx}, attrInt("axis", int64(a.Int("axis"))),
			attrInt("keepdims", int64(a.Int("keepdims"))), attrInt("select_last_index", int64(a.Int("select_last_index"))))
		e.add(n.Name+"/cast", "Cast", []string{idx}, []string{out}, attrInt("to", int64(TypeFloat)))
		return
	}
	axes := a.Ints("axes", -1)
	keep := attrInt("keepdims", int64(a.Int("keepdims")))
	if len(axes) == 0 && a.Int("noop_with_empty_axes") == 1 {
		// The elementwise part alone (runtime.ReduceIsIdentity).
		switch n.Op {
		case "ReduceL1", "ReduceL2":
			e.add(n.Name, "Abs", n.Inputs[:1], []string{out})
		case "ReduceSumSquare":
			e.add(n.Name, "Mul", []string{n.Inputs[0], n.Inputs[0]}, []string{out})
		case "ReduceLogSum":
			e.add(n.Name, "Log", n.Inputs[:1], []string{out})
		default:
			e.add(n.Name, "Identity", n.Inputs, []string{out})
		}
		return
	}
	if n.Op == "ReduceSum" {
		inputs := n.Inputs
		if len(axes) > 0 {
			inputs = []string{n.Inputs[0], e.constInt(n.Name+"/axes", []int{len(axes)}, ints64(axes))}
		}
		e.add(n.Name, n.Op, inputs, []string{out}, keep)
		return
	}
	var ax *Attr
	if len(axes) > 0 {
		ax = attrInts("axes", ints64(axes))
	}
	e.add(n.Name, n.Op, n.Inputs, []string{out}, ax, keep)
}
