// Package train trains wasmnn models: it runs a runtime.Model graph forward
// in training mode, back-propagates the softmax cross-entropy loss of its
// logits with the backward kernels of package ops, and updates the model's
// weights in place with SGD or Adam.
//
// Data holds labelled examples in memory (from the caller's arrays, .npy
// bytes with FromNPY, images with FromImages, a folder per class with
// LoadImageDir); Split holds some out by a seeded rule; ReplaceHead and
// Config.Freeze fine-tune a trained model for new classes; Evaluate gives
// the accuracy and the confusion matrix. Only LoadImageDir and LoadNPY touch
// the file system.
//
// Supported ops: Conv (every attribute, fused activation included),
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Dense, Relu,
// LeakyRelu, Clip, Sigmoid, Tanh, Flatten, Reshape, Dropout (inverted
// dropout from a seeded generator in training, the identity in evaluation),
// BatchNormalization (batch statistics in training; the running statistics,
// which are weights of the model, are updated in place) and Add and Concat
// (gradients add up where a value has several readers). Other ops give an
// error naming the node. The model needs one image input and one output of
// logits [batch, classes] (no final Softmax).
//
// Trainable parameters are the weights and biases of Conv and Dense and the
// scales and shifts of BatchNormalization; weight decay applies to Conv and
// Dense weights only.
//
// # Determinism
//
// Training is a pure function of the model, the data and the Config: the
// same seed gives the same weights bit for bit, whatever Config.Threads is,
// because every kernel the trainer calls gives the same bits for any thread
// count, batches are formed in a fixed order from a seeded permutation
// (math/rand/v2 PCG), and the shifts and dropout masks come from their own
// seeded generators.
package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Config sets up training. Zero values take the documented defaults.
type Config struct {
	// Optimizer updates the weights; nil means NewAdam(0).
	Optimizer Optimizer
	// LR is the base learning rate (default 1e-3); Schedule scales it at
	// each step.
	LR       float64
	Schedule Schedule
	// Epochs is the number of passes over the data (default 1) and
	// BatchSize the images per step (default 32); the last batch of an
	// epoch may be smaller.
	Epochs    int
	BatchSize int
	// Seed seeds the shuffling, the shifts and dropout. Seed 0 is valid.
	Seed uint64
	// MaxShift augments the data: each training image ([C, H, W]) is
	// shifted by a random whole number of pixels in [-MaxShift, MaxShift] in
	// x and in y, the uncovered pixels taking the model's "no ink" value
	// (0 − Mean[c])/Std[c] from its preprocessing metadata, or 0 without it
	// (0: no augmentation).
	MaxShift int
	// BNMomentum is the weight of the batch statistics in the running
	// averages of batch normalisation (PyTorch's convention; default 0.1).
	BNMomentum float64
	// Threads bounds the goroutines of each kernel call (0: GOMAXPROCS). The
	// results do not depend on it.
	Threads int
	// Freeze names nodes (Conv, Dense, BatchNormalization) whose weights
	// stay as they are, for fine-tuning: they get no gradient, no optimiser
	// update and no weight decay. A frozen BatchNormalization normalises
	// with its running statistics, which are not updated either. Gradients
	// still flow through frozen nodes to the trainable ones before them.
	Freeze []string
	// Progress, when non-nil, is called after every step.
	Progress func(Progress)
}

// Progress reports the state of Fit after a step.
type Progress struct {
	Epoch, Epochs  int // the current epoch, from 1
	Batch, Batches int // batches done in this epoch, and per epoch
	Step, Steps    int // steps done in total, and in the whole run
	// Loss and Accuracy are the mean training loss and accuracy over the
	// epoch's batches so far (in training mode, before each step's update).
	Loss, Accuracy float64
	LR             float64       // the learning rate of the last step
	Elapsed        time.Duration // since Fit started
}

// EpochStats summarises one epoch of Fit.
type EpochStats struct {
	Loss, Accuracy float64 // mean training loss and accuracy
	Duration       time.Duration
}

// Trainer trains one model in place. It is not safe for concurrent use.
type Trainer struct {
	model      *runtime.Model
	cfg        Config
	opt        Optimizer
	order      []*runtime.Node
	params     []*Param
	passes     map[int]*pass
	rngDrop    *rand.Rand
	threads    int
	bnMomentum float64
	classes    int
	frozen     map[string]bool // frozen node names
}

// New prepares m for training. m must pass runtime.NewSession's checks;
// the trainer then changes m.Weights in place (trainable parameters and
// batch-norm running statistics), so a session built on m after training
// runs the trained model.
func New(m *runtime.Model, cfg Config) (*Trainer, error) {
	if _, err := runtime.NewSession(m, runtime.Options{Threads: 1}); err != nil {
		return nil, err
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		return nil, fmt.Errorf("the trainer needs a model with one input and one output, got %d and %d", len(m.Inputs), len(m.Outputs))
	}
	if cfg.LR == 0 {
		cfg.LR = 1e-3
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 32
	}
	if cfg.BNMomentum == 0 {
		cfg.BNMomentum = 0.1
	}
	switch {
	case !(cfg.LR > 0):
		return nil, fmt.Errorf("learning rate %g must be positive", cfg.LR)
	case cfg.Epochs < 0 || cfg.BatchSize < 1:
		return nil, fmt.Errorf("epochs %d and batch size %d must be positive", cfg.Epochs, cfg.BatchSize)
	case cfg.MaxShift < 0:
		return nil, fmt.Errorf("max shift %d must be >= 0", cfg.MaxShift)
	case !(cfg.BNMomentum > 0 && cfg.BNMomentum <= 1):
		return nil, fmt.Errorf("batch-norm momentum %g must be in (0, 1]", cfg.BNMomentum)
	}
	t := &Trainer{model: m, cfg: cfg, opt: cfg.Optimizer, passes: map[int]*pass{},
		rngDrop: newDropoutRand(cfg.Seed), threads: cfg.Threads, bnMomentum: cfg.BNMomentum}
	if t.opt == nil {
		t.opt = NewAdam(0)
	}
	if t.threads <= 0 {
		t.threads = goruntime.GOMAXPROCS(0)
	}
	var err error
	if t.order, err = topoOrder(m); err != nil {
		return nil, err
	}
	if t.frozen, err = frozenNodes(m, cfg.Freeze); err != nil {
		return nil, err
	}
	seen := map[string]*Param{}
	frozenBy := map[string]string{} // frozen weight -> its node
	for _, n := range t.order {
		if t.frozen[n.Name] {
			for _, name := range n.Inputs[1:] {
				if p := seen[name]; p != nil {
					return nil, nodeErr(n, fmt.Errorf("cannot freeze weight %q: a trainable node reads it too", name))
				}
				frozenBy[name] = n.Name
			}
			continue
		}
		var slots []int
		switch n.Op {
		case "Conv", "Dense", "BatchNormalization":
			slots = []int{1, 2}
		}
		for _, i := range slots {
			if i >= len(n.Inputs) {
				continue
			}
			name := n.Inputs[i]
			w := m.Weights[name]
			if w == nil {
				return nil, nodeErr(n, fmt.Errorf("%w: input %d (%q) must be a model weight to be trained", runtime.ErrBadModel, i, name))
			}
			if f, ok := frozenBy[name]; ok {
				return nil, nodeErr(n, fmt.Errorf("weight %q is read by frozen node %q too: freeze both or neither", name, f))
			}
			decay := i == 1 && n.Op != "BatchNormalization"
			if p := seen[name]; p != nil {
				p.Decay = p.Decay || decay
				continue
			}
			p := &Param{Name: name, Value: w.Data, Grad: make([]float32, len(w.Data)), Decay: decay}
			seen[name] = p
			t.params = append(t.params, p)
		}
	}
	if len(t.params) == 0 {
		if len(t.frozen) > 0 {
			return nil, fmt.Errorf("every weight of the model is frozen: nothing left to train")
		}
		return nil, fmt.Errorf("the model has no trainable weights")
	}
	// Instantiate the model's own batch size once to check the graph.
	p, err := t.pass(m.Inputs[0].Shape[0])
	if err != nil {
		return nil, err
	}
	t.classes = p.values[p.output].shape[1]
	return t, nil
}

// frozenNodes checks the names of Config.Freeze against m's nodes.
func frozenNodes(m *runtime.Model, names []string) (map[string]bool, error) {
	frozen := map[string]bool{}
	for _, name := range names {
		var node *runtime.Node
		for _, n := range m.Nodes {
			if n.Name == name {
				node = n
				break
			}
		}
		if node == nil {
			return nil, fmt.Errorf("cannot freeze %q: the model has no such node (layers with weights: %s)", name, strings.Join(weightedNodes(m), ", "))
		}
		switch node.Op {
		case "Conv", "Dense", "BatchNormalization":
		default:
			return nil, fmt.Errorf("cannot freeze %q: a %s node has no weights (layers with weights: %s)", name, node.Op, strings.Join(weightedNodes(m), ", "))
		}
		frozen[name] = true
	}
	return frozen, nil
}

// weightedNodes lists the names of m's Conv, Dense and BatchNormalization
// nodes.
func weightedNodes(m *runtime.Model) []string {
	var names []string
	for _, n := range m.Nodes {
		switch n.Op {
		case "Conv", "Dense", "BatchNormalization":
			names = append(names, n.Name)
		}
	}
	return names
}

// Frozen reports whether node name is frozen (Config.Freeze).
func (t *Trainer) Frozen(name string) bool { return t.frozen[name] }

// topoOrder returns the nodes in an order where every node follows the
// producers of its inputs, keeping the model's order where it can.
func topoOrder(m *runtime.Model) ([]*runtime.Node, error) {
	producer := map[string]int{}
	for i, n := range m.Nodes {
		for _, o := range n.Outputs {
			producer[o] = i
		}
	}
	done := make([]bool, len(m.Nodes))
	order := make([]*runtime.Node, 0, len(m.Nodes))
	for len(order) < len(m.Nodes) {
		progress := false
		for i, n := range m.Nodes {
			if done[i] {
				continue
			}
			ready := true
			for _, in := range n.Inputs {
				if j, ok := producer[in]; ok && !done[j] {
					ready = false
					break
				}
			}
			if ready {
				done[i], progress = true, true
				order = append(order, n)
			}
		}
		if !progress {
			return nil, fmt.Errorf("%w: the graph has a cycle", runtime.ErrBadModel)
		}
	}
	return order, nil
}

// pass returns the graph instantiated for a batch size, building it once.
func (t *Trainer) pass(batch int) (*pass, error) {
	if p := t.passes[batch]; p != nil {
		return p, nil
	}
	p, err := t.newPass(batch)
	if err != nil {
		return nil, err
	}
	t.passes[batch] = p
	return p, nil
}

// Params returns the trainable parameters in graph order. Their Grad holds
// the gradient of the last Gradients or Step call.
func (t *Trainer) Params() []*Param { return t.params }

// Check checks data against the model as Fit and Evaluate do (Data.Validate,
// the example shape against the model's input, labels and classes against
// its outputs), so callers can refuse bad data before training starts.
// Errors wrap ErrData.
func (t *Trainer) Check(data *Data) error { return data.checkModel(t.model.Inputs[0], t.classes) }

// Classes returns the number of classes of the model's output.
func (t *Trainer) Classes() int { return t.classes }

// OutputClasses returns the class count of a classifier before any Trainer
// exists: the second dimension of its one output, logits [batch, classes],
// as the inference path plans it. A model with other than one input and
// one 2-d output is an error.
func OutputClasses(m *runtime.Model) (int, error) {
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil {
		return 0, err
	}
	outs := sess.Outputs()
	if len(sess.Inputs()) != 1 || len(outs) != 1 || len(outs[0].Shape) != 2 {
		return 0, fmt.Errorf("training needs a classifier: one input and one output of logits [batch, classes]")
	}
	return outs[0].Shape[1], nil
}

// Gradients runs the model in training mode on a batch of len(labels)
// inputs (x holds the input tensor [len(labels), ...] in the model's layout)
// and back-propagates the mean softmax cross-entropy loss, leaving each
// parameter's gradient in its Grad. It returns the loss and the number of
// inputs whose largest logit is the label's (first maximum on ties). It
// updates batch-norm running statistics and draws dropout masks, like a
// training step, but does not change the trainable parameters.
func (t *Trainer) Gradients(x []float32, labels []int) (loss float64, correct int, err error) {
	batch := len(labels)
	if batch < 1 {
		return 0, 0, fmt.Errorf("empty batch")
	}
	p, err := t.pass(batch)
	if err != nil {
		return 0, 0, err
	}
	in := p.values[p.input]
	if len(x) != len(in.data) {
		return 0, 0, fmt.Errorf("%w: %d input values for a batch of %d, want %d (shape %v)", runtime.ErrInput, len(x), batch, len(in.data), in.shape)
	}
	for i, y := range labels {
		if y < 0 || y >= t.classes {
			return 0, 0, fmt.Errorf("label %d of sample %d is outside [0, %d)", y, i, t.classes)
		}
	}
	copy(in.data, x)
	if err := p.forward(true); err != nil {
		return 0, 0, err
	}
	out := p.values[p.output]
	k := t.classes
	for n := 0; n < batch; n++ {
		row := out.data[n*k : (n+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == labels[n] {
			correct++
		}
	}
	p.resetGrads()
	loss = ops.SoftmaxCrossEntropy(out.data, labels, batch, k, out.grad)
	out.gradSet = true
	p.backward()
	return loss, correct, nil
}

// Step is Gradients followed by an optimiser update with learning rate lr.
func (t *Trainer) Step(x []float32, labels []int, lr float64) (loss float64, correct int, err error) {
	loss, correct, err = t.Gradients(x, labels)
	if err != nil {
		return 0, 0, err
	}
	t.opt.Update(t.params, lr)
	return loss, correct, nil
}

// Fit trains on data for cfg.Epochs epochs: each epoch visits the examples
// in a fresh seeded random order, in batches of cfg.BatchSize, shifting each
// image at random by up to cfg.MaxShift pixels, with the learning rate
// cfg.LR·cfg.Schedule.Factor(step, steps). It returns per-epoch statistics.
// The data is checked first (Data.Validate, its shape against the model's
// input, its labels and classes against the model's outputs): errors wrap
// ErrData and name the example. Canceling ctx stops it between steps with
// ctx's error. Fit is Start followed by Run.Step until the run is done.
func (t *Trainer) Fit(ctx context.Context, data *Data) ([]EpochStats, error) {
	r, err := t.Start(data)
	if err != nil {
		return nil, err
	}
	for !r.Done() {
		if err := ctx.Err(); err != nil {
			return r.Stats(), err
		}
		p, err := r.Step()
		if err != nil {
			return r.Stats(), err
		}
		if t.cfg.Progress != nil {
			t.cfg.Progress(p)
		}
	}
	return r.Stats(), nil
}
