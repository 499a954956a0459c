package onnx

import (
	"fmt"

	"github.com/wasmnn/wasmnn/runtime"
)

// Optimize rewrites m in place as the runtime would plan it, with the groups
// NewSession fuses (runtime.FusionGroups), so that the file itself is
// simpler: a BatchNormalization whose input is a Conv's only use is folded
// into the Conv's weights and bias (runtime.FoldBatchNorm, the runtime's own
// float32 arithmetic, so results do not change), and an activation whose
// input is the only use of a Conv, ConvTranspose, Dense or elementwise
// arithmetic node becomes that node's activation attribute. Before that, a
// spelled-out hard-swish (x*Clip(x+3,0,6)/6, x*HardSigmoid(x) with alpha
// 1/6) becomes one HardSwish node (fuseHardSwish). It returns one line per
// rewrite.
func Optimize(m *runtime.Model) []string {
	done := fuseHardSwish(m)
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
	groups, err := runtime.FusionGroups(m)
	if err != nil {
		return nil // the runtime reports it when the model is planned
	}
	removed := map[*runtime.Node]bool{}
	for _, grp := range groups {
		head := grp[0]
		for _, n := range grp[1:] {
			if n.Op == "BatchNormalization" {
				w, b, err := runtime.FoldBatchNorm(m, head, n)
				if err != nil {
					break
				}
				wName := fresh(head.Inputs[1] + "+" + n.Name)
				bName := fresh(head.Name + ".bias+" + n.Name)
				m.Weights[wName], m.Weights[bName] = w, b
				head.Inputs = []string{head.Inputs[0], wName, bName}
				done = append(done, fmt.Sprintf("%s folded into %s", n.Name, head.Name))
			} else {
				act, ok := runtime.ActivationOf(n)
				if !ok {
					break
				}
				head.Attrs = runtime.FuseActivationAttrs(head.Attrs, act)
				done = append(done, fmt.Sprintf("%s fused into %s", n.Name, head.Name))
			}
			head.Outputs[0] = n.Outputs[0]
			removed[n] = true
		}
	}
	kept := m.Nodes[:0]
	for _, n := range m.Nodes {
		if !removed[n] {
			kept = append(kept, n)
		}
	}
	m.Nodes = kept
	return done
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
