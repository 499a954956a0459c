package reftest

import (
	"fmt"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
)

// refReduceNorm evaluates the reductions, ArgMax/ArgMin and the
// normalisations (ok false for other ops).
func refReduceNorm(n *Node, a *runtime.AttrReader, vals map[string][]float64, shapes map[string][]int) (y []float64, ys []int, ok bool, err error) {
	x, xs := vals[n.Inputs[0]], shapes[n.Inputs[0]]
	rank := len(xs)
	axisOf := func(v int) int {
		if v < 0 {
			v += rank
		}
		return v
	}
	switch {
	case strings.HasPrefix(n.Op, "Reduce"):
		var axes []int
		for _, v := range a.Ints("axes", -1) {
			axes = append(axes, axisOf(v))
		}
		if len(axes) == 0 && a.Int("noop_with_empty_axes") == 0 {
			for i := range xs {
				axes = append(axes, i)
			}
		}
		y, ys = ref.Reduce(n.Op, x, xs, axes)
		if y == nil {
			return nil, nil, true, fmt.Errorf("no reference for op %s", n.Op)
		}
		if a.Int("keepdims") == 0 {
			ys = dropped(xs, axes)
		}
		return y, ys, true, nil
	case n.Op == "ArgMax" || n.Op == "ArgMin":
		axis := axisOf(a.Int("axis"))
		y = ref.ArgReduce(x, ops.ShapeSize(xs[:axis]), xs[axis], ops.ShapeSize(xs[axis+1:]), n.Op == "ArgMin", a.Int("select_last_index") == 1)
		ys = append([]int(nil), xs...)
		ys[axis] = 1
		if a.Int("keepdims") == 0 {
			ys = dropped(xs, []int{axis})
		}
		return y, ys, true, nil
	case n.Op == "LayerNormalization":
		axis := axisOf(a.Int("axis"))
		norm := xs[axis:]
		scale := broadcast(vals[n.Inputs[1]], shapes[n.Inputs[1]], norm)
		var bias []float64
		if len(n.Inputs) > 2 {
			bias = broadcast(vals[n.Inputs[2]], shapes[n.Inputs[2]], norm)
		}
		return ref.LayerNorm(x, scale, bias, ops.ShapeSize(xs[:axis]), ops.ShapeSize(norm), float64(a.Float("epsilon"))), xs, true, nil
	case n.Op == "InstanceNormalization":
		return ref.InstanceNorm(x, vals[n.Inputs[1]], vals[n.Inputs[2]], xs[0], xs[1], ops.ShapeSize(xs[2:]), float64(a.Float("epsilon"))), xs, true, nil
	}
	return nil, nil, false, nil
}

// dropped returns shape without the given axes.
func dropped(shape, axes []int) []int {
	out := []int{}
	for d, v := range shape {
		keep := true
		for _, a := range axes {
			keep = keep && a != d
		}
		if keep {
			out = append(out, v)
		}
	}
	return out
}

// broadcast returns w (of shape ws) broadcast to shape to, numpy style.
func broadcast(w []float64, ws, to []int) []float64 {
	y, _ := ref.Binary(make([]float64, ops.ShapeSize(to)), to, w, ws, func(_, b float64) float64 { return b })
	return y
}
