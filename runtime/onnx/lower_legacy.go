package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
)

// Semantics of opsets 1 to 6 that later opsets dropped: the limited
// broadcasting of the arithmetic ops (broadcast and axis attributes), the
// string target type of Cast-1 and the per-element statistics of
// BatchNormalization with spatial=0 (opsets 1 to 8). The converters call
// these where the old forms differ; attributes that only concerned
// training or in-place execution (consumed_inputs, is_test) are read and
// have no effect.

// legacyBroadcast returns operand B of an Add, Sub, Mul, Div, Pow or Equal
// before opset 7, reshaped so that numpy broadcasting gives the result of
// the time. Without broadcast=1 the operands have the same shape. With it,
// B is broadcast to A (never the reverse): B has one element, or its shape
// is a contiguous run of A's dimensions starting at axis (by default A's
// last dimensions), to which trailing 1s are appended.
func (c *nodeCtx) legacyBroadcast(a, b *val) (*val, error) {
	c.a.ints("consumed_inputs")
	if c.a.int("broadcast", 0) == 0 {
		c.a.int("axis", 0)
		if !ops.EqualShapes(a.shape, b.shape) {
			return nil, fmt.Errorf("%w: operands %s and %s differ in shape and broadcast is 0 (before opset 7 only broadcast=1 broadcasts)",
				ErrMalformed, ops.FormatShape(a.shape), ops.FormatShape(b.shape))
		}
		return b, nil
	}
	ra, rb := len(a.shape), len(b.shape)
	if rb > ra {
		return nil, fmt.Errorf("%w: B %s has a higher rank than A %s (broadcast=1 broadcasts B to A)", ErrMalformed, ops.FormatShape(b.shape), ops.FormatShape(a.shape))
	}
	if ops.ShapeSize(b.shape) == 1 {
		return b, nil // one element: numpy broadcasting does it as it is
	}
	axis := int64(ra - rb)
	if c.a.has("axis") {
		axis = c.a.int("axis", 0)
		if axis < 0 {
			axis += int64(ra)
		}
	}
	if axis < 0 || axis+int64(rb) > int64(ra) {
		return nil, fmt.Errorf("%w: B %s does not fit in A %s at axis %d", ErrMalformed, ops.FormatShape(b.shape), ops.FormatShape(a.shape), c.a.int("axis", 0))
	}
	at := int(axis)
	for i, d := range b.shape {
		if a.shape[at+i] != d {
			return nil, fmt.Errorf("%w: B %s is not A %s's dimensions from axis %d (broadcast=1 before opset 7)",
				ErrMalformed, ops.FormatShape(b.shape), ops.FormatShape(a.shape), at)
		}
	}
	trailing := ra - at - rb
	if trailing == 0 {
		return b, nil
	}
	shape := append(append([]int(nil), b.shape...), make([]int, trailing)...)
	for i := rb; i < len(shape); i++ {
		shape[i] = 1
	}
	if b.c != nil {
		return &val{shape: shape, c: b.c, src: b.src}, nil
	}
	return c.emitTemp("broadcast", "Reshape", []string{b.name}, map[string]any{"shape": ints64(shape)}, shape), nil
}

// castTarget reads Cast's target type: an int from opset 6 on, the name of
// a TensorProto data type ("FLOAT", "INT64", ...) in Cast-1.
func castTarget(c *nodeCtx) (int32, error) {
	if at := c.a.m["to"]; at != nil && at.Type == AttrString {
		name := strings.ToLower(string(at.S))
		for code, n := range typeNames {
			if n == name && code != 0 {
				return code, nil
			}
		}
		return 0, fmt.Errorf("%w: Cast to %q, which is not a TensorProto data type", ErrMalformed, at.S)
	}
	return int32(c.a.int("to", 0)), nil
}

// lowerBatchNormPerElement converts BatchNormalization with spatial=0
// (opsets 1 to 8): the statistics, scale and bias have one value per
// element of an example (shape [C, D1, ...], or C*D1*... values), and
// y = (x - mean) / sqrt(var + epsilon) * scale + B becomes x*a + b with a
// and b computed at conversion time (in float64, rounded once).
func lowerBatchNormPerElement(c *nodeCtx, eps float32) error {
	x := c.in[0]
	per := x.shape[1:]
	n := ops.ShapeSize(per)
	var p [4][]float32
	for i, what := range []string{"scale", "B", "mean", "var"} {
		v, err := c.konstIn(i+1, what)
		if err != nil {
			return err
		}
		if v.c.len() != n {
			return fmt.Errorf("%w: %s %s must have %d values (spatial=0: one per element of %s)", ErrMalformed, what, ops.FormatShape(v.shape), n, ops.FormatShape(per))
		}
		p[i] = v.c.floats()
	}
	mul, add := make([]float32, n), make([]float32, n)
	for i := range mul {
		a := float64(p[0][i]) / math.Sqrt(float64(p[3][i])+float64(eps))
		mul[i] = float32(a)
		add[i] = float32(float64(p[1][i]) - float64(p[2][i])*a)
	}
	shape := append([]int(nil), per...)
	scaled := c.emitTemp("scale", "Mul", []string{c.dyn(0), c.im.materialize(&val{shape: shape, c: floatKonst(mul), src: c.name + "_scale"})}, nil, x.shape)
	c.emit("Add", []string{scaled.name, c.im.materialize(&val{shape: shape, c: floatKonst(add), src: c.name + "_shift"})}, nil, x.shape)
	return nil
}

// lowerUpsample1 converts Upsample-1 (an experimental op of opsets 1 to 6):
// a 4-D input scaled by the attributes height_scale and width_scale (at
// least 1; the output is floor(size*scale)), mode nearest or bilinear, which
// is Upsample-7's linear on the last two axes.
func lowerUpsample1(c *nodeCtx) error {
	if r := len(c.in[0].shape); r != 4 {
		return fmt.Errorf("%w: Upsample-1 of a rank-%d input (it takes NCHW)", ErrMalformed, r)
	}
	if !c.a.has("height_scale") || !c.a.has("width_scale") {
		return fmt.Errorf("%w: Upsample-1 needs the attributes height_scale and width_scale", ErrMalformed)
	}
	hs, ws := c.a.float("height_scale", 1), c.a.float("width_scale", 1)
	if hs < 1 || ws < 1 {
		return fmt.Errorf("%w: Upsample-1 scales %g, %g (each at least 1)", ErrMalformed, hs, ws)
	}
	mode := c.a.str("mode", "nearest")
	switch mode {
	case "nearest":
	case "bilinear":
		mode = "linear"
	default:
		return fmt.Errorf("%w: Upsample-1 mode %q (want nearest or bilinear)", ErrMalformed, mode)
	}
	return c.resizeLegacy(mode, []float32{1, 1, hs, ws})
}
