package runtime

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wasmnn/wasmnn/ops"
)

// Session is a model prepared to run: checked, planned, with kernels built and
// weights repacked for the chosen algorithms. A model whose inputs have
// symbolic dimensions (ValueInfo.Dims) is planned again for every distinct
// set of input shapes it runs on; the session keeps the most recently used
// plans (Options.MaxPlans), so a stream of same-shaped inputs plans once and
// then allocates nothing. A Session is safe for concurrent use; runs are
// serialised.
type Session struct {
	mu     sync.Mutex
	model  *Model
	opts   Options
	inputs []ValueInfo // the model's inputs, with their symbolic dimensions
	// plans holds the prepared plans, most recently used first; plans[0] is
	// the one Summary, Outputs and the byte counts describe.
	plans   []*instance
	planned int // plans made over the session's life
}

// instance is a plan for one set of input shapes with its kernels and
// buffers.
type instance struct {
	plan     *plan
	kernels  []kernel
	planTime time.Duration // planning and kernel preparation
	outs     []ValueInfo   // the output shapes (OutputShapes' answer)
	arena    []float32     // activations, allocated at the first Run
	ws       []float32     // scratch shared by all kernels
	bufs     [][]float32
	in, out  [][][]float32
	// inputViews are the values that view a graph input (a Flatten of the
	// input, say): their buffers change with every run's inputs.
	inputViews []int
}

// DefaultMaxPlans is how many plans a session keeps when Options.MaxPlans
// is 0.
const DefaultMaxPlans = 8

// NewSession checks m completely (ops, attributes, shapes: every error names
// the node) and prepares it to run with the given options. A model with
// symbolic input dimensions is checked and planned for its representative
// shapes (ValueInfo.Shape); other shapes are planned when they first run.
func NewSession(m *Model, opts Options) (*Session, error) {
	if err := checkInputDims(m.Inputs); err != nil {
		return nil, err
	}
	s := &Session{model: m, opts: opts, inputs: cloneInfos(m.Inputs)}
	inst, err := s.prepare(m.Inputs)
	if err != nil {
		return nil, err
	}
	s.plans = []*instance{inst}
	return s, nil
}

// checkInputDims checks the symbolic-dimension names of the graph inputs.
func checkInputDims(inputs []ValueInfo) error {
	for _, in := range inputs {
		if len(in.Dims) != 0 && len(in.Dims) != len(in.Shape) {
			return fmt.Errorf("%w: input %q has %d dimension names for shape %s", ErrBadModel, in.Name, len(in.Dims), ops.FormatShape(in.Shape))
		}
	}
	return nil
}

func cloneInfos(in []ValueInfo) []ValueInfo {
	out := make([]ValueInfo, len(in))
	for i, v := range in {
		out[i] = ValueInfo{Name: v.Name, Shape: append([]int(nil), v.Shape...), Dims: append([]string(nil), v.Dims...)}
		if len(v.Dims) == 0 {
			out[i].Dims = nil
		}
	}
	return out
}

// prepare plans the model for the given input shapes and builds its
// kernels.
func (s *Session) prepare(inputs []ValueInfo) (*instance, error) {
	start := time.Now()
	m := s.model
	if !sameShapes(inputs, m.Inputs) {
		spec := *m
		spec.Inputs = inputs
		m = &spec
	}
	p, err := newPlan(m, s.opts)
	if err != nil {
		return nil, err
	}
	inst := &instance{plan: p, kernels: make([]kernel, len(p.steps))}
	for i, st := range p.steps {
		var k kernel
		if len(st.layer.alternatives) > 1 {
			k, err = autotune(st, p)
		} else {
			k, err = st.layer.kernel(p.threads)
		}
		if err != nil {
			return nil, nodeErr(st.node, err)
		}
		inst.kernels[i] = k
		p.ws = max(p.ws, k.ws)
		if over(int64(p.arena+p.ws)*4, p.limits.MaxActivationBytes) {
			return nil, nodeErr(st.node, fmt.Errorf("%w: activations and workspace need %d bytes, the limit is %d",
				ErrLimit, int64(p.arena+p.ws)*4, p.limits.MaxActivationBytes))
		}
	}
	inst.outs = p.infos(p.outputs)
	inst.planTime = time.Since(start)
	s.planned++
	return inst, nil
}

func sameShapes(a, b []ValueInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !ops.EqualShapes(a[i].Shape, b[i].Shape) {
			return false
		}
	}
	return true
}

// autotune builds the step's kernel with each alternative algorithm, times
// three runs of each on random data (keeping the fastest run) and returns
// the fastest kernel, recording its algorithm in the step.
func autotune(st *step, p *plan) (kernel, error) {
	in := make([][]float32, len(st.inputs))
	for j, id := range st.inputs {
		v := p.values[id]
		if v.konst != nil {
			in[j] = v.konst
			continue
		}
		in[j] = make([]float32, v.size)
		for k := range in[j] {
			in[j][k] = float32(k%17)/8 - 1
		}
	}
	out := make([][]float32, len(st.outputs))
	for j, id := range st.outputs {
		out[j] = make([]float32, p.values[id].size)
	}
	var best kernel
	bestTime := time.Duration(-1)
	for _, algo := range st.layer.alternatives {
		k, err := st.layer.withAlgo(algo)
		if err != nil {
			return kernel{}, err
		}
		ws := make([]float32, k.ws)
		fastest := time.Duration(-1)
		for r := 0; r < 3; r++ {
			start := time.Now()
			k.run(in, out, ws, p.threads)
			if d := time.Since(start); fastest < 0 || d < fastest {
				fastest = d
			}
		}
		if bestTime < 0 || fastest < bestTime {
			best, bestTime = k, fastest
			st.layer.algo = string(algo)
		}
	}
	return best, nil
}

// Inputs returns the model's inputs with their shapes (symbolic dimensions
// named in Dims, with their representative sizes in Shape).
func (s *Session) Inputs() []ValueInfo { return cloneInfos(s.inputs) }

// Outputs returns the model's outputs with their inferred shapes, for the
// input shapes of the most recent run (the representative shapes before the
// first run).
func (s *Session) Outputs() []ValueInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plans[0].plan.infos(s.plans[0].plan.outputs)
}

func (p *plan) infos(ids []int) []ValueInfo {
	out := make([]ValueInfo, len(ids))
	for i, id := range ids {
		v := p.values[id]
		out[i] = ValueInfo{Name: v.name, Shape: append([]int(nil), v.shape...)}
	}
	return out
}

// Model returns the model the session runs.
func (s *Session) Model() *Model { return s.model }

// PeakActivationBytes returns the size of the activation arena of the most
// recent run's plan: the most memory the intermediate values of one run
// occupy at once, after buffer reuse (graph inputs, weights and scratch not
// included).
func (s *Session) PeakActivationBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.plans[0].plan.arena) * 4
}

// WorkspaceBytes returns the size of the scratch buffer shared by the
// kernels of the most recent run's plan.
func (s *Session) WorkspaceBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(s.plans[0].plan.ws) * 4
}

// checkInputs validates the caller's inputs by name, rank, fixed and
// symbolic dimensions, and length.
func (s *Session) checkInputs(inputs map[string]*ops.Tensor) error {
	return s.checkShapes(inputs, nil)
}

// checkShapes validates inputs' tensors, or with inputs nil the shapes
// alone, against the model's inputs.
func (s *Session) checkShapes(inputs map[string]*ops.Tensor, shapes map[string][]int) error {
	// The sizes of the symbolic dimensions seen so far (a small array: a
	// steady stream of runs allocates nothing).
	type dimSize struct {
		name string
		size int
	}
	var store [8]dimSize
	named := store[:0]
	count := len(shapes)
	if inputs != nil {
		count = len(inputs)
	}
	for _, in := range s.inputs {
		var t *ops.Tensor
		if inputs != nil {
			t = inputs[in.Name]
		} else if sh, ok := shapes[in.Name]; ok {
			t = &ops.Tensor{Shape: sh}
		}
		if t == nil {
			if unknown := s.unknownInputs(inputs, shapes); len(unknown) > 0 {
				// A misnamed input: name the key given and the model's inputs.
				return fmt.Errorf("%w: unknown input %s (the model's inputs: %s)", ErrInput, strings.Join(unknown, ", "), strings.Join(s.inputNames(), ", "))
			}
			return fmt.Errorf("%w: missing input %q (shape %s)", ErrInput, in.Name, in.ShapeString())
		}
		if !in.Symbolic() {
			if !ops.EqualShapes(t.Shape, in.Shape) {
				return fmt.Errorf("%w: input %q has shape %s, the model expects %s", ErrInput, in.Name, ops.FormatShape(t.Shape), ops.FormatShape(in.Shape))
			}
		} else {
			if len(t.Shape) != len(in.Shape) {
				return fmt.Errorf("%w: input %q has shape %s, the model expects rank %d: %s", ErrInput, in.Name, ops.FormatShape(t.Shape), len(in.Shape), in.ShapeString())
			}
			for i, d := range t.Shape {
				name := in.Dims[i]
				switch {
				case name == "" && d != in.Shape[i]:
					return fmt.Errorf("%w: input %q has shape %s, the model expects %s (dimension %d is fixed)", ErrInput, in.Name, ops.FormatShape(t.Shape), in.ShapeString(), i)
				case name != "" && d < 1:
					return fmt.Errorf("%w: input %q has shape %s: dimension %d (%s) must be at least 1", ErrInput, in.Name, ops.FormatShape(t.Shape), i, name)
				case name != "":
					seen := false
					for _, p := range named {
						if p.name == name && p.size != d {
							return fmt.Errorf("%w: input %q has shape %s: dimension %s is %d here and %d elsewhere", ErrInput, in.Name, ops.FormatShape(t.Shape), name, d, p.size)
						}
						seen = seen || p.name == name
					}
					if !seen {
						named = append(named, dimSize{name, d})
					}
				}
			}
		}
		n, err := ops.NumElements(t.Shape)
		if err != nil {
			return fmt.Errorf("%w: input %q: %w", ErrInput, in.Name, err)
		}
		if inputs != nil && len(t.Data) != n {
			return fmt.Errorf("%w: input %q has %d values, shape %s needs %d", ErrInput, in.Name, len(t.Data), ops.FormatShape(t.Shape), n)
		}
	}
	if count != len(s.inputs) {
		unknown := s.unknownInputs(inputs, shapes)
		return fmt.Errorf("%w: unknown input %s (the model's inputs: %s)", ErrInput, strings.Join(unknown, ", "), strings.Join(s.inputNames(), ", "))
	}
	return nil
}

// unknownInputs returns the quoted, sorted keys of inputs and shapes that
// name no model input.
func (s *Session) unknownInputs(inputs map[string]*ops.Tensor, shapes map[string][]int) []string {
	var extra []string
	for name := range shapes {
		extra = append(extra, name)
	}
	for name := range inputs {
		extra = append(extra, name)
	}
	unknown := extra[:0]
	for _, name := range extra {
		known := false
		for _, in := range s.inputs {
			known = known || in.Name == name
		}
		if !known {
			unknown = append(unknown, fmt.Sprintf("%q", name))
		}
	}
	sort.Strings(unknown)
	return unknown
}

func (s *Session) inputNames() []string {
	var names []string
	for _, in := range s.inputs {
		names = append(names, fmt.Sprintf("%q", in.Name))
	}
	return names
}

// instanceFor returns the plan for the inputs' shapes, planning it if no
// kept plan fits, and makes it the most recently used. s.mu is held.
func (s *Session) instanceFor(shapeOf func(name string) []int) (*instance, error) {
	for i, inst := range s.plans {
		if inst.fits(shapeOf) {
			if i > 0 {
				copy(s.plans[1:i+1], s.plans[:i])
				s.plans[0] = inst
			}
			return inst, nil
		}
	}
	shapes := cloneInfos(s.inputs)
	for i := range shapes {
		shapes[i].Shape = append([]int(nil), shapeOf(shapes[i].Name)...)
		shapes[i].Dims = nil
	}
	inst, err := s.prepare(shapes)
	if err != nil {
		return nil, fmt.Errorf("for input shapes %s: %w", describeShapes(shapes), err)
	}
	limit := s.opts.MaxPlans
	if limit <= 0 {
		limit = DefaultMaxPlans
	}
	if len(s.plans) >= limit {
		s.plans = s.plans[:limit-1] // the least recently used plan and its buffers go
	}
	s.plans = append([]*instance{inst}, s.plans...)
	return inst, nil
}

func describeShapes(v []ValueInfo) string {
	parts := make([]string, len(v))
	for i, in := range v {
		parts[i] = in.Name + " " + ops.FormatShape(in.Shape)
	}
	return strings.Join(parts, ", ")
}

// fits reports whether the plan was made for the inputs' shapes.
func (inst *instance) fits(shapeOf func(name string) []int) bool {
	p := inst.plan
	for _, id := range p.inputs {
		v := p.values[id]
		if !ops.EqualShapes(shapeOf(v.name), v.shape) {
			return false
		}
	}
	return true
}

// Run executes the model on inputs (keyed by input name) and returns new
// tensors for every output, keyed by output name. Inputs are only read.
func (s *Session) Run(ctx context.Context, inputs map[string]*ops.Tensor) (map[string]*ops.Tensor, error) {
	if err := s.checkInputs(inputs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.instanceFor(func(name string) []int { return inputs[name].Shape })
	if err != nil {
		return nil, err
	}
	p := inst.plan
	res := make(map[string]*ops.Tensor, len(p.outputs))
	for _, id := range p.outputs {
		v := p.values[id]
		res[v.name] = &ops.Tensor{Shape: append([]int(nil), v.shape...), Data: make([]float32, v.size)}
	}
	if err := inst.run(ctx, inputs, res, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// RunInto is Run writing into caller-owned output tensors (one per output
// name, of the output's shape for these inputs: see OutputShapes). After the
// first call for a set of input shapes it allocates nothing.
func (s *Session) RunInto(ctx context.Context, inputs, outputs map[string]*ops.Tensor) error {
	return s.RunProfiled(ctx, inputs, outputs, nil)
}

// OutputShapes returns the output shapes for inputs of the given shapes
// (keyed by input name), planning them if needed. The result belongs to the
// session's plan and must not be modified; asking again for shapes the
// session keeps a plan for allocates nothing.
func (s *Session) OutputShapes(shapes map[string][]int) ([]ValueInfo, error) {
	if err := s.checkShapes(nil, shapes); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.instanceFor(func(name string) []int { return shapes[name] })
	if err != nil {
		return nil, err
	}
	return inst.outs, nil
}

// RunProfiled is RunInto calling after(i) when layer i (in Summary().Layers
// order) has finished, so that callers can time each layer.
func (s *Session) RunProfiled(ctx context.Context, inputs, outputs map[string]*ops.Tensor, after func(layer int)) error {
	if err := s.checkInputs(inputs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, err := s.instanceFor(func(name string) []int { return inputs[name].Shape })
	if err != nil {
		return err
	}
	p := inst.plan
	for _, id := range p.outputs {
		v := p.values[id]
		t, ok := outputs[v.name]
		if !ok || t == nil || len(t.Data) != v.size {
			return fmt.Errorf("%w: output %q needs a tensor of %d values (shape %s)", ErrInput, v.name, v.size, ops.FormatShape(v.shape))
		}
	}
	return inst.run(ctx, inputs, outputs, after)
}

// stepHook, when non-nil, is called after every step (for per-layer timing).
type stepHook func(i int)

func (s *instance) run(ctx context.Context, inputs, outputs map[string]*ops.Tensor, hook stepHook) error {
	p := s.plan
	if s.bufs == nil {
		s.arena = make([]float32, p.arena)
		s.ws = make([]float32, p.ws)
		s.bufs = make([][]float32, len(p.values))
		s.in = make([][][]float32, len(p.steps))
		s.out = make([][][]float32, len(p.steps))
		for i, st := range p.steps {
			s.in[i] = make([][]float32, len(st.inputs))
			s.out[i] = make([][]float32, len(st.outputs))
		}
		// A view's root comes before it and is never a view itself.
		for id, v := range p.values {
			switch {
			case v.konst != nil:
				s.bufs[id] = v.konst
			case v.offset >= 0:
				s.bufs[id] = s.arena[v.offset : v.offset+v.size : v.offset+v.size]
			case v.viewOf >= 0 && p.values[v.viewOf].input:
				s.inputViews = append(s.inputViews, id)
			case v.viewOf >= 0:
				s.bufs[id] = s.bufs[v.viewOf][:v.size]
			}
		}
	}
	for _, id := range p.inputs {
		s.bufs[id] = inputs[p.values[id].name].Data
	}
	for _, id := range s.inputViews {
		s.bufs[id] = s.bufs[p.values[id].viewOf][:p.values[id].size]
	}
	defer func() { // do not keep the caller's data alive
		for _, id := range p.inputs {
			s.bufs[id] = nil
		}
		for _, id := range s.inputViews {
			s.bufs[id] = nil
		}
	}()
	for i, st := range p.steps {
		if i%16 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for j, id := range st.inputs {
			s.in[i][j] = s.bufs[id]
		}
		for j, id := range st.outputs {
			s.out[i][j] = s.bufs[id]
		}
		s.kernels[i].run(s.in[i], s.out[i], s.ws, p.threads)
		if hook != nil {
			hook(i)
		}
	}
	for _, id := range p.outputs {
		copy(outputs[p.values[id].name].Data, s.bufs[id])
	}
	return nil
}
