package runtime

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/internal/topo"
)

// Options control how NewSession plans a model. The zero value picks
// everything automatically.
type Options struct {
	// Algo forces a convolution algorithm for every conv layer it applies to
	// (others keep the automatic choice). "" or "auto" chooses per layer;
	// ops.AlgoWinograd ("winograd") picks the Winograd variant per layer
	// (ops.ResolveConvAlgo), here and in LayerAlgos.
	Algo ops.ConvAlgo
	// LayerAlgos forces an algorithm for named conv nodes; it is an error if
	// the algorithm does not apply to that layer or the node does not exist.
	LayerAlgos map[string]ops.ConvAlgo
	// Threads is the number of goroutines kernels may use; 0 means
	// GOMAXPROCS. Results are bit-identical for any value.
	Threads int
	// NoFusion keeps every node as its own layer (no BatchNorm folding and no
	// activation fusion).
	NoFusion bool
	// Autotune times every applicable algorithm of each conv layer whose
	// algorithm was not forced, once, when the session is created, and keeps
	// the fastest. Without it the choice comes from ops.ChooseConvAlgo's cost
	// model.
	Autotune bool
	// Limits bound the graph and its memory; zero fields take DefaultLimits.
	// They apply to every plan (one per set of input shapes).
	Limits Limits
	// MaxPlans bounds how many plans (one per distinct set of input shapes of
	// a model with symbolic dimensions) a session keeps, least recently used
	// first out; 0 means DefaultMaxPlans.
	MaxPlans int
}

// step is one executed layer: a head node and the nodes fused into it.
type step struct {
	node    *Node
	fused   []*Node // nodes folded into this step, in order
	inputs  []int   // value ids
	outputs []int   // value ids
	layer   *layer
	params  int64
}

// value is a graph value: a graph input, a weight or a step output.
type value struct {
	name     string
	shape    []int
	size     int
	konst    []float32
	input    bool
	output   bool
	producer int // step index, -1 for inputs and weights
	lastUse  int // last step reading it (len(steps) for graph outputs)
	viewOf   int // value id whose buffer this one shares, -1 if none
	offset   int // arena offset (floats) for step outputs
}

// plan is a checked, ordered, fused and buffer-planned model.
type plan struct {
	model    *Model
	values   []*value
	byName   map[string]int
	steps    []*step
	inputs   []int
	outputs  []int
	arena    int // floats
	ws       int // floats, filled when kernels are built
	threads  int
	nodeAlgo map[string]ops.ConvAlgo
	limits   Limits
}

func nodeErr(n *Node, err error) error {
	return fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
}

// newPlan validates the graph, sorts it, fuses, infers shapes and assigns
// buffers.
func newPlan(m *Model, opts Options) (*plan, error) {
	p := &plan{model: m, byName: map[string]int{}, threads: opts.Threads, nodeAlgo: map[string]ops.ConvAlgo{}}
	if p.threads <= 0 {
		p.threads = runtime.GOMAXPROCS(0)
	}
	if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
		return nil, fmt.Errorf("%w: the graph needs at least one input and one output", ErrBadModel)
	}
	lim := opts.Limits.withDefaults()
	if err := checkGraphLimits(m, lim); err != nil {
		return nil, err
	}
	addValue := func(v *value) (int, error) {
		if v.name == "" {
			return 0, fmt.Errorf("%w: empty value name", ErrBadModel)
		}
		if _, dup := p.byName[v.name]; dup {
			return 0, fmt.Errorf("%w: value %q is defined twice", ErrBadModel, v.name)
		}
		v.viewOf, v.producer, v.offset = -1, -1, -1
		p.byName[v.name] = len(p.values)
		p.values = append(p.values, v)
		return len(p.values) - 1, nil
	}
	for _, in := range m.Inputs {
		n, err := ops.NumElements(in.Shape)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
		if len(in.Shape) == 0 || n == 0 {
			return nil, fmt.Errorf("%w: input %q has empty shape %s", ErrShape, in.Name, ops.FormatShape(in.Shape))
		}
		id, err := addValue(&value{name: in.Name, shape: in.Shape, size: n, input: true})
		if err != nil {
			return nil, err
		}
		p.inputs = append(p.inputs, id)
	}
	for _, name := range m.WeightNames() {
		w := m.Weights[name]
		n, err := ops.NumElements(w.Shape)
		if err != nil || n != len(w.Data) {
			return nil, fmt.Errorf("%w: weight %q: shape %s does not match its %d values", ErrBadModel, name, ops.FormatShape(w.Shape), len(w.Data))
		}
		if _, err := addValue(&value{name: name, shape: w.Shape, size: n, konst: w.Data}); err != nil {
			return nil, err
		}
	}

	order, err := sortNodes(m, p.byName)
	if err != nil {
		return nil, err
	}
	if err := checkDepth(order, lim); err != nil {
		return nil, err
	}
	if _, err := ops.ParseConvAlgo(string(opts.Algo)); err != nil {
		return nil, err
	}
	for name, algo := range opts.LayerAlgos {
		if _, err := ops.ParseConvAlgo(string(algo)); err != nil {
			return nil, fmt.Errorf("layer %q: %w", name, err)
		}
		found := false
		for _, n := range m.Nodes {
			if n.Name == name && n.Op == "Conv" {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("algorithm for layer %q: no Conv node has that name", name)
		}
		p.nodeAlgo[name] = algo
	}
	groups := fuse(order, m, opts.NoFusion)
	for _, grp := range groups {
		if err := p.addStep(grp, opts); err != nil {
			return nil, err
		}
	}
	for _, name := range m.Outputs {
		id, ok := p.byName[name]
		if !ok {
			return nil, fmt.Errorf("%w: graph output %q is not produced by any node", ErrBadModel, name)
		}
		p.values[id].output = true
		p.outputs = append(p.outputs, id)
	}
	p.planBuffers()
	if over(int64(p.arena)*4, lim.MaxActivationBytes) {
		return nil, fmt.Errorf("%w: activations need %d bytes at peak, the limit is %d", ErrLimit, int64(p.arena)*4, lim.MaxActivationBytes)
	}
	p.limits = lim
	return p, nil
}

// sortNodes checks node names, ops and inputs, and orders the nodes
// topologically (stable: ready nodes run in file order).
func sortNodes(m *Model, known map[string]int) ([]*Node, error) {
	producer := map[string]int{}
	names := map[string]bool{}
	var unknown []string
	for i, n := range m.Nodes {
		if n == nil || n.Name == "" {
			return nil, fmt.Errorf("%w: node %d has no name", ErrBadModel, i)
		}
		if names[n.Name] {
			return nil, fmt.Errorf("%w: two nodes are named %q", ErrBadModel, n.Name)
		}
		names[n.Name] = true
		if _, ok := opTable[n.Op]; !ok {
			unknown = append(unknown, fmt.Sprintf("%q (node %q)", n.Op, n.Name))
			continue
		}
		if len(n.Outputs) == 0 || len(n.Outputs) != 1 && !opTable[n.Op].MultiOutput {
			return nil, nodeErr(n, fmt.Errorf("%w: has %d outputs, want 1", ErrBadModel, len(n.Outputs)))
		}
		for _, out := range n.Outputs {
			if _, ok := known[out]; ok {
				return nil, nodeErr(n, fmt.Errorf("%w: output %q overwrites a graph input or weight", ErrBadModel, out))
			}
			if j, ok := producer[out]; ok {
				return nil, nodeErr(n, fmt.Errorf("%w: output %q is also produced by node %q", ErrBadModel, out, m.Nodes[j].Name))
			}
			producer[out] = i
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: %s (supported: %s)", ErrUnsupportedOp, strings.Join(unknown, ", "), strings.Join(OpNames(), ", "))
	}
	deps := make([][]int, len(m.Nodes))
	for i, n := range m.Nodes {
		for _, in := range n.Inputs {
			if j, ok := producer[in]; ok {
				deps[i] = append(deps[i], j)
			} else if _, ok := known[in]; !ok {
				return nil, nodeErr(n, fmt.Errorf("%w: input %q is not a graph input, a weight or a node output", ErrBadModel, in))
			}
		}
	}
	idx, stuck := topo.Sort(len(m.Nodes), func(i int) []int { return deps[i] })
	if len(stuck) > 0 {
		var cyc []string
		for _, i := range stuck {
			cyc = append(cyc, fmt.Sprintf("%q", m.Nodes[i].Name))
		}
		return nil, fmt.Errorf("%w: the graph has a cycle through nodes %s", ErrBadModel, strings.Join(cyc, ", "))
	}
	order := make([]*Node, len(idx))
	for k, i := range idx {
		order[k] = m.Nodes[i]
	}
	return order, nil
}

// FusionGroups checks m's nodes and returns them in topological order,
// grouped as NewSession fuses them: each group is a head node followed by
// the nodes folded into it (see fuse). ONNX import applies the same groups
// to the file itself.
func FusionGroups(m *Model) ([][]*Node, error) {
	known := map[string]int{}
	for i, in := range m.Inputs {
		known[in.Name] = i
	}
	for name := range m.Weights {
		known[name] = 0
	}
	order, err := sortNodes(m, known)
	if err != nil {
		return nil, err
	}
	return fuse(order, m, false), nil
}

// fuse groups nodes into steps: a Conv without a fused activation followed
// by a BatchNormalization that is its only reader is folded into it, and the
// ops that take a fused activation (OpDef.FusesAct) take a following
// activation op that is their output's only reader.
func fuse(order []*Node, m *Model, off bool) [][]*Node {
	readers := map[string][]*Node{}
	for _, n := range order {
		for _, in := range n.Inputs {
			readers[in] = append(readers[in], n)
		}
	}
	isOutput := map[string]bool{}
	for _, o := range m.Outputs {
		isOutput[o] = true
	}
	// soleReader returns the only node reading n's output (as its first
	// input), if the output is not a graph output.
	soleReader := func(n *Node) *Node {
		out := n.Outputs[0]
		r := readers[out]
		if isOutput[out] || len(r) != 1 || len(r[0].Inputs) == 0 || r[0].Inputs[0] != out {
			return nil
		}
		for _, in := range r[0].Inputs[1:] {
			if in == out {
				return nil
			}
		}
		return r[0]
	}
	absorbed := map[*Node]bool{}
	var groups [][]*Node
	for _, n := range order {
		if absorbed[n] {
			continue
		}
		grp := []*Node{n}
		if !off {
			last := n
			if n.Op == "Conv" && n.Attrs["activation"] == nil {
				if r := soleReader(last); r != nil && r.Op == "BatchNormalization" {
					grp = append(grp, r)
					last = r
				}
			}
			if opTable[n.Op].FusesAct && n.Attrs["activation"] == nil {
				if r := soleReader(last); r != nil && opTable[r.Op].Act != ops.ActNone {
					grp = append(grp, r)
				}
			}
		}
		for _, g := range grp[1:] {
			absorbed[g] = true
		}
		groups = append(groups, grp)
	}
	return groups
}

// addStep infers the shapes of one group of fused nodes and records it.
func (p *plan) addStep(grp []*Node, opts Options) error {
	head := grp[0]
	def := opTable[head.Op]
	st := &step{node: head, fused: grp[1:]}
	in := make([]operand, len(head.Inputs))
	for i, name := range head.Inputs {
		id := p.byName[name]
		v := p.values[id]
		in[i] = operand{name: name, shape: v.shape, konst: v.konst, weight: v.konst != nil}
		st.inputs = append(st.inputs, id)
		if v.konst != nil && !(head.Op == "BatchNormalization" && i >= 3) {
			st.params += int64(len(v.konst)) // running statistics are buffers, not parameters
		}
	}
	c := opContext{algo: opts.Algo}
	if a, ok := p.nodeAlgo[head.Name]; ok {
		c.algo = a
	}
	c.tunable = opts.Autotune && (c.algo == "" || c.algo == ops.AlgoAuto)
	for _, f := range grp[1:] {
		if f.Op == "BatchNormalization" {
			w, b, err := FoldBatchNorm(p.model, head, f)
			if err != nil {
				return nodeErr(f, err)
			}
			in[1].konst = w.Data
			bias := operand{name: f.Name + "/folded_bias", shape: b.Shape, konst: b.Data, weight: true}
			if len(in) == 3 {
				in[2] = bias
			} else {
				in = append(in, bias)
			}
			for _, id := range f.Inputs[1:3] {
				if w := p.values[p.byName[id]]; w.konst != nil {
					st.params += int64(len(w.konst))
				}
			}
			continue
		}
		d := opTable[f.Op]
		if err := d.CheckArity(len(f.Inputs)); err != nil {
			return nodeErr(f, err)
		}
		a := newAttrs(d, f.Attrs)
		act := opAct(a)
		if a.err != nil {
			return nodeErr(f, a.err)
		}
		c.act = act
	}
	if c.algo == ops.AlgoAuto {
		c.algo = ""
	}
	l, err := def.infer(head, in, c)
	if err != nil && head.Op == "Conv" && opts.Algo != "" && opts.Algo != ops.AlgoAuto && p.nodeAlgo[head.Name] == "" && errors.Is(err, errAlgo) {
		// A model-wide algorithm only applies where it can.
		c.algo = ""
		l, err = def.infer(head, in, c)
	}
	if err != nil {
		return err
	}
	st.layer = l
	last := grp[len(grp)-1]
	if len(l.outShapes) != len(last.Outputs) {
		return nodeErr(last, fmt.Errorf("%w: has %d outputs, want %d", ErrBadModel, len(last.Outputs), len(l.outShapes)))
	}
	lim := opts.Limits.withDefaults()
	for i, shape := range l.outShapes {
		size, err := ops.NumElements(shape)
		if err != nil {
			return nodeErr(head, err)
		}
		if over(int64(size), lim.MaxTensorElements) {
			return nodeErr(head, fmt.Errorf("%w: output %s has %d elements, the limit is %d", ErrLimit,
				ops.FormatShape(shape), size, lim.MaxTensorElements))
		}
		name := last.Outputs[i]
		if _, dup := p.byName[name]; dup {
			return nodeErr(last, fmt.Errorf("%w: value %q is defined twice", ErrBadModel, name))
		}
		id := len(p.values)
		p.byName[name] = id
		p.values = append(p.values, &value{name: name, shape: shape, size: size, producer: len(p.steps), viewOf: -1, offset: -1})
		if l.view && i == 0 {
			src := st.inputs[0]
			if root := p.values[src].viewOf; root >= 0 {
				src = root
			}
			p.values[id].viewOf = src
		}
		st.outputs = append(st.outputs, id)
	}
	p.steps = append(p.steps, st)
	return nil
}

func describeOperands(in []operand) string {
	parts := make([]string, len(in))
	for i, op := range in {
		parts[i] = op.name + " " + ops.FormatShape(op.shape)
	}
	return strings.Join(parts, ", ")
}

// FoldBatchNorm returns the weights and bias of the Conv node conv with the
// BatchNormalization node bn, which reads conv's output, folded in, as
// NewSession folds them: w'[m] = w[m]*a[m] and b'[m] = b[m]*a[m] + shift[m] in
// float32, a and shift being ops.NewBatchNorm's. Every input of both but
// conv's first must be a weight of m. Errors name what does not fit.
func FoldBatchNorm(m *Model, conv, bn *Node) (w, b *ops.Tensor, err error) {
	bnDef := opTable["BatchNormalization"]
	if err := bnDef.CheckArity(len(bn.Inputs)); err != nil {
		return nil, nil, err
	}
	a := newAttrs(bnDef, bn.Attrs)
	eps := a.float("epsilon")
	if a.err != nil {
		return nil, nil, a.err
	}
	if len(conv.Inputs) < 2 || m.Weights[conv.Inputs[1]] == nil {
		return nil, nil, fmt.Errorf("%w: conv %q has no weight tensor", ErrBadModel, conv.Name)
	}
	cw := m.Weights[conv.Inputs[1]]
	if len(cw.Shape) < 1 || cw.Shape[0] == 0 || len(cw.Data)%cw.Shape[0] != 0 {
		return nil, nil, fmt.Errorf("%w: conv weights %s have no output-channel axis", ErrShape, ops.FormatShape(cw.Shape))
	}
	mch := cw.Shape[0]
	weight := func(name string) (*ops.Tensor, error) {
		t := m.Weights[name]
		if t == nil {
			return nil, fmt.Errorf("%w: input %q must be a weight tensor", ErrBadModel, name)
		}
		if !ops.EqualShapes(t.Shape, []int{mch}) {
			return nil, fmt.Errorf("%w: %q %s must have shape [%d] to match conv %q", ErrShape, name, ops.FormatShape(t.Shape), mch, conv.Name)
		}
		return t, nil
	}
	var prm [4][]float32
	for i := range prm {
		t, err := weight(bn.Inputs[i+1])
		if err != nil {
			return nil, nil, err
		}
		prm[i] = t.Data
	}
	var oldBias []float32
	if len(conv.Inputs) == 3 {
		t, err := weight(conv.Inputs[2])
		if err != nil {
			return nil, nil, err
		}
		oldBias = t.Data
	}
	bnk, err := ops.NewBatchNorm(prm[0], prm[1], prm[2], prm[3], eps)
	if err != nil {
		return nil, nil, err
	}
	per := len(cw.Data) / mch
	folded := make([]float32, len(cw.Data))
	for c := 0; c < mch; c++ {
		s := bnk.Scale[c]
		for i := c * per; i < (c+1)*per; i++ {
			folded[i] = float32(cw.Data[i] * s)
		}
	}
	bias := make([]float32, mch)
	for c := range bias {
		b := float32(0)
		if oldBias != nil {
			b = oldBias[c]
		}
		bias[c] = float32(b*bnk.Scale[c]) + bnk.Shift[c]
	}
	return &ops.Tensor{Shape: append([]int(nil), cw.Shape...), Data: folded}, &ops.Tensor{Shape: []int{mch}, Data: bias}, nil
}

// errAlgo marks "algorithm does not apply" errors from buildConv.
var errAlgo = ops.ErrAlgo

// planBuffers gives every step output an offset in one arena, reusing the
// space of values no later step reads (first fit, 16-float alignment).
func (p *plan) planBuffers() {
	n := len(p.steps)
	for _, v := range p.values {
		v.lastUse = -1
		if v.output {
			v.lastUse = n
		}
	}
	for i, st := range p.steps {
		for _, id := range st.inputs {
			root := id
			if r := p.values[id].viewOf; r >= 0 {
				root = r
			}
			p.values[id].lastUse = max(p.values[id].lastUse, i)
			p.values[root].lastUse = max(p.values[root].lastUse, i)
		}
	}
	for _, v := range p.values {
		if v.viewOf >= 0 {
			root := p.values[v.viewOf]
			root.lastUse = max(root.lastUse, v.lastUse)
		}
	}
	type block struct{ off, size, id int }
	var live []block // sorted by offset
	top := 0
	for i, st := range p.steps {
		for _, id := range st.outputs {
			v := p.values[id]
			if v.viewOf >= 0 {
				continue
			}
			size := (v.size + 15) &^ 15
			off := 0
			pos := len(live)
			for j, b := range live {
				if b.off-off >= size {
					pos = j
					break
				}
				off = b.off + b.size
			}
			v.offset = off
			live = append(live, block{})
			copy(live[pos+1:], live[pos:])
			live[pos] = block{off, size, id}
			top = max(top, off+size)
		}
		kept := live[:0]
		for _, b := range live {
			if p.values[b.id].lastUse > i {
				kept = append(kept, b)
			}
		}
		live = kept
	}
	p.arena = top
}
