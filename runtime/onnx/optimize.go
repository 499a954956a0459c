package onnx

import (
	"fmt"
	"math"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// fusableHeads are the ops that take a fused activation attribute.
var fusableHeads = map[string]bool{"Conv": true, "ConvTranspose": true, "Dense": true, "Add": true, "Sub": true, "Mul": true, "Div": true}

// activationNames maps standalone activation ops to the fused attribute's
// spelling.
var activationNames = map[string]string{"Relu": "relu", "LeakyRelu": "leakyrelu", "Clip": "clip", "Sigmoid": "sigmoid", "Tanh": "tanh"}

// Optimize rewrites m in place as the runtime would plan it, so that the
// file itself is simpler: a BatchNormalization whose input is a Conv's only
// use is folded into the Conv's weights and bias (with the runtime's own
// float32 arithmetic, so results do not change), and an activation whose
// input is the only use of a Conv, ConvTranspose, Dense or elementwise
// arithmetic node becomes that node's activation attribute. It returns one
// line per rewrite.
func Optimize(m *runtime.Model) []string {
	var done []string
	names := map[string]bool{}
	for _, in := range m.Inputs {
		names[in.Name] = true
	}
	for w := range m.Weights {
		names[w] = true
	}
	for _, n := range m.Nodes {
		names[n.Name] = true
		for _, o := range n.Outputs {
			names[o] = true
		}
	}
	fresh := func(base string) string {
		name := base
		for i := 1; names[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		names[name] = true
		return name
	}
	for pass := 0; pass < 2; pass++ {
		producer, readers, outputs := index(m)
		removed := map[*runtime.Node]bool{}
		for _, n := range m.Nodes {
			if len(n.Inputs) == 0 || removed[n] {
				continue
			}
			head := producer[n.Inputs[0]]
			if head == nil || removed[head] || outputs[n.Inputs[0]] || len(readers[n.Inputs[0]]) != 1 {
				continue
			}
			for _, in := range n.Inputs[1:] {
				if in == n.Inputs[0] {
					head = nil
				}
			}
			if head == nil {
				continue
			}
			switch {
			case pass == 0 && n.Op == "BatchNormalization" && head.Op == "Conv" && head.Attrs["activation"] == nil:
				if foldBN(m, head, n, fresh) {
					done = append(done, fmt.Sprintf("%s folded into %s", n.Name, head.Name))
				} else {
					continue
				}
			case pass == 1 && activationNames[n.Op] != "" && fusableHeads[head.Op] && head.Attrs["activation"] == nil:
				if !fuseActivation(head, n) {
					continue
				}
				done = append(done, fmt.Sprintf("%s fused into %s", n.Name, head.Name))
			default:
				continue
			}
			head.Outputs[0] = n.Outputs[0]
			removed[n] = true
		}
		kept := m.Nodes[:0]
		for _, n := range m.Nodes {
			if !removed[n] {
				kept = append(kept, n)
			}
		}
		m.Nodes = kept
	}
	return done
}

// index returns each value's producing node, its readers and the set of
// graph outputs.
func index(m *runtime.Model) (map[string]*runtime.Node, map[string][]*runtime.Node, map[string]bool) {
	producer := map[string]*runtime.Node{}
	readers := map[string][]*runtime.Node{}
	for _, n := range m.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
		for _, in := range n.Inputs {
			readers[in] = append(readers[in], n)
		}
	}
	outputs := map[string]bool{}
	for _, o := range m.Outputs {
		outputs[o] = true
	}
	return producer, readers, outputs
}

// foldBN folds bn into conv as runtime.plan does: w'[m] = w[m]*scale[m],
// b'[m] = b[m]*scale[m] + shift[m], in float32.
func foldBN(m *runtime.Model, conv, bn *runtime.Node, fresh func(string) string) bool {
	if len(bn.Inputs) != 5 || len(conv.Inputs) < 2 {
		return false
	}
	w := m.Weights[conv.Inputs[1]]
	var prm [4]*ops.Tensor
	for i := range prm {
		prm[i] = m.Weights[bn.Inputs[i+1]]
		if prm[i] == nil || w == nil || len(w.Shape) < 1 || !ops.EqualShapes(prm[i].Shape, []int{w.Shape[0]}) {
			return false
		}
	}
	eps, ok := bn.Attrs["epsilon"].(float64)
	if !ok {
		eps = 1e-5
	}
	for k := range bn.Attrs {
		if k != "epsilon" {
			return false
		}
	}
	bnk, err := ops.NewBatchNorm(prm[0].Data, prm[1].Data, prm[2].Data, prm[3].Data, float32(eps))
	if err != nil {
		return false
	}
	mch := w.Shape[0]
	if len(w.Data) == 0 || len(w.Data)%mch != 0 {
		return false
	}
	var oldBias []float32
	if len(conv.Inputs) == 3 {
		b := m.Weights[conv.Inputs[2]]
		if b == nil || len(b.Data) != mch {
			return false
		}
		oldBias = b.Data
	}
	per := len(w.Data) / mch
	folded := make([]float32, len(w.Data))
	for c := 0; c < mch; c++ {
		s := bnk.Scale[c]
		for i := c * per; i < (c+1)*per; i++ {
			folded[i] = float32(w.Data[i] * s)
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
	wName := fresh(conv.Inputs[1] + "+" + bn.Name)
	bName := fresh(conv.Name + ".bias+" + bn.Name)
	m.Weights[wName] = &ops.Tensor{Shape: append([]int(nil), w.Shape...), Data: folded}
	m.Weights[bName] = &ops.Tensor{Shape: []int{mch}, Data: bias}
	conv.Inputs = []string{conv.Inputs[0], wName, bName}
	return true
}

// fuseActivation sets head's activation attributes from act.
func fuseActivation(head, act *runtime.Node) bool {
	attrs := map[string]any{}
	for k, v := range head.Attrs {
		attrs[k] = v
	}
	attrs["activation"] = activationNames[act.Op]
	switch act.Op {
	case "LeakyRelu":
		alpha, ok := act.Attrs["alpha"].(float64)
		if !ok {
			alpha = 0.01
		}
		attrs["alpha"] = alpha
	case "Clip":
		lo, hasLo := act.Attrs["min"].(float64)
		hi, hasHi := act.Attrs["max"].(float64)
		if !hasLo {
			lo = math.Inf(-1)
		}
		if !hasHi {
			hi = math.Inf(1)
		}
		attrs["alpha"], attrs["beta"] = lo, hi
	}
	for k := range act.Attrs {
		if k != "alpha" && k != "min" && k != "max" {
			return false
		}
	}
	head.Attrs = attrs
	return true
}

// removeDead deletes nodes whose outputs nothing reads and weights no node
// uses; it returns the removed nodes' names.
func removeDead(m *runtime.Model) []string {
	live := map[string]bool{}
	for _, o := range m.Outputs {
		live[o] = true
	}
	keep := make([]bool, len(m.Nodes))
	// Nodes are in topological order: walk them backwards.
	for i := len(m.Nodes) - 1; i >= 0; i-- {
		n := m.Nodes[i]
		for _, o := range n.Outputs {
			if live[o] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, in := range n.Inputs {
				live[in] = true
			}
		}
	}
	var removed []string
	kept := m.Nodes[:0]
	for i, n := range m.Nodes {
		if keep[i] {
			kept = append(kept, n)
		} else {
			removed = append(removed, n.Name+" (unused)")
		}
	}
	m.Nodes = kept
	for name := range m.Weights {
		if !live[name] {
			delete(m.Weights, name)
		}
	}
	return removed
}
