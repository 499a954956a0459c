package train

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// headPassThrough are the ops ReplaceHead looks through, from the output
// back to the classifier's Dense: they keep a [batch, classes] value's shape.
var headPassThrough = map[string]bool{"Dropout": true, "Relu": true, "LeakyRelu": true, "Clip": true,
	"Sigmoid": true, "Tanh": true, "Flatten": true}

// ReplaceHead gives m a new classifier head for classes classes, for
// fine-tuning a trained model on a new task: the Dense node that computes
// the output (directly, or through Dropout, activations or Flatten) gets
// fresh weights of classes outputs, initialised as runtime.Builder does
// (He-normal weights, standard deviation sqrt(2/in); PyTorch's uniform bias
// in ±1/sqrt(in)) from a generator seeded by seed (math/rand/v2
// PCG(seed, 0x4ead), weights then bias, in storage order). The weight keeps
// its name and layout ([out, in] when transposed) and the node keeps its
// attributes; m.Meta.Labels becomes labels (nil: "0", "1", ...). It returns
// the head's node name. On error m is unchanged.
func ReplaceHead(m *runtime.Model, classes int, labels []string, seed uint64) (string, error) {
	switch {
	case classes < 2:
		return "", fmt.Errorf("a classifier head needs at least 2 classes, not %d", classes)
	case labels != nil && len(labels) != classes:
		return "", fmt.Errorf("%d labels for %d classes", len(labels), classes)
	case len(m.Outputs) != 1:
		return "", fmt.Errorf("the model has %d outputs; ReplaceHead needs one (the logits)", len(m.Outputs))
	}
	producer := map[string]*runtime.Node{}
	readers := map[string]int{}
	for _, n := range m.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
		for _, in := range n.Inputs {
			readers[in]++
		}
	}
	var head *runtime.Node
	for v := m.Outputs[0]; head == nil; {
		n := producer[v]
		switch {
		case n == nil:
			return "", fmt.Errorf("the output %q is not computed by a Dense layer: no classifier head to replace", m.Outputs[0])
		case n.Op == "Dense":
			head = n
		case headPassThrough[n.Op] && len(n.Inputs) >= 1:
			v = n.Inputs[0]
		default:
			return "", nodeErr(n, fmt.Errorf("the output %q is computed through this node, not by a Dense layer: no classifier head to replace", m.Outputs[0]))
		}
	}
	if len(head.Inputs) < 2 {
		return "", nodeErr(head, fmt.Errorf("%w: a Dense node without weights", runtime.ErrBadModel))
	}
	wname := head.Inputs[1]
	w := m.Weights[wname]
	if w == nil || len(w.Shape) != 2 {
		return "", nodeErr(head, fmt.Errorf("%w: input %q is not a 2-d weight", runtime.ErrBadModel, wname))
	}
	transposed := runtime.ReadAttrs(head).Int("transposed") == 1
	in, shape := w.Shape[0], []int{w.Shape[0], classes}
	if transposed {
		in, shape = w.Shape[1], []int{classes, w.Shape[1]}
	}
	for _, name := range head.Inputs[1:] {
		if readers[name] > 1 {
			return "", nodeErr(head, fmt.Errorf("weight %q is shared with another node: cannot replace it", name))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x4ead))
	weights := maps.Clone(m.Weights)
	std := math.Sqrt(2 / float64(in))
	nw := &ops.Tensor{Shape: shape, Data: make([]float32, ops.ShapeSize(shape))}
	for i := range nw.Data {
		nw.Data[i] = float32(rng.NormFloat64() * std)
	}
	weights[wname] = nw
	if len(head.Inputs) > 2 {
		bound := 1 / math.Sqrt(float64(in))
		nb := &ops.Tensor{Shape: []int{classes}, Data: make([]float32, classes)}
		for i := range nb.Data {
			nb.Data[i] = float32(-bound + 2*bound*rng.Float64())
		}
		weights[head.Inputs[2]] = nb
	}
	if labels == nil {
		labels = make([]string, classes)
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
	}
	// Check the new graph before changing m.
	check := *m
	check.Weights = weights
	sess, err := runtime.NewSession(&check, runtime.Options{Threads: 1})
	if err != nil {
		return "", fmt.Errorf("after replacing the head %q: %w", head.Name, err)
	}
	if out := sess.Outputs()[0].Shape; len(out) != 2 || out[1] != classes {
		return "", fmt.Errorf("after replacing the head %q the output has shape %s, want [batch %d]", head.Name, ops.FormatShape(out), classes)
	}
	m.Weights = weights
	m.Meta.Labels = slices.Clone(labels)
	return head.Name, nil
}
