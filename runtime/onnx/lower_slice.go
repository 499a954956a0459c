package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// lowerSlice folds a Slice of a constant (foldSlice) and converts one of a
// computed tensor to the runtime's Slice, whose bounds are attributes: the
// starts, ends, axes and steps must be constants at conversion (attributes
// before opset 10, inputs from 10 on). They are copied as they are
// (negative and out-of-range values keep ONNX's meaning in the runtime), so
// that bounds following symbolic sizes can be generalised (symbolic.go).
func lowerSlice(c *nodeCtx) error {
	if c.in[0].c != nil {
		return foldSlice(c)
	}
	x := c.in[0]
	var starts, ends, axes, steps []int64
	if c.im.opset < 10 {
		if !c.a.has("starts") || !c.a.has("ends") {
			return fmt.Errorf("%w: Slice needs the starts and ends attributes", ErrMalformed)
		}
		starts, ends, axes = c.a.ints("starts"), c.a.ints("ends"), c.a.ints("axes")
	} else {
		if c.input(1) == nil || c.input(2) == nil {
			return fmt.Errorf("%w: Slice needs starts and ends", ErrMalformed)
		}
		for i, dst := range []*[]int64{&starts, &ends, &axes, &steps} {
			var err error
			if *dst, _, err = c.intsIn(i+1, []string{"starts", "ends", "axes", "steps"}[i]); err != nil {
				return err
			}
		}
	}
	if starts == nil {
		starts = []int64{}
	}
	if ends == nil {
		ends = []int64{}
	}
	g, err := ops.NewSliceGeom(x.shape, toInts(starts), toInts(ends), int64sToInts(axes), int64sToInts(steps))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	attrs := map[string]any{"starts": starts, "ends": ends}
	if axes != nil {
		attrs["axes"] = axes
	}
	if steps != nil {
		attrs["steps"] = steps
	}
	c.emit("Slice", []string{c.dyn(0)}, attrs, g.Out)
	return nil
}

// int64sToInts is toInts keeping nil (an absent list) nil.
func int64sToInts(v []int64) []int {
	if v == nil {
		return nil
	}
	return toInts(v)
}

// slice writes the runtime's Slice as ONNX Slice (opset 10+: the bounds as
// constant inputs; axes are written when steps are).
func (e *exporter) slice(n *runtime.Node, a *runtime.AttrReader, outs []string) {
	starts, ends := ints64(a.Ints("starts", -1)), ints64(a.Ints("ends", -1))
	inputs := []string{n.Inputs[0], e.constInt(n.Name+"/starts", []int{len(starts)}, starts),
		e.constInt(n.Name+"/ends", []int{len(ends)}, ends)}
	var axes []int64
	if a.Has("axes") {
		axes = ints64(a.Ints("axes", -1))
	} else if a.Has("steps") {
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if axes != nil {
		inputs = append(inputs, e.constInt(n.Name+"/axes", []int{len(axes)}, axes))
	}
	if a.Has("steps") {
		steps := ints64(a.Ints("steps", -1))
		inputs = append(inputs, e.constInt(n.Name+"/steps", []int{len(steps)}, steps))
	}
	e.add(n.Name, "Slice", inputs, outs)
}
