package runtime

import (
	"math"

	"github.com/wasmnn/wasmnn/ops"
)

// sliceOps: ONNX Slice on activations, with its bounds as attributes (the
// ONNX importer reads them from constant inputs at conversion time).
var sliceOps = []*OpDef{
	{Name: "Slice", Doc: "the entries from starts to ends (exclusive) in steps along axes; negative starts and ends count from the end, both are clamped to the axis (9223372036854775807 means to the end)",
		Inputs: unary, Attrs: []AttrSpec{
			required(intsAttr("starts", math.MinInt64, math.MaxInt64)),
			required(intsAttr("ends", math.MinInt64, math.MaxInt64)),
			intsAttr("axes", -64, 64),
			intsAttr("steps", math.MinInt64, math.MaxInt64),
		}, build: buildSlice},
}

func buildSlice(a *attrs, in []operand, c opContext) (*layer, error) {
	starts := a.ints("starts", -1)
	ends := a.ints("ends", -1)
	axes := a.ints("axes", -1)
	steps := a.ints("steps", -1)
	if a.err != nil {
		return nil, a.err
	}
	g, err := ops.NewSliceGeom(in[0].shape, starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	if g.IsCopy() {
		return viewLayer(g.Out), nil
	}
	return &layer{outShapes: [][]int{g.Out},
		kernel: func(int) (kernel, error) {
			return kernel{run: func(in, out [][]float32, _ []float32, _ int) { ops.Slice(g, out[0], in[0]) }}, nil
		}}, nil
}
