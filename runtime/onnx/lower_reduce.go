package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ONNX converters of the reductions and of ArgMax/ArgMin.

// reduceHandlers returns the converters of the ONNX reductions.
func reduceHandlers() map[string]handler {
	m := map[string]handler{
		"ArgMax": {1, lowerArg("ArgMax")},
		"ArgMin": {1, lowerArg("ArgMin")},
	}
	for _, k := range ops.ReduceKinds() {
		m[k.String()] = handler{1, lowerReduce(k)}
	}
	return m
}

// lowerReduce converts a reduction. The axes are an attribute (opsets 1-17;
// ReduceSum's until opset 12) or a constant input (ReduceSum from opset 13,
// the others from 18). ReduceMean and ReduceMax over every spatial axis of a
// rank 3 to 5 input become global pooling, the others the runtime's op.
func lowerReduce(kind ops.ReduceKind) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		x := c.in[0]
		axes := c.a.ints("axes")
		if c.input(1) != nil {
			if axes != nil {
				return fmt.Errorf("%w: axes given both as an attribute and as an input", ErrMalformed)
			}
			var err error
			if axes, _, err = c.intsIn(1, "axes"); err != nil {
				return err
			}
		}
		keep := c.a.int("keepdims", intDefault(kind.String(), "keepdims"))
		noop := c.a.int("noop_with_empty_axes", intDefault(kind.String(), "noop_with_empty_axes"))
		if keep != 0 && keep != 1 || noop != 0 && noop != 1 {
			return fmt.Errorf("%w: keepdims %d and noop_with_empty_axes %d must be 0 or 1", ErrMalformed, keep, noop)
		}
		list := make([]int, len(axes))
		for i, a := range axes {
			if a < -int64(len(x.shape)) || a >= int64(len(x.shape)) {
				return fmt.Errorf("%w: axis %d is out of range for rank %d", ErrMalformed, a, len(x.shape))
			}
			list[i] = int(a)
		}
		norm, err := runtime.ReduceAxes(list, len(x.shape), noop == 1)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if len(norm) == 0 && noop == 1 && runtime.ReduceIsIdentity(kind) {
			c.alias(x)
			return nil
		}
		if x.c == nil && globalPoolAxes(norm, len(x.shape)) && (kind == ops.ReduceMean || kind == ops.ReduceMax) {
			return lowerGlobalReduce(c, kind, keep == 1)
		}
		attrs := map[string]any{"axes": ints64(norm)}
		if len(norm) == 0 {
			attrs = map[string]any{"noop_with_empty_axes": int64(1)}
		}
		if keep == 0 {
			attrs["keepdims"] = int64(0)
		}
		d, _ := runtime.Op(kind.String())
		return emitOrFold(c, d, attrs, false)
	}
}

// globalPoolAxes reports whether axes (sorted) are every spatial axis of an
// input of the given rank, as global pooling reduces them.
func globalPoolAxes(axes []int, rank int) bool {
	if rank < 3 || rank > 5 || len(axes) != rank-2 {
		return false
	}
	for i, a := range axes {
		if a != i+2 {
			return false
		}
	}
	return true
}

// lowerGlobalReduce emits a reduction over every spatial axis as global
// pooling (then a reshape without keepdims).
func lowerGlobalReduce(c *nodeCtx, kind ops.ReduceKind, keep bool) error {
	op := "GlobalAveragePool"
	if kind == ops.ReduceMax {
		op = "GlobalMaxPool"
	}
	x := c.in[0]
	out := append([]int(nil), x.shape...)
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	if keep {
		c.emit(op, []string{c.dyn(0)}, nil, out)
		return nil
	}
	pooled := c.emitTemp("pool", op, []string{c.dyn(0)}, nil, out)
	flat := x.shape[:2]
	c.emit("Reshape", []string{pooled.name}, map[string]any{"shape": ints64(flat)}, append([]int(nil), flat...))
	return nil
}

// emitOrFold emits runtime op d on input 0 with attrs, or evaluates it when
// the input is a constant (as an integer constant if asInt).
func emitOrFold(c *nodeCtx, d *runtime.OpDef, attrs map[string]any, asInt bool) error {
	x := c.in[0]
	outs, err := d.Shapes(attrs, [][]int{x.shape}, []bool{x.c != nil})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if x.c != nil {
		in := x
		if x.c.isInt {
			// Integer constants (shape computations) fold in float32 when
			// every value, and the result, is exact there.
			for _, v := range x.c.ints() {
				if v >= 1<<24 || v <= -1<<24 {
					return fmt.Errorf("%w: %s of the integer constant %d", ErrUnsupported, d.Name, v)
				}
			}
			in = &val{shape: x.shape, c: floatKonst(x.c.floats())}
			asInt = true
		}
		k, err := evalConst(d, attrs, []*val{in}, outs[0])
		if err != nil {
			return err
		}
		if asInt {
			for _, e := range k.floats() {
				if e != e || e >= 1<<24 || e <= -1<<24 || e != float32(int64(e)) {
					return fmt.Errorf("%w: %s of integers gives %g", ErrUnsupported, d.Name, e)
				}
			}
			f := k.floats()
			v := make([]int64, len(f))
			for i, e := range f {
				v[i] = int64(e)
			}
			k = intKonst(v)
		}
		c.constant(outs[0], k)
		return nil
	}
	c.emit(d.Name, []string{c.dyn(0)}, attrs, outs[0])
	return nil
}

// lowerArg converts ArgMax and ArgMin (opsets 1-13; select_last_index from
// 12). ONNX's output is int64: wasmnn's is the index as a float32 value.
func lowerArg(op string) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		attrs := map[string]any{}
		for _, name := range []string{"axis", "keepdims", "select_last_index"} {
			if c.a.has(name) {
				attrs[name] = c.a.int(name, 0)
			}
		}
		if c.a.err != nil {
			return c.a.err
		}
		for _, name := range []string{"keepdims", "select_last_index"} {
			if v, ok := attrs[name].(int64); ok && v != 0 && v != 1 {
				return fmt.Errorf("%w: %s %d must be 0 or 1", ErrMalformed, name, v)
			}
		}
		if v, ok := attrs["axis"].(int64); ok && (v < -int64(len(c.in[0].shape)) || v >= int64(len(c.in[0].shape))) {
			return fmt.Errorf("%w: axis %d is out of range for rank %d", ErrMalformed, v, len(c.in[0].shape))
		}
		d, _ := runtime.Op(op)
		return emitOrFold(c, d, attrs, true)
	}
}
