package train

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// TestFreezeWeightDecay trains LeNet-5 with conv1 and fc1 frozen under a
// strong weight decay: their weights keep their bits, with SGD (coupled L2
// decay) and AdamW (decoupled decay), while the others move.
func TestFreezeWeightDecay(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Optimizer
	}{
		{"sgd", &SGD{Momentum: 0.9, WeightDecay: 0.5}},
		{"adamw", NewAdam(0.5)},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := zoo.Build("lenet5", zoo.Config{Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			data := inputs(t, m, trainSubset(t, 64))
			before := weightsOf(m)
			tr, err := New(m, Config{Optimizer: c.opt, LR: 0.01, BatchSize: 16, Threads: 1, Freeze: []string{"conv1", "fc1"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tr.Params() {
				if strings.HasPrefix(p.Name, "conv1.") || strings.HasPrefix(p.Name, "fc1.") {
					t.Errorf("frozen %s is a parameter", p.Name)
				}
			}
			if !tr.Frozen("conv1") || tr.Frozen("conv2") {
				t.Error("Frozen")
			}
			if _, err := tr.Fit(context.Background(), data); err != nil {
				t.Fatal(err)
			}
			after := weightsOf(m)
			for name := range before {
				same := sameBits(map[string][]float32{name: before[name]}, map[string][]float32{name: after[name]})
				frozen := strings.HasPrefix(name, "conv1.") || strings.HasPrefix(name, "fc1.")
				if frozen != same {
					t.Errorf("%s: frozen %v, unchanged %v", name, frozen, same)
				}
			}
		})
	}
}

// TestFrozenBatchNormGradients checks the gradients through a frozen batch
// normalisation (running statistics, a constant affine map) against finite
// differences of the float64 reference, and that its statistics stay put.
func TestFrozenBatchNormGradients(t *testing.T) {
	m := gradNet(t, "conv_bn_relu_maxpool_dense")
	refFrozen["bn"] = true
	defer delete(refFrozen, "bn")
	tr, err := New(m, Config{Threads: 1, Freeze: []string{"bn"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tr.Params() {
		if strings.HasPrefix(p.Name, "bn.") {
			t.Fatalf("frozen %s is a parameter", p.Name)
		}
	}
	before := weightsOf(m)
	rng := rand.New(rand.NewPCG(4, 2))
	x := make([]float32, ops.ShapeSize(m.Inputs[0].Shape))
	x64 := make([]float64, len(x))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		x64[i] = float64(x[i])
	}
	w64 := map[string][]float64{}
	for name, w := range m.Weights {
		for _, v := range w.Data {
			w64[name] = append(w64[name], float64(v))
		}
	}
	labels := []int{3, 0}
	loss, _, err := tr.Gradients(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if want := refLoss(m, w64, x64, labels); math.Abs(loss-want) > 1e-5*math.Max(1, want) {
		t.Fatalf("loss %.9g, reference %.9g", loss, want)
	}
	const h = 1e-6
	for _, p := range tr.Params() {
		scale := 0.0
		for _, g := range p.Grad {
			scale = math.Max(scale, math.Abs(float64(g)))
		}
		w := w64[p.Name]
		for _, i := range rng.Perm(len(w))[:min(len(w), 12)] {
			old := w[i]
			w[i] = old + h
			lp := refLoss(m, w64, x64, labels)
			w[i] = old - h
			lm := refLoss(m, w64, x64, labels)
			w[i] = old
			if fd := (lp - lm) / (2 * h); math.Abs(float64(p.Grad[i])-fd) > 1e-3*math.Max(scale, 1e-2) {
				t.Errorf("%s[%d]: gradient %.7g, finite difference %.7g", p.Name, i, p.Grad[i], fd)
			}
		}
	}
	if !sameBits(before, weightsOf(m)) {
		t.Error("a frozen batch norm's running statistics changed")
	}
}

func TestFreezeErrors(t *testing.T) {
	for _, c := range []struct {
		freeze []string
		want   string
	}{
		{[]string{"conv9"}, `cannot freeze "conv9": the model has no such node (layers with weights: conv1, conv2, fc1, fc2, fc3)`},
		{[]string{"relu1"}, `cannot freeze "relu1": a Relu node has no weights`},
		{[]string{"conv1", "conv2", "fc1", "fc2", "fc3"}, "every weight of the model is frozen"},
	} {
		m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(m, Config{Freeze: c.freeze}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("freeze %v: error %v, want %q", c.freeze, err, c.want)
		}
	}
}

// TestFineTuneThreads fine-tunes the shipped LeNet-5 on drawn symbols (new
// head, conv1 frozen, shifts) with 1, 2 and 3 threads: the same weights bit
// for bit.
func TestFineTuneThreads(t *testing.T) {
	var want map[string][]float32
	for _, threads := range []int{1, 2, 3} {
		m := shippedLeNet(t)
		data, err := FromImages(symbolImages(12, 5), symbolNames, m.Meta.Preprocess, imageprep.InvertAuto)
		if err != nil {
			t.Fatal(err)
		}
		trainSet, _, err := Split(data, 4, 5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReplaceHead(m, 5, symbolNames, 5); err != nil {
			t.Fatal(err)
		}
		tr, err := New(m, Config{Epochs: 2, BatchSize: 8, Seed: 5, MaxShift: 2, Threads: threads, Freeze: []string{"conv1"},
			Optimizer: NewAdam(1e-4), Schedule: Schedule{Kind: Cosine, Warmup: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), trainSet); err != nil {
			t.Fatal(err)
		}
		got := weightsOf(m)
		if want == nil {
			want = got
		} else if !sameBits(want, got) {
			t.Errorf("%d threads gave other weights than 1 thread", threads)
		}
	}
	if sameBits(want, weightsOf(shippedLeNet(t))) {
		t.Error("nothing was trained")
	}
}
