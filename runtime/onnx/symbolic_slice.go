package onnx

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// generaliseSlice rewrites a Slice's starts or ends (key), which took the
// values lists in the three conversions (inputs of shapes in, outputs of
// shapes out), for any size: an element that is the input's dimension on
// its axis, or more, in every conversion becomes INT64 max (clamped to the
// end), and one that is the dimension minus a fixed amount becomes that
// negative index (dim-1 becomes -1). Every conversion must then slice
// exactly as it did; otherwise the value depends on the sizes.
func generaliseSlice(n *runtime.Node, key string, lists [3][]int64, in, out [3][]int) error {
	axes, err := sliceAxesOf(n, len(lists[0]), in)
	if err != nil {
		return err
	}
	g := make([]int64, len(lists[0]))
	for j := range g {
		same, form := true, true
		var off [3]int64 // the value minus the dimension
		for k := range lists {
			v := lists[k][j]
			same = same && v == lists[0][j]
			form = form && v >= 0
			off[k] = v - int64(in[k][axes[k][j]])
		}
		switch {
		case same:
			g[j] = lists[0][j]
		case form && off[0] >= 0 && off[1] >= 0 && off[2] >= 0:
			g[j] = math.MaxInt64
		case form && off[0] < 0 && off[1] == off[0] && off[2] == off[0]:
			g[j] = off[0]
		default:
			return fmt.Errorf("its value %v depends on the sizes", lists[0])
		}
	}
	// Every conversion must slice as it did: each bound resolves (negative
	// counted from the end, then clamped) to the same index.
	steps, _ := toInt64s(n.Attrs["steps"])
	for k := range lists {
		for j := range g {
			step := int64(1)
			if steps != nil && j < len(steps) {
				step = steps[j]
			}
			dim := int64(in[k][axes[k][j]])
			if resolveBound(dim, lists[k][j], step, key == "starts") != resolveBound(dim, g[j], step, key == "starts") {
				return fmt.Errorf("its value %v cannot be written for every size", lists[0])
			}
		}
	}
	n.Attrs[key] = g
	return nil
}

// sliceAxesOf returns, per conversion, the input axis of each of a Slice's
// len bounds (its axes attribute, or 0, 1, ...).
func sliceAxesOf(n *runtime.Node, count int, in [3][]int) ([3][]int, error) {
	var axes [3][]int
	raw, _ := toInt64s(n.Attrs["axes"])
	for k := range axes {
		rank := len(in[k])
		axes[k] = make([]int, count)
		for j := range axes[k] {
			ax := int64(j)
			if raw != nil {
				if j >= len(raw) {
					return axes, fmt.Errorf("axes %v do not match the bounds", raw)
				}
				ax = raw[j]
			}
			if ax < 0 {
				ax += int64(rank)
			}
			if ax < 0 || ax >= int64(rank) {
				return axes, fmt.Errorf("axis %d is out of range for %s", raw[j], ops.FormatShape(in[k]))
			}
			axes[k][j] = int(ax)
		}
	}
	return axes, nil
}

// resolveBound is the index a Slice start (or end) v resolves to on an
// axis of size dim: negative values count from the end, then starts are
// clamped to [0, dim] ([0, dim-1] for a negative step) and ends to [0, dim]
// ([-1, dim-1]).
func resolveBound(dim, v, step int64, start bool) int64 {
	if v < 0 {
		v += dim
	}
	lo, hi := int64(0), dim
	if step < 0 {
		hi = dim - 1
		if !start {
			lo = -1
		}
	}
	return min(max(v, lo), hi)
}
