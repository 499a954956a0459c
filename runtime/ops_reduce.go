package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// reduceOps are the reductions over axes and ArgMax/ArgMin. The axes are an
// attribute (ONNX's form up to opset 17; ReduceSum's until opset 12): the
// ONNX importer reads them from the constant input of the later opsets.
var reduceOps = []*OpDef{
	reduceOp(ops.ReduceSum, "sum over axes"),
	reduceOp(ops.ReduceMean, "mean over axes"),
	reduceOp(ops.ReduceMax, "maximum over axes"),
	reduceOp(ops.ReduceMin, "minimum over axes"),
	reduceOp(ops.ReduceProd, "product over axes"),
	reduceOp(ops.ReduceL1, "sum of absolute values over axes"),
	reduceOp(ops.ReduceL2, "square root of the sum of squares over axes"),
	reduceOp(ops.ReduceSumSquare, "sum of squares over axes"),
	reduceOp(ops.ReduceLogSum, "log of the sum over axes"),
	reduceOp(ops.ReduceLogSumExp, "log of the sum of exponentials over axes"),
	{Name: "ArgMax", Doc: "index of the largest value along an axis, as a float32", Inputs: unary, Attrs: argAttrs, build: buildArg(false)},
	{Name: "ArgMin", Doc: "index of the smallest value along an axis, as a float32", Inputs: unary, Attrs: argAttrs, build: buildArg(true)},
}

var reduceAttrs = []AttrSpec{intsAttr("axes", -64, 64), boolAttr("keepdims", 1), boolAttr("noop_with_empty_axes", 0)}

var argAttrs = []AttrSpec{axisAttr(0), boolAttr("keepdims", 1), boolAttr("select_last_index", 0)}

func reduceOp(kind ops.ReduceKind, doc string) *OpDef {
	return &OpDef{Name: kind.String(), Doc: doc + " (all axes if none are given)", Inputs: unary, Attrs: reduceAttrs, build: buildReduce(kind)}
}

// ReduceAxes returns the axes a reduction of an input of the given rank
// covers, sorted and non-negative, for axes as ONNX gives them (negative
// counts from the end; none means all, or none with noop). Errors wrap
// ErrShape.
func ReduceAxes(axes []int, rank int, noop bool) ([]int, error) {
	if len(axes) == 0 {
		if noop {
			return []int{}, nil
		}
		all := make([]int, rank)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	seen := make([]bool, rank)
	for _, a := range axes {
		ax, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("%w: axes %v repeat axis %d", ErrShape, axes, ax)
		}
		seen[ax] = true
	}
	var out []int
	for ax, s := range seen {
		if s {
			out = append(out, ax)
		}
	}
	return out, nil
}

func buildReduce(kind ops.ReduceKind) builder {
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		shape := in[0].shape
		keep, noop := a.intv("keepdims") == 1, a.intv("noop_with_empty_axes") == 1
		axes, err := ReduceAxes(a.ints("axes", -1), len(shape), noop)
		if a.err != nil {
			return nil, a.err
		}
		if err != nil {
			return nil, err
		}
		if len(axes) == 0 && noop && ReduceIsIdentity(kind) {
			return viewLayer(shape), nil
		}
		g, err := ops.NewReduceGeom(shape, axes)
		if err != nil {
			return nil, err
		}
		out := g.Out
		if !keep {
			out = dropAxes(shape, axes)
		}
		return &layer{outShapes: [][]int{out}, flops: g.FLOPs(kind),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Reduce(kind, g, out[0], in[0]) }}, nil
			}}, nil
	}
}

// ReduceIsIdentity reports whether the reduction of a single value is the
// value itself: with noop_with_empty_axes and no axes such a reduction
// copies its input, while the others apply their elementwise part (ReduceL1
// and ReduceL2 give |x|, ReduceSumSquare x*x, ReduceLogSum log x), as ONNX
// defines.
func ReduceIsIdentity(kind ops.ReduceKind) bool {
	switch kind {
	case ops.ReduceL1, ops.ReduceL2, ops.ReduceSumSquare, ops.ReduceLogSum:
		return false
	}
	return true
}

// dropAxes returns shape without the given (sorted) axes.
func dropAxes(shape, axes []int) []int {
	out := []int{}
	for d, n := range shape {
		drop := false
		for _, a := range axes {
			drop = drop || a == d
		}
		if !drop {
			out = append(out, n)
		}
	}
	return out
}

func buildArg(min bool) builder {
	return func(a *attrs, in []operand, c opContext) (*layer, error) {
		shape := in[0].shape
		last := a.intv("select_last_index") == 1
		keep := a.intv("keepdims") == 1
		if len(shape) == 0 {
			return nil, fmt.Errorf("%w: input %s has no axis", ErrShape, ops.FormatShape(shape))
		}
		axis, err := normAxis(a.intv("axis"), len(shape))
		if err != nil {
			return nil, err
		}
		outer, mid, inner := ops.ShapeSize(shape[:axis]), shape[axis], ops.ShapeSize(shape[axis+1:])
		if mid == 0 {
			return nil, fmt.Errorf("%w: input %s is empty along axis %d", ErrShape, ops.FormatShape(shape), axis)
		}
		out := append([]int(nil), shape...)
		out[axis] = 1
		if !keep {
			out = dropAxes(shape, []int{axis})
		}
		return &layer{outShapes: [][]int{out}, flops: int64(ops.ShapeSize(shape)),
			kernel: func(int) (kernel, error) {
				return kernel{run: func(in, out [][]float32, _ []float32, _ int) {
					ops.ArgReduce(out[0], in[0], outer, mid, inner, min, last)
				}}, nil
			}}, nil
	}
}
