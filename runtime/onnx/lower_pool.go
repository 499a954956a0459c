package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// ONNX converters of pooling, Softmax and Clip (the reductions are in
// lower_reduce.go).

func lowerPool(kind ops.PoolKind) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		x := c.in[0]
		rank, err := spatialRank(x)
		if err != nil {
			return err
		}
		attrs := map[string]any{}
		win, err := c.window(rank, attrs)
		if err != nil {
			return err
		}
		kernel, err := intList(c.a.ints("kernel_shape"), "kernel_shape", 1, ops.MaxElements)
		if err != nil {
			return err
		}
		if len(kernel) != rank {
			return fmt.Errorf("%w: kernel_shape %v needs %d values", ErrMalformed, kernel, rank)
		}
		attrs["kernel_shape"] = ints64(kernel)
		p := ops.PoolParams{Window: win, Kind: kind, Kernel: kernel}
		if ceil := c.a.int("ceil_mode", intDefault("MaxPool", "ceil_mode")); ceil != 0 {
			p.CeilMode = true
			attrs["ceil_mode"] = int64(1)
		}
		if kind == ops.PoolAvg && c.a.int("count_include_pad", intDefault("AveragePool", "count_include_pad")) != 0 {
			p.CountIncludePad = true
			attrs["count_include_pad"] = int64(1)
		}
		c.a.int("storage_order", 0) // only affects the Indices output
		g, err := ops.NewPoolGeom(x.shape, p)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		c.emit(map[ops.PoolKind]string{ops.PoolMax: "MaxPool", ops.PoolAvg: "AveragePool"}[kind], []string{c.dyn(0)}, attrs, g.OutShape())
		return nil
	}
}

func lowerSoftmax(c *nodeCtx) error {
	x := c.in[0]
	rank := len(x.shape)
	if rank == 0 {
		return fmt.Errorf("%w: softmax of a scalar", ErrMalformed)
	}
	if c.im.opset >= 13 {
		axis, err := normAxis(c.a.int("axis", intDefault("Softmax", "axis")), rank, "axis")
		if err != nil {
			return err
		}
		c.emit("Softmax", []string{c.dyn(0)}, map[string]any{"axis": int64(axis)}, x.shape)
		return nil
	}
	// Before opset 13 the input is flattened to 2D at axis (default 1) and
	// normalised over the second dimension.
	axis64 := c.a.int("axis", 1)
	if axis64 == int64(rank) {
		axis64 = int64(rank - 1)
	}
	axis, err := normAxis(axis64, rank, "axis")
	if err != nil {
		return err
	}
	if axis == rank-1 {
		c.emit("Softmax", []string{c.dyn(0)}, map[string]any{"axis": int64(axis)}, x.shape)
		return nil
	}
	flat := []int{ops.ShapeSize(x.shape[:axis]), ops.ShapeSize(x.shape[axis:])}
	r := c.emitTemp("flatten", "Reshape", []string{c.dyn(0)}, map[string]any{"shape": ints64(flat)}, flat)
	s := c.emitTemp("softmax", "Softmax", []string{r.name}, map[string]any{"axis": int64(1)}, flat)
	c.emit("Reshape", []string{s.name}, map[string]any{"shape": ints64(x.shape)}, x.shape)
	return nil
}

func lowerClip(c *nodeCtx) error {
	attrs := map[string]any{}
	if c.im.opset < 11 {
		if c.a.has("min") {
			attrs["min"] = float64(c.a.float("min", 0))
		}
		if c.a.has("max") {
			attrs["max"] = float64(c.a.float("max", 0))
		}
	} else {
		for i, name := range []string{"min", "max"} {
			v, ok, err := c.scalarIn(i+1, name)
			if err != nil {
				return err
			}
			if ok {
				attrs[name] = float64(float32(v))
			}
		}
	}
	if lo, ok := attrs["min"].(float64); ok {
		if hi, ok := attrs["max"].(float64); ok && lo > hi {
			// ONNX defines min > max as max everywhere; express it as
			// Clip(max, max).
			attrs["min"] = hi
		}
	}
	c.emit("Clip", []string{c.dyn(0)}, attrs, c.in[0].shape)
	return nil
}
