package onnx

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Converters of the elementwise ops the runtime shares with ONNX (Sqrt,
// Neg, Max, PRelu, ...) where ONNX's use differs from the runtime's at the
// edges: int64 constants, which only shape computations have and the
// runtime's float32 tensors cannot hold, fold as integers here; PRelu's
// per-channel slope of opsets 1 to 6 is reshaped to broadcast. Everything
// else goes to the direct mapping (direct.go), which folds float constants
// by running the runtime's own kernel.

// elementwiseHandlers returns the converters of this file, for lower.go's
// handler table.
func elementwiseHandlers() map[string]handler {
	neg := func(v float64) float64 { return -v }
	return map[string]handler{
		"Neg":        intUnary("Neg", neg),
		"Abs":        intUnary("Abs", math.Abs),
		"Sqrt":       intUnary("Sqrt", math.Sqrt),
		"Reciprocal": intUnary("Reciprocal", func(v float64) float64 { return 1 / v }),
		"Floor":      intUnary("Floor", func(v float64) float64 { return v }),
		"Ceil":       intUnary("Ceil", func(v float64) float64 { return v }),
		"Sum":        intVariadic("Sum", func(x, y int64) int64 { return x + y }),
		"Max":        intVariadic("Max", func(x, y int64) int64 { return max(x, y) }),
		"Min":        intVariadic("Min", func(x, y int64) int64 { return min(x, y) }),
		"PRelu":      {2, lowerPRelu},
	}
}

// directOp returns the direct converter of runtime op name.
func directOp(name string) func(c *nodeCtx) error {
	d, ok := runtime.Op(name)
	if !ok || !d.ONNX {
		panic("onnx: runtime op " + name + " is not shared with ONNX")
	}
	return lowerDirect(d)
}

// intUnary converts a unary op directly, but folds an int64 constant input
// with f in float64, truncated back to int64 (as the importer always did).
func intUnary(name string, f func(float64) float64) handler {
	direct, ints := directOp(name), foldUnary(f)
	return handler{1, func(c *nodeCtx) error {
		if v := c.in[0]; v.c != nil && v.c.isInt {
			return ints(c)
		}
		return direct(c)
	}}
}

// intVariadic converts a variadic op directly, but folds it with f, left to
// right with broadcasting, when every input is an int64 constant.
func intVariadic(name string, f func(x, y int64) int64) handler {
	direct := directOp(name)
	return handler{1, func(c *nodeCtx) error {
		for _, v := range c.in {
			if v == nil || v.c == nil || !v.c.isInt {
				return direct(c)
			}
		}
		shapes := make([][]int, len(c.in))
		for i, v := range c.in {
			shapes[i] = v.shape
		}
		out, err := broadcastShapes(shapes...)
		if err != nil {
			return err
		}
		res := make([]int64, ops.ShapeSize(out))
		for i, v := range c.in {
			for o, j := range broadcastSource(out, v.shape) {
				if i == 0 {
					res[o] = v.c.i[j]
				} else {
					res[o] = f(res[o], v.c.i[j])
				}
			}
		}
		c.constant(out, intKonst(res))
		return nil
	}}
}

// lowerPRelu converts PRelu. In opsets 1 to 6 the slope did not broadcast
// as numpy does: one of C values was per channel (axis 1); a constant slope
// of that form is reshaped to [C, 1, ...] so that it does. Opset 7 and later
// broadcast the slope to X (unidirectionally), which the runtime does.
func lowerPRelu(c *nodeCtx) error {
	x, s := c.in[0], c.in[1]
	if c.im.opset < 7 && s.c != nil && len(s.shape) == 1 && len(x.shape) > 2 && s.shape[0] == x.shape[1] && s.shape[0] != 1 {
		shape := []int{s.shape[0]}
		for range x.shape[2:] {
			shape = append(shape, 1)
		}
		c.in[1] = &val{shape: shape, c: s.c, src: s.src}
	} else if c.im.opset < 7 && s.c == nil && ops.ShapeSize(s.shape) != 1 && !ops.EqualShapes(s.shape, x.shape) {
		return fmt.Errorf("%w: PRelu (opset %d) with a computed per-channel slope %s", ErrUnsupported, c.im.opset, ops.FormatShape(s.shape))
	}
	return directOp("PRelu")(c)
}
