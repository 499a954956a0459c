package host

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wasmnn/wasmnn/runtime/train"
)

// TrainData are the examples of a training run in the guest: either Images,
// the model's input tensors back to back (each of its input shape without
// the batch dimension, already preprocessed), or RGBA, images preprocessed
// in the guest as Model.Classify does (train.FromImages, inverted as Invert
// says: "auto", the default, "yes" or "no"); and one class index per
// example in Labels. ClassNames, when set, names the classes (the model's
// labels after training).
type TrainData struct {
	Images     []float32
	RGBA       []RGBA
	Labels     []int
	ClassNames []string
	Invert     string
}

// RGBA is an image as non-premultiplied RGBA pixels, row by row.
type RGBA struct {
	Pix           []byte
	Width, Height int
}

// TrainInfo describes a run as the guest set it up.
type TrainInfo struct {
	// Examples were given; Train are trained on and HeldOut held out.
	Examples int `json:"examples"`
	Train    int `json:"train"`
	HeldOut  int `json:"heldOut"`
	// Classes is the model's class count and Labels their names.
	Classes int      `json:"classes"`
	Labels  []string `json:"labels"`
	// Head names the new classifier head ("" without one).
	Head string `json:"head"`
	// Steps is the run's length in steps, Batches per epoch.
	Steps   int `json:"steps"`
	Batches int `json:"batches"`
	// Optimizer and Schedule describe the optimiser and learning rates.
	Optimizer string `json:"optimizer"`
	Schedule  string `json:"schedule"`
}

// TrainProgress is a run's state after a slice of steps: train.Progress
// (without Elapsed), whether every step has been taken, and the statistics
// of the epochs completed (without Duration).
type TrainProgress struct {
	train.Progress
	Done  bool
	Stats []train.EpochStats
}

// Trainer is a training run inside the guest (its trainStart method):
// runtime/train set up by train.Prepare as `wasmnn train` does, so the same
// model, data, options and seed give the same weights bit for bit as
// native training, whatever the thread counts. Step drives it in slices;
// the weights do not depend on how the steps are sliced.
type Trainer struct {
	h  *Host
	id int
	// Info describes the run.
	Info TrainInfo
}

// optionsJSON are trainStart's options: train.Options (by its JSON names,
// every field given), the class names and how the images are given.
type optionsJSON struct {
	train.Options
	ClassNames []string `json:"classNames,omitempty"`
	RGBA       [][2]int `json:"rgba,omitempty"`
	Invert     string   `json:"invert,omitempty"`
}

// StartTraining sets up training the .wnn or ONNX model in model bytes
// (fine-tuning it) on data with o, checking everything first (errors name
// the example's index, as train.Prepare's do). o.Threads and o.Progress
// are not used: the guest runs with the host's threads (WithThreads), and
// Step reports progress.
func (h *Host) StartTraining(ctx context.Context, model []byte, data TrainData, o train.Options) (*Trainer, error) {
	return h.startTraining(ctx, model, data, o)
}

// StartTrainingArch is StartTraining for a zoo architecture by name, built
// in the guest with fresh weights from o.Seed.
func (h *Host) StartTrainingArch(ctx context.Context, arch string, data TrainData, o train.Options) (*Trainer, error) {
	return h.startTraining(ctx, arch, data, o)
}

func (h *Host) startTraining(ctx context.Context, model any, data TrainData, o train.Options) (*Trainer, error) {
	if data.Images != nil && data.RGBA != nil {
		return nil, errors.New("host: give the examples as Images or as RGBA, not both")
	}
	oj := optionsJSON{Options: o, ClassNames: data.ClassNames, Invert: data.Invert}
	var images []byte
	if data.RGBA != nil {
		oj.RGBA = make([][2]int, len(data.RGBA))
		for i, img := range data.RGBA {
			oj.RGBA[i] = [2]int{img.Width, img.Height}
			images = append(images, img.Pix...)
		}
	} else {
		images = f32Bytes(data.Images)
	}
	labels := make([]byte, 4*len(data.Labels))
	for i, y := range data.Labels {
		if y < math.MinInt32 || y > math.MaxInt32 {
			return nil, fmt.Errorf("%w: example %d has label %d", train.ErrData, i, y)
		}
		binary.LittleEndian.PutUint32(labels[4*i:], uint32(int32(y)))
	}
	js, err := json.Marshal(oj)
	if err != nil {
		return nil, err
	}
	res, err := h.callAPI(ctx, "trainStart", model, images, labels, string(js))
	if err != nil {
		return nil, err
	}
	id, ok := res.Get("id").(float64)
	info, ok2 := res.Get("info").(string)
	if !ok || !ok2 {
		return nil, fmt.Errorf("host: trainStart returned an unexpected result")
	}
	t := &Trainer{h: h, id: int(id)}
	if err := json.Unmarshal([]byte(info), &t.Info); err != nil {
		return nil, fmt.Errorf("host: trainStart info: %w", err)
	}
	return t, nil
}

// Step takes up to maxSteps steps, stopping once budget has passed (0: no
// time limit; at least one step is taken unless the run is over), and
// returns the progress after them.
func (t *Trainer) Step(ctx context.Context, maxSteps int, budget time.Duration) (TrainProgress, error) {
	var p TrainProgress
	if maxSteps < 1 {
		return p, fmt.Errorf("host: maxSteps must be at least 1, not %d", maxSteps)
	}
	res, err := t.h.callAPI(ctx, "trainStep", t.id, maxSteps, float64(budget)/float64(time.Millisecond))
	if err != nil {
		return p, err
	}
	num := func(k string) float64 { v, _ := res.Get(k).(float64); return v }
	p.Epoch, p.Epochs, p.Batch, p.Batches = int(num("epoch")), int(num("epochs")), int(num("batch")), int(num("batches"))
	p.Step, p.Steps = int(num("step")), int(num("steps"))
	p.Loss, p.Accuracy, p.LR = num("loss"), num("accuracy"), num("lr")
	p.Done, _ = res.Get("done").(bool)
	stats, _ := res.Get("stats").(string)
	var es []struct{ Loss, Accuracy float64 }
	if err := json.Unmarshal([]byte(stats), &es); err != nil {
		return p, fmt.Errorf("host: trainStep stats: %w", err)
	}
	for _, s := range es {
		p.Stats = append(p.Stats, train.EpochStats{Loss: s.Loss, Accuracy: s.Accuracy})
	}
	return p, nil
}

// Run takes every remaining step, slices of steps at a time, calling
// progress (when non-nil) after each slice, and returns the final
// progress. It stops with ctx's error between slices.
func (t *Trainer) Run(ctx context.Context, steps int, progress func(TrainProgress)) (TrainProgress, error) {
	for {
		p, err := t.Step(ctx, steps, 0)
		if err != nil {
			return p, err
		}
		if progress != nil {
			progress(p)
		}
		if p.Done {
			return p, nil
		}
	}
}

// Evaluate measures the model as trained so far on the held-out examples
// (nil without any): the accuracy and the confusion matrix of
// train.Evaluate.
func (t *Trainer) Evaluate(ctx context.Context) (*train.Evaluation, error) {
	res, err := t.h.callAPI(ctx, "trainEvaluate", t.id)
	if err != nil {
		return nil, err
	}
	s, _ := res.Get("result").(string)
	var ev *struct {
		Correct, Total int
		Confusion      [][]int
		Labels         []string
	}
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		return nil, fmt.Errorf("host: trainEvaluate: %w", err)
	}
	if ev == nil {
		return nil, nil
	}
	return &train.Evaluation{Correct: ev.Correct, Total: ev.Total, Confusion: ev.Confusion, Labels: ev.Labels}, nil
}

// Save returns the model as trained so far as a .wnn file, its metadata
// saying how it was trained.
func (t *Trainer) Save(ctx context.Context) ([]byte, error) {
	res, err := t.h.callAPI(ctx, "trainSave", t.id)
	if err != nil {
		return nil, err
	}
	b, ok := res.Get("model").([]byte)
	if !ok {
		return nil, fmt.Errorf("host: trainSave returned no model")
	}
	return b, nil
}

// Dispose frees the trainer inside the guest; later calls fail.
func (t *Trainer) Dispose() error {
	_, err := t.h.callAPI(context.Background(), "trainDispose", t.id)
	return err
}
