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
// weights repacked for the chosen algorithms. A Session is safe for concurrent
// use; runs are serialised.
type Session struct {
	mu      sync.Mutex
	plan    *plan
	kernels []kernel
	arena   []float32 // activations, allocated at the first Run
	ws      []float32 // scratch shared by all kernels
	bufs    [][]float32
	in, out [][][]float32
	// inputViews are the values that view a graph input (a Flatten of the
	// input, say): their buffers change with every run's inputs.
	inputViews []int
}

// NewSession checks m completely (ops, attributes, shapes: every error names
// the node) and prepares it to run with the given options.
func NewSession(m *Model, opts Options) (*Session, error) {
	p, err := newPlan(m, opts)
	if err != nil {
		return nil, err
	}
	s := &Session{plan: p, kernels: make([]kernel, len(p.steps))}
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
		s.kernels[i] = k
		p.ws = max(p.ws, k.ws)
		if over(int64(p.arena+p.ws)*4, p.limits.MaxActivationBytes) {
			return nil, nodeErr(st.node, fmt.Errorf("%w: activations and workspace need %d bytes, the limit is %d",
				ErrLimit, int64(p.arena+p.ws)*4, p.limits.MaxActivationBytes))
		}
	}
	return s, nil
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

// Inputs returns the model's inputs with their shapes.
func (s *Session) Inputs() []ValueInfo { return s.infos(s.plan.inputs) }

// Outputs returns the model's outputs with their inferred shapes.
func (s *Session) Outputs() []ValueInfo { return s.infos(s.plan.outputs) }

func (s *Session) infos(ids []int) []ValueInfo {
	out := make([]ValueInfo, len(ids))
	for i, id := range ids {
		v := s.plan.values[id]
		out[i] = ValueInfo{Name: v.name, Shape: append([]int(nil), v.shape...)}
	}
	return out
}

// Model returns the model the session runs.
func (s *Session) Model() *Model { return s.plan.model }

// PeakActivationBytes returns the size of the activation arena: the most
// memory the intermediate values of one run occupy at once, after buffer
// reuse (graph inputs, weights and scratch not included).
func (s *Session) PeakActivationBytes() int64 { return int64(s.plan.arena) * 4 }

// WorkspaceBytes returns the size of the scratch buffer shared by the kernels.
func (s *Session) WorkspaceBytes() int64 { return int64(s.plan.ws) * 4 }

// checkInputs validates the caller's inputs by name, shape and length.
func (s *Session) checkInputs(inputs map[string]*ops.Tensor) error {
	for _, id := range s.plan.inputs {
		v := s.plan.values[id]
		t, ok := inputs[v.name]
		if !ok || t == nil {
			return fmt.Errorf("%w: missing input %q (shape %s)", ErrInput, v.name, ops.FormatShape(v.shape))
		}
		if !ops.EqualShapes(t.Shape, v.shape) {
			return fmt.Errorf("%w: input %q has shape %s, the model expects %s", ErrInput, v.name, ops.FormatShape(t.Shape), ops.FormatShape(v.shape))
		}
		if len(t.Data) != v.size {
			return fmt.Errorf("%w: input %q has %d values, shape %s needs %d", ErrInput, v.name, len(t.Data), ops.FormatShape(v.shape), v.size)
		}
	}
	if len(inputs) != len(s.plan.inputs) {
		var extra []string
		for name := range inputs {
			if id, ok := s.plan.byName[name]; !ok || !s.plan.values[id].input {
				extra = append(extra, fmt.Sprintf("%q", name))
			}
		}
		sort.Strings(extra)
		return fmt.Errorf("%w: unknown input %s (the model's inputs: %s)", ErrInput, strings.Join(extra, ", "), strings.Join(s.inputNames(), ", "))
	}
	return nil
}

func (s *Session) inputNames() []string {
	var names []string
	for _, id := range s.plan.inputs {
		names = append(names, fmt.Sprintf("%q", s.plan.values[id].name))
	}
	return names
}

// Run executes the model on inputs (keyed by input name) and returns new
// tensors for every output, keyed by output name. Inputs are only read.
func (s *Session) Run(ctx context.Context, inputs map[string]*ops.Tensor) (map[string]*ops.Tensor, error) {
	res := make(map[string]*ops.Tensor, len(s.plan.outputs))
	for _, id := range s.plan.outputs {
		v := s.plan.values[id]
		res[v.name] = &ops.Tensor{Shape: append([]int(nil), v.shape...), Data: make([]float32, v.size)}
	}
	if err := s.RunInto(ctx, inputs, res); err != nil {
		return nil, err
	}
	return res, nil
}

// RunInto is Run writing into caller-owned output tensors (one per output
// name, of the output's shape). After the first call it allocates nothing.
func (s *Session) RunInto(ctx context.Context, inputs, outputs map[string]*ops.Tensor) error {
	return s.RunProfiled(ctx, inputs, outputs, nil)
}

// RunProfiled is RunInto calling after(i) when layer i (in Summary().Layers
// order) has finished, so that callers can time each layer.
func (s *Session) RunProfiled(ctx context.Context, inputs, outputs map[string]*ops.Tensor, after func(layer int)) error {
	if err := s.checkInputs(inputs); err != nil {
		return err
	}
	for _, id := range s.plan.outputs {
		v := s.plan.values[id]
		t, ok := outputs[v.name]
		if !ok || t == nil || len(t.Data) != v.size {
			return fmt.Errorf("%w: output %q needs a tensor of %d values (shape %s)", ErrInput, v.name, v.size, ops.FormatShape(v.shape))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run(ctx, inputs, outputs, after)
}

// stepHook, when non-nil, is called after every step (for per-layer timing).
type stepHook func(i int)

func (s *Session) run(ctx context.Context, inputs, outputs map[string]*ops.Tensor, hook stepHook) error {
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
