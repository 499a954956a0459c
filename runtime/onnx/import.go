// Package onnx converts between ONNX models and wasmnn models.
//
// Import lowers an ONNX graph (opsets 1 and newer) to the runtime's ops:
// constant subgraphs (shape computations, Constant nodes, arithmetic on
// weights) are evaluated at conversion time, Gemm and MatMul with constant
// weights become Dense layers, Squeeze/Unsqueeze/Flatten become reshapes,
// Identity and Dropout disappear, BatchNormalization is folded into the
// preceding Conv and activations are fused into the layer before them.
// Anything the runtime cannot run fails the whole conversion with one error
// listing every unsupported op.
//
// Export writes a .wnn model as a standard ONNX model (opset 17, or 19 when
// an average pooling is dilated) that other tools, e.g. ONNX Runtime, open.
//
// The protobuf wire format is read and written with
// google.golang.org/protobuf/encoding/protowire, following the field numbers
// of onnx.proto; untrusted bytes never cause a panic.
package onnx

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/topo"
)

// MinOpset is the oldest default-domain opset Import accepts.
const MinOpset = 1

// Options control Import.
type Options struct {
	// Batch fixes symbolic or unknown leading (batch) dimensions of the
	// inputs; 0 keeps them symbolic.
	Batch int
	// InputShapes gives the full shape of named inputs, overriding the
	// shapes the model declares: a specialisation (symbolic dimensions of
	// the other inputs stay symbolic).
	InputShapes map[string][]int
	// NoOptimize keeps BatchNormalization and activation nodes as separate
	// nodes (the runtime still fuses them when it plans the model) and
	// decomposed Gelus as they are.
	NoOptimize bool
}

// Report tells what Import did to the graph.
type Report struct {
	Opset     int64    `json:"opset"`
	Producer  string   `json:"producer,omitempty"`
	ONNXNodes int      `json:"onnx_nodes"`
	Nodes     int      `json:"nodes"`   // nodes of the converted model
	Weights   int      `json:"weights"` // weight tensors of the converted model
	Folded    []string `json:"folded,omitempty"`
	Removed   []string `json:"removed,omitempty"`
	Fused     []string `json:"fused,omitempty"`
	// Symbolic names the input dimensions that stayed symbolic.
	Symbolic []string `json:"symbolic,omitempty"`
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	p := r.Producer
	if p == "" {
		p = "unknown producer"
	}
	_, err := fmt.Fprintf(w, "ONNX opset %d (%s): %d nodes -> %d wasmnn nodes, %d weight tensors\n", r.Opset, p, r.ONNXNodes, r.Nodes, r.Weights)
	list := func(title string, items []string) {
		if len(items) == 0 || err != nil {
			return
		}
		_, err = fmt.Fprintf(w, "%s (%d): %s\n", title, len(items), strings.Join(items, ", "))
	}
	list("constant-folded", r.Folded)
	list("removed", r.Removed)
	list("fused", r.Fused)
	list("symbolic dimensions", r.Symbolic)
	return err
}

// val is a value of the ONNX graph during conversion: a constant (c non-nil)
// or a runtime value (name), with its static shape.
type val struct {
	shape []int
	c     *konst
	name  string // runtime value name; set for dynamic values and materialized constants
	src   string // ONNX name, used to name a materialized weight
}

// importer holds the state of one conversion.
type importer struct {
	opts        Options
	dims        map[string]int // sizes of the symbolic input dimensions in this conversion
	opset       int64
	vals        map[string]*val
	unavailable map[string]string // ONNX outputs wasmnn does not compute, with the reason
	m           *runtime.Model
	used        map[string]bool // runtime value names
	usedNodes   map[string]bool // runtime node names
	report      *Report
}

// Import converts an ONNX model to a wasmnn model. The result has been
// checked by the runtime (runtime.Summarize), so it loads and runs.
func Import(b []byte, opts Options) (*runtime.Model, *Report, error) {
	pm, err := Decode(b)
	if err != nil {
		return nil, nil, err
	}
	return ImportModel(pm, opts)
}

// convert runs one conversion, with the symbolic input dimensions set to
// dims (see ImportModel).
func convert(pm *Model, opts Options, dims map[string]int) (*runtime.Model, *Report, error) {
	im := &importer{opts: opts, vals: map[string]*val{}, unavailable: map[string]string{}, used: map[string]bool{}, usedNodes: map[string]bool{},
		m:      &runtime.Model{Weights: map[string]*ops.Tensor{}, WeightDType: "f32"},
		report: &Report{}, dims: dims}
	if opts.Batch < 0 || opts.Batch > 1<<16 {
		return nil, nil, fmt.Errorf("batch size %d is out of range", opts.Batch)
	}
	if err := im.checkOpset(pm); err != nil {
		return nil, nil, err
	}
	g := pm.Graph
	im.report.ONNXNodes = len(g.Nodes)
	im.report.Producer = strings.TrimSpace(pm.ProducerName + " " + pm.ProducerVersion)
	if err := im.checkSupported(g); err != nil {
		return nil, nil, err
	}
	if g.sparseInits > 0 {
		return nil, nil, fmt.Errorf("%w: sparse initializers", ErrUnsupported)
	}
	if err := im.addConstantsAndInputs(g); err != nil {
		return nil, nil, err
	}
	order, err := sortGraph(g, im.vals)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range order {
		if err := im.convertNode(n); err != nil {
			return nil, nil, err
		}
	}
	if err := im.bindOutputs(g); err != nil {
		return nil, nil, err
	}
	im.setMeta(pm)
	if !opts.NoOptimize {
		im.report.Fused = append(im.report.Fused, fuseGelu(im.m)...)
		im.report.Fused = append(im.report.Fused, fuseLayerNorm(im.m)...)
		im.report.Fused = append(im.report.Fused, Optimize(im.m)...)
	}
	if len(im.report.Fused) > 0 {
		im.m.Meta.Extra["onnx_fused"] = strings.Join(im.report.Fused, "; ")
	}
	im.report.Removed = append(im.report.Removed, removeDead(im.m)...)
	im.report.Nodes, im.report.Weights = len(im.m.Nodes), len(im.m.Weights)
	if _, err := runtime.Summarize(im.m, runtime.Options{}); err != nil {
		return nil, nil, fmt.Errorf("the converted model does not check: %w", err)
	}
	return im.m, im.report, nil
}

func (im *importer) checkOpset(pm *Model) error {
	for _, o := range pm.Opsets {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			im.opset = o.Version
		}
	}
	if im.opset == 0 {
		if len(pm.Opsets) != 0 || pm.IRVersion >= 3 {
			return fmt.Errorf("%w: the model imports no version of the default (ai.onnx) operator set", ErrMalformed)
		}
		im.opset = 1 // IR versions 1 and 2 had no opset_import: opset 1
	}
	if im.opset < MinOpset {
		return fmt.Errorf("%w: opset %d is not an ONNX operator set version", ErrMalformed, im.opset)
	}
	im.report.Opset = im.opset
	if pm.hasFunctions {
		return fmt.Errorf("%w: model-local functions", ErrUnsupported)
	}
	return nil
}

// checkSupported lists every node whose op has no converter, in one error.
func (im *importer) checkSupported(g *Graph) error {
	type entry struct {
		op    string
		nodes []string
	}
	var bad []*entry
	byOp := map[string]*entry{}
	for i, n := range g.Nodes {
		key := n.OpType
		supported := false
		if n.Domain == "" || n.Domain == "ai.onnx" {
			_, supported = handlers[n.OpType]
		} else {
			key = n.Domain + "." + n.OpType
		}
		if supported {
			continue
		}
		e := byOp[key]
		if e == nil {
			e = &entry{op: key}
			byOp[key] = e
			bad = append(bad, e)
		}
		name := n.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		e.nodes = append(e.nodes, fmt.Sprintf("%q", name))
	}
	if len(bad) == 0 {
		return nil
	}
	parts := make([]string, len(bad))
	for i, e := range bad {
		const maxNames = 8
		names := e.nodes
		more := ""
		if len(names) > maxNames {
			more = fmt.Sprintf(" and %d more", len(names)-maxNames)
			names = names[:maxNames]
		}
		word := "node"
		if len(e.nodes) > 1 {
			word = "nodes"
		}
		parts[i] = fmt.Sprintf("%s (%s %s%s)", e.op, word, strings.Join(names, ", "), more)
	}
	return fmt.Errorf("%w: %d op type(s) that wasmnn cannot convert at opset %d: %s (supported: %s)",
		ErrUnsupported, len(bad), im.opset, strings.Join(parts, "; "), strings.Join(SupportedOps(), ", "))
}

// SupportedOps returns the ONNX op types Import converts, sorted.
func SupportedOps() []string {
	names := make([]string, 0, len(handlers))
	for k := range handlers {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (im *importer) addConstantsAndInputs(g *Graph) error {
	for _, t := range g.Initializers {
		if t.Name == "" {
			return fmt.Errorf("%w: an initializer has no name", ErrMalformed)
		}
		if _, dup := im.vals[t.Name]; dup {
			return fmt.Errorf("%w: initializer %q is defined twice", ErrMalformed, t.Name)
		}
		shape, k, err := t.decodeData()
		if err != nil {
			return err
		}
		im.vals[t.Name] = &val{shape: shape, c: k, src: t.Name}
	}
	for name, shape := range im.opts.InputShapes {
		found := false
		for _, in := range g.Inputs {
			found = found || in.Name == name
		}
		if !found {
			return fmt.Errorf("--input-shape %s: the model has no input of that name", name)
		}
		if _, err := ops.NumElements(shape); err != nil || len(shape) == 0 {
			return fmt.Errorf("input shape %s %v is not valid", name, shape)
		}
	}
	batch := im.opts.Batch
	if batch == 0 {
		batch = 1
	}
	for _, in := range g.Inputs {
		if in.Name == "" {
			return fmt.Errorf("%w: a graph input has no name", ErrMalformed)
		}
		if _, isInit := im.vals[in.Name]; isInit {
			continue // an initializer listed as an input (IR version 3 and older)
		}
		if in.NotTensor {
			return fmt.Errorf("%w: input %q is not a tensor", ErrUnsupported, in.Name)
		}
		if in.ElemType != TypeFloat {
			return fmt.Errorf("%w: input %q has element type %s; wasmnn models take float inputs", ErrUnsupported, in.Name, typeName(in.ElemType))
		}
		shape, ok := im.opts.InputShapes[in.Name]
		if !ok {
			if !in.HasShape {
				return fmt.Errorf("%w: input %q has no declared shape; give it with --input-shape %s=D0,D1,...", ErrUnsupported, in.Name, in.Name)
			}
			shape = make([]int, len(in.Shape))
			for i, d := range in.Shape {
				switch {
				case d.HasValue && d.Value > 0:
					if d.Value > ops.MaxElements {
						return fmt.Errorf("%w: input %q: dimension %d is out of range", ErrMalformed, in.Name, d.Value)
					}
					shape[i] = int(d.Value)
				case i == 0 && im.opts.Batch > 0:
					shape[i] = batch // the batch, fixed
				default:
					v, ok := im.dims[dimName(in.Name, i, d)]
					if !ok {
						return fmt.Errorf("%w: input %q: dimension %d is symbolic with no size for this conversion", ErrMalformed, in.Name, i)
					}
					shape[i] = v
				}
			}
		}
		if _, err := ops.NumElements(shape); err != nil || len(shape) == 0 {
			return fmt.Errorf("%w: input %q: shape %v is not valid", ErrMalformed, in.Name, shape)
		}
		if _, dup := im.vals[in.Name]; dup {
			return fmt.Errorf("%w: input %q is declared twice", ErrMalformed, in.Name)
		}
		im.used[in.Name] = true
		im.m.Inputs = append(im.m.Inputs, runtime.ValueInfo{Name: in.Name, Shape: append([]int(nil), shape...)})
		im.vals[in.Name] = &val{shape: shape, name: in.Name, src: in.Name}
	}
	if len(im.m.Inputs) == 0 {
		return fmt.Errorf("%w: the model has no (non-constant) inputs", ErrUnsupported)
	}
	return nil
}

// sortGraph checks that every node input exists and orders the nodes
// topologically (ONNX requires sorted graphs, but not every writer obeys).
func sortGraph(g *Graph, known map[string]*val) ([]*Node, error) {
	producer := map[string]int{}
	label := func(i int) string {
		n := g.Nodes[i]
		if n.Name != "" {
			return fmt.Sprintf("%q (%s)", n.Name, n.OpType)
		}
		return fmt.Sprintf("#%d (%s)", i, n.OpType)
	}
	for i, n := range g.Nodes {
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if _, ok := known[out]; ok {
				return nil, fmt.Errorf("%w: node %s: output %q overwrites a graph input or initializer", ErrMalformed, label(i), out)
			}
			if j, ok := producer[out]; ok {
				return nil, fmt.Errorf("%w: value %q is produced by nodes %s and %s", ErrMalformed, out, label(j), label(i))
			}
			producer[out] = i
		}
	}
	deps := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in == "" {
				continue // an omitted optional input
			}
			if j, ok := producer[in]; ok {
				deps[i] = append(deps[i], j)
			} else if _, ok := known[in]; !ok {
				return nil, fmt.Errorf("%w: node %s: input %q is not a graph input, an initializer or a node output", ErrMalformed, label(i), in)
			}
		}
	}
	order, stuck := topo.Sort(len(g.Nodes), func(i int) []int { return deps[i] })
	if len(stuck) > 0 {
		var cyc []string
		for _, i := range stuck {
			cyc = append(cyc, label(i))
		}
		return nil, fmt.Errorf("%w: the graph has a cycle through nodes %s", ErrMalformed, strings.Join(cyc, ", "))
	}
	out := make([]*Node, len(order))
	for k, i := range order {
		out[k] = g.Nodes[i]
	}
	return out, nil
}

// fresh returns base, or base with a suffix, unused as a runtime value
// name, and reserves it.
func (im *importer) fresh(base string) string { return freshName(im.used, base) }

func freshName(used map[string]bool, base string) string {
	if base == "" {
		base = "value"
	}
	name := base
	for i := 1; used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	used[name] = true
	return name
}

// materialize returns the runtime name of v, turning a constant into a
// weight tensor the first time.
func (im *importer) materialize(v *val) string {
	if v.name != "" {
		return v.name
	}
	base := v.src
	if base == "" {
		base = "const"
	}
	v.name = im.fresh(base)
	// Constant data is never modified after decoding, so weights share it.
	im.m.Weights[v.name] = &ops.Tensor{Shape: append([]int(nil), v.shape...), Data: v.c.floats()}
	return v.name
}

// emit appends a runtime node with one output and returns the output's
// name.
func (im *importer) emit(name, op string, inputs []string, attrs map[string]any, out string) string {
	node := &runtime.Node{Name: freshName(im.usedNodes, name), Op: op, Inputs: inputs, Outputs: []string{out}, Attrs: attrs}
	if len(attrs) == 0 {
		node.Attrs = nil
	}
	im.m.Nodes = append(im.m.Nodes, node)
	return out
}

func (im *importer) convertNode(n *Node) error {
	h := handlers[n.OpType]
	c := &nodeCtx{im: im, n: n, a: newNodeAttrs(n)}
	c.name = n.Name
	if c.name == "" {
		c.name = strings.ToLower(n.OpType)
		if len(n.Outputs) > 0 && n.Outputs[0] != "" {
			c.name = n.Outputs[0]
		}
	}
	for _, in := range n.Inputs {
		if in == "" {
			c.in = append(c.in, nil)
			continue
		}
		if why, ok := im.unavailable[in]; ok {
			return c.errorf("%w: input %q: %s", ErrUnsupported, in, why)
		}
		c.in = append(c.in, im.vals[in])
	}
	if len(c.in) < h.minIn {
		return c.errorf("%w: has %d inputs, needs at least %d", ErrMalformed, len(c.in), h.minIn)
	}
	for i := 0; i < h.minIn; i++ {
		if c.in[i] == nil {
			return c.errorf("%w: required input %d is empty", ErrMalformed, i)
		}
	}
	if len(n.Outputs) == 0 {
		return c.errorf("%w: has no outputs", ErrMalformed)
	}
	if err := h.fn(c); err != nil {
		return c.wrap(err)
	}
	if c.a.err != nil {
		return c.wrap(c.a.err)
	}
	folded := len(c.outs) > 0
	for _, v := range c.outs {
		folded = folded && v != nil && v.c != nil
	}
	if folded {
		im.report.Folded = append(im.report.Folded, c.label())
	}
	for i, out := range n.Outputs {
		if out == "" {
			continue
		}
		if i >= len(c.outs) || c.outs[i] == nil {
			im.unavailable[out] = fmt.Sprintf("output %d of %s is not supported", i, c.label())
			continue
		}
		v := c.outs[i]
		if v.src == "" {
			v.src = out
		}
		im.vals[out] = v
	}
	if c.removed {
		im.report.Removed = append(im.report.Removed, c.label())
	}
	return nil
}

// bindOutputs makes every graph output a runtime value of the same name.
func (im *importer) bindOutputs(g *Graph) error {
	if len(g.Outputs) == 0 {
		return fmt.Errorf("%w: the graph has no outputs", ErrMalformed)
	}
	producer := map[string]*runtime.Node{}
	for _, n := range im.m.Nodes {
		producer[n.Outputs[0]] = n
	}
	bound := map[string]bool{}
	for _, o := range g.Outputs {
		if why, ok := im.unavailable[o.Name]; ok {
			return fmt.Errorf("%w: graph output %q: %s", ErrUnsupported, o.Name, why)
		}
		v, ok := im.vals[o.Name]
		if !ok {
			return fmt.Errorf("%w: graph output %q is not produced by any node", ErrMalformed, o.Name)
		}
		if bound[o.Name] {
			return fmt.Errorf("%w: graph output %q is listed twice", ErrMalformed, o.Name)
		}
		bound[o.Name] = true
		if v.c != nil {
			return fmt.Errorf("%w: graph output %q is a constant (it does not depend on the inputs)", ErrUnsupported, o.Name)
		}
		switch {
		case v.name == o.Name:
		case producer[v.name] != nil && !bound[v.name] && !im.isGraphOutput(g, v.name) && !im.used[o.Name]:
			// Rename the producing node's output (an alias through Identity
			// or Dropout) to the graph output's name.
			old := v.name
			producer[old].Outputs[0] = o.Name
			for _, n := range im.m.Nodes {
				for i, in := range n.Inputs {
					if in == old {
						n.Inputs[i] = o.Name
					}
				}
			}
			im.used[o.Name] = true
			for _, w := range im.vals {
				if w.name == old {
					w.name = o.Name
				}
			}
			producer[o.Name] = producer[old]
			delete(producer, old)
		default:
			// An output that is a graph input, a weight or another output:
			// copy it through a no-op reshape.
			if im.used[o.Name] {
				return fmt.Errorf("%w: graph output %q names another value of the converted model", ErrUnsupported, o.Name)
			}
			src := im.materialize(v)
			im.used[o.Name] = true
			im.emit(o.Name, "Reshape", []string{src}, map[string]any{"shape": ints64(v.shape)}, o.Name)
		}
		im.m.Outputs = append(im.m.Outputs, o.Name)
	}
	return nil
}

func (im *importer) isGraphOutput(g *Graph, name string) bool {
	for _, o := range g.Outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// Metadata keys Export writes so that a model survives a round trip.
const (
	metaLabels      = "wasmnn.labels"
	metaPreprocess  = "wasmnn.preprocess"
	metaDescription = "wasmnn.description"
	metaName        = "wasmnn.name"
	metaExtraPrefix = "wasmnn.extra."
)

func (im *importer) setMeta(pm *Model) {
	meta := &im.m.Meta
	meta.Name = pm.Graph.Name
	if meta.Name == "" {
		meta.Name = "onnx-model"
	}
	meta.Description = strings.TrimSpace(pm.DocString)
	meta.Extra = map[string]string{"source": "onnx", "onnx_opset": fmt.Sprint(im.opset)}
	if im.report.Producer != "" {
		meta.Extra["onnx_producer"] = im.report.Producer
	}
	for _, kv := range pm.Metadata {
		switch {
		case kv.Key == metaLabels:
			var labels []string
			if json.Unmarshal([]byte(kv.Value), &labels) == nil {
				meta.Labels = labels
			}
		case kv.Key == metaPreprocess:
			var pp runtime.Preprocess
			if json.Unmarshal([]byte(kv.Value), &pp) == nil {
				meta.Preprocess = &pp
			}
		case kv.Key == metaDescription:
			meta.Description = kv.Value
		case kv.Key == metaName:
			meta.Name = kv.Value
		case strings.HasPrefix(kv.Key, metaExtraPrefix):
			meta.Extra[strings.TrimPrefix(kv.Key, metaExtraPrefix)] = kv.Value
		default:
			meta.Extra["onnx."+kv.Key] = kv.Value
		}
	}
}

func ints64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
