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

func newConvOp(a *runtime.AttrReader, shapes [][]int) (layerOp, error) {
	x, w := shapes[0], shapes[1]
	p := ops.ConvParams{Window: a.Window(len(x) - 2), Groups: a.Int("group")}
	g, err := ops.NewConvGeom(x, w, p)
	if err != nil {
		return nil, err
	}
	return &convOp{g: g, hasBias: len(shapes) == 3, actStage: actStage{act: a.Fused()}}, nil
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

func newPoolOp(a *runtime.AttrReader, kind ops.PoolKind, x []int) (layerOp, error) {
	rank := len(x) - 2
	pp := ops.PoolParams{Window: a.Window(rank), Kind: kind, Kernel: a.Ints("kernel_shape", rank),
		CeilMode: a.Int("ceil_mode") == 1, CountIncludePad: a.Int("count_include_pad") == 1}
	g, err := ops.NewPoolGeom(x, pp)
	if err != nil {
		return nil, err
	}
	return &poolOp{g: g}, nil
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

func newGlobalPoolOp(kind ops.PoolKind, x []int) layerOp {
	return &globalPoolOp{kind: kind, n: x[0], c: x[1], plane: ops.ShapeSize(x[2:])}
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

func newDenseOp(a *runtime.AttrReader, shapes [][]int, out []int) layerOp {
	return &denseOp{batch: out[0], in: shapes[0][1], out: out[1], transposed: a.Int("transposed") == 1,
		hasBias: len(shapes) == 3, actStage: actStage{act: a.Fused()}}
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
	x, w := p.values[s.in[0]].data, p.values[s.in[1]].data
	// dx and dw as Gemms: each element sums its products in the order
	// ops.DenseBackward does (over the outputs for dx, over the batch for
	// dw, from 0, every product rounded before it is added), so the bits
	// are its own; the Gemm is faster, and in the browser module it runs on
	// the SIMD kernels. The bias gradient is DenseBackward's (float64 sums).
	if dx != nil {
		// dx[batch, in] = dy[batch, out] · W, W [out, in] (transposed) or Wᵀ.
		gp := ops.GemmParams{M: d.batch, N: d.in, K: d.out, TransB: !d.transposed}
		ops.Gemm(gp, dy, w, dx, p.scratch(ops.GemmWorkspaceLen(gp)), p.t.threads)
	}
	if dw != nil {
		// dw = dyᵀ · x ([out, in], transposed) or xᵀ · dy ([in, out]).
		gp := ops.GemmParams{M: d.out, N: d.in, K: d.batch, TransA: true}
		a, b := dy, x
		if !d.transposed {
			gp = ops.GemmParams{M: d.in, N: d.out, K: d.batch, TransA: true}
			a, b = x, dy
		}
		ops.Gemm(gp, a, b, dw, p.scratch(ops.GemmWorkspaceLen(gp)), p.t.threads)
	}
	if db != nil {
		ops.DenseBackward(nil, nil, dy, nil, nil, db, d.batch, d.in, d.out, d.transposed)
	}
	for i, g := range [][]float32{dx, dw, db} {
		if g != nil {
			p.gradDone(s.in[i])
		}
	}
}

// actOp is a standalone activation.
type actOp struct{ act ops.Activation }

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

func newDropoutOp(a *runtime.AttrReader, x []int, rng *rand.Rand) layerOp {
	return &dropoutOp{ratio: a.Float("ratio"), rng: rng, mask: make([]float32, ops.ShapeSize(x))}
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
// statistics in evaluation, and in training too when the node is frozen.
type batchNormOp struct {
	bn         *ops.BatchNormTrain
	n, spatial int
	frozen     bool
	train      bool           // the last forward used batch statistics
	inf        *ops.BatchNorm // the last forward's folded running statistics
}

func newBatchNormOp(a *runtime.AttrReader, x []int, params [][]float32, momentum float32, frozen bool) (layerOp, error) {
	bn, err := ops.NewBatchNormTrain(params[0], params[1], params[2], params[3], a.Float("epsilon"), momentum)
	if err != nil {
		return nil, err
	}
	return &batchNormOp{bn: bn, n: x[0], spatial: ops.ShapeSize(x[2:]), frozen: frozen}, nil
}

func (o *batchNormOp) forward(p *pass, s *step, train bool) error {
	x, out := p.values[s.in[0]].data, p.values[s.out].data
	o.train = train && !o.frozen
	if o.train {
		return o.bn.Forward(out, x, o.n, o.spatial)
	}
	inf, err := o.bn.Inference()
	if err != nil {
		return err
	}
	o.inf = inf
	inf.Forward(out, x, o.n, o.spatial)
	return nil
}

func (o *batchNormOp) backward(p *pass, s *step) {
	if !o.train {
		if !o.frozen {
			panic("train: batch norm backward after an evaluation forward")
		}
		// Frozen: y = Scale[c]·x + Shift[c] with constant Scale and Shift.
		if !p.needs(s.in[0]) {
			return
		}
		dx, dy := p.gradDst(s.in[0]), p.values[s.out].grad
		c := len(o.inf.Scale)
		for i := 0; i < o.n*c; i++ {
			a := o.inf.Scale[i%c]
			src, dst := dy[i*o.spatial:(i+1)*o.spatial], dx[i*o.spatial:(i+1)*o.spatial]
			for j, v := range src {
				dst[j] = float32(v * a)
			}
		}
		p.gradDone(s.in[0])
		return
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

func newAddOp(a *runtime.AttrReader, shapes [][]int) (layerOp, error) {
	if !ops.EqualShapes(shapes[0], shapes[1]) {
		return nil, fmt.Errorf("%w: the trainer needs inputs of the same shape, got %s and %s", runtime.ErrUnsupportedOp,
			ops.FormatShape(shapes[0]), ops.FormatShape(shapes[1]))
	}
	return &addOp{actStage{act: a.Fused()}}, nil
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

func newConcatOp(a *runtime.AttrReader, shapes [][]int) layerOp {
	first := shapes[0]
	axis := a.Int("axis")
	if axis < 0 {
		axis += len(first)
	}
	op := &concatOp{outer: ops.ShapeSize(first[:axis]), inner: ops.ShapeSize(first[axis+1:]), srcs: make([][]float32, len(shapes))}
	for _, sh := range shapes {
		op.sizes = append(op.sizes, sh[axis])
	}
	return op
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
