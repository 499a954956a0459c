package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/internal/serve"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// maxModelBytes bounds the size of a model file the CLI reads.
const maxModelBytes = 2 << 30

// loadModel reads a .wnn file (or an .onnx file, converted on the fly), or
// builds a zoo architecture when arg names one and no such file exists.
func loadModel(arg string, cfg zoo.Config) (*runtime.Model, error) {
	if _, err := os.Stat(arg); err != nil && !strings.ContainsAny(arg, `/\.`) {
		if _, zerr := zoo.Get(arg); zerr == nil {
			return zoo.Build(arg, cfg)
		}
		return nil, fmt.Errorf("%q is neither a model file nor a zoo architecture (wasmnn zoo lists them)", arg)
	}
	b, err := readLimited(arg)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(strings.ToLower(arg), ".onnx") {
		m, _, err := onnx.Import(b, onnx.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return m, nil
	}
	m, err := runtime.LoadWithLimits(b, runtime.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return m, nil
}

func algoOpts(algo string, threads int) (runtime.Options, error) {
	opts := runtime.Options{Threads: threads}
	if algo == "" {
		return opts, nil
	}
	layers := map[string]ops.ConvAlgo{}
	for _, part := range strings.Split(algo, ",") {
		if name, a, ok := strings.Cut(part, "="); ok {
			layers[name] = ops.ConvAlgo(a)
			continue
		}
		opts.Algo = ops.ConvAlgo(part)
	}
	if len(layers) > 0 {
		opts.LayerAlgos = layers
	}
	return opts, nil
}

const algoHelp = "conv algorithm: auto, direct, im2col, depthwise, ... for every layer, and/or LAYER=ALGO,... for named layers"

func cmdZoo(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("zoo", flag.ContinueOnError)
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("zoo takes no arguments")
	}
	for _, name := range zoo.Names() {
		a, _ := zoo.Get(name)
		fmt.Fprintf(stdout, "%-10s %dx%dx%d -> %d  %6.2f M params  %6.2f GMACs  %s\n", a.Name, a.Channels, a.InputSize,
			a.InputSize, a.Classes, float64(a.PublishedParams)/1e6, a.PublishedGMACs, a.Description)
	}
	return nil
}

func cmdSummary(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	algo := fs.String("algo", "", algoHelp)
	size := fs.Int("input-size", 0, "input size for zoo architectures")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one MODEL or ARCH, got %d arguments", len(pos))
	}
	m, err := loadModel(pos[0], zoo.Config{InputSize: *size})
	if err != nil {
		return err
	}
	opts, err := algoOpts(*algo, 0)
	if err != nil {
		return err
	}
	sum, err := runtime.Summarize(m, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	return sum.WriteText(stdout)
}

func cmdBuild(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("o", "", "output .wnn file")
	seed := fs.Uint64("seed", 1, "random seed for the weights")
	size := fs.Int("input-size", 0, "input height and width (default: the architecture's)")
	f16 := fs.Bool("f16", false, "store weights as float16 (half the size)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("want one ARCH and -o FILE")
	}
	m, err := zoo.Build(pos[0], zoo.Config{Seed: *seed, InputSize: *size})
	if err != nil {
		return err
	}
	if *f16 {
		m.WeightDType = "f16"
	}
	b, err := m.Encode()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s, %.1f MB)\n", *out, pos[0], float64(len(b))/1e6)
	return nil
}

// writeFileAtomic writes through a temporary file so that a failure never
// leaves a partial file behind.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wasmnn-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func cmdRun(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var inputs multiFlag
	fs.Var(&inputs, "input", "NAME=FILE.npy (repeat for each input; NAME= may be left out for one-input models)")
	outDir := fs.String("out", "", "directory for <output>.npy files")
	algo := fs.String("algo", "", algoHelp)
	threads := fs.Int("threads", 0, "threads (default: all cores)")
	autotune := fs.Bool("autotune", false, "time every applicable conv algorithm once per layer and keep the fastest")
	wasmPath := fs.String("wasm", "", "run inside this wasmnn.wasm (e.g. js/dist/wasmnn.wasm) under wazero instead of natively")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one MODEL, got %d arguments", len(pos))
	}
	if *wasmPath != "" && (*threads != 0 || *autotune) {
		return usagef("--wasm runs on one thread without autotuning: drop --threads and --autotune")
	}
	if len(inputs) == 0 {
		return usagef("give at least one --input NAME=FILE.npy")
	}
	m, err := loadModel(pos[0], zoo.Config{})
	if err != nil {
		return err
	}
	opts, _ := algoOpts(*algo, *threads)
	opts.Autotune = *autotune
	sess, err := runtime.NewSession(m, opts)
	if err != nil {
		return err
	}
	feeds := map[string]*ops.Tensor{}
	for _, spec := range inputs {
		name, path, ok := strings.Cut(spec, "=")
		if !ok {
			if len(sess.Inputs()) != 1 {
				return usagef("--input %s: the model has %d inputs, write NAME=FILE", spec, len(sess.Inputs()))
			}
			name, path = sess.Inputs()[0].Name, spec
		}
		shape, data, err := npy.ReadFile(path)
		if err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
		feeds[name] = &ops.Tensor{Shape: shape, Data: data}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var outs map[string]*ops.Tensor
	if *wasmPath != "" {
		outs, err = runInWasm(ctx, *wasmPath, m, opts, feeds)
	} else {
		outs, err = sess.Run(ctx, feeds)
	}
	if err != nil {
		return err
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
	}
	for _, o := range sess.Outputs() {
		t := outs[o.Name]
		fmt.Fprintf(stdout, "%s %s", o.Name, ops.FormatShape(t.Shape))
		if *outDir != "" {
			path := filepath.Join(*outDir, safeFileName(o.Name)+".npy")
			if err := npy.WriteFile(path, t.Shape, t.Data); err != nil {
				return err
			}
			fmt.Fprintf(stdout, " -> %s", path)
		}
		fmt.Fprintln(stdout)
		if len(t.Shape) == 2 && t.Shape[1] == len(m.Meta.Labels) && t.Shape[1] > 1 {
			for b := 0; b < t.Shape[0]; b++ {
				row := t.Data[b*t.Shape[1] : (b+1)*t.Shape[1]]
				fmt.Fprintf(stdout, "  top-5[%d]:", b)
				for _, r := range runtime.TopK(row, m.Meta.Labels, 5) {
					fmt.Fprintf(stdout, " %s (%.4f)", r.Label, r.Probability)
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	return nil
}

// safeFileName keeps output names from escaping the output directory.
func safeFileName(name string) string {
	r := strings.NewReplacer("/", "_", "\\", "_", "..", "_", ":", "_")
	s := r.Replace(name)
	if s == "" || s == "." {
		s = "output"
	}
	return s
}

func cmdClassify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	top := fs.Int("top", 3, "how many classes to print")
	asJSON := fs.Bool("json", false, "print JSON [{label, index, probability}]")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want MODEL and IMAGE, got %d arguments", len(pos))
	}
	if *top < 1 {
		return usagef("--top must be at least 1")
	}
	m, err := loadModel(pos[0], zoo.Config{})
	if err != nil {
		return err
	}
	pp := m.Meta.Preprocess
	if pp == nil {
		return fmt.Errorf("%s has no preprocessing metadata: it is not an image classifier", pos[0])
	}
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		return err
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := imageprep.Decode(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[1], err)
	}
	data, shape, err := imageprep.ToTensor(img, imageprep.Params{Width: pp.Width, Height: pp.Height,
		ContentWidth: pp.ContentWidth, ContentHeight: pp.ContentHeight, Channels: pp.Channels, Invert: pp.Invert,
		Scale: pp.Scale, Mean: pp.Mean, Std: pp.Std})
	if err != nil {
		return fmt.Errorf("%s: %w", pos[1], err)
	}
	in := sess.Inputs()[0]
	if !ops.EqualShapes(in.Shape, shape) {
		return fmt.Errorf("the preprocessed image has shape %s but input %q expects %s", ops.FormatShape(shape), in.Name, ops.FormatShape(in.Shape))
	}
	outs, err := sess.Run(context.Background(), map[string]*ops.Tensor{in.Name: {Shape: shape, Data: data}})
	if err != nil {
		return err
	}
	logits := outs[sess.Outputs()[0].Name].Data
	preds := runtime.TopK(logits, m.Meta.Labels, *top)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(preds)
	}
	for _, p := range preds {
		fmt.Fprintf(stdout, "%-12s %6.2f%%  (class %d)\n", p.Label, 100*p.Probability, p.Index)
	}
	return nil
}

func cmdServe(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := fs.String("dir", "demo", "directory to serve")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("serve takes no positional arguments")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return serve.ListenAndServe(ctx, *addr, *dir, stdout)
}

// runInWasm runs m inside the browser module under wazero (the same .wasm the
// JS package loads), with the conv algorithms opts asks for.
func runInWasm(ctx context.Context, wasmPath string, m *runtime.Model, opts runtime.Options, feeds map[string]*ops.Tensor) (map[string]*ops.Tensor, error) {
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return nil, fmt.Errorf("--wasm: %w (make wasm builds js/dist/wasmnn.wasm)", err)
	}
	h, err := host.New(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("--wasm %s: %w", wasmPath, err)
	}
	defer h.Close(ctx)
	b, err := m.Encode()
	if err != nil {
		return nil, err
	}
	lo := host.LoadOptions{Algo: string(opts.Algo)}
	if len(opts.LayerAlgos) > 0 {
		lo.LayerAlgos = map[string]string{}
		for k, v := range opts.LayerAlgos {
			lo.LayerAlgos[k] = string(v)
		}
	}
	gm, err := h.Load(b, lo)
	if err != nil {
		return nil, err
	}
	defer gm.Dispose()
	return gm.Run(ctx, feeds)
}
