package train

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// value is one graph value of a pass: a graph input, a weight or a node
// output, with its gradient when it needs one.
type value struct {
	name  string
	shape []int
	data  []float32
	// grad is ∂L/∂value (nil when no gradient flows into it). gradSet
	// reports that some reader has written it during the current backward
	// pass; later readers add their share through acc.
	grad     []float32
	gradSet  bool
	acc      []float32
	readers  int // node input slots that send it a gradient
	isWeight bool
}

// step is one node of the graph prepared for a batch size.
type step struct {
	node *runtime.Node
	in   []int // value ids
	out  int   // value id
	op   layerOp
}

// layerOp is an op's training-mode forward and backward pass.
type layerOp interface {
	// forward computes the output from the inputs; train selects training
	// behaviour (batch statistics, dropout).
	forward(p *pass, s *step, train bool) error
	// backward propagates the output's gradient to the inputs that need one.
	backward(p *pass, s *step)
}

// pass is the graph instantiated for one batch size: every value's buffer,
// the steps in topological order and shared scratch.
type pass struct {
	t      *Trainer
	batch  int
	values []*value
	byName map[string]int
	steps  []*step
	input  int
	output int
	ws     []float32 // scratch shared by the steps (one at a time)
}

// gradDst returns the buffer a reader writes its gradient contribution to
// value id into: the gradient itself for the first contribution of a
// backward pass, the value's accumulator afterwards. gradDone must follow.
func (p *pass) gradDst(id int) []float32 {
	v := p.values[id]
	if !v.gradSet {
		return v.grad
	}
	return v.acc
}

// gradDone records a contribution written to gradDst(id).
func (p *pass) gradDone(id int) {
	v := p.values[id]
	if !v.gradSet {
		v.gradSet = true
		return
	}
	for i, a := range v.acc {
		v.grad[i] += a
	}
}

// needs reports whether value id takes a gradient.
func (p *pass) needs(id int) bool { return p.values[id].grad != nil }

// scratch returns n values of the shared scratch buffer.
func (p *pass) scratch(n int) []float32 {
	if len(p.ws) < n {
		p.ws = make([]float32, n)
	}
	return p.ws[:n]
}

// nodeErr prefixes an error with the node, as the runtime does.
func nodeErr(n *runtime.Node, err error) error {
	return fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
}

// newPass instantiates the trainer's graph for a batch of the given size.
func (t *Trainer) newPass(batch int) (*pass, error) {
	m := t.model
	p := &pass{t: t, batch: batch, byName: map[string]int{}}
	add := func(v *value) int {
		p.byName[v.name] = len(p.values)
		p.values = append(p.values, v)
		return len(p.values) - 1
	}
	in := m.Inputs[0]
	shape := append([]int{batch}, in.Shape[1:]...)
	p.input = add(&value{name: in.Name, shape: shape, data: make([]float32, ops.ShapeSize(shape))})
	for _, prm := range t.params {
		w := m.Weights[prm.Name]
		add(&value{name: prm.Name, shape: w.Shape, data: w.Data, grad: prm.Grad, isWeight: true})
	}
	for _, n := range t.order {
		ids := make([]int, len(n.Inputs))
		for i, name := range n.Inputs {
			id, ok := p.byName[name]
			if !ok {
				w := m.Weights[name]
				if w == nil {
					return nil, nodeErr(n, fmt.Errorf("%w: input %q is not defined", runtime.ErrBadModel, name))
				}
				id = add(&value{name: name, shape: w.Shape, data: w.Data, isWeight: true})
			}
			ids[i] = id
		}
		shapes := make([][]int, len(ids))
		for i, id := range ids {
			shapes[i] = p.values[id].shape
		}
		op, outShape, err := t.buildOp(n, shapes, ids, p)
		if err != nil {
			return nil, err
		}
		out := &value{name: n.Outputs[0], shape: outShape, data: make([]float32, ops.ShapeSize(outShape))}
		// The output needs a gradient when some input does.
		for _, id := range ids {
			if p.values[id].grad != nil {
				out.grad = make([]float32, len(out.data))
				break
			}
		}
		s := &step{node: n, in: ids, out: add(out), op: op}
		p.steps = append(p.steps, s)
	}
	p.output = p.byName[m.Outputs[0]]
	o := p.values[p.output]
	if len(o.shape) != 2 || o.shape[0] != batch {
		return nil, fmt.Errorf("%w: output %q has shape %s; training needs logits [batch, classes]",
			runtime.ErrShape, o.name, ops.FormatShape(o.shape))
	}
	if o.grad == nil {
		return nil, fmt.Errorf("output %q does not depend on any trainable weight", o.name)
	}
	// Count the gradient readers of every value and give the shared ones an
	// accumulator.
	for _, s := range p.steps {
		if p.values[s.out].grad == nil {
			continue
		}
		for _, id := range s.in {
			if p.values[id].grad != nil {
				p.values[id].readers++
			}
		}
	}
	for _, v := range p.values {
		if v.readers > 1 {
			v.acc = make([]float32, len(v.grad))
		}
	}
	return p, nil
}

// forward runs every step.
func (p *pass) forward(train bool) error {
	for _, s := range p.steps {
		if err := s.op.forward(p, s, train); err != nil {
			return nodeErr(s.node, err)
		}
	}
	return nil
}

// backward propagates the output's gradient (already written, gradSet) to
// every trainable parameter. Parameters no gradient reached get zeros.
func (p *pass) backward() {
	for i := len(p.steps) - 1; i >= 0; i-- {
		s := p.steps[i]
		if out := p.values[s.out]; out.grad != nil && out.gradSet {
			s.op.backward(p, s)
		}
	}
	for _, v := range p.values {
		if v.isWeight && v.grad != nil && !v.gradSet {
			clear(v.grad)
		}
	}
}

// resetGrads marks every gradient unwritten.
func (p *pass) resetGrads() {
	for _, v := range p.values {
		v.gradSet = false
	}
}

// buildOp prepares node n given its input shapes and ids, returning the op
// and its output shape. The runtime checks the node and infers its shape
// (runtime.InferShapes: inputs, weights, attributes, shapes), so the trainer
// builds only what it trains; errors name the node.
func (t *Trainer) buildOp(n *runtime.Node, shapes [][]int, ids []int, p *pass) (layerOp, []int, error) {
	if n.Op == "Softmax" {
		return nil, nil, nodeErr(n, fmt.Errorf("%w: training applies softmax cross-entropy to the output logits: remove the Softmax node", runtime.ErrUnsupportedOp))
	}
	weights := make([]bool, len(ids))
	for i, id := range ids {
		weights[i] = p.values[id].isWeight
	}
	outs, err := runtime.InferShapes(n, shapes, weights)
	if err != nil {
		if n.Op == "Reshape" && errors.Is(err, runtime.ErrShape) {
			err = fmt.Errorf("%w (for a batch of %d: a fixed batch dimension cannot be trained with other batch sizes)", err, shapes[0][0])
		}
		return nil, nil, err
	}
	if len(n.Outputs) != 1 || len(outs) != 1 {
		return nil, nil, nodeErr(n, fmt.Errorf("%w: has %d outputs, the trainer supports 1", runtime.ErrBadModel, len(n.Outputs)))
	}
	out := outs[0]
	a := runtime.ReadAttrs(n)
	var op layerOp
	switch n.Op {
	case "Conv":
		op, err = newConvOp(a, shapes)
	case "MaxPool", "AveragePool":
		kind := ops.PoolMax
		if n.Op == "AveragePool" {
			kind = ops.PoolAvg
		}
		op, err = newPoolOp(a, kind, shapes[0])
	case "GlobalAveragePool", "GlobalMaxPool":
		kind := ops.PoolMax
		if n.Op == "GlobalAveragePool" {
			kind = ops.PoolAvg
		}
		op = newGlobalPoolOp(kind, shapes[0])
	case "Dense":
		op = newDenseOp(a, shapes, out)
	case "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh":
		op = &actOp{act: a.Act()}
	case "Flatten", "Reshape":
		op = copyOp{}
	case "Dropout":
		op = newDropoutOp(a, out, t.rngDrop)
	case "BatchNormalization":
		vs := make([][]float32, 4)
		for i := range vs {
			vs[i] = p.values[ids[i+1]].data
		}
		op, err = newBatchNormOp(a, shapes[0], vs, float32(t.bnMomentum), t.frozen[n.Name])
	case "Add":
		op, err = newAddOp(a, shapes)
	case "Concat":
		op = newConcatOp(a, shapes)
	default:
		err = fmt.Errorf("%w: the trainer cannot train through %s", runtime.ErrUnsupportedOp, n.Op)
	}
	if err == nil {
		err = a.Err()
	}
	if err != nil {
		return nil, nil, nodeErr(n, err)
	}
	return op, out, nil
}

// newDropoutRand returns the dropout generator for a seed.
func newDropoutRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xd409)) }
