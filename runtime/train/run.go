package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/wasmnn/wasmnn/ops"
)

// ErrDone is returned by Run.Step once every step of the run has been taken.
var ErrDone = errors.New("train: the run is over")

// Run is Fit one step at a time: the same batches, shifts, learning rates
// and updates in the same order, so that a caller can report progress,
// yield to an event loop or stop between steps (the browser module drives
// training in slices this way). The weights after a given step are the same
// bit for bit however the steps are grouped into calls, and the same as
// Fit's. A Run keeps a reference to its data, which must not change while
// it runs. It is not safe for concurrent use, and a Trainer should drive
// one Run at a time.
type Run struct {
	t    *Trainer
	data *Data
	// The epoch's geometry.
	n, size, bs, batches, steps int
	// Shift augmentation: the example's planes and "no ink" per channel.
	c, h, w int
	bg      []float32
	// The generators of Fit, in the same order of draws.
	rngOrder, rngShift *rand.Rand
	order              []int
	x                  []float32
	labels             []int
	// Where the run is: the epoch (from 0) and the batch within it of the
	// next step, and the steps taken.
	epoch, batch, step int
	// Sums over the current epoch's batches.
	lossSum        float64
	correct, seen  int
	last           Progress
	stats          []EpochStats
	start, epochAt time.Time
}

// Start checks data as Fit does (Data.Validate, its shape against the
// model's input, its labels and classes against the model's outputs: errors
// wrap ErrData and name the example) and returns a Run positioned before
// its first step.
func (t *Trainer) Start(data *Data) (*Run, error) {
	if err := data.checkModel(t.model.Inputs[0], t.classes); err != nil {
		return nil, err
	}
	cfg := t.cfg
	r := &Run{t: t, data: data, n: data.Len(), size: data.size()}
	if cfg.MaxShift > 0 {
		if len(data.Shape) != 3 {
			return nil, fmt.Errorf("shifts need images [C, H, W]; the examples are %s", ops.FormatShape(data.Shape))
		}
		r.c, r.h, r.w = data.Shape[0], data.Shape[1], data.Shape[2]
		r.bg = background(t.model, r.c)
	}
	r.bs = min(cfg.BatchSize, r.n)
	r.batches = (r.n + r.bs - 1) / r.bs
	r.steps = cfg.Epochs * r.batches
	r.rngOrder = rand.New(rand.NewPCG(cfg.Seed, 0x5eed0))
	r.rngShift = rand.New(rand.NewPCG(cfg.Seed, 0x5eed51f7))
	r.order = make([]int, r.n)
	for i := range r.order {
		r.order[i] = i
	}
	r.x = make([]float32, r.bs*r.size)
	r.labels = make([]int, r.bs)
	r.start = time.Now()
	r.last = Progress{Epoch: 1, Epochs: cfg.Epochs, Batches: r.batches, Steps: r.steps}
	return r, nil
}

// Done reports whether every step of the run has been taken.
func (r *Run) Done() bool { return r.step >= r.steps }

// Steps returns the number of steps of the whole run, and Batches the
// number per epoch.
func (r *Run) Steps() int { return r.steps }

// Batches returns the number of steps (batches) per epoch.
func (r *Run) Batches() int { return r.batches }

// Progress returns the state after the last step (before the first: step
// 0 of epoch 1, no loss yet).
func (r *Run) Progress() Progress { return r.last }

// Stats returns the statistics of the epochs completed so far.
func (r *Run) Stats() []EpochStats { return r.stats }

// Step takes the next step: at the start of an epoch it shuffles the
// examples, then it forms the batch (shifting each image as Fit does),
// runs Trainer.Step with the scheduled learning rate and returns the
// progress, as Fit reports it to Config.Progress. After the last step it
// returns ErrDone.
func (r *Run) Step() (Progress, error) {
	if r.Done() {
		return r.last, ErrDone
	}
	cfg := r.t.cfg
	if r.batch == 0 {
		r.epochAt = time.Now()
		r.rngOrder.Shuffle(r.n, func(i, j int) { r.order[i], r.order[j] = r.order[j], r.order[i] })
		r.lossSum, r.correct, r.seen = 0, 0, 0
	}
	idx := r.order[r.batch*r.bs : min((r.batch+1)*r.bs, r.n)]
	for i, j := range idx {
		dst := r.x[i*r.size : (i+1)*r.size]
		if cfg.MaxShift > 0 {
			dx := r.rngShift.IntN(2*cfg.MaxShift+1) - cfg.MaxShift
			dy := r.rngShift.IntN(2*cfg.MaxShift+1) - cfg.MaxShift
			shiftInto(dst, r.data.Example(j), r.c, r.h, r.w, dx, dy, r.bg)
		} else {
			copy(dst, r.data.Example(j))
		}
		r.labels[i] = r.data.Labels[j]
	}
	lr := cfg.LR * cfg.Schedule.Factor(r.step, r.steps)
	loss, c, err := r.t.Step(r.x[:len(idx)*r.size], r.labels[:len(idx)], lr)
	if err != nil {
		return r.last, err
	}
	r.step++
	r.batch++
	r.lossSum += float64(loss * float64(len(idx)))
	r.correct += c
	r.seen += len(idx)
	r.last = Progress{Epoch: r.epoch + 1, Epochs: cfg.Epochs, Batch: r.batch, Batches: r.batches, Step: r.step, Steps: r.steps,
		Loss: r.lossSum / float64(r.seen), Accuracy: float64(r.correct) / float64(r.seen), LR: lr, Elapsed: time.Since(r.start)}
	if r.batch == r.batches {
		r.stats = append(r.stats, EpochStats{Loss: r.last.Loss, Accuracy: r.last.Accuracy, Duration: time.Since(r.epochAt)})
		r.epoch++
		r.batch = 0
	}
	return r.last, nil
}
