package runtime

import (
	"errors"
	"fmt"

	"github.com/wasmnn/wasmnn/ops"
)

// ErrLimit reports a model or input that exceeds one of the configured
// Limits; it is returned before anything of that size is allocated.
var ErrLimit = errors.New("limit exceeded")

// Limits bound what a model may ask of the runtime. Every field's zero value
// means its default (DefaultLimits); a negative value means no limit.
type Limits struct {
	MaxModelBytes      int64 // size of a .wnn file given to LoadWithLimits
	MaxTensorElements  int64 // elements of any one weight, input or intermediate value
	MaxNodes           int   // nodes in the graph
	MaxGraphDepth      int   // longest chain of nodes from an input to an output
	MaxInputRank       int   // dimensions of a graph input
	MaxActivationBytes int64 // activation arena plus kernel workspace of a session; also the graph inputs together
}

// DefaultLimits are safe for a browser tab: they admit every zoo model at
// full size (VGG-16's largest weight has 102,760,448 elements) and stay well
// inside a 32-bit wasm address space.
var DefaultLimits = Limits{
	MaxModelBytes:      1 << 30,
	MaxTensorElements:  1 << 28,
	MaxNodes:           100_000,
	MaxGraphDepth:      10_000,
	MaxInputRank:       8,
	MaxActivationBytes: 2 << 30,
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxModelBytes != 0 {
		d.MaxModelBytes = l.MaxModelBytes
	}
	if l.MaxTensorElements != 0 {
		d.MaxTensorElements = l.MaxTensorElements
	}
	if l.MaxNodes != 0 {
		d.MaxNodes = l.MaxNodes
	}
	if l.MaxGraphDepth != 0 {
		d.MaxGraphDepth = l.MaxGraphDepth
	}
	if l.MaxInputRank != 0 {
		d.MaxInputRank = l.MaxInputRank
	}
	if l.MaxActivationBytes != 0 {
		d.MaxActivationBytes = l.MaxActivationBytes
	}
	return d
}

func over[T int | int64](v, limit T) bool { return limit >= 0 && v > limit }

// LoadWithLimits is Load refusing files larger than lim.MaxModelBytes and
// weights larger than lim.MaxTensorElements.
func LoadWithLimits(b []byte, lim Limits) (*Model, error) {
	if err := lim.CheckFileSize(int64(len(b))); err != nil {
		return nil, err
	}
	m, err := Load(b)
	if err != nil {
		return nil, err
	}
	if err := lim.CheckWeights(m); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckFileSize reports an error wrapping ErrLimit when a model file of n
// bytes exceeds lim.MaxModelBytes. LoadWithLimits calls it; other decoders
// (the ONNX importer's hosts) call it before they decode.
func (lim Limits) CheckFileSize(n int64) error {
	lim = lim.withDefaults()
	if over(n, lim.MaxModelBytes) {
		return fmt.Errorf("%w: the model file has %d bytes, the limit is %d", ErrLimit, n, lim.MaxModelBytes)
	}
	return nil
}

// CheckWeights reports an error wrapping ErrLimit when a weight of m has
// more than lim.MaxTensorElements elements, as LoadWithLimits does for the
// models it decodes (for models converted in memory, say from ONNX).
func (lim Limits) CheckWeights(m *Model) error {
	lim = lim.withDefaults()
	for name, w := range m.Weights {
		if over(int64(len(w.Data)), lim.MaxTensorElements) {
			return fmt.Errorf("%w: weight %q %s has %d elements, the limit is %d", ErrLimit, name,
				ops.FormatShape(w.Shape), len(w.Data), lim.MaxTensorElements)
		}
	}
	return nil
}

// checkGraphLimits checks node count, input ranks and sizes before any shape
// inference.
func checkGraphLimits(m *Model, lim Limits) error {
	if over(len(m.Nodes), lim.MaxNodes) {
		return fmt.Errorf("%w: the graph has %d nodes, the limit is %d", ErrLimit, len(m.Nodes), lim.MaxNodes)
	}
	total := int64(0)
	for _, in := range m.Inputs {
		if over(len(in.Shape), lim.MaxInputRank) {
			return fmt.Errorf("%w: input %q has %d dimensions, the limit is %d", ErrLimit, in.Name, len(in.Shape), lim.MaxInputRank)
		}
		n, err := ops.NumElements(in.Shape)
		if err != nil {
			return fmt.Errorf("input %q: %w", in.Name, err)
		}
		if over(int64(n), lim.MaxTensorElements) {
			return fmt.Errorf("%w: input %q %s has %d elements, the limit is %d", ErrLimit, in.Name, ops.FormatShape(in.Shape), n, lim.MaxTensorElements)
		}
		// Hosts hold a buffer per input: together they count as activations.
		total += 4 * int64(n)
		if over(total, lim.MaxActivationBytes) {
			return fmt.Errorf("%w: the graph's inputs need %d bytes or more, the activation limit is %d", ErrLimit, total, lim.MaxActivationBytes)
		}
	}
	// Hosts hold a buffer per listed output, too: each may be listed once.
	listed := make(map[string]bool, len(m.Outputs))
	for _, name := range m.Outputs {
		if listed[name] {
			return fmt.Errorf("%w: output %q is listed twice", ErrBadModel, name)
		}
		listed[name] = true
	}
	return nil
}

// checkDepth bounds the longest path through the sorted nodes.
func checkDepth(order []*Node, lim Limits) error {
	depth := map[string]int{}
	longest := 0
	for _, n := range order {
		d := 0
		for _, in := range n.Inputs {
			d = max(d, depth[in])
		}
		d++
		for _, out := range n.Outputs {
			depth[out] = d
		}
		longest = max(longest, d)
	}
	if over(longest, lim.MaxGraphDepth) {
		return fmt.Errorf("%w: the graph is %d nodes deep, the limit is %d", ErrLimit, longest, lim.MaxGraphDepth)
	}
	return nil
}
