package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// actStage is the activation fused into Conv, Dense or Add: the linear part
// writes the pre-activation, which backward needs.
type actStage struct {
	act       ops.Activation
	pre, dpre []float32
}

// target returns the buffer the linear part writes: out itself without an
// activation, the saved pre-activation otherwise.
func (a *actStage) target(out []float32) []float32 {
	if a.act.Kind == ops.ActNone {
		return out
	}
	if a.pre == nil {
		a.pre = make([]float32, len(out))
	}
	return a.pre
}

// finish applies the activation to the pre-activation into out.
func (a *actStage) finish(out []float32) {
	if a.act.Kind != ops.ActNone {
		copy(out, a.pre)
		a.act.Apply(out)
	}
}

// grad returns the gradient with respect to the pre-activation given the
// output and its gradient dy.
func (a *actStage) grad(out, dy []float32) []float32 {
	if a.act.Kind == ops.ActNone {
		return dy
	}
	if a.dpre == nil {
		a.dpre = make([]float32, len(dy))
	}
	ops.ActivationBackward(a.act, a.pre, out, dy, a.dpre)
	return a.dpre
}

// convOp is Conv with its weights (and bias) trained.
type convOp struct {
	g       ops.ConvGeom
	hasBias bool
	actStage
}

func newConvOp(a *runtime.AttrReader, shapes [][]int) (layerOp, []int, error) {
	x, w := shapes[0], shapes[1]
	rank := len(x) - 2
	if rank < 1 || rank > 3 {
		return nil, nil, fmt.Errorf("%w: input %s must have rank 3, 4 or 5", runtime.ErrShape, ops.FormatShape(x))
	}
	p := ops.ConvParams{Window: a.Window(rank), Groups: a.Int("group", 1)}
	op := &convOp{actStage: actStage{act: a.Fused()}}
	if a.Err() != nil {
		return nil, nil, a.Err()
	}
	g, err := ops.NewConvGeom(x, w, p)
	if err != nil {
		return nil, nil, err
	}
	if len(shapes) == 3 {
		if !ops.EqualShapes(shapes[2], []int{g.M}) {
			return nil, nil, fmt.Errorf("%w: bias %s must have shape [%d]", runtime.ErrShape, ops.FormatShape(shapes[2]), g.M)
		}
		op.hasBias = true
	}
	op.g = g
	return op, g.OutShape(), nil
}

func (c *convOp) forward(p *pass, s *step, train bool) error {
	var bias []float32
	if c.hasBias {
		bias = p.values[s.in[2]].data
	}
	conv, err := ops.NewConv(c.g, p.values[s.in[1]].data, bias, ops.Activation{}, ops.AlgoAuto)
	if err != nil {
		return err
	}
	out := p.values[s.out].data
	conv.Forward(c.target(out), p.values[s.in[0]].data, p.scratch(conv.WorkspaceLen()), p.t.threads)
	c.finish(out)
	return nil
}

func (c *convOp) backward(p *pass, s *step) {
	out := p.values[s.out]
	dy := c.grad(out.data, out.grad)
	var dx, dw, db []float32
	if p.needs(s.in[0]) {
		dx = p.gradDst(s.in[0])
	}
	if p.needs(s.in[1]) {
		dw = p.gradDst(s.in[1])
	}
	if c.hasBias && p.needs(s.in[2]) {
		db = p.gradDst(s.in[2])
	}
	ws := p.scratch(ops.ConvBackwardWorkspaceLen(c.g))
	ops.ConvBackward(c.g, p.values[s.in[0]].data, p.values[s.in[1]].data, dy, dx, dw, db, ws, p.t.threads)
	for i, g := range [][]float32{dx, dw, db} {
		if g != nil {
			p.gradDone(s.in[i])
		}
	}
}

// poolOp is MaxPool or AveragePool.
type poolOp struct{ g ops.PoolGeom }

func newPoolOp(a *runtime.AttrReader, kind ops.PoolKind, x []int) (layerOp, []int, error) {
	rank := len(x) - 2
	if rank < 1 || rank > 3 {
		return nil, nil, fmt.Errorf("%w: input %s must have rank 3, 4 or 5", runtime.ErrShape, ops.FormatShape(x))
	}
	pp := ops.PoolParams{Window: a.Window(rank), Kind: kind, Kernel: a.Ints("kernel_shape", rank),
		CeilMode: a.Int("ceil_mode", 0) == 1, CountIncludePad: a.Int("count_include_pad", 0) == 1}
	if a.Err() != nil {
		return nil, nil, a.Err()
	}
	if pp.Kernel == nil {
		return nil, nil, fmt.Errorf("attribute kernel_shape is required")
	}
	g, err := ops.NewPoolGeom(x, pp)
	if err != nil {
		return nil, nil, err
	}
	return &poolOp{g: g}, g.OutShape(), nil
}

func (o *poolOp) forward(p *pass, s *step, train bool) error {
	ops.Pool(o.g, p.values[s.out].data, p.values[s.in[0]].data)
	return nil
}

func (o *poolOp) backward(p *pass, s *step) {
	if !p.needs(s.in[0]) {
		return
	}
	ops.PoolBackward(o.g, p.values[s.in[0]].data, p.values[s.out].grad, p.gradDst(s.in[0]))
	p.gradDone(s.in[0])
}

// globalPoolOp is GlobalAveragePool or GlobalMaxPool.
type globalPoolOp struct {
	kind        ops.PoolKind
	n, c, plane int
}

func newGlobalPoolOp(kind ops.PoolKind, x []int) (layerOp, []int, error) {
	if len(x) < 3 || product(x[2:]) == 0 {
		return nil, nil, fmt.Errorf("%w: input %s must have rank >= 3 and spatial elements", runtime.ErrShape, ops.FormatShape(x))
	}
	out := []int{x[0], x[1]}
	for range x[2:] {
		out = append(out, 1)
	}
	return &globalPoolOp{kind: kind, n: x[0], c: x[1], plane: product(x[2:])}, out, nil
}

func (o *globalPoolOp) forward(p *pass, s *step, train bool) error {
	ops.GlobalPool(o.kind, p.values[s.out].data, p.values[s.in[0]].data, o.n, o.c, o.plane)
	return nil
}

func (o *globalPoolOp) backward(p *pass, s *step) {
	if !p.needs(s.in[0]) {
		return
	}
	ops.GlobalPoolBackward(o.kind, p.values[s.in[0]].data, p.values[s.out].grad, p.gradDst(s.in[0]), o.n, o.c, o.plane)
	p.gradDone(s.in[0])
}

// denseOp is Dense (y = x·Wᵀ + b, or x·W + b when not transposed).
type denseOp struct {
	batch, in, out      int
	transposed, hasBias bool
	actStage
}

func newDenseOp(a *runtime.AttrReader, shapes [][]int) (layerOp, []int, error) {
	x, w := shapes[0], shapes[1]
	op := &denseOp{transposed: a.Int("transposed", 1) == 1, actStage: actStage{act: a.Fused()}}
	if a.Err() != nil {
		return nil, nil, a.Err()
	}
	if len(x) != 2 || len(w) != 2 {
		return nil, nil, fmt.Errorf("%w: input %s and weights %s must have rank 2", runtime.ErrShape, ops.FormatShape(x), ops.FormatShape(w))
	}
	op.batch, op.in = x[0], x[1]
	wIn, out := w[0], w[1]
	if op.transposed {
		wIn, out = w[1], w[0]
	}
	if wIn != op.in {
		return nil, nil, fmt.Errorf("%w: input %s has %d features but weights %s expect %d", runtime.ErrShape, ops.FormatShape(x), op.in, ops.FormatShape(w), wIn)
	}
	op.out = out
	if len(shapes) == 3 {
		if !ops.EqualShapes(shapes[2], []int{out}) {
			return nil, nil, fmt.Errorf("%w: bias %s must have shape [%d]", runtime.ErrShape, ops.FormatShape(shapes[2]), out)
		}
		op.hasBias = true
	}
	return op, []int{op.batch, out}, nil
}

// forward sums each output's products in increasing input index (one Gemm),
// then adds the bias, as ops.Dense does.
func (d *denseOp) forward(p *pass, s *step, train bool) error {
	gp := ops.GemmParams{M: d.batch, N: d.out, K: d.in, TransB: d.transposed}
	out := p.values[s.out].data
	y := d.target(out)
	ops.Gemm(gp, p.values[s.in[0]].data, p.values[s.in[1]].data, y, p.scratch(ops.GemmWorkspaceLen(gp)), p.t.threads)
	if d.hasBias {
		b := p.values[s.in[2]].data
		for n := 0; n < d.batch; n++ {
			row := y[n*d.out : (n+1)*d.out]
			for j := range row {
				row[j] += b[j]
			}
		}
	}
	d.finish(out)
	return nil
}

func (d *denseOp) backward(p *pass, s *step) {
	out := p.values[s.out]
	dy := d.grad(out.data, out.grad)
	var dx, dw, db []float32
	if p.needs(s.in[0]) {
		dx = p.gradDst(s.in[0])
	}
	if p.needs(s.in[1]) {
		dw = p.gradDst(s.in[1])
	}
	if d.hasBias && p.needs(s.in[2]) {
		db = p.gradDst(s.in[2])
	}
	ops.DenseBackward(p.values[s.in[0]].data, p.values[s.in[1]].data, dy, dx, dw, db, d.batch, d.in, d.out, d.transposed)
	for i, g := range [][]float32{dx, dw, db} {
		if g != nil {
			p.gradDone(s.in[i])
		}
	}
}

// actOp is a standalone activation.
type actOp struct{ act ops.Activation }

func newActOp(a *runtime.AttrReader, op string, x []int) (layerOp, []int, error) {
	var act ops.Activation
	switch op {
	case "Relu":
		act = ops.Activation{Kind: ops.ActReLU}
	case "LeakyRelu":
		act = a.Act(ops.ActLeakyReLU, "alpha", "beta")
	case "Clip":
		act = a.Act(ops.ActClip, "min", "max")
	case "Sigmoid":
		act = ops.Activation{Kind: ops.ActSigmoid}
	case "Tanh":
		act = ops.Activation{Kind: ops.ActTanh}
	}
	return &actOp{act: act}, x, nil
}

func (o *actOp) forward(p *pass, s *step, train bool) error {
	out := p.values[s.out].data
	copy(out, p.values[s.in[0]].data)
	o.act.Apply(out)
	return nil
}

func (o *actOp) backward(p *pass, s *step) {
	if !p.needs(s.in[0]) {
		return
	}
	out := p.values[s.out]
	ops.ActivationBackward(o.act, p.values[s.in[0]].data, out.data, out.grad, p.gradDst(s.in[0]))
	p.gradDone(s.in[0])
}

// copyOp is Flatten or Reshape: the data is copied unchanged, and so is the
// gradient.
type copyOp struct{}

func newFlattenOp(a *runtime.AttrReader, x []int) (layerOp, []int, error) {
	axis := a.Int("axis", 1)
	if axis < 0 {
		axis += len(x)
	}
	if axis < 0 || axis > len(x) {
		return nil, nil, fmt.Errorf("%w: axis out of range for input %s", runtime.ErrShape, ops.FormatShape(x))
	}
	return copyOp{}, []int{product(x[:axis]), product(x[axis:])}, nil
}

func newReshapeOp(a *runtime.AttrReader, x []int) (layerOp, []int, error) {
	want := a.Ints("shape", -1)
	if a.Err() != nil {
		return nil, nil, a.Err()
	}
	if want == nil {
		return nil, nil, fmt.Errorf("attribute shape is required")
	}
	total, known, infer := product(x), 1, -1
	out := make([]int, len(want))
	for i, d := range want {
		switch {
		case d == 0 && i < len(x):
			d = x[i]
		case d == -1 && infer < 0:
			infer = i
			continue
		case d < 1:
			return nil, nil, fmt.Errorf("%w: reshape %v: bad dimension %d", runtime.ErrShape, want, d)
		}
		out[i] = d
		known *= d
	}
	if infer >= 0 && known > 0 && total%known == 0 {
		out[infer] = total / known
		known = total
	}
	if known != total {
		return nil, nil, fmt.Errorf("%w: cannot reshape %s to %v for a batch of %d (a fixed batch dimension cannot be trained with other batch sizes)",
			runtime.ErrShape, ops.FormatShape(x), want, x[0])
	}
	return copyOp{}, out, nil
}

func (copyOp) forward(p *pass, s *step, train bool) error {
	copy(p.values[s.out].data, p.values[s.in[0]].data)
	return nil
}

func (copyOp) backward(p *pass, s *step) {
	if !p.needs(s.in[0]) {
		return
	}
	copy(p.gradDst(s.in[0]), p.values[s.out].grad)
	p.gradDone(s.in[0])
}

// dropoutOp zeroes each value with probability ratio in training and scales
// the others by 1/(1-ratio) (inverted dropout), so that inference, where
// Dropout is the identity, sees the same expected values.
type dropoutOp struct {
	ratio float32
	rng   *rand.Rand
	mask  []float32
	train bool
}

func newDropoutOp(a *runtime.AttrReader, x []int, rng *rand.Rand) (layerOp, []int, error) {
	r := a.Float("ratio", 0.5)
	if !(r >= 0 && r < 1) {
		return nil, nil, fmt.Errorf("attribute ratio %g must be in [0, 1)", r)
	}
	return &dropoutOp{ratio: r, rng: rng, mask: make([]float32, product(x))}, x, nil
}

func (o *dropoutOp) forward(p *pass, s *step, train bool) error {
	x, out := p.values[s.in[0]].data, p.values[s.out].data
	o.train = train && o.ratio > 0
	if !o.train {
		copy(out, x)
		return nil
	}
	keep := float32(1 / float64(1-o.ratio))
	r := float64(o.ratio)
	for i, v := range x {
		m := keep
		if o.rng.Float64() < r {
			m = 0
		}
		o.mask[i] = m
		out[i] = float32(v * m)
	}
	return nil
}

func (o *dropoutOp) backward(p *pass, s *step) {
	if !p.needs(s.in[0]) {
		return
	}
	dx, dy := p.gradDst(s.in[0]), p.values[s.out].grad
	if !o.train {
		copy(dx, dy)
	} else {
		for i, d := range dy {
			dx[i] = float32(d * o.mask[i])
		}
	}
	p.gradDone(s.in[0])
}

// batchNormOp is BatchNormalization: batch statistics in training, with the
// running statistics (the model's weights) updated in place; the running
// statistics in evaluation.
type batchNormOp struct {
	bn         *ops.BatchNormTrain
	n, spatial int
	train      bool
}

func newBatchNormOp(a *runtime.AttrReader, shapes [][]int, params [][]float32, momentum float32) (layerOp, []int, error) {
	eps := a.Float("epsilon", 1e-5)
	x := shapes[0]
	if a.Err() != nil {
		return nil, nil, a.Err()
	}
	if len(x) < 2 {
		return nil, nil, fmt.Errorf("%w: input %s must have rank >= 2", runtime.ErrShape, ops.FormatShape(x))
	}
	for i, nm := range []string{"scale", "B", "mean", "var"} {
		if !ops.EqualShapes(shapes[i+1], []int{x[1]}) {
			return nil, nil, fmt.Errorf("%w: %s %s must have shape [%d]", runtime.ErrShape, nm, ops.FormatShape(shapes[i+1]), x[1])
		}
	}
	bn, err := ops.NewBatchNormTrain(params[0], params[1], params[2], params[3], eps, momentum)
	if err != nil {
		return nil, nil, err
	}
	return &batchNormOp{bn: bn, n: x[0], spatial: product(x[2:])}, x, nil
}

func (o *batchNormOp) forward(p *pass, s *step, train bool) error {
	x, out := p.values[s.in[0]].data, p.values[s.out].data
	o.train = train
	if train {
		return o.bn.Forward(out, x, o.n, o.spatial)
	}
	inf, err := o.bn.Inference()
	if err != nil {
		return err
	}
	inf.Forward(out, x, o.n, o.spatial)
	return nil
}

func (o *batchNormOp) backward(p *pass, s *step) {
	if !o.train {
		panic("train: batch norm backward after an evaluation forward")
	}
	var dx, dg, db []float32
	if p.needs(s.in[0]) {
		dx = p.gradDst(s.in[0])
	}
	if p.needs(s.in[1]) {
		dg = p.gradDst(s.in[1])
	}
	if p.needs(s.in[2]) {
		db = p.gradDst(s.in[2])
	}
	o.bn.Backward(p.values[s.in[0]].data, p.values[s.out].grad, dx, dg, db, o.n, o.spatial)
	for i, g := range [][]float32{dx, dg, db} {
		if g != nil {
			p.gradDone(s.in[i])
		}
	}
}

// addOp is Add with an optional fused activation.
type addOp struct{ actStage }

func newAddOp(a *runtime.AttrReader, shapes [][]int) (layerOp, []int, error) {
	op := &addOp{actStage{act: a.Fused()}}
	if !ops.EqualShapes(shapes[0], shapes[1]) {
		return nil, nil, fmt.Errorf("%w: inputs %s and %s must have the same shape", runtime.ErrShape,
			ops.FormatShape(shapes[0]), ops.FormatShape(shapes[1]))
	}
	return op, shapes[0], nil
}

func (o *addOp) forward(p *pass, s *step, train bool) error {
	out := p.values[s.out].data
	ops.Add(o.target(out), p.values[s.in[0]].data, p.values[s.in[1]].data, ops.Activation{})
	o.finish(out)
	return nil
}

func (o *addOp) backward(p *pass, s *step) {
	out := p.values[s.out]
	dy := o.grad(out.data, out.grad)
	for _, id := range s.in {
		if p.needs(id) {
			copy(p.gradDst(id), dy)
			p.gradDone(id)
		}
	}
}

// concatOp is Concat along one axis.
type concatOp struct {
	outer, inner int
	sizes        []int
	srcs         [][]float32
}

func newConcatOp(a *runtime.AttrReader, shapes [][]int) (layerOp, []int, error) {
	first := shapes[0]
	axis := a.Int("axis", 1)
	if axis < 0 {
		axis += len(first)
	}
	if axis < 0 || axis >= len(first) {
		return nil, nil, fmt.Errorf("%w: axis out of range for input %s", runtime.ErrShape, ops.FormatShape(first))
	}
	op := &concatOp{outer: product(first[:axis]), inner: product(first[axis+1:]), srcs: make([][]float32, len(shapes))}
	out := append([]int(nil), first...)
	out[axis] = 0
	for i, sh := range shapes {
		if len(sh) != len(first) {
			return nil, nil, fmt.Errorf("%w: input %d %s has a different rank from %s", runtime.ErrShape, i, ops.FormatShape(sh), ops.FormatShape(first))
		}
		for d := range first {
			if d != axis && sh[d] != first[d] {
				return nil, nil, fmt.Errorf("%w: input %d %s differs from %s outside axis %d", runtime.ErrShape, i, ops.FormatShape(sh), ops.FormatShape(first), axis)
			}
		}
		op.sizes = append(op.sizes, sh[axis])
		out[axis] += sh[axis]
	}
	return op, out, nil
}

func (o *concatOp) forward(p *pass, s *step, train bool) error {
	for i, id := range s.in {
		o.srcs[i] = p.values[id].data
	}
	ops.Concat(p.values[s.out].data, o.srcs, o.outer, o.sizes, o.inner)
	return nil
}

func (o *concatOp) backward(p *pass, s *step) {
	dy := p.values[s.out].grad
	total := 0
	for _, sz := range o.sizes {
		total += sz
	}
	row := total * o.inner
	off := 0
	for i, id := range s.in {
		chunk := o.sizes[i] * o.inner
		if p.needs(id) {
			dx := p.gradDst(id)
			for n := 0; n < o.outer; n++ {
				copy(dx[n*chunk:(n+1)*chunk], dy[n*row+off:n*row+off+chunk])
			}
			p.gradDone(id)
		}
		off += chunk
	}
}
