//go:build js && wasm

package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"syscall/js"
	"time"

	wrt "github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/train"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// The training methods of globalThis.__wasmnn (runtime/train, set up by
// train.Prepare as `wasmnn train` does, so the same data, model, options
// and seed give the same weights bit for bit here and natively):
//
//	trainStart(model: Uint8Array | string, images: Uint8Array, labels: Uint8Array, options: string /* JSON */) -> {id, info: string /* JSON */} | {error}
//	trainStep(id, maxSteps, budgetMs) -> {epoch, epochs, batch, batches, step, steps, loss, accuracy, lr, done, stats: string /* JSON */} | {error}
//	trainEvaluate(id) -> {result: string /* JSON evaluation, or null */} | {error}
//	trainSave(id) -> {model: Uint8Array /* .wnn */} | {error}
//	trainDispose(id) -> {} | {error}
//
// trainStart's model is the bytes of a .wnn or ONNX file to fine-tune, or
// the name of a zoo architecture (any case) built with fresh weights from
// the seed. images are the examples: the bytes of little-endian float32
// values, one tensor after another, each of the model's input shape
// without its batch dimension (already preprocessed), or, when the options
// list "rgba" sizes ([[width, height], ...]), the non-premultiplied RGBA
// pixels of one image after another, preprocessed in the module as classify
// does (train.FromImages; "invert": "auto", "yes" or "no"). labels are the
// class indices as little-endian int32 values. The options are
// train.Options by their JS names (epochs, batch, lr, optimizer,
// weightDecay, shift, seed, holdout, classes, freeze; absent ones take
// train.Defaults) plus classNames, the names of the classes. Everything is
// checked before a trainer exists, with errors naming the example's index.
//
// trainStep takes up to maxSteps steps (at least one), stopping early once
// budgetMs milliseconds have passed (0: no time limit), and reports the
// progress after the last of them (train.Progress) with the statistics of
// the epochs completed so far (stats: [{loss, accuracy}]). The weights
// after a given step do not depend on how the steps were sliced into calls.
// trainEvaluate measures the held-out examples (null without any),
// trainSave encodes the model as trained so far, and trainDispose frees the
// trainer. Trainers have their own ids, apart from the models of load;
// memory() counts them as trainers.
func init() {
	handlers["trainStart"] = trainStart
	handlers["trainStep"] = trainStep
	handlers["trainEvaluate"] = trainEvaluate
	handlers["trainSave"] = trainSave
	handlers["trainDispose"] = trainDispose
	mem := handlers["memory"]
	handlers["memory"] = func(args []js.Value) (map[string]any, error) {
		res, err := mem(args)
		if res != nil {
			res["trainers"] = len(trainers)
		}
		return res, err
	}
}

// trainer is a training run in the module.
type trainer struct {
	m    *wrt.Model
	job  *train.Job
	run  *train.Run
	opts train.Options
	// from says what was trained: the zoo architecture, or the model file's
	// name; arch is set for a zoo architecture.
	from string
	arch *zoo.Arch
	// examples is the number of examples given.
	examples int
}

var (
	trainers      = map[int]*trainer{}
	nextTrainerID = 1
)

// trainJSON are trainStart's options: train.Options (by its JSON names),
// the class names, and how the images are given.
type trainJSON struct {
	train.Options
	ClassNames []string `json:"classNames"`
	// RGBA, when set, gives the width and height of each image: images are
	// RGBA pixels; else they are float32 tensors.
	RGBA   [][2]int `json:"rgba"`
	Invert string   `json:"invert"`
}

// parseTrainOptions reads trainStart's JSON over train.Defaults; unknown
// fields are errors.
func parseTrainOptions(s string) (trainJSON, error) {
	o := trainJSON{Options: train.Defaults()}
	if s != "" {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return o, fmt.Errorf("options: %w", err)
		}
	}
	if o.ClassNames != nil && o.Classes != 0 && len(o.ClassNames) != o.Classes {
		return o, fmt.Errorf("options: %d class names for %d classes", len(o.ClassNames), o.Classes)
	}
	return o, o.Validate()
}

// trainModel returns the model to train: a zoo architecture built from the
// seed when v is a string, else the .wnn or ONNX file in v.
func trainModel(v js.Value, seed uint64) (*wrt.Model, *zoo.Arch, string, error) {
	if v.Type() == js.TypeString {
		name := v.String()
		for _, n := range zoo.Names() {
			if strings.EqualFold(n, name) {
				name = n
			}
		}
		arch, err := zoo.Get(name)
		if err != nil {
			return nil, nil, "", err
		}
		m, err := zoo.Build(arch.Name, zoo.Config{Seed: seed})
		return m, arch, arch.Name, err
	}
	b, err := bytesArg(v, "the model (bytes of a .wnn or ONNX file, or an architecture name)")
	if err != nil {
		return nil, nil, "", err
	}
	m, _, err := decodeModel(b, wrt.Limits{})
	if err != nil {
		return nil, nil, "", err
	}
	return m, nil, m.Meta.Name, nil
}

// trainData builds the examples of trainStart from the images' and labels'
// bytes (see the method list above). Errors wrap train.ErrData and name
// the example.
func trainData(m *wrt.Model, images, labelBytes []byte, o trainJSON) (*train.Data, error) {
	if len(labelBytes)%4 != 0 {
		return nil, fmt.Errorf("%w: the labels are %d bytes, not a whole number of int32 values", train.ErrData, len(labelBytes))
	}
	labels := make([]int, len(labelBytes)/4)
	for i := range labels {
		labels[i] = int(int32(binary.LittleEndian.Uint32(labelBytes[4*i:])))
	}
	if o.RGBA == nil {
		if len(images)%4 != 0 {
			return nil, fmt.Errorf("%w: the images are %d bytes, not a whole number of float32 values", train.ErrData, len(images))
		}
		x := make([]float32, len(images)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(images[4*i:]))
		}
		return &train.Data{Images: x, Shape: append([]int(nil), m.Inputs[0].Shape[1:]...), Labels: labels, Classes: o.ClassNames}, nil
	}
	if len(o.RGBA) != len(labels) {
		return nil, fmt.Errorf("%w: %d images but %d labels", train.ErrData, len(o.RGBA), len(labels))
	}
	mode := imageprep.InvertAuto
	if o.Invert != "" {
		var err error
		if mode, err = imageprep.ParseInvertMode(o.Invert); err != nil {
			return nil, err
		}
	}
	names := o.ClassNames
	if names == nil {
		k := o.Classes
		if k == 0 {
			var err error
			if k, err = train.OutputClasses(m); err != nil {
				return nil, err
			}
		}
		for c := 0; c < k; c++ {
			if o.Classes == 0 && c < len(m.Meta.Labels) {
				names = append(names, m.Meta.Labels[c])
			} else {
				names = append(names, fmt.Sprint(c))
			}
		}
	}
	imgs := make([]train.LabeledImage, len(labels))
	off := 0
	for i, wh := range o.RGBA {
		w, h := wh[0], wh[1]
		if w < 1 || h < 1 || w > imageprep.MaxImageSide || h > imageprep.MaxImageSide {
			return nil, fmt.Errorf("%w: image %d is %dx%d", train.ErrData, i, w, h)
		}
		n := 4 * w * h
		if off+n > len(images) {
			return nil, fmt.Errorf("%w: image %d (%dx%d) needs %d bytes of RGBA, only %d are left", train.ErrData, i, w, h, n, len(images)-off)
		}
		img, err := imageprep.FromRGBA(images[off:off+n], w, h)
		if err != nil {
			return nil, fmt.Errorf("%w: image %d: %w", train.ErrData, i, err)
		}
		imgs[i] = train.LabeledImage{Name: fmt.Sprintf("image %d", i), Image: img, Label: labels[i]}
		off += n
	}
	if off != len(images) {
		return nil, fmt.Errorf("%w: %d bytes of RGBA after the last image", train.ErrData, len(images)-off)
	}
	return train.FromImages(imgs, names, m.Meta.Preprocess, mode)
}

// trainInfo is what trainStart returns about the run (as JSON).
type trainInfo struct {
	Examples  int      `json:"examples"`
	Train     int      `json:"train"`
	HeldOut   int      `json:"heldOut"`
	Classes   int      `json:"classes"`
	Labels    []string `json:"labels"`
	Head      string   `json:"head,omitempty"`
	Steps     int      `json:"steps"`
	Batches   int      `json:"batches"`
	Optimizer string   `json:"optimizer"`
	Schedule  string   `json:"schedule"`
}

func trainStart(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 4, "trainStart"); err != nil {
		return nil, err
	}
	if args[3].Type() != js.TypeString {
		return nil, fmt.Errorf("trainStart: the options must be a JSON string")
	}
	o, err := parseTrainOptions(args[3].String())
	if err != nil {
		return nil, err
	}
	images, err := bytesArg(args[1], "the images")
	if err != nil {
		return nil, err
	}
	labels, err := bytesArg(args[2], "the labels")
	if err != nil {
		return nil, err
	}
	m, arch, from, err := trainModel(args[0], o.Seed)
	if err != nil {
		return nil, err
	}
	data, err := trainData(m, images, labels, o)
	images = nil
	if err != nil {
		return nil, err
	}
	job, err := train.Prepare(m, data, nil, o.Options)
	if err != nil {
		return nil, err
	}
	run, err := job.Trainer.Start(job.Train)
	if err != nil {
		return nil, err
	}
	id := nextTrainerID
	nextTrainerID++
	trainers[id] = &trainer{m: m, job: job, run: run, opts: o.Options, from: from, arch: arch, examples: data.Len()}
	runtime.GC()
	var names []string
	for c := 0; c < job.Trainer.Classes(); c++ {
		name := fmt.Sprint(c)
		if c < len(m.Meta.Labels) {
			name = m.Meta.Labels[c]
		}
		names = append(names, name)
	}
	inf := trainInfo{Examples: data.Len(), Train: job.Train.Len(), Classes: job.Trainer.Classes(), Labels: names,
		Head: job.Head, Steps: run.Steps(), Batches: run.Batches(), Optimizer: job.Config.Optimizer.Name(),
		Schedule: job.Config.Schedule.String()}
	if job.HeldOut != nil {
		inf.HeldOut = job.HeldOut.Len()
	}
	b, _ := json.Marshal(inf)
	return map[string]any{"id": id, "info": string(b)}, nil
}

func getTrainer(v js.Value) (*trainer, error) {
	if v.Type() != js.TypeNumber {
		return nil, fmt.Errorf("trainer id must be a number")
	}
	t, ok := trainers[v.Int()]
	if !ok {
		return nil, fmt.Errorf("trainer %d does not exist (disposed?)", v.Int())
	}
	return t, nil
}

// epochJSON is one epoch's statistics in trainStep's stats.
type epochJSON struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
}

func trainStep(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 3, "trainStep"); err != nil {
		return nil, err
	}
	t, err := getTrainer(args[0])
	if err != nil {
		return nil, err
	}
	if args[1].Type() != js.TypeNumber || args[2].Type() != js.TypeNumber {
		return nil, fmt.Errorf("trainStep: maxSteps and budgetMs must be numbers")
	}
	maxSteps, budget := args[1].Float(), args[2].Float()
	if maxSteps < 1 || maxSteps != math.Trunc(maxSteps) || !(budget >= 0) {
		return nil, fmt.Errorf("trainStep: maxSteps must be a whole number >= 1 and budgetMs >= 0, got %v and %v", maxSteps, budget)
	}
	start := time.Now()
	for k := 0.0; k < maxSteps && !t.run.Done(); k++ {
		if k > 0 && budget > 0 && float64(time.Since(start).Microseconds()) >= 1000*budget {
			break
		}
		if _, err := t.run.Step(); err != nil && !errors.Is(err, train.ErrDone) {
			return nil, err
		}
	}
	p := t.run.Progress()
	stats := make([]epochJSON, len(t.run.Stats()))
	for i, s := range t.run.Stats() {
		stats[i] = epochJSON{Loss: s.Loss, Accuracy: s.Accuracy}
	}
	b, _ := json.Marshal(stats)
	return map[string]any{"epoch": p.Epoch, "epochs": p.Epochs, "batch": p.Batch, "batches": p.Batches, "step": p.Step,
		"steps": p.Steps, "loss": p.Loss, "accuracy": p.Accuracy, "lr": p.LR, "done": t.run.Done(), "stats": string(b)}, nil
}

// evalJSON is an evaluation as trainEvaluate returns it.
type evalJSON struct {
	Correct   int      `json:"correct"`
	Total     int      `json:"total"`
	Accuracy  float64  `json:"accuracy"`
	Confusion [][]int  `json:"confusion"`
	Labels    []string `json:"labels"`
}

func trainEvaluate(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "trainEvaluate"); err != nil {
		return nil, err
	}
	t, err := getTrainer(args[0])
	if err != nil {
		return nil, err
	}
	if t.job.HeldOut == nil || t.job.HeldOut.Len() == 0 {
		return map[string]any{"result": "null"}, nil
	}
	ev, err := t.job.Trainer.Evaluate(context.Background(), t.job.HeldOut)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(evalJSON{Correct: ev.Correct, Total: ev.Total, Accuracy: ev.Accuracy(), Confusion: ev.Confusion, Labels: ev.Labels})
	return map[string]any{"result": string(b)}, nil
}

// describe sets the model's description and metadata to say how it was
// trained, as `wasmnn train` does for the models it writes.
func (t *trainer) describe() {
	o := t.opts
	m := t.m
	p := t.run.Progress()
	data := fmt.Sprintf("%d examples", t.examples)
	if h := t.job.HeldOut; h != nil {
		data += fmt.Sprintf(", %d held out (every %d-th of each class, seed %d)", h.Len(), o.Holdout, o.Seed)
	}
	var desc string
	extra := map[string]string{"weights": "trained", "dataset": data, "epochs": fmt.Sprint(o.Epochs), "seed": fmt.Sprint(o.Seed)}
	if t.arch != nil {
		desc = t.arch.Description
		extra["architecture"] = t.arch.Name
	} else {
		desc = "fine-tuned from " + t.from
		if a := m.Meta.Extra["architecture"]; a != "" {
			extra["architecture"] = a
		}
		extra["fine_tuned_from"] = t.from
	}
	if len(o.Freeze) > 0 {
		extra["frozen"] = strings.Join(o.Freeze, ",")
	}
	if !t.run.Done() {
		extra["steps"] = fmt.Sprintf("%d of %d", p.Step, p.Steps)
	}
	cfg := t.job.Config
	m.Meta.Description = fmt.Sprintf("%s; trained by wasmnn.train on %s (%d epochs, batch %d, %s, lr %g with %s, random shifts of ±%d px, seed %d; %d of %d steps)",
		desc, data, o.Epochs, o.Batch, cfg.Optimizer.Name(), o.LR, cfg.Schedule, o.Shift, o.Seed, p.Step, p.Steps)
	m.Meta.Extra = extra
}

func trainSave(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "trainSave"); err != nil {
		return nil, err
	}
	t, err := getTrainer(args[0])
	if err != nil {
		return nil, err
	}
	t.describe()
	b, err := t.m.Encode()
	if err != nil {
		return nil, err
	}
	arr := uint8Array.New(len(b))
	js.CopyBytesToJS(arr, b)
	return map[string]any{"model": arr}, nil
}

func trainDispose(args []js.Value) (map[string]any, error) {
	if err := argCount(args, 1, "trainDispose"); err != nil {
		return nil, err
	}
	if _, err := getTrainer(args[0]); err != nil {
		return nil, err
	}
	delete(trainers, args[0].Int())
	runtime.GC()
	return nil, nil
}
