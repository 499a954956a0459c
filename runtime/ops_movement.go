package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// movementOps copy values without arithmetic: Gather with constant indices,
// Expand, Tile, DepthToSpace, SpaceToDepth and Split (several outputs).
var movementOps = []*OpDef{
	{Name: "Gather", Doc: "entries at constant indices (negative count from the end) along an axis; output dims: before axis, indices_shape, after axis",
		Inputs: unary, Attrs: []AttrSpec{axisAttr(0), required(intsAttr("indices", -ops.MaxElements, ops.MaxElements)),
			intsAttr("indices_shape", 1, ops.MaxElements)}, build: buildGather},
	{Name: "Expand", Doc: "numpy broadcast to a shape", Inputs: unary,
		Attrs: []AttrSpec{required(intsAttr("shape", 1, ops.MaxElements))}, build: buildExpand},
	{Name: "Tile", Doc: "the input repeated along each axis", Inputs: unary,
		Attrs: []AttrSpec{required(intsAttr("repeats", 1, ops.MaxElements))}, build: buildTile},
	{Name: "DepthToSpace", Doc: "channels to blocksize x blocksize pixel blocks (mode DCR or CRD)", Inputs: unary,
		Attrs: []AttrSpec{required(intAttr("blocksize", 0, 1, 1<<16)), stringAttr("mode", "DCR")}, ONNX: true, build: buildDepthToSpace},
	{Name: "SpaceToDepth", Doc: "blocksize x blocksize pixel blocks to channels", Inputs: unary,
		Attrs: []AttrSpec{required(intAttr("blocksize", 0, 1, 1<<16))}, ONNX: true, build: buildSpaceToDepth},
	{Name: "Split", Doc: "parts of the given sizes along an axis, one output each", Inputs: unary,
		Attrs: []AttrSpec{axisAttr(0), required(intsAttr("split", 1, ops.MaxElements))}, MultiOutput: true, build: buildSplit},
}

func buildGather(a *attrs, in []operand, c opContext) (*layer, error) {
	xs := in[0].shape
	idx := a.ints("indices", -1)
	is := a.ints("indices_shape", -1)
	if a.err != nil {
		return nil, a.err
	}
	if !a.has("indices_shape") {
		is = []int{len(idx)}
	}
	if n, err := ops.NumElements(is); err != nil || n != len(idx) {
		return nil, fmt.Errorf("%w: indices_shape %v does not hold the %d indices", ErrShape, is, len(idx))
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("%w: gather from a scalar", ErrShape)
	}
	axis, err := normAxis(a.intv("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	dim := xs[axis]
	norm := make([]int, len(idx))
	for i, j := range idx {
		if j < -dim || j >= dim {
			return nil, fmt.Errorf("%w: index %d is out of range for axis %d of %s", ErrShape, j, axis, ops.FormatShape(xs))
		}
		if j < 0 {
			j += dim
		}
		norm[i] = j
	}
	out := append(append(append([]int{}, xs[:axis]...), is...), xs[axis+1:]...)
	if _, err := ops.NumElements(out); err != nil {
		return nil, err
	}
	outer, inner := ops.ShapeSize(xs[:axis]), ops.ShapeSize(xs[axis+1:])
	return &layer{outShapes: [][]int{out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Gather(out[0], in[0], outer, dim, inner, norm) }}, nil
		}}, nil
}

func buildExpand(a *attrs, in []operand, c opContext) (*layer, error) {
	shape := a.ints("shape", -1)
	if a.err != nil {
		return nil, a.err
	}
	g, err := ops.NewBroadcastGeom(in[0].shape, shape)
	if err != nil {
		return nil, err
	}
	if ops.EqualShapes(g.Out, in[0].shape) {
		return viewLayer(g.Out), nil
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Expand(g, out[0], in[0]) }}, nil
		}}, nil
}

func buildTile(a *attrs, in []operand, c opContext) (*layer, error) {
	reps := a.ints("repeats", -1)
	if a.err != nil {
		return nil, a.err
	}
	g, err := ops.NewTileGeom(in[0].shape, reps)
	if err != nil {
		return nil, err
	}
	if ops.EqualShapes(g.Out, in[0].shape) {
		return viewLayer(g.Out), nil
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Tile(g, out[0], in[0]) }}, nil
		}}, nil
}

// transposeView builds a layer that views its input with shape view,
// transposes it by perm and presents the result with shape out.
func transposeView(view, perm, out []int) (*layer, error) {
	g, err := ops.NewTransposeGeom(view, perm)
	if err != nil {
		return nil, err
	}
	if g.IsCopy() {
		return viewLayer(out), nil
	}
	return &layer{outShapes: [][]int{out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Transpose(g, out[0], in[0]) }}, nil
		}}, nil
}

func buildDepthToSpace(a *attrs, in []operand, c opContext) (*layer, error) {
	view, perm, out, err := ops.DepthToSpacePerm(in[0].shape, a.intv("blocksize"), a.str("mode"))
	if err != nil {
		return nil, err
	}
	return transposeView(view, perm, out)
}

func buildSpaceToDepth(a *attrs, in []operand, c opContext) (*layer, error) {
	view, perm, out, err := ops.SpaceToDepthPerm(in[0].shape, a.intv("blocksize"))
	if err != nil {
		return nil, err
	}
	return transposeView(view, perm, out)
}

func buildSplit(a *attrs, in []operand, c opContext) (*layer, error) {
	xs := in[0].shape
	sizes := a.ints("split", -1)
	if a.err != nil {
		return nil, a.err
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("%w: split of a scalar", ErrShape)
	}
	axis, err := normAxis(a.intv("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	total := 0
	outs := make([][]int, len(sizes))
	for i, s := range sizes {
		total += s
		outs[i] = append([]int(nil), xs...)
		outs[i][axis] = s
	}
	if total != xs[axis] || len(sizes) == 0 {
		return nil, fmt.Errorf("%w: split %v does not add up to axis %d of %s", ErrShape, sizes, axis, ops.FormatShape(xs))
	}
	outer, inner := ops.ShapeSize(xs[:axis]), ops.ShapeSize(xs[axis+1:])
	return &layer{outShapes: outs,
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Split(out, in[0], outer, sizes, inner) }}, nil
		}}, nil
}
