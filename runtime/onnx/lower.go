package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// The ONNX op converter table, and helpers the converters in lower_*.go share.

// handler converts one ONNX op: it sets c.outs from c.in, emitting runtime
// nodes for computed values and evaluating constant ones.
type handler struct {
	minIn int
	fn    func(c *nodeCtx) error
}

var handlers map[string]handler

func init() {
	// The ops ONNX shares with the runtime as they are, then those that
	// need converting.
	handlers = directHandlers()
	for name, h := range map[string]handler{
		// Layers with weights.
		"Conv":               {2, lowerConv},
		"ConvTranspose":      {2, lowerConvTranspose},
		"Gemm":               {2, lowerGemm},
		"MatMul":             {2, lowerMatMul},
		"BatchNormalization": {5, lowerBatchNorm},
		// Pooling and normalisation.
		"MaxPool":     {1, lowerPool(ops.PoolMax)},
		"AveragePool": {1, lowerPool(ops.PoolAvg)},
		"Softmax":     {1, lowerSoftmax},
		"Clip":        {1, lowerClip},
		// Data movement.
		"Concat":    {1, lowerConcat},
		"Flatten":   {1, lowerFlatten},
		"Reshape":   {1, lowerReshape},
		"Squeeze":   {1, lowerSqueeze},
		"Unsqueeze": {1, lowerUnsqueeze},
		"Transpose": {1, lowerTranspose},
		"Pad":       {1, lowerPad},
		"Resize":    {1, lowerResize},
		"Upsample":  {1, lowerUpsample},
		"Identity":  {1, func(c *nodeCtx) error { c.alias(c.in[0]); return nil }},
		"Tile":      {2, lowerTile},
		"Split":     {1, lowerSplit},
		"Dropout":   {1, lowerDropout},
		"Cast":      {1, lowerCast},
		// Constants and shape computations, evaluated at conversion.
		"Constant":        {0, foldConstant},
		"ConstantOfShape": {1, foldConstantOfShape},
		"Shape":           {1, foldShape},
		"Size":            {1, foldSize},
		"Gather":          {2, lowerGather},
		"Slice":           {1, lowerSlice},
		"Equal":           {2, foldEqual},
		"Where":           {3, foldWhere},
		"Expand":          {2, lowerExpand},
		"Range":           {3, foldRange},
	} {
		handlers[name] = h
	}
	for name, h := range elementwiseHandlers() {
		handlers[name] = h
	}
	for name, h := range reduceHandlers() {
		handlers[name] = h
	}
}

// window reads strides, dilations, pads and auto_pad for rank spatial axes,
// returning the window and the runtime attributes that express it.
func (c *nodeCtx) window(rank int, attrs map[string]any) (ops.Window, error) {
	var w ops.Window
	var err error
	if w.Strides, err = intList(c.a.ints("strides"), "strides", 1, ops.MaxElements); err != nil {
		return w, err
	}
	if w.Dilations, err = intList(c.a.ints("dilations"), "dilations", 1, ops.MaxElements); err != nil {
		return w, err
	}
	pads, err := intList(c.a.ints("pads"), "pads", 0, ops.MaxElements)
	if err != nil {
		return w, err
	}
	for name, v := range map[string][]int{"strides": w.Strides, "dilations": w.Dilations} {
		if v != nil && len(v) != rank {
			return w, fmt.Errorf("%w: %s %v needs %d values", ErrMalformed, name, v, rank)
		}
		if v != nil {
			attrs[name] = ints64(v)
		}
	}
	if pads != nil {
		if len(pads) != 2*rank {
			return w, fmt.Errorf("%w: pads %v needs %d values", ErrMalformed, pads, 2*rank)
		}
		w.PadsBegin, w.PadsEnd = pads[:rank], pads[rank:]
		attrs["pads"] = ints64(pads)
	}
	switch ap := c.a.str("auto_pad", "NOTSET"); ap {
	case "NOTSET", "":
	case "SAME_UPPER", "SAME_LOWER", "VALID":
		w.AutoPad, _ = ops.ParseAutoPad(ap)
		attrs["auto_pad"] = ap
		if ap == "VALID" {
			delete(attrs, "pads")
			w.PadsBegin, w.PadsEnd = nil, nil
		}
	default:
		return w, fmt.Errorf("%w: auto_pad %q", ErrMalformed, ap)
	}
	return w, nil
}

// checkKernel compares the kernel_shape attribute, if any, with the weights.
func (c *nodeCtx) checkKernel(kernel []int) error {
	ks := c.a.ints("kernel_shape")
	if ks == nil {
		return nil
	}
	if len(ks) != len(kernel) {
		return fmt.Errorf("%w: kernel_shape %v does not match weights with kernel %v", ErrMalformed, ks, kernel)
	}
	for i, k := range ks {
		if int(k) != kernel[i] {
			return fmt.Errorf("%w: kernel_shape %v does not match weights with kernel %v", ErrMalformed, ks, kernel)
		}
	}
	return nil
}

func spatialRank(x *val) (int, error) {
	rank := len(x.shape) - 2
	if rank < 1 || rank > 3 {
		return 0, fmt.Errorf("%w: input %s must have rank 3, 4 or 5 (N, C and 1 to 3 spatial axes)", ErrUnsupported, ops.FormatShape(x.shape))
	}
	return rank, nil
}

func lowerBinary(kind ops.BinaryKind) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		a, b := c.in[0], c.in[1]
		if c.im.opset < 7 {
			// The limited broadcasting of opsets 1 to 6 (lower_legacy.go).
			var err error
			if b, err = c.legacyBroadcast(a, b); err != nil {
				return err
			}
			c.in[1] = b
		} else if c.a.has("broadcast") || c.a.has("axis") {
			return fmt.Errorf("%w: attributes broadcast and axis belong to opsets 1 to 6, the model is opset %d", ErrMalformed, c.im.opset)
		}
		g, err := ops.NewBroadcastGeom(a.shape, b.shape)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if a.c != nil && b.c != nil {
			k, err := foldBinary(kind, a, b, g)
			if err != nil {
				return err
			}
			c.constant(g.Out, k)
			return nil
		}
		c.emit(kind.String(), []string{c.dyn(0), c.dyn(1)}, nil, g.Out)
		return nil
	}
}
