package onnx

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

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
		"ReduceMean":  {1, lowerReduce("GlobalAveragePool")},
		"ReduceMax":   {1, lowerReduce("GlobalMaxPool")},
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
		"Identity":  {1, func(c *nodeCtx) error { c.alias(c.in[0]); return nil }},
		"Dropout":   {1, lowerDropout},
		"Cast":      {1, lowerCast},
		// Constants and shape computations, evaluated at conversion.
		"Constant":        {0, foldConstant},
		"ConstantOfShape": {1, foldConstantOfShape},
		"Shape":           {1, foldShape},
		"Size":            {1, foldSize},
		"Gather":          {2, foldGather},
		"Slice":           {1, foldSlice},
		"Equal":           {2, foldEqual},
		"Where":           {3, foldWhere},
		"Expand":          {2, foldExpand},
		"Range":           {3, foldRange},
		"Neg":             {1, foldUnary(func(v float64) float64 { return -v })},
		"Sqrt":            {1, foldUnary(math.Sqrt)},
		"Reciprocal":      {1, foldUnary(func(v float64) float64 { return 1 / v })},
	} {
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

// convParts are what Conv and ConvTranspose read alike: the input's spatial
// rank, the constant weights and optional bias, the window and the group.
type convParts struct {
	rank  int
	w, b  *val
	attrs map[string]any
	win   ops.Window
	group int
}

func readConvParts(c *nodeCtx) (*convParts, error) {
	x := c.in[0]
	rank, err := spatialRank(x)
	if err != nil {
		return nil, err
	}
	p := &convParts{rank: rank, attrs: map[string]any{}}
	if p.w, err = c.konstIn(1, "the weights W"); err != nil {
		return nil, err
	}
	if p.b, err = c.konstIn(2, "the bias B"); err != nil {
		return nil, err
	}
	if p.win, err = c.window(rank, p.attrs); err != nil {
		return nil, err
	}
	group := c.a.int("group", 1)
	if group < 1 || group > ops.MaxElements {
		return nil, fmt.Errorf("%w: group %d", ErrMalformed, group)
	}
	if group != 1 {
		p.attrs["group"] = group
	}
	p.group = int(group)
	if len(p.w.shape) != len(x.shape) {
		return nil, fmt.Errorf("%w: weights %s do not match input %s", ErrMalformed, ops.FormatShape(p.w.shape), ops.FormatShape(x.shape))
	}
	if err := c.checkKernel(p.w.shape[2:]); err != nil {
		return nil, err
	}
	return p, nil
}

// emit writes the node with inputs X, W and, if present, B (which must have
// m values).
func (p *convParts) emit(c *nodeCtx, op string, m int, out []int) error {
	inputs := []string{c.dyn(0), c.im.materialize(p.w)}
	if p.b != nil {
		if !ops.EqualShapes(p.b.shape, []int{m}) {
			return fmt.Errorf("%w: bias %s must have shape [%d]", ErrMalformed, ops.FormatShape(p.b.shape), m)
		}
		inputs = append(inputs, c.im.materialize(p.b))
	}
	c.emit(op, inputs, p.attrs, out)
	return nil
}

func lowerConv(c *nodeCtx) error {
	p, err := readConvParts(c)
	if err != nil {
		return err
	}
	g, err := ops.NewConvGeom(c.in[0].shape, p.w.shape, ops.ConvParams{Window: p.win, Groups: p.group})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p.emit(c, "Conv", g.M, g.OutShape())
}

func lowerConvTranspose(c *nodeCtx) error {
	p, err := readConvParts(c)
	if err != nil {
		return err
	}
	tp := ops.ConvTransposeParams{Window: p.win, Groups: p.group}
	if tp.OutputPadding, err = intList(c.a.ints("output_padding"), "output_padding", 0, ops.MaxElements); err != nil {
		return err
	}
	if tp.OutputPadding != nil {
		p.attrs["output_padding"] = ints64(tp.OutputPadding)
	}
	if tp.OutputShape, err = intList(c.a.ints("output_shape"), "output_shape", 1, ops.MaxElements); err != nil {
		return err
	}
	if len(tp.OutputShape) == p.rank+2 {
		tp.OutputShape = tp.OutputShape[2:]
	}
	if tp.OutputShape != nil {
		p.attrs["output_shape"] = ints64(tp.OutputShape)
	}
	g, err := ops.NewConvTransposeGeom(c.in[0].shape, p.w.shape, tp)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p.emit(c, "ConvTranspose", g.M, g.OutShape())
}

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
		if ceil := c.a.int("ceil_mode", 0); ceil != 0 {
			p.CeilMode = true
			attrs["ceil_mode"] = int64(1)
		}
		if kind == ops.PoolAvg && c.a.int("count_include_pad", 0) != 0 {
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

// lowerReduce converts ReduceMean and ReduceMax over every spatial axis to
// global pooling.
func lowerReduce(op string) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		x := c.in[0]
		axes := c.a.ints("axes")
		if axes == nil && len(c.in) > 1 && c.in[1] != nil {
			var err error
			if axes, _, err = c.intsIn(1, "axes"); err != nil {
				return err
			}
		}
		keep := c.a.int("keepdims", 1)
		c.a.int("noop_with_empty_axes", 0)
		rank := len(x.shape)
		seen := map[int]bool{}
		for _, a := range axes {
			ax, err := normAxis(a, rank, "axis")
			if err != nil {
				return err
			}
			seen[ax] = true
		}
		ok := rank >= 3 && len(seen) == rank-2
		for ax := 2; ax < rank; ax++ {
			ok = ok && seen[ax]
		}
		if !ok {
			return fmt.Errorf("%w: %s over axes %v of a %s input: only the reduction over all spatial axes (global pooling) is supported",
				ErrUnsupported, c.n.OpType, axes, ops.FormatShape(x.shape))
		}
		out := append([]int(nil), x.shape...)
		for i := 2; i < rank; i++ {
			out[i] = 1
		}
		if keep != 0 {
			c.emit(op, []string{c.dyn(0)}, nil, out)
			return nil
		}
		pooled := c.emitTemp("pool", op, []string{c.dyn(0)}, nil, out)
		flat := x.shape[:2]
		c.emit("Reshape", []string{pooled.name}, map[string]any{"shape": ints64(flat)}, append([]int(nil), flat...))
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
		axis, err := normAxis(c.a.int("axis", -1), rank, "axis")
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

func lowerBatchNorm(c *nodeCtx) error {
	x := c.in[0]
	if len(x.shape) < 2 {
		return fmt.Errorf("%w: input %s must have rank >= 2", ErrMalformed, ops.FormatShape(x.shape))
	}
	if c.im.opset < 9 && c.a.int("spatial", 1) != 1 {
		return fmt.Errorf("%w: spatial=0 (per-element statistics)", ErrUnsupported)
	}
	if c.a.int("training_mode", 0) != 0 {
		return fmt.Errorf("%w: training_mode=1 (wasmnn runs inference)", ErrUnsupported)
	}
	c.a.float("momentum", 0.9)
	c.a.int("is_test", 1)
	c.a.ints("consumed_inputs")
	ch := x.shape[1]
	inputs := []string{c.dyn(0)}
	for i, what := range []string{"scale", "B", "mean", "var"} {
		p, err := c.konstIn(i+1, what)
		if err != nil {
			return err
		}
		if p.c.len() != ch {
			return fmt.Errorf("%w: %s %s must have %d values (one per channel)", ErrMalformed, what, ops.FormatShape(p.shape), ch)
		}
		if len(p.shape) != 1 {
			p = &val{shape: []int{ch}, c: p.c, src: p.src}
		}
		inputs = append(inputs, c.im.materialize(p))
	}
	var attrs map[string]any
	if c.a.has("epsilon") {
		attrs = map[string]any{"epsilon": float64(c.a.float("epsilon", 0))}
	}
	c.emit("BatchNormalization", inputs, attrs, x.shape)
	return nil
}

// lowerGemm converts Y = alpha*op(A)*op(B) + beta*C with constant B into a
// Dense layer, folding alpha into the weights and beta into the bias.
func lowerGemm(c *nodeCtx) error {
	a := c.in[0]
	b, err := c.konstIn(1, "B (the weights)")
	if err != nil {
		return err
	}
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return fmt.Errorf("%w: Gemm needs 2D A and B, got %s and %s", ErrMalformed, ops.FormatShape(a.shape), ops.FormatShape(b.shape))
	}
	transA, transB := c.a.int("transA", 0) != 0, c.a.int("transB", 0) != 0
	alpha, beta := c.a.float("alpha", 1), c.a.float("beta", 1)
	c.a.int("broadcast", 1)
	x, xs := c.dyn(0), a.shape
	if transA {
		xs = []int{xs[1], xs[0]}
		x = c.emitTemp("transposeA", "Transpose", []string{x}, map[string]any{"perm": []int64{1, 0}}, xs).name
	}
	m, k := xs[0], xs[1]
	n, wk := b.shape[1], b.shape[0]
	if transB {
		n, wk = b.shape[0], b.shape[1]
	}
	if wk != k {
		return fmt.Errorf("%w: A %s and B %s (transA=%v, transB=%v) do not multiply", ErrMalformed, ops.FormatShape(a.shape), ops.FormatShape(b.shape), transA, transB)
	}
	w := b
	if alpha != 1 {
		src := b.c.floats()
		scaled := make([]float32, len(src))
		for i, v := range src {
			scaled[i] = float32(v * alpha)
		}
		w = &val{shape: b.shape, c: floatKonst(scaled), src: b.src + "_alpha"}
	}
	tr := int64(0)
	if transB {
		tr = 1
	}
	inputs := []string{x, c.im.materialize(w)}
	out := []int{m, n}
	var addC *val // a bias that does not fit Dense's [N] bias
	if cv := c.input(2); cv != nil && beta != 0 {
		bs, err := ops.NewBroadcastGeom(cv.shape, out)
		if err != nil || !ops.EqualShapes(bs.Out, out) {
			return fmt.Errorf("%w: C %s does not broadcast to the output %s", ErrMalformed, ops.FormatShape(cv.shape), ops.FormatShape(out))
		}
		switch {
		case cv.c == nil:
			addC = cv
			if beta != 1 {
				betaV := &val{shape: []int{}, c: floatKonst([]float32{beta}), src: c.name + "_beta"}
				addC = c.emitTemp("beta", "Mul", []string{c.dyn(2), c.im.materialize(betaV)}, nil, cv.shape)
			}
		default:
			cd := cv.c.floats()
			scaled := make([]float32, len(cd))
			for i, v := range cd {
				scaled[i] = v
				if beta != 1 {
					scaled[i] = float32(v * beta)
				}
			}
			switch {
			case len(scaled) == n && (len(cv.shape) == 1 || cv.shape[0] == 1):
				bias := &val{shape: []int{n}, c: floatKonst(scaled), src: cv.src}
				if beta != 1 {
					bias.src += "_beta"
				}
				inputs = append(inputs, c.im.materialize(bias))
			case len(scaled) == 1:
				rep := make([]float32, n)
				for i := range rep {
					rep[i] = scaled[0]
				}
				inputs = append(inputs, c.im.materialize(&val{shape: []int{n}, c: floatKonst(rep), src: cv.src + "_bias"}))
			default:
				addC = &val{shape: cv.shape, c: floatKonst(scaled), src: cv.src}
			}
		}
	}
	attrs := map[string]any{"transposed": tr}
	if addC == nil {
		c.emit("Dense", inputs, attrs, out)
		return nil
	}
	d := c.emitTemp("dense", "Dense", inputs, attrs, out)
	c.emit("Add", []string{d.name, c.im.materialize(addC)}, nil, out)
	return nil
}

// lowerMatMul converts a product with a constant 2D right operand into a
// Dense layer, reshaping inputs of other ranks to 2D and back.
func lowerMatMul(c *nodeCtx) error {
	a, b := c.in[0], c.in[1]
	if b.c == nil {
		return fmt.Errorf("%w: MatMul of two computed tensors (the right operand must be a constant weight)", ErrUnsupported)
	}
	if len(b.shape) != 2 {
		return fmt.Errorf("%w: MatMul with a %s right operand (only 2D weights)", ErrUnsupported, ops.FormatShape(b.shape))
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

func lowerBinary(kind ops.BinaryKind) func(c *nodeCtx) error {
	return func(c *nodeCtx) error {
		a, b := c.in[0], c.in[1]
		if c.a.has("broadcast") || c.a.has("axis") {
			// Opset 6 and older broadcasting; opset 7 dropped these.
			return fmt.Errorf("%w: legacy broadcast attributes", ErrUnsupported)
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

func lowerConcat(c *nodeCtx) error {
	if !c.a.has("axis") {
		return fmt.Errorf("%w: attribute axis is required", ErrMalformed)
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
	axis, err := normAxis(c.a.int("axis", 0), rank, "axis")
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
	default:
		c.emit("Reshape", []string{x.name}, map[string]any{"shape": ints64(shape)}, append([]int(nil), shape...))
	}
}

func lowerFlatten(c *nodeCtx) error {
	x := c.in[0]
	rank := len(x.shape)
	axis := c.a.int("axis", 1)
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis > int64(rank) {
		return fmt.Errorf("%w: axis %d is out of range for rank %d", ErrMalformed, c.a.int("axis", 1), rank)
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
	mode := c.a.str("mode", "constant")
	var pads []int64
	value := 0.0
	if c.im.opset < 11 {
		pads = c.a.ints("pads")
		if pads == nil {
			pads = c.a.ints("paddings")
		}
		value = float64(c.a.float("value", 0))
	} else {
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
	if c.a.int("is_test", 1) == 0 && c.im.opset < 7 {
		return fmt.Errorf("%w: training-mode dropout", ErrUnsupported)
	}
	c.a.float("ratio", 0.5)
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
	to := int32(c.a.int("to", 0))
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
