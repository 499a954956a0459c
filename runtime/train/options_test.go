package train

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// TestOptionsConfig checks the Config Options build: the optimiser, the
// warm-up (the first epoch, at most half the run) and the rest as given.
func TestOptionsConfig(t *testing.T) {
	for _, tc := range []struct {
		name          string
		o             Options
		n             int
		warmup, steps int
		optimizer     string
	}{
		{"defaults", Defaults(), 100, 4, 80, "AdamW (β1 0.9, β2 0.999, decoupled weight decay 0.0001)"},
		{"one_epoch", Options{Epochs: 1, Batch: 10, LR: 1, Optimizer: "sgd", WeightDecay: 0.5}, 95, 5, 10, "SGD (momentum 0.9, Nesterov, L2 weight decay 0.5)"},
		{"two_epochs", Options{Epochs: 2, Batch: 10, LR: 1, Optimizer: "adam"}, 95, 10, 20, "Adam (β1 0.9, β2 0.999)"},
		{"small_data", Options{Epochs: 3, Batch: 32, LR: 1, Optimizer: "adam"}, 5, 1, 3, "Adam (β1 0.9, β2 0.999)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.o.Config(tc.n)
			if err != nil {
				t.Fatal(err)
			}
			batches := (tc.n + tc.o.Batch - 1) / tc.o.Batch
			if cfg.Schedule.Kind != Cosine || cfg.Schedule.Warmup != tc.warmup || cfg.Schedule.MinFactor != 0.01 || cfg.Epochs*batches != tc.steps {
				t.Errorf("schedule %+v over %d steps, want cosine, warm-up %d, min 0.01 over %d", cfg.Schedule, cfg.Epochs*batches, tc.warmup, tc.steps)
			}
			if got := cfg.Optimizer.Name(); got != tc.optimizer {
				t.Errorf("optimizer %s, want %s", got, tc.optimizer)
			}
			if cfg.LR != tc.o.LR || cfg.BatchSize != tc.o.Batch || cfg.Seed != tc.o.Seed || cfg.MaxShift != tc.o.Shift {
				t.Errorf("config %+v from %+v", cfg, tc.o)
			}
		})
	}
	if d := Defaults(); d.Epochs != 20 || d.Batch != 32 || d.LR != 2e-3 || d.WeightDecay != 1e-4 || d.Shift != 2 || d.Seed != 1 || d.Holdout != 5 {
		t.Errorf("defaults %+v are not the shipped model's settings", d)
	}
}

// TestOptionsValidate checks every range of Validate.
func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"epochs", func(o *Options) { o.Epochs = 0 }, "epochs must be at least 1, not 0"},
		{"batch", func(o *Options) { o.Batch = -2 }, "batch must be at least 1, not -2"},
		{"lr_zero", func(o *Options) { o.LR = 0 }, "lr must be in (0, 10], not 0"},
		{"lr_big", func(o *Options) { o.LR = 11 }, "lr must be in (0, 10], not 11"},
		{"weight_decay", func(o *Options) { o.WeightDecay = 2 }, "weight decay must be in [0, 1], not 2"},
		{"shift", func(o *Options) { o.Shift = 9 }, "shift must be in [0, 8], not 9"},
		{"holdout", func(o *Options) { o.Holdout = 1 }, "holdout must be 0 (none) or at least 2, not 1"},
		{"classes", func(o *Options) { o.Classes = 1 }, "classes must be 0 (the model's own) or at least 2, not 1"},
		{"threads", func(o *Options) { o.Threads = -1 }, "threads must be at least 0 (0: all cores), not -1"},
		{"optimizer", func(o *Options) { o.Optimizer = "rmsprop" }, `optimizer must be adam or sgd, not "rmsprop"`},
		{"freeze", func(o *Options) { o.Freeze = []string{"conv1", ""} }, "freeze: layer name 1 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Defaults()
			tc.edit(&o)
			if err := o.Validate(); err == nil || err.Error() != tc.want {
				t.Errorf("Validate: %v, want %q", err, tc.want)
			}
			if _, err := o.Config(10); err == nil {
				t.Error("Config took bad options")
			}
		})
	}
	if err := Defaults().Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

// TestPrepare fine-tunes the shipped LeNet-5 on drawn symbols through
// Prepare and through the pieces it is documented to use (Split,
// ReplaceHead, Options.Config, New): the same split, head, labels and
// weights bit for bit.
func TestPrepare(t *testing.T) {
	o := Options{Epochs: 1, Batch: 16, LR: 2e-3, Optimizer: "adam", WeightDecay: 1e-4, Shift: 1, Seed: 6, Holdout: 4,
		Classes: 5, Freeze: []string{"conv1"}}
	data := func() *Data {
		d, err := FromImages(symbolImages(8, 2), symbolNames, shippedLeNet(t).Meta.Preprocess, imageprep.InvertAuto)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	m := shippedLeNet(t)
	job, err := Prepare(m, data(), nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if job.Head != "fc3" || job.Train.Len() != 30 || job.HeldOut.Len() != 10 || strings.Join(m.Meta.Labels, ",") != strings.Join(symbolNames, ",") {
		t.Fatalf("head %q, %d/%d examples, labels %v", job.Head, job.Train.Len(), job.HeldOut.Len(), m.Meta.Labels)
	}
	if _, err := job.Trainer.Fit(context.Background(), job.Train); err != nil {
		t.Fatal(err)
	}

	ref := shippedLeNet(t)
	trainSet, heldOut, err := Split(data(), 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReplaceHead(ref, 5, symbolNames, 6); err != nil {
		t.Fatal(err)
	}
	cfg, err := o.Config(trainSet.Len())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(ref, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), trainSet); err != nil {
		t.Fatal(err)
	}
	if !sameBits(weightsOf(ref), weightsOf(m)) {
		t.Error("Prepare's run gave other weights than its pieces")
	}
	if !sameBits(map[string][]float32{"x": heldOut.Images}, map[string][]float32{"x": job.HeldOut.Images}) {
		t.Error("Prepare held out other examples than Split")
	}
	// Classes of fewer than Holdout examples have none held out: with none
	// held out at all, HeldOut is nil.
	few, err := FromImages(symbolImages(3, 2), symbolNames, m.Meta.Preprocess, imageprep.InvertAuto)
	if err != nil {
		t.Fatal(err)
	}
	if job, err := Prepare(shippedLeNet(t), few, nil, o); err != nil || job.HeldOut != nil || job.Train.Len() != 15 {
		t.Errorf("3 examples a class, holdout 4: %v, %+v", err, job)
	}
}

// TestPrepareErrors checks that Prepare refuses bad options and data
// before training, naming the example (by its index in the data given) or
// the class.
func TestPrepareErrors(t *testing.T) {
	const size = 32 * 32
	examples := func(labels ...int) *Data {
		return &Data{Images: make([]float32, len(labels)*size), Shape: []int{1, 32, 32}, Labels: labels}
	}
	opts := func(edit func(*Options)) Options {
		o := Options{Epochs: 1, Batch: 4, LR: 1e-3, Optimizer: "adam", Seed: 1}
		edit(&o)
		return o
	}
	for _, tc := range []struct {
		name          string
		data, heldOut *Data
		o             Options
		want          string
		isData        bool
	}{
		// Class 0's six examples come first: three are held out, so example
		// 6 would be the training set's example 3.
		{"label_index", examples(0, 0, 0, 0, 0, 0, 12, 1), nil, opts(func(o *Options) { o.Holdout = 2 }),
			"example 6 has label 12; the model has 10 classes", true},
		{"label_new_head", examples(0, 1, 2, 3, 1), nil, opts(func(o *Options) { o.Classes = 3 }), "example 3 has label 3; the model has 3 classes", true},
		{"empty_class", examples(0, 1, 0, 3, 1), nil, opts(func(o *Options) { o.Classes = 4 }), "class 2 has no training examples", true},
		{"empty_named_class", &Data{Images: make([]float32, 2*size), Shape: []int{1, 32, 32}, Labels: []int{0, 0}, Classes: []string{"star", "moon"}},
			nil, opts(func(o *Options) { o.Classes = 2 }), `class 1 ("moon") has no training examples`, true},
		{"class_names", &Data{Images: make([]float32, 2*size), Shape: []int{1, 32, 32}, Labels: []int{0, 1}, Classes: []string{"a", "b"}},
			nil, opts(func(o *Options) { o.Classes = 3 }), "3 classes for a new head, but the data names 2", true},
		{"count", &Data{Images: make([]float32, 3*size), Shape: []int{1, 32, 32}, Labels: []int{0, 1}}, nil, opts(func(*Options) {}),
			"3 images but 2 labels", true},
		{"shape", &Data{Images: make([]float32, 2*28*28), Shape: []int{1, 28, 28}, Labels: []int{0, 1}}, nil, opts(func(*Options) {}),
			`the examples are [1 28 28] but the model's input "input" takes [1 32 32]`, true},
		{"held_out_label", examples(0, 1), examples(1, 10), opts(func(*Options) {}), "example 1 has label 10", true},
		{"holdout_and_held_out", examples(0, 1), examples(1, 0), opts(func(o *Options) { o.Holdout = 3 }), "holdout 3 splits the data: give no held-out set too", false},
		{"options", examples(0, 1), nil, opts(func(o *Options) { o.LR = -1 }), "lr must be in (0, 10], not -1", false},
		{"freeze", examples(0, 1), nil, opts(func(o *Options) { o.Freeze = []string{"conv9"} }), `cannot freeze "conv9": the model has no such node`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare(shippedLeNet(t), tc.data, tc.heldOut, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrData) != tc.isData {
				t.Errorf("Prepare: %v, want %q (ErrData %v)", err, tc.want, tc.isData)
			}
		})
	}
}

// TestOutputClasses checks the class count of a classifier's logits and
// the refusal of models that are not classifiers.
func TestOutputClasses(t *testing.T) {
	build := func(f func(b *runtime.Builder, x string)) *runtime.Model {
		b := runtime.NewBuilder("m", 1)
		f(b, b.Input("x", 2, 4))
		m, err := b.Model()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	const notClassifier = "training needs a classifier: one input and one output of logits [batch, classes]"
	for _, tc := range []struct {
		name    string
		m       *runtime.Model
		classes int
		err     string
	}{
		{"lenet5", shippedLeNet(t), 10, ""},
		{"dense", build(func(b *runtime.Builder, x string) { b.Output(b.Dense("fc", x, 3)) }), 3, ""},
		{"two_outputs", build(func(b *runtime.Builder, x string) { b.Output(b.Dense("a", x, 3), b.Dense("b", x, 3)) }), 0, notClassifier},
		{"flattened", build(func(b *runtime.Builder, x string) {
			b.Output(b.Generic("r", "Reshape", []string{b.Dense("fc", x, 6)}, map[string]any{"shape": []int64{2, 2, 3}}, nil))
		}), 0, notClassifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := OutputClasses(tc.m)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("OutputClasses = %d, %v; want the error %q", k, err, tc.err)
				}
				return
			}
			if err != nil || k != tc.classes {
				t.Fatalf("OutputClasses = %d, %v; want %d", k, err, tc.classes)
			}
		})
	}
}
