package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ONNX converters of resampling: Resize (opsets 10 to 19) and Upsample
// (opsets 7 and 9) become the runtime's Resize, whose target (scales or
// sizes) and region of interest are attributes; the inputs that carry them
// in ONNX must be constants at conversion.

// resizeInterp are the runtime Resize attributes an ONNX Resize (opset 11
// and newer) has under the same name, with their kinds.
var resizeInterp = []struct {
	name string
	kind runtime.AttrKind
}{
	{"mode", runtime.AttrString}, {"coordinate_transformation_mode", runtime.AttrString}, {"nearest_mode", runtime.AttrString},
	{"cubic_coeff_a", runtime.AttrFloat}, {"exclude_outside", runtime.AttrInt}, {"extrapolation_value", runtime.AttrFloat},
}

// floatsIn returns constant input i as floats (nil if absent or empty: an
// empty tensor stands for an omitted input).
func (c *nodeCtx) floatsIn(i int, what string) ([]float32, error) {
	v, err := c.konstIn(i, what)
	if err != nil || v == nil || v.c.len() == 0 {
		return nil, err
	}
	return v.c.floats(), nil
}

func lowerResize(c *nodeCtx) error {
	if c.im.opset < 11 {
		// Resize-10: X and scales; asymmetric coordinates, nearest as
		// Upsample rounds.
		scales, err := c.floatsIn(1, "scales")
		if err != nil {
			return err
		}
		if scales == nil {
			return fmt.Errorf("%w: scales are required", ErrMalformed)
		}
		return c.resizeLegacy(c.a.str("mode", "nearest"), scales)
	}
	if c.a.int("antialias", 0) != 0 {
		return fmt.Errorf("%w: antialias=1", ErrUnsupported)
	}
	attrs := map[string]any{}
	for _, s := range resizeInterp {
		if !c.a.has(s.name) {
			continue
		}
		switch s.kind {
		case runtime.AttrString:
			attrs[s.name] = c.a.str(s.name, "")
		case runtime.AttrFloat:
			attrs[s.name] = float64(c.a.float(s.name, 0))
		case runtime.AttrInt:
			attrs[s.name] = c.a.int(s.name, 0)
		}
	}
	mode, _ := attrs["mode"].(string)
	if mode != "cubic" {
		delete(attrs, "cubic_coeff_a")
		if v, _ := attrs["exclude_outside"].(int64); v == 0 {
			delete(attrs, "exclude_outside")
		}
	}
	if mode != "" && mode != "nearest" {
		delete(attrs, "nearest_mode")
	}
	if c.im.opset >= 18 {
		if axes := c.a.ints("axes"); axes != nil {
			attrs["axes"] = axes
		}
		if p := c.a.str("keep_aspect_ratio_policy", "stretch"); p != "stretch" {
			attrs["keep_aspect_ratio_policy"] = p
		}
	}
	if c.a.err != nil {
		return c.a.err
	}
	scales, err := c.floatsIn(2, "scales")
	if err != nil {
		return err
	}
	sizes, _, err := c.intsIn(3, "sizes")
	if err != nil {
		return err
	}
	switch {
	case scales != nil && sizes != nil:
		return fmt.Errorf("%w: both scales and sizes are given", ErrMalformed)
	case scales != nil:
		attrs["scales"] = floats64(scales)
		if _, ok := attrs["keep_aspect_ratio_policy"]; ok {
			delete(attrs, "keep_aspect_ratio_policy") // applies to sizes only
		}
	case sizes != nil:
		attrs["sizes"] = sizes
	default:
		return fmt.Errorf("%w: neither scales nor sizes is given", ErrMalformed)
	}
	if attrs["coordinate_transformation_mode"] == "tf_crop_and_resize" {
		roi, err := c.floatsIn(1, "roi")
		if err != nil {
			return err
		}
		if roi == nil {
			return fmt.Errorf("%w: tf_crop_and_resize without a region of interest (roi)", ErrMalformed)
		}
		attrs["roi"] = floats64(roi)
	} else {
		delete(attrs, "extrapolation_value")
	}
	return c.resize(c.in[0], attrs, false)
}

func lowerUpsample(c *nodeCtx) error {
	if c.im.opset < 7 {
		return lowerUpsample1(c) // attributes height_scale and width_scale (lower_legacy.go)
	}
	var scales []float32
	if c.im.opset < 9 {
		scales = c.a.floats("scales")
		if c.a.err != nil {
			return c.a.err
		}
	} else {
		var err error
		if scales, err = c.floatsIn(1, "scales"); err != nil {
			return err
		}
	}
	if scales == nil {
		return fmt.Errorf("%w: scales are required", ErrMalformed)
	}
	for _, s := range scales {
		if s < 1 {
			return fmt.Errorf("%w: Upsample scale %g is below 1", ErrMalformed, s)
		}
	}
	return c.resizeLegacy(c.a.str("mode", "nearest"), scales)
}

// resizeLegacy converts Upsample and Resize-10: asymmetric coordinates, and
// nearest rounding down along axes that grow and up along axes that shrink
// (as ONNX Runtime does). With both kinds of axes, the resize is split in
// two nodes (nearest resampling is separable).
func (c *nodeCtx) resizeLegacy(mode string, scales []float32) error {
	if mode != "nearest" && mode != "linear" {
		return fmt.Errorf("%w: mode %q (want nearest or linear)", ErrUnsupported, mode)
	}
	x := c.in[0]
	if len(scales) != len(x.shape) {
		return fmt.Errorf("%w: %d scales for input %s", ErrMalformed, len(scales), ops.FormatShape(x.shape))
	}
	base := map[string]any{"mode": mode, "coordinate_transformation_mode": "asymmetric"}
	if mode == "linear" {
		base["scales"] = floats64(scales)
		return c.resize(x, base, false)
	}
	up, down := make([]float32, len(scales)), make([]float32, len(scales))
	var nUp, nDown int
	for i, s := range scales {
		up[i], down[i] = 1, 1
		switch {
		case s > 1:
			up[i] = s
			nUp++
		case s < 1:
			down[i] = s
			nDown++
		}
	}
	with := func(s []float32, nearest string) map[string]any {
		m := map[string]any{"nearest_mode": nearest, "scales": floats64(s)}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	if nUp > 0 && nDown > 0 {
		if err := c.resize(x, with(up, "floor"), true); err != nil {
			return err
		}
		return c.resize(c.outs[0], with(down, "ceil"), false)
	}
	if nDown > 0 {
		return c.resize(x, with(scales, "ceil"), false)
	}
	return c.resize(x, with(scales, "floor"), false)
}

// resize sets output 0 to x resized with the runtime Resize attributes
// attrs (as an intermediate value if temp), folding a constant input.
func (c *nodeCtx) resize(x *val, attrs map[string]any, temp bool) error {
	d, _ := runtime.Op("Resize")
	outs, err := d.Shapes(attrs, [][]int{x.shape}, []bool{false})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	out := outs[0]
	switch {
	case ops.EqualShapes(out, x.shape):
		c.alias(x) // the identity, as in ONNX Runtime
	case x.c != nil:
		k, err := evalConst(d, attrs, []*val{x}, out)
		if err != nil {
			return err
		}
		c.constant(out, k)
	case temp:
		c.outs = []*val{c.emitTemp("up", "Resize", []string{c.im.materialize(x)}, attrs, out)}
	default:
		c.emit("Resize", []string{c.im.materialize(x)}, attrs, out)
	}
	return nil
}

func floats64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

// resize writes a runtime Resize as an ONNX Resize: opset 13's form (roi,
// scales and sizes as constant inputs), or opset 19's when the node uses
// axes, a keep-aspect-ratio policy or half_pixel_symmetric.
func (e *exporter) resize(n *runtime.Node, a *runtime.AttrReader, outs []string) {
	var attrs []*Attr
	for _, s := range resizeInterp {
		if !a.Has(s.name) {
			continue
		}
		switch s.kind {
		case runtime.AttrString:
			attrs = append(attrs, attrStr(s.name, a.String(s.name)))
		case runtime.AttrFloat:
			attrs = append(attrs, attrFloat(s.name, a.Float(s.name)))
		case runtime.AttrInt:
			attrs = append(attrs, attrInt(s.name, int64(a.Int(s.name))))
		}
	}
	if a.Has("axes") || a.String("keep_aspect_ratio_policy") != "stretch" || a.String("coordinate_transformation_mode") == "half_pixel_symmetric" {
		e.opset = max(e.opset, 19)
		attrs = append(attrs, intsAttr(a, "axes"))
		if p := a.String("keep_aspect_ratio_policy"); p != "stretch" {
			attrs = append(attrs, attrStr("keep_aspect_ratio_policy", p))
		}
	}
	floats := func(suffix string, v []float32) string {
		name := e.fresh(n.Name + "/" + suffix)
		e.g.Initializers = append(e.g.Initializers, floatTensor(name, []int{len(v)}, v))
		return name
	}
	inputs := []string{n.Inputs[0], "", "", ""}
	if a.Has("roi") {
		inputs[1] = floats("roi", a.Floats("roi", -1))
	}
	if a.Has("scales") {
		inputs[2] = floats("scales", a.Floats("scales", -1))
	} else {
		sizes := ints64(a.Ints("sizes", -1))
		inputs[3] = e.constInt(n.Name+"/sizes", []int{len(sizes)}, sizes)
	}
	for inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(inputs)-1]
	}
	e.add(n.Name, "Resize", inputs, outs, attrs...)
}
