package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// ONNX converters of layers with weights: Conv, ConvTranspose, BatchNorm, Gemm, MatMul.

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
	group := c.a.int("group", intDefault("Conv", "group"))
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

func lowerBatchNorm(c *nodeCtx) error {
	x := c.in[0]
	if len(x.shape) < 2 {
		return fmt.Errorf("%w: input %s must have rank >= 2", ErrMalformed, ops.FormatShape(x.shape))
	}
	if c.a.int("training_mode", 0) != 0 {
		return fmt.Errorf("%w: training_mode=1 (wasmnn runs inference)", ErrUnsupported)
	}
	c.a.float("momentum", 0.9)
	// Opsets 1 to 6: is_test=0 (the default) meant training mode; wasmnn
	// computes Y in inference mode, as opset 7 and later define it.
	c.a.int("is_test", 0)
	c.a.ints("consumed_inputs")
	if c.im.opset < 9 && c.a.int("spatial", 1) == 0 {
		return lowerBatchNormPerElement(c, c.a.float("epsilon", floatDefault("BatchNormalization", "epsilon")))
	}
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
