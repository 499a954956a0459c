package runtime

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// resizeOps are the resampling ops.
var resizeOps = []*OpDef{
	{Name: "Resize", Doc: "resampling by scales or to sizes: nearest, n-linear or cubic, as ONNX Resize (opset 19) with the target as attributes",
		Inputs: unary, Attrs: []AttrSpec{
			stringAttr("mode", "nearest"),
			stringAttr("coordinate_transformation_mode", "half_pixel"),
			stringAttr("nearest_mode", "round_prefer_floor"),
			floatAttr("cubic_coeff_a", -0.75),
			boolAttr("exclude_outside", 0),
			floatAttr("extrapolation_value", 0),
			stringAttr("keep_aspect_ratio_policy", "stretch"),
			intsAttr("axes", -64, 63),
			floatsAttr("scales"),
			intsAttr("sizes", 1, ops.MaxElements),
			floatsAttr("roi"),
		}, build: buildResize},
}

// resizeSpec reads a Resize's attributes for an input of shape in: the
// output shape, the per-axis scales and the interpolation parameters.
func resizeSpec(a *attrs, in []int) (out []int, scales []float32, p ops.ResizeParams, err error) {
	t := ops.ResizeTarget{Scales: a.floats("scales", -1), Sizes: a.ints("sizes", -1), Axes: a.ints("axes", -1)}
	if a.err != nil {
		return nil, nil, p, a.err
	}
	if p.Mode, err = ops.ParseResizeMode(a.str("mode")); err != nil {
		return nil, nil, p, fmt.Errorf("attribute mode: %w", err)
	}
	if p.Coord, err = ops.ParseCoordMode(a.str("coordinate_transformation_mode")); err != nil {
		return nil, nil, p, fmt.Errorf("attribute coordinate_transformation_mode: %w", err)
	}
	if p.Nearest, err = ops.ParseNearestMode(a.str("nearest_mode")); err != nil {
		return nil, nil, p, fmt.Errorf("attribute nearest_mode: %w", err)
	}
	if t.Policy, err = ops.ParseAspectPolicy(a.str("keep_aspect_ratio_policy")); err != nil {
		return nil, nil, p, fmt.Errorf("attribute keep_aspect_ratio_policy: %w", err)
	}
	if t.Policy != ops.AspectStretch && t.Sizes == nil {
		return nil, nil, p, fmt.Errorf("attribute keep_aspect_ratio_policy %s needs sizes", t.Policy)
	}
	p.CubicA = a.float("cubic_coeff_a")
	p.ExcludeOutside = a.intv("exclude_outside") == 1
	if p.ExcludeOutside && p.Mode != ops.ResizeCubic {
		return nil, nil, p, fmt.Errorf("attribute exclude_outside applies to mode cubic only, not %s", p.Mode)
	}
	p.Extrapolation = a.float("extrapolation_value")
	out, scales, err = ops.ResolveResize(in, t)
	if err != nil {
		return nil, nil, p, err
	}
	roi := a.floats("roi", -1)
	if p.Coord != ops.CoordTFCropAndResize {
		if roi != nil {
			return nil, nil, p, fmt.Errorf("attribute roi applies to coordinate_transformation_mode tf_crop_and_resize only")
		}
		return out, scales, p, nil
	}
	n := len(in)
	if t.Axes != nil {
		n = len(t.Axes)
	}
	if len(roi) != 2*n {
		return nil, nil, p, fmt.Errorf("%w: tf_crop_and_resize needs attribute roi with %d values (starts, then ends), got %d", ErrShape, 2*n, len(roi))
	}
	rank := len(in)
	p.ROI = make([]float32, 2*rank)
	for i := 0; i < rank; i++ {
		p.ROI[rank+i] = 1
	}
	for i := 0; i < n; i++ {
		ax := i
		if t.Axes != nil {
			ax = (t.Axes[i] + rank) % rank
		}
		p.ROI[ax], p.ROI[rank+ax] = roi[i], roi[n+i]
	}
	return out, scales, p, nil
}

func buildResize(a *attrs, in []operand, c opContext) (*layer, error) {
	out, scales, p, err := resizeSpec(a, in[0].shape)
	if err != nil {
		return nil, err
	}
	g, err := ops.NewResizeGeom(in[0].shape, out, scales, p)
	if err != nil {
		return nil, err
	}
	return &layer{outShapes: [][]int{out}, flops: g.FLOPs(),
		kernel: func(int) (kernel, error) {
			return kernel{ws: g.Workspace(), run: func(in, out [][]float32, ws []float32, _ int) { ops.Resize(g, out[0], in[0], ws) }}, nil
		}}, nil
}
