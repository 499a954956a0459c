package onnx

import "github.com/wasmnn/wasmnn/runtime"

// fusion is the graph-matching state of one pattern fusion over a lowered
// model (fuseGelu, fuseLayerNorm): every value's producer and readers, the
// graph outputs, and the nodes the fusion has replaced. The indexes are
// built once, before any rewrite; a fusion that rewrites a node in place
// keeps its outputs, so they stay valid.
type fusion struct {
	m        *runtime.Model
	producer map[string]*runtime.Node   // the node that writes a value
	uses     map[string][]*runtime.Node // the nodes that read a value, once per input slot
	output   map[string]bool            // graph outputs
	removed  map[*runtime.Node]bool
}

func newFusion(m *runtime.Model) *fusion {
	f := &fusion{
		m:        m,
		producer: map[string]*runtime.Node{},
		uses:     map[string][]*runtime.Node{},
		output:   map[string]bool{},
		removed:  map[*runtime.Node]bool{},
	}
	for _, n := range m.Nodes {
		for _, o := range n.Outputs {
			f.producer[o] = n
		}
		for _, in := range n.Inputs {
			f.uses[in] = append(f.uses[in], n)
		}
	}
	for _, o := range m.Outputs {
		f.output[o] = true
	}
	return f
}

// only returns the single reader of n's output: nil if n is nil, has not
// one output, or its output is a graph output or is not read exactly once.
func (f *fusion) only(n *runtime.Node) *runtime.Node {
	if n == nil || len(n.Outputs) != 1 || f.output[n.Outputs[0]] || len(f.uses[n.Outputs[0]]) != 1 {
		return nil
	}
	return f.uses[n.Outputs[0]][0]
}

// scalar returns the value of name if it is a one-element weight.
func (f *fusion) scalar(name string) (float32, bool) {
	w := f.m.Weights[name]
	if w == nil || len(w.Data) != 1 {
		return 0, false
	}
	return w.Data[0], true
}

// sweep deletes the removed nodes from the model, keeping the others'
// order.
func (f *fusion) sweep() {
	if len(f.removed) == 0 {
		return
	}
	kept := f.m.Nodes[:0]
	for _, n := range f.m.Nodes {
		if !f.removed[n] {
			kept = append(kept, n)
		}
	}
	f.m.Nodes = kept
}

// binaryOperand returns n's operand other than name if n is op with two
// inputs, one output and no attributes (so no fused activation) and name is
// one of its operands (the first, if first is set).
func binaryOperand(n *runtime.Node, op, name string, first bool) (other string, ok bool) {
	if n == nil || n.Op != op || len(n.Inputs) != 2 || len(n.Attrs) != 0 || len(n.Outputs) != 1 {
		return "", false
	}
	switch {
	case n.Inputs[0] == name:
		return n.Inputs[1], true
	case n.Inputs[1] == name && !first:
		return n.Inputs[0], true
	}
	return "", false
}
