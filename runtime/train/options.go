package train

import (
	"fmt"

	"github.com/wasmnn/wasmnn/runtime"
)

// Options are the settings of a training run as `wasmnn train` takes them
// (its flags) and the browser module's train does (wasmnn.train in JS): the
// optimiser by name, the peak learning rate of a warm-up-then-cosine
// schedule, the shift augmentation, the held-out rule and fine-tuning.
// Defaults gives the settings the shipped demo/models/lenet5.wnn was trained
// with; Prepare turns Options, a model and data into a Trainer, so that
// every host trains the same way and gets the same weights. The JSON
// names are the browser module's (its trainStart method takes Options as
// JSON); Threads and Progress are not part of it.
type Options struct {
	// Epochs is the number of passes over the training set and Batch the
	// examples per step.
	Epochs int `json:"epochs"`
	Batch  int `json:"batch"`
	// LR is the peak learning rate: a linear warm-up over the first epoch
	// (at most half the run), then cosine decay to 1% of it.
	LR float64 `json:"lr"`
	// Optimizer is "adam" (AdamW, decoupled weight decay) or "sgd"
	// (Nesterov momentum 0.9, weight decay as an L2 penalty).
	Optimizer string `json:"optimizer"`
	// WeightDecay applies to convolution and dense weights.
	WeightDecay float64 `json:"weightDecay"`
	// Shift augments with random shifts of up to Shift pixels (0: none).
	Shift int `json:"shift"`
	// Seed seeds the held-out split, a new head, the shuffling, the shifts
	// and dropout.
	Seed uint64 `json:"seed"`
	// Holdout holds out every Holdout-th example of each class (Split) for
	// the evaluation at the end; 0 holds out none.
	Holdout int `json:"holdout"`
	// Classes, when not 0, gives the model a new classifier head of that
	// many classes (ReplaceHead), named by the data's Classes if it has them.
	Classes int `json:"classes"`
	// Freeze names the layers whose weights are not trained (Config.Freeze).
	Freeze []string `json:"freeze"`
	// Threads bounds the goroutines of each kernel call (0: GOMAXPROCS);
	// the results do not depend on it.
	Threads int `json:"-"`
	// Progress, when non-nil, is called after every step.
	Progress func(Progress) `json:"-"`
}

// Defaults returns the settings of the shipped demo/models/lenet5.wnn: 20
// epochs of batches of 32, AdamW at a peak rate of 2e-3 with weight decay
// 1e-4, shifts of up to 2 pixels, seed 1, every 5th example held out.
func Defaults() Options {
	return Options{Epochs: 20, Batch: 32, LR: 2e-3, Optimizer: "adam", WeightDecay: 1e-4, Shift: 2, Seed: 1, Holdout: 5}
}

// Validate checks the settings' ranges: epochs and batch at least 1, lr in
// (0, 10], weight decay in [0, 1], shift in [0, 8], holdout 0 or at least
// 2, classes 0 or at least 2, threads at least 0, a known optimiser and no
// empty layer name to freeze.
func (o Options) Validate() error {
	switch {
	case o.Epochs < 1:
		return fmt.Errorf("epochs must be at least 1, not %d", o.Epochs)
	case o.Batch < 1:
		return fmt.Errorf("batch must be at least 1, not %d", o.Batch)
	case !(o.LR > 0) || o.LR > 10:
		return fmt.Errorf("lr must be in (0, 10], not %g", o.LR)
	case !(o.WeightDecay >= 0) || o.WeightDecay > 1:
		return fmt.Errorf("weight decay must be in [0, 1], not %g", o.WeightDecay)
	case o.Shift < 0 || o.Shift > 8:
		return fmt.Errorf("shift must be in [0, 8], not %d", o.Shift)
	case o.Holdout < 0 || o.Holdout == 1:
		return fmt.Errorf("holdout must be 0 (none) or at least 2, not %d", o.Holdout)
	case o.Classes < 0 || o.Classes == 1:
		return fmt.Errorf("classes must be 0 (the model's own) or at least 2, not %d", o.Classes)
	case o.Threads < 0:
		return fmt.Errorf("threads must be at least 0 (0: all cores), not %d", o.Threads)
	case o.Optimizer != "adam" && o.Optimizer != "sgd":
		return fmt.Errorf("optimizer must be adam or sgd, not %q", o.Optimizer)
	}
	for i, name := range o.Freeze {
		if name == "" {
			return fmt.Errorf("freeze: layer name %d is empty", i)
		}
	}
	return nil
}

// NewOptimizer returns the named optimiser: NewAdam(WeightDecay) for
// "adam", SGD with Nesterov momentum 0.9 for "sgd".
func (o Options) NewOptimizer() (Optimizer, error) {
	switch o.Optimizer {
	case "adam":
		return NewAdam(o.WeightDecay), nil
	case "sgd":
		return &SGD{Momentum: 0.9, Nesterov: true, WeightDecay: o.WeightDecay}, nil
	}
	return nil, fmt.Errorf("optimizer must be adam or sgd, not %q", o.Optimizer)
}

// Config returns the Config of a run on n training examples: the optimiser,
// LR with a cosine schedule (warm-up over the first epoch's batches, at
// most half the run's steps, down to 1% of LR), the epochs, batch, seed,
// shifts, frozen layers, threads and progress callback. It checks the
// options first.
func (o Options) Config(n int) (Config, error) {
	if err := o.Validate(); err != nil {
		return Config{}, err
	}
	opt, err := o.NewOptimizer()
	if err != nil {
		return Config{}, err
	}
	batches := (n + o.Batch - 1) / o.Batch
	return Config{Optimizer: opt, LR: o.LR, Epochs: o.Epochs, BatchSize: o.Batch, Seed: o.Seed, MaxShift: o.Shift,
		Schedule: Schedule{Kind: Cosine, Warmup: min(batches, o.Epochs*batches/2), MinFactor: 0.01},
		Threads:  o.Threads, Freeze: o.Freeze, Progress: o.Progress}, nil
}

// Job is a prepared training run: the trainer on the model, its Config,
// the training and held-out sets, and the new head, if any.
type Job struct {
	Trainer *Trainer
	Config  Config
	// Train is what Fit (or Start) trains on; HeldOut, nil when nothing is
	// held out (also when the split holds out no example), is for
	// Trainer.Evaluate at the end.
	Train, HeldOut *Data
	// Head names the node of the new classifier head ("" if none).
	Head string
}

// Prepare sets up training m on data with o, checking everything before
// anything trains: the options (Validate), then, when o.Holdout is set,
// the held-out split of data (Split with o.Seed; heldOut must then be nil,
// else it is the held-out set given by the caller, or nil), a new head of
// o.Classes classes (ReplaceHead with o.Seed, labelled with the data's
// Classes) or else the data's class names as the model's labels, the
// Trainer (New) and data and heldOut against the model (Trainer.Check, so
// errors name the example's index in data). With a new
// head every class needs at least one training example. Data errors wrap
// ErrData and name the example or class. m is changed (its head and
// labels) even if a later check fails.
func Prepare(m *runtime.Model, data, heldOut *Data, o Options) (*Job, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := data.Validate(); err != nil {
		return nil, err
	}
	j := &Job{Train: data, HeldOut: heldOut}
	if o.Holdout > 0 {
		if heldOut != nil {
			return nil, fmt.Errorf("holdout %d splits the data: give no held-out set too", o.Holdout)
		}
		var err error
		if j.Train, j.HeldOut, err = Split(data, o.Holdout, o.Seed); err != nil {
			return nil, err
		}
		if j.HeldOut.Len() == 0 { // every class has fewer than o.Holdout examples
			j.HeldOut = nil
		}
	}
	if o.Classes > 0 && data.Classes != nil && len(data.Classes) != o.Classes {
		return nil, dataErr("%d classes for a new head, but the data names %d", o.Classes, len(data.Classes))
	}
	if o.Classes > 0 {
		head, err := ReplaceHead(m, o.Classes, data.Classes, o.Seed)
		if err != nil {
			return nil, err
		}
		j.Head = head
	} else if data.Classes != nil {
		m.Meta.Labels = append([]string(nil), data.Classes...)
	}
	var err error
	if j.Config, err = o.Config(j.Train.Len()); err != nil {
		return nil, err
	}
	if j.Trainer, err = New(m, j.Config); err != nil {
		return nil, err
	}
	// The whole data, so that errors name the caller's example indices,
	// and a held-out set of the caller's.
	for _, d := range []*Data{data, heldOut} {
		if d == nil {
			continue
		}
		if err := j.Trainer.Check(d); err != nil {
			return nil, err
		}
	}
	if o.Classes > 0 {
		count := make([]int, o.Classes)
		for _, y := range j.Train.Labels {
			count[y]++
		}
		for c, k := range count {
			if k == 0 {
				name := fmt.Sprint(c)
				if data.Classes != nil {
					name = fmt.Sprintf("%d (%q)", c, data.Classes[c])
				}
				return nil, dataErr("class %s has no training examples: every class of a new head needs some", name)
			}
		}
	}
	return j, nil
}
