package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/runtime"
)

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
				w, b, err := runtime.FoldBatchNorm(m, head, n)
				if err != nil {
					continue
				}
				wName := fresh(head.Inputs[1] + "+" + n.Name)
				bName := fresh(head.Name + ".bias+" + n.Name)
				m.Weights[wName], m.Weights[bName] = w, b
				head.Inputs = []string{head.Inputs[0], wName, bName}
				done = append(done, fmt.Sprintf("%s folded into %s", n.Name, head.Name))
			case pass == 1 && takesActivation(head):
				act, ok := runtime.ActivationOf(n)
				if !ok {
					continue
				}
				head.Attrs = runtime.FuseActivationAttrs(head.Attrs, act)
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

// takesActivation reports whether head's op takes a fused activation and
// has none yet.
func takesActivation(head *runtime.Node) bool {
	d, ok := runtime.Op(head.Op)
	return ok && d.FusesAct && head.Attrs["activation"] == nil
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
