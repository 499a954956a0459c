package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ONNX converters of MatMul and the data-movement ops whose ONNX form takes
// constant inputs the runtime has as attributes: Gather, Expand, Tile, Split.

// emitRuntime emits runtime op op on input 0 with attrs, its output shape
// from the op's own shape rule; a constant float input is folded by running
// the op.
func (c *nodeCtx) emitRuntime(op string, attrs map[string]any) error {
	d, _ := runtime.Op(op)
	x := c.in[0]
	outs, err := d.Shapes(attrs, [][]int{x.shape}, []bool{x.c != nil})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if x.c != nil {
		k, err := evalConst(d, attrs, []*val{x}, outs[0])
		if err != nil {
			return err
		}
		c.constant(outs[0], k)
		return nil
	}
	c.emit(op, []string{x.name}, attrs, outs[0])
	return nil
}

// lowerMatMul keeps a product with a constant 2-D right operand as a Dense
// layer (with Reshapes around it for a batched left operand); any other
// product becomes the runtime's MatMul (folded when both are constant).
func lowerMatMul(c *nodeCtx) error {
	a, b := c.in[0], c.in[1]
	// A product of a rank-3+ activation by a constant matrix is a Dense
	// between Reshapes, whose target names the leading dimensions: with
	// symbolic input dimensions (im.dims), which it cannot follow, it stays
	// a MatMul.
	if b.c == nil || len(b.shape) != 2 || a.c != nil || len(a.shape) > 2 && c.im.dims != nil {
		d, _ := runtime.Op("MatMul")
		return lowerDirect(d)(c)
	}
	k, n := b.shape[0], b.shape[1]
	xs := a.shape
	if len(xs) == 0 || xs[len(xs)-1] != k {
		return fmt.Errorf("%w: A %s and B %s do not multiply", ErrMalformed, ops.FormatShape(xs), ops.FormatShape(b.shape))
	}
	lead := xs[:len(xs)-1]
	attrs := map[string]any{"transposed": int64(0)}
	x := c.dyn(0)
	if len(xs) == 2 {
		c.emit("Dense", []string{x, c.im.materialize(b)}, attrs, []int{xs[0], n})
		return nil
	}
	flat := []int{ops.ShapeSize(lead), k}
	r := c.emitTemp("flatten", "Reshape", []string{x}, map[string]any{"shape": ints64(flat)}, flat)
	d := c.emitTemp("dense", "Dense", []string{r.name, c.im.materialize(b)}, attrs, []int{flat[0], n})
	out := append(append([]int(nil), lead...), n)
	c.emit("Reshape", []string{d.name}, map[string]any{"shape": ints64(out)}, out)
	return nil
}

// lowerGather folds a Gather of constants and turns one of a computed
// tensor at constant indices into the runtime's Gather (indices as an
// attribute).
func lowerGather(c *nodeCtx) error {
	data := c.in[0]
	if data.c != nil {
		return foldGather(c)
	}
	idx, err := c.konstIn(1, "the indices")
	if err != nil {
		return err
	}
	if len(data.shape) == 0 {
		return fmt.Errorf("%w: gather from a scalar", ErrMalformed)
	}
	axis, err := normAxis(c.a.int("axis", intDefault("Gather", "axis")), len(data.shape), "axis")
	if err != nil {
		return err
	}
	attrs := map[string]any{"axis": int64(axis), "indices": append([]int64{}, idx.c.ints()...)}
	if len(idx.shape) != 1 {
		attrs["indices_shape"] = ints64(idx.shape)
	}
	return c.emitRuntime("Gather", attrs)
}

// lowerExpand folds an Expand of a constant and turns one of a computed
// tensor (to a constant shape) into the runtime's Expand.
func lowerExpand(c *nodeCtx) error {
	if c.in[0].c != nil {
		return foldExpand(c)
	}
	dims, _, err := c.intsIn(1, "shape")
	if err != nil {
		return err
	}
	want, err := shapeOf(dims, "Expand shape")
	if err != nil {
		return err
	}
	for _, d := range want {
		if d == 0 {
			return fmt.Errorf("%w: Expand to an empty shape %v", ErrUnsupported, want)
		}
	}
	return c.emitRuntime("Expand", map[string]any{"shape": ints64(want)})
}

// lowerTile converts Tile with constant repeats (opset 6 and later).
func lowerTile(c *nodeCtx) error {
	if c.im.opset < 6 {
		return fmt.Errorf("%w: Tile before opset 6 (tiles and axis inputs)", ErrUnsupported)
	}
	reps, _, err := c.intsIn(1, "repeats")
	if err != nil {
		return err
	}
	if reps == nil {
		return fmt.Errorf("%w: Tile needs repeats", ErrMalformed)
	}
	if c.in[0].c != nil && c.in[0].c.isInt {
		return fmt.Errorf("%w: Tile of an integer constant", ErrUnsupported)
	}
	for _, r := range reps {
		if r < 1 {
			return fmt.Errorf("%w: Tile with repeats %v (empty results)", ErrUnsupported, reps)
		}
	}
	return c.emitRuntime("Tile", map[string]any{"repeats": append([]int64{}, reps...)})
}

// splitSizes returns the part sizes of an ONNX Split of dim along its axis
// into outputs parts: the 'split' attribute (opset < 13) or input (13+),
// else num_outputs (18+: parts of ceil(dim/n), the last smaller), else equal
// parts.
func (c *nodeCtx) splitSizes(dim, outputs int) ([]int, error) {
	var split []int64
	if c.im.opset < 13 {
		split = c.a.ints("split")
		if split == nil && len(c.in) > 1 && c.in[1] != nil { // opset 1: split as an input
			s, _, err := c.intsIn(1, "split")
			if err != nil {
				return nil, err
			}
			split = s
		}
	} else {
		s, _, err := c.intsIn(1, "split")
		if err != nil {
			return nil, err
		}
		split = s
	}
	if split != nil {
		if len(split) != outputs {
			return nil, fmt.Errorf("%w: split %v has %d parts for %d outputs", ErrMalformed, split, len(split), outputs)
		}
		sizes := make([]int, len(split))
		total := 0
		for i, s := range split {
			if s < 0 || s > int64(dim) {
				return nil, fmt.Errorf("%w: split %v for an axis of %d", ErrMalformed, split, dim)
			}
			sizes[i] = int(s)
			total += sizes[i]
		}
		if total != dim {
			return nil, fmt.Errorf("%w: split %v does not add up to %d", ErrMalformed, split, dim)
		}
		return sizes, nil
	}
	n := outputs
	if c.im.opset >= 18 && c.a.has("num_outputs") {
		k := c.a.int("num_outputs", 0)
		if k != int64(outputs) || k < 1 {
			return nil, fmt.Errorf("%w: num_outputs %d for %d outputs", ErrMalformed, k, outputs)
		}
		part := (dim + n - 1) / n
		sizes := make([]int, n)
		left := dim
		for i := range sizes {
			sizes[i] = min(part, left)
			left -= sizes[i]
		}
		return sizes, nil
	}
	if dim%n != 0 {
		return nil, fmt.Errorf("%w: axis of %d does not split into %d equal parts", ErrMalformed, dim, n)
	}
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = dim / n
	}
	return sizes, nil
}

// lowerSplit converts Split into the runtime's Split, one output per part,
// or folds it on a constant.
func lowerSplit(c *nodeCtx) error {
	x := c.in[0]
	if len(x.shape) == 0 {
		return fmt.Errorf("%w: split of a scalar", ErrMalformed)
	}
	axis, err := normAxis(c.a.int("axis", intDefault("Split", "axis")), len(x.shape), "axis")
	if err != nil {
		return err
	}
	sizes, err := c.splitSizes(x.shape[axis], len(c.n.Outputs))
	if err != nil {
		return err
	}
	shapes := make([][]int, len(sizes))
	for i, s := range sizes {
		shapes[i] = append([]int(nil), x.shape...)
		shapes[i][axis] = s
	}
	if x.c != nil {
		outer, inner := ops.ShapeSize(x.shape[:axis]), ops.ShapeSize(x.shape[axis+1:])
		row, off := x.shape[axis]*inner, 0
		c.outs = nil
		for i, s := range sizes {
			k := &konst{isInt: x.c.isInt, i: []int64{}, f: []float32{}}
			for o := 0; o < outer; o++ {
				lo, hi := o*row+off, o*row+off+s*inner
				if k.isInt {
					k.i = append(k.i, x.c.i[lo:hi]...)
				} else {
					k.f = append(k.f, x.c.f[lo:hi]...)
				}
			}
			off += s * inner
			c.outs = append(c.outs, &val{shape: shapes[i], c: k})
		}
		return nil
	}
	for _, s := range sizes {
		if s == 0 {
			return fmt.Errorf("%w: split %v has an empty part", ErrUnsupported, sizes)
		}
	}
	if len(sizes) == 1 {
		c.alias(x)
		return nil
	}
	attrs := map[string]any{"axis": int64(axis), "split": ints64(sizes)}
	d, _ := runtime.Op("Split")
	if _, err := d.Shapes(attrs, [][]int{x.shape}, []bool{false}); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	outNames := make([]string, len(sizes))
	c.outs = make([]*val, len(sizes))
	for i := range sizes {
		base := c.n.Outputs[i]
		if base == "" {
			base = fmt.Sprintf("%s/%d", c.name, i)
		}
		outNames[i] = c.im.fresh(base)
		c.outs[i] = &val{shape: shapes[i], name: outNames[i]}
	}
	c.im.m.Nodes = append(c.im.m.Nodes, &runtime.Node{Name: freshName(c.im.usedNodes, c.name), Op: "Split",
		Inputs: []string{x.name}, Outputs: outNames, Attrs: attrs})
	return nil
}
