// Package runtime runs neural-network models as graphs of named nodes: it loads
// and saves .wnn files, infers shapes, plans execution (node order, operator
// fusion, convolution algorithm per layer, reuse of activation buffers) and
// executes the plan with the kernels of package ops.
//
// A Model is plain data: inputs, outputs, nodes and weights. NewSession checks
// it completely (op names, attributes, shapes; every error names the node) and
// prepares it to run; Session.Run executes it.
package runtime

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/internal/format"
)

// Errors wrapped by the runtime's errors; test with errors.Is.
var (
	// ErrBadModel reports a malformed model file or an inconsistent graph.
	ErrBadModel = format.ErrBadModel
	// ErrUnsupportedOp reports a node whose op this runtime does not know.
	ErrUnsupportedOp = errors.New("unsupported op")
	// ErrShape reports impossible or inconsistent shapes.
	ErrShape = ops.ErrShape
	// ErrInput reports inputs given to Run that do not match the model.
	ErrInput = errors.New("bad input")
)

// ValueInfo names a graph value and gives its shape. Dims, when not empty,
// names the symbolic dimensions of a graph input: one entry per axis, the
// dimension's name (the axis takes any size at run time, and Shape holds a
// representative size, the one NewSession plans first) or "" for a fixed
// axis. Axes with the same name must have the same size.
type ValueInfo struct {
	Name  string   `json:"name"`
	Shape []int    `json:"shape"`
	Dims  []string `json:"dims,omitempty"`
}

// Symbolic reports whether the value has symbolic dimensions.
func (v ValueInfo) Symbolic() bool {
	for _, d := range v.Dims {
		if d != "" {
			return true
		}
	}
	return false
}

// ShapeString formats the shape with symbolic dimensions by name: [N 3 48 W].
func (v ValueInfo) ShapeString() string {
	parts := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		parts[i] = fmt.Sprint(d)
		if i < len(v.Dims) && v.Dims[i] != "" {
			parts[i] = v.Dims[i]
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Node is one operation of the graph. Attrs values are int64, float64,
// string, []int64 or []float64.
type Node struct {
	Name    string
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   map[string]any
}

// Preprocess describes how an image becomes the model's first input; see
// docs/FORMAT.md.
type Preprocess = format.Preprocess

// Meta is the model's descriptive metadata.
type Meta struct {
	Name        string
	Description string
	Labels      []string
	Preprocess  *Preprocess
	Extra       map[string]string
}

// Model is a graph with its weights and metadata. Weights maps tensor names to
// constant tensors; node inputs name either graph inputs, weights or other
// nodes' outputs.
type Model struct {
	Inputs  []ValueInfo
	Outputs []string
	Nodes   []*Node
	Weights map[string]*ops.Tensor
	Meta    Meta
	// WeightDType is the storage type used by Encode: "f32" (default) or "f16".
	WeightDType string
}

// Load decodes a .wnn file. It checks the file's structure; NewSession checks
// the graph itself.
func Load(b []byte) (*Model, error) {
	f, err := format.Decode(b)
	if err != nil {
		return nil, err
	}
	m := &Model{
		Outputs: append([]string(nil), f.Graph.Outputs...),
		Weights: make(map[string]*ops.Tensor, len(f.Tensors)),
		Meta: Meta{Name: f.Meta.Name, Description: f.Meta.Description, Labels: f.Meta.Labels,
			Preprocess: f.Meta.Preprocess, Extra: f.Meta.Extra},
		WeightDType: format.DTypeF32,
	}
	for _, in := range f.Graph.Inputs {
		m.Inputs = append(m.Inputs, ValueInfo{Name: in.Name, Shape: in.Shape, Dims: in.Dims})
	}
	for _, n := range f.Graph.Nodes {
		m.Nodes = append(m.Nodes, &Node{Name: n.Name, Op: n.Op, Inputs: n.Inputs, Outputs: n.Outputs, Attrs: n.Attrs})
	}
	for _, t := range f.Tensors {
		data, err := t.Float32s()
		if err != nil {
			return nil, err
		}
		if t.DType == format.DTypeF16 {
			m.WeightDType = format.DTypeF16
		}
		m.Weights[t.Name] = &ops.Tensor{Shape: t.Shape, Data: data}
	}
	return m, nil
}

// Encode writes the model as a .wnn file, storing weights as m.WeightDType.
func (m *Model) Encode() ([]byte, error) {
	f := &format.Model{}
	for _, in := range m.Inputs {
		f.Graph.Inputs = append(f.Graph.Inputs, format.ValueInfo{Name: in.Name, Shape: in.Shape, Dims: in.Dims})
	}
	f.Graph.Outputs = m.Outputs
	for _, n := range m.Nodes {
		f.Graph.Nodes = append(f.Graph.Nodes, format.Node{Name: n.Name, Op: n.Op, Inputs: n.Inputs, Outputs: n.Outputs, Attrs: n.Attrs})
	}
	for _, name := range m.WeightNames() {
		w := m.Weights[name]
		var t format.Tensor
		var err error
		switch m.WeightDType {
		case "", format.DTypeF32:
			t, err = format.NewF32Tensor(name, w.Shape, w.Data)
		case format.DTypeF16:
			t, err = format.NewF16Tensor(name, w.Shape, w.Data)
		default:
			return nil, fmt.Errorf("unknown weight dtype %q (want f32 or f16)", m.WeightDType)
		}
		if err != nil {
			return nil, err
		}
		f.Tensors = append(f.Tensors, t)
	}
	f.Meta = format.Meta{Name: m.Meta.Name, Description: m.Meta.Description, Labels: m.Meta.Labels,
		Preprocess: m.Meta.Preprocess, Extra: m.Meta.Extra}
	return format.Encode(f)
}

// WeightNames returns the names of m's weights, sorted.
func (m *Model) WeightNames() []string {
	names := make([]string, 0, len(m.Weights))
	for name := range m.Weights {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
