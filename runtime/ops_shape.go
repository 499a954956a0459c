package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// shapeOps move data without arithmetic: concatenation, views (Flatten,
// Reshape, Dropout at inference), Transpose and Pad.
var shapeOps = []*OpDef{
	{Name: "Concat", Doc: "concatenation along an axis", Inputs: []InputSpec{{Name: "inputs", Variadic: true}},
		Attrs: []AttrSpec{axisAttr(1)}, build: buildConcat},
	{Name: "Flatten", Doc: "view as 2-D [prod(dims[:axis]), prod(dims[axis:])]", Inputs: unary,
		Attrs: []AttrSpec{axisAttr(1)}, build: buildFlatten},
	{Name: "Reshape", Doc: "view with another shape (0 copies a dimension, -1 is inferred)", Inputs: unary,
		Attrs: []AttrSpec{required(intsAttr("shape", -1, ops.MaxElements))}, build: buildReshape},
	{Name: "Dropout", Doc: "identity at inference (ratio is used in training)", Inputs: unary,
		Attrs: []AttrSpec{floatAttr("ratio", 0.5)}, build: buildDropout},
	{Name: "Transpose", Doc: "permutation of the axes (default: reversed)", Inputs: unary,
		Attrs: []AttrSpec{intsAttr("perm", 0, 64)}, build: buildTranspose},
	{Name: "Pad", Doc: "padding: constant, reflect or edge", Inputs: unary,
		Attrs: []AttrSpec{required(intsAttr("pads", 0, ops.MaxElements)), stringAttr("mode", "constant"), floatAttr("value", 0)},
		build: buildPad},
}

func buildConcat(a *attrs, in []operand, c opContext) (*layer, error) {
	first := in[0].shape
	axis, err := normAxis(a.intv("axis"), len(first))
	if err != nil {
		return nil, err
	}
	sizes := make([]int, len(in))
	total := 0
	for i, op := range in {
		if len(op.shape) != len(first) {
			return nil, fmt.Errorf("%w: input %d %s has a different rank from %s", ErrShape, i, ops.FormatShape(op.shape), ops.FormatShape(first))
		}
		for d := range first {
			if d != axis && op.shape[d] != first[d] {
				return nil, fmt.Errorf("%w: input %d %s differs from %s outside axis %d", ErrShape, i, ops.FormatShape(op.shape), ops.FormatShape(first), axis)
			}
		}
		sizes[i] = op.shape[axis]
		total += sizes[i]
	}
	out := append([]int(nil), first...)
	out[axis] = total
	if _, err := ops.NumElements(out); err != nil {
		return nil, err
	}
	outer, inner := ops.ShapeSize(first[:axis]), ops.ShapeSize(first[axis+1:])
	return &layer{outShapes: [][]int{out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Concat(out[0], in, outer, sizes, inner) }}, nil
		}}, nil
}

func viewLayer(shape []int) *layer {
	return &layer{outShapes: [][]int{shape}, view: true,
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) {}}, nil
		}}
}

func buildFlatten(a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	axis := a.intv("axis")
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis > len(shape) {
		return nil, fmt.Errorf("%w: axis out of range for input %s", ErrShape, ops.FormatShape(shape))
	}
	return viewLayer([]int{ops.ShapeSize(shape[:axis]), ops.ShapeSize(shape[axis:])}), nil
}

func buildReshape(a *attrs, in []operand, c opContext) (*layer, error) {
	out, err := ResolveReshape(in[0].shape, a.ints("shape", -1))
	if err != nil {
		return nil, err
	}
	return viewLayer(out), nil
}

// ResolveReshape returns the shape a Reshape of an input of shape in to want
// produces, by ONNX Reshape's rules: 0 copies the input dimension at that
// position, -1 (at most once) is inferred from the element count. Errors wrap
// ErrShape.
func ResolveReshape(in, want []int) ([]int, error) {
	total := ops.ShapeSize(in)
	out := make([]int, len(want))
	infer := -1
	known := 1
	for i, d := range want {
		switch {
		case d == 0:
			if i >= len(in) {
				return nil, fmt.Errorf("%w: reshape %v: 0 at position %d but input %s has rank %d", ErrShape, want, i, ops.FormatShape(in), len(in))
			}
			d = in[i]
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("%w: reshape %v has more than one -1", ErrShape, want)
			}
			infer = i
			continue
		case d < 0:
			return nil, fmt.Errorf("%w: reshape %v: bad dimension %d", ErrShape, want, d)
		}
		out[i] = d
		if d != 0 && known > ops.MaxElements/d {
			return nil, fmt.Errorf("%w: reshape %v is too large", ErrShape, want)
		}
		known *= d
	}
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return nil, fmt.Errorf("%w: cannot reshape %s (%d elements) to %v", ErrShape, ops.FormatShape(in), total, want)
		}
		out[infer] = total / known
		known = total
	}
	if known != total {
		return nil, fmt.Errorf("%w: cannot reshape %s (%d elements) to %s", ErrShape, ops.FormatShape(in), total, ops.FormatShape(out))
	}
	return out, nil
}

func buildDropout(a *attrs, in []operand, c opContext) (*layer, error) {
	if r := a.float("ratio"); r < 0 || r >= 1 {
		return nil, fmt.Errorf("attribute ratio %g must be in [0, 1)", r)
	}
	return viewLayer(in[0].shape), nil
}

func buildTranspose(a *attrs, in []operand, c opContext) (*layer, error) {
	g, err := ops.NewTransposeGeom(in[0].shape, a.ints("perm", len(in[0].shape)))
	if err != nil {
		return nil, err
	}
	if g.IsCopy() {
		return viewLayer(g.Out), nil
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Transpose(g, out[0], in[0]) }}, nil
		}}, nil
}

func buildPad(a *attrs, in []operand, c opContext) (*layer, error) {
	shape := in[0].shape
	pads := a.ints("pads", 2*len(shape))
	value := a.float("value")
	if a.err != nil {
		return nil, a.err
	}
	mode, err := ops.ParsePadMode(a.str("mode"))
	if err != nil {
		return nil, fmt.Errorf("attribute mode: %w", err)
	}
	g, err := ops.NewPadGeom(shape, pads, mode, value)
	if err != nil {
		return nil, err
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Pad(g, out[0], in[0]) }}, nil
		}}, nil
}
