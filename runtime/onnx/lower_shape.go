package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ONNX converters of data movement: Concat, reshapes, Transpose, Pad, Dropout, Cast.

func lowerConcat(c *nodeCtx) error {
	defaultAxis := int64(1) // Concat-1: axis is optional, default 1
	if c.im.opset >= 4 {
		if !c.a.has("axis") {
			return fmt.Errorf("%w: attribute axis is required", ErrMalformed)
		}
		defaultAxis = 0
	}
	var ins []*val
	for _, v := range c.in {
		if v != nil {
			ins = append(ins, v)
		}
	}
	first := ins[0].shape
	rank := len(first)
	if rank == 0 {
		return fmt.Errorf("%w: concatenation of scalars", ErrMalformed)
	}
	axis, err := normAxis(c.a.int("axis", defaultAxis), rank, "axis")
	if err != nil {
		return err
	}
	out := append([]int(nil), first...)
	out[axis] = 0
	allConst := true
	for i, v := range ins {
		if len(v.shape) != rank {
			return fmt.Errorf("%w: input %d %s has a different rank from %s", ErrMalformed, i, ops.FormatShape(v.shape), ops.FormatShape(first))
		}
		for d := range first {
			if d != axis && v.shape[d] != first[d] {
				return fmt.Errorf("%w: input %d %s differs from %s outside axis %d", ErrMalformed, i, ops.FormatShape(v.shape), ops.FormatShape(first), axis)
			}
		}
		out[axis] += v.shape[axis]
		allConst = allConst && v.c != nil
	}
	if _, err := ops.NumElements(out); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if allConst {
		c.constant(out, foldConcat(ins, axis))
		return nil
	}
	var names []string
	for _, v := range ins {
		if ops.ShapeSize(v.shape) == 0 {
			continue
		}
		names = append(names, c.im.materialize(v))
	}
	c.emit("Concat", names, map[string]any{"axis": int64(axis)}, out)
	return nil
}

// reshape sets output 0 to x with a new shape: a constant keeps its data,
// a computed value gets a Reshape node (or none if the shape is unchanged).
func (c *nodeCtx) reshape(x *val, shape []int) {
	switch {
	case x.c != nil:
		c.constant(shape, x.c)
	case ops.EqualShapes(x.shape, shape):
		c.alias(x)
	case c.reshapeOnes(x, shape): // symbolic dimensions (lower_ones.go)
	default:
		c.emit("Reshape", []string{x.name}, map[string]any{"shape": ints64(shape)}, append([]int(nil), shape...))
	}
}

func lowerFlatten(c *nodeCtx) error {
	x := c.in[0]
	rank := len(x.shape)
	given := c.a.int("axis", intDefault("Flatten", "axis"))
	axis := given
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis > int64(rank) {
		return fmt.Errorf("%w: axis %d is out of range for rank %d", ErrMalformed, given, rank)
	}
	c.reshape(x, []int{ops.ShapeSize(x.shape[:axis]), ops.ShapeSize(x.shape[axis:])})
	return nil
}

func lowerReshape(c *nodeCtx) error {
	x := c.in[0]
	var want []int64
	if c.im.opset < 5 || len(c.in) < 2 {
		want = c.a.ints("shape")
	} else {
		var err error
		if want, _, err = c.intsIn(1, "the target shape"); err != nil {
			return err
		}
	}
	if want == nil {
		return fmt.Errorf("%w: no target shape", ErrMalformed)
	}
	allowZero := c.a.int("allowzero", 0) != 0
	out, err := resolveReshape(x.shape, want, allowZero)
	if err != nil {
		return err
	}
	c.reshape(x, out)
	return nil
}

// resolveReshape applies ONNX Reshape's rules (runtime.ResolveReshape); with
// allowZero (opset 14), a 0 is a literal zero-sized dimension, which wasmnn
// does not run.
func resolveReshape(in []int, want []int64, allowZero bool) ([]int, error) {
	dims := make([]int, len(want))
	for i, d := range want {
		switch {
		case d < -1 || d > ops.MaxElements:
			return nil, fmt.Errorf("%w: reshape %v: dimension %d", ErrMalformed, want, d)
		case d == 0 && allowZero:
			return nil, fmt.Errorf("%w: reshape %v with allowzero makes an empty tensor", ErrUnsupported, want)
		}
		dims[i] = int(d)
	}
	out, err := runtime.ResolveReshape(in, dims)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return out, nil
}

// axesArg reads the axes of Squeeze and Unsqueeze: an attribute before
// opset 13, an optional input after.
func (c *nodeCtx) axesArg() ([]int64, bool, error) {
	if c.im.opset < 13 {
		axes := c.a.ints("axes")
		return axes, axes != nil, nil
	}
	return c.intsIn(1, "axes")
}

func lowerSqueeze(c *nodeCtx) error {
	x := c.in[0]
	axes, given, err := c.axesArg()
	if err != nil {
		return err
	}
	drop := map[int]bool{}
	for _, a := range axes {
		ax, err := normAxis(a, len(x.shape), "axis")
		if err != nil {
			return err
		}
		if x.shape[ax] != 1 {
			return fmt.Errorf("%w: cannot squeeze axis %d of %s", ErrMalformed, ax, ops.FormatShape(x.shape))
		}
		drop[ax] = true
	}
	out := []int{}
	for i, d := range x.shape {
		if given && !drop[i] || !given && d != 1 {
			out = append(out, d)
		}
	}
	c.reshape(x, out)
	return nil
}

func lowerUnsqueeze(c *nodeCtx) error {
	x := c.in[0]
	axes, given, err := c.axesArg()
	if err != nil {
		return err
	}
	if !given {
		return fmt.Errorf("%w: axes are required", ErrMalformed)
	}
	rank := len(x.shape) + len(axes)
	ins := map[int]bool{}
	for _, a := range axes {
		ax, err := normAxis(a, rank, "axis")
		if err != nil {
			return err
		}
		if ins[ax] {
			return fmt.Errorf("%w: axis %d given twice", ErrMalformed, ax)
		}
		ins[ax] = true
	}
	out := make([]int, 0, rank)
	j := 0
	for i := 0; i < rank; i++ {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, x.shape[j])
			j++
		}
	}
	c.reshape(x, out)
	return nil
}

func lowerTranspose(c *nodeCtx) error {
	x := c.in[0]
	perm, err := intList(c.a.ints("perm"), "perm", 0, 64)
	if err != nil {
		return err
	}
	g, err := ops.NewTransposeGeom(x.shape, perm)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case x.c != nil:
		c.constant(g.Out, foldTranspose(x.c, g))
	case g.IsCopy():
		c.reshape(x, g.Out)
	default:
		c.emit("Transpose", []string{x.name}, map[string]any{"perm": ints64(g.Perm)}, g.Out)
	}
	return nil
}

func lowerPad(c *nodeCtx) error {
	x := c.in[0]
	rank := len(x.shape)
	mode := c.a.str("mode", stringDefault("Pad", "mode"))
	var pads []int64
	value := 0.0
	switch {
	case c.im.opset < 2:
		pads = c.a.ints("paddings") // Pad-1's name for pads
		value = float64(c.a.float("value", floatDefault("Pad", "value")))
	case c.im.opset < 11:
		pads = c.a.ints("pads")
		value = float64(c.a.float("value", floatDefault("Pad", "value")))
	default:
		var err error
		if pads, _, err = c.intsIn(1, "pads"); err != nil {
			return err
		}
		if v, ok, err := c.scalarIn(2, "constant_value"); err != nil {
			return err
		} else if ok {
			value = v
		}
		if axes, ok, err := c.intsIn(3, "axes"); err != nil {
			return err
		} else if ok {
			if len(pads) != 2*len(axes) {
				return fmt.Errorf("%w: pads %v need %d values for axes %v", ErrMalformed, pads, 2*len(axes), axes)
			}
			full := make([]int64, 2*rank)
			for i, a := range axes {
				ax, err := normAxis(a, rank, "axis")
				if err != nil {
					return err
				}
				full[ax], full[rank+ax] = pads[i], pads[len(axes)+i]
			}
			pads = full
		}
	}
	if len(pads) != 2*rank {
		return fmt.Errorf("%w: pads %v need %d values for input %s", ErrMalformed, pads, 2*rank, ops.FormatShape(x.shape))
	}
	for _, p := range pads {
		if p < 0 {
			return fmt.Errorf("%w: negative pads %v (cropping)", ErrUnsupported, pads)
		}
	}
	pm, err := ops.ParsePadMode(mode)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	ip, err := intList(pads, "pads", 0, ops.MaxElements)
	if err != nil {
		return err
	}
	g, err := ops.NewPadGeom(x.shape, ip, pm, float32(value))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if ops.EqualShapes(g.Out, x.shape) {
		c.alias(x)
		return nil
	}
	c.emit("Pad", []string{c.dyn(0)}, map[string]any{"pads": pads, "mode": mode, "value": float64(float32(value))}, g.Out)
	return nil
}

func lowerDropout(c *nodeCtx) error {
	// Opsets 1 to 6: is_test (default 0) chose training mode; wasmnn runs
	// inference, where Dropout is the identity whatever the attribute says.
	c.a.int("is_test", 0)
	c.a.ints("consumed_inputs")
	c.a.float("ratio", floatDefault("Dropout", "ratio"))
	c.a.int("seed", 0)
	if len(c.in) > 2 && c.in[2] != nil {
		v, err := c.konstIn(2, "training_mode")
		if err != nil {
			return err
		}
		if v.c.len() != 1 || v.c.at(0) != 0 {
			return fmt.Errorf("%w: training_mode=true", ErrUnsupported)
		}
	}
	c.alias(c.in[0])
	return nil
}

func lowerCast(c *nodeCtx) error {
	x := c.in[0]
	to, err := castTarget(c)
	if err != nil {
		return err
	}
	isFloat := to == TypeFloat || to == TypeFloat16 || to == TypeDouble || to == 16
	if x.c == nil {
		if !isFloat {
			return fmt.Errorf("%w: cast of a computed tensor to %s (wasmnn computes in float32)", ErrUnsupported, typeName(to))
		}
		c.alias(x)
		return nil
	}
	switch {
	case isFloat:
		c.constant(x.shape, floatKonst(x.c.floats()))
	case to == TypeBool:
		v := x.c.ints()
		out := make([]int64, len(v))
		for i := range v {
			if x.c.at(i) != 0 {
				out[i] = 1
			}
		}
		c.constant(x.shape, intKonst(out))
	case rawSize(to) > 0 && to != TypeString:
		c.constant(x.shape, intKonst(x.c.ints()))
	default:
		return fmt.Errorf("%w: cast to %s", ErrUnsupported, typeName(to))
	}
	return nil
}
