package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/runtime/imageprep"
)

// refSteps trains tr on data as Fit is documented to, written out from
// Trainer.Step: each epoch shuffles 0..n-1 with PCG(seed, 0x5eed0), batches
// take the permutation in order, every example draws its x then y shift
// from PCG(seed, 0x5eed51f7), and step s has the rate LR·Factor(s, steps).
// It returns the loss of every step.
func refSteps(t *testing.T, tr *Trainer, data *Data, cfg Config) []float64 {
	t.Helper()
	n, size := data.Len(), data.size()
	bs := min(cfg.BatchSize, n)
	batches := (n + bs - 1) / bs
	steps := cfg.Epochs * batches
	order := rand.New(rand.NewPCG(cfg.Seed, 0x5eed0))
	shift := rand.New(rand.NewPCG(cfg.Seed, 0x5eed51f7))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	c, h, w := data.Shape[0], data.Shape[1], data.Shape[2]
	bg := background(tr.model, c)
	var losses []float64
	for e := 0; e < cfg.Epochs; e++ {
		order.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for b := 0; b < batches; b++ {
			idx := perm[b*bs : min((b+1)*bs, n)]
			x := make([]float32, len(idx)*size)
			labels := make([]int, len(idx))
			for i, j := range idx {
				dx := shift.IntN(2*cfg.MaxShift+1) - cfg.MaxShift
				dy := shift.IntN(2*cfg.MaxShift+1) - cfg.MaxShift
				shiftInto(x[i*size:(i+1)*size], data.Example(j), c, h, w, dx, dy, bg)
				labels[i] = data.Labels[j]
			}
			step := e*batches + b
			loss, _, err := tr.Step(x, labels, cfg.LR*cfg.Schedule.Factor(step, steps))
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, loss)
		}
	}
	return losses
}

// TestRunSlices fine-tunes the shipped LeNet-5 on 45 drawn symbols (a
// short last batch, shifts) with Fit, with Run stepped in slices of
// several sizes, and with refSteps: the same losses and weights bit for
// bit, and Progress and Stats as Fit reports them.
func TestRunSlices(t *testing.T) {
	cfg := Config{Epochs: 2, BatchSize: 8, LR: 2e-3, Seed: 3, MaxShift: 2,
		Schedule: Schedule{Kind: Cosine, Warmup: 3, MinFactor: 0.01}}
	setup := func() (*Trainer, *Data) {
		cfg.Optimizer = NewAdam(1e-4) // its moments are per run
		m := shippedLeNet(t)
		data, err := FromImages(symbolImages(9, 4), symbolNames, m.Meta.Preprocess, imageprep.InvertAuto)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReplaceHead(m, 5, symbolNames, 3); err != nil {
			t.Fatal(err)
		}
		tr, err := New(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return tr, data
	}
	tr, data := setup()
	wantLoss := refSteps(t, tr, data, cfg)
	want := weightsOf(tr.model)
	if len(wantLoss) != 12 {
		t.Fatalf("%d reference steps, want 2 epochs of 6", len(wantLoss))
	}

	tr, data = setup()
	var fitProgress []Progress
	tr.cfg.Progress = func(p Progress) { fitProgress = append(fitProgress, p) }
	fitStats, err := tr.Fit(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(want, weightsOf(tr.model)) {
		t.Error("Fit's weights differ from the reference loop's")
	}
	for _, slice := range []int{1, 5, 12, 100} {
		tr, data := setup()
		r, err := tr.Start(data)
		if err != nil {
			t.Fatal(err)
		}
		if r.Steps() != 12 || r.Batches() != 6 || r.Progress().Step != 0 || r.Progress().Epoch != 1 {
			t.Fatalf("slice %d: %d steps, %d batches, initial %+v", slice, r.Steps(), r.Batches(), r.Progress())
		}
		var got []Progress
		for calls := 0; !r.Done(); calls++ {
			for k := 0; k < slice && !r.Done(); k++ {
				p, err := r.Step()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p)
			}
		}
		if _, err := r.Step(); !errors.Is(err, ErrDone) {
			t.Errorf("slice %d: a step after the last: %v, want ErrDone", slice, err)
		}
		if !sameBits(want, weightsOf(tr.model)) {
			t.Errorf("slice %d: the weights differ from the reference loop's", slice)
		}
		for i, p := range got {
			f := fitProgress[i]
			p.Elapsed, f.Elapsed = 0, 0
			if p != f {
				t.Errorf("slice %d step %d: progress %+v, Fit reported %+v", slice, i+1, p, f)
			}
		}
		if len(got) != 12 || got[5].Batch != 6 || got[6].Epoch != 2 || got[6].Batch != 1 || got[11].Step != 12 {
			t.Errorf("slice %d: progress %+v", slice, got)
		}
		stats := r.Stats()
		if len(stats) != 2 || stats[0].Loss != fitStats[0].Loss || stats[1].Accuracy != fitStats[1].Accuracy {
			t.Errorf("slice %d: stats %+v, Fit's %+v", slice, stats, fitStats)
		}
	}
	// The epoch loss is the mean of the reference's step losses weighted by
	// the batch sizes (8 x 5 and 5).
	mean := 0.0
	for i, l := range wantLoss[:6] {
		size := 8
		if i == 5 {
			size = 5
		}
		mean += l * float64(size)
	}
	if mean /= 45; fitStats[0].Loss != mean {
		t.Errorf("epoch 1 loss %v, the reference's steps give %v", fitStats[0].Loss, mean)
	}
}

// TestRunBadData checks that Start refuses data as Fit does.
func TestRunBadData(t *testing.T) {
	m := shippedLeNet(t)
	tr, err := New(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	d := &Data{Images: make([]float32, 3*32*32), Shape: []int{1, 32, 32}, Labels: []int{0, 10, 1}}
	if _, err := tr.Start(d); !errors.Is(err, ErrData) || err.Error() != "train: bad data: example 1 has label 10; the model has 10 classes" {
		t.Errorf("Start: %v", err)
	}
}
