package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/internal/serve"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/sniff"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// maxModelBytes bounds the size of a model file the CLI reads.
const maxModelBytes = 2 << 30

// defaultSeed seeds the random weights of zoo architectures wherever the CLI
// builds one: a zoo name given as MODEL, build, export and train.
const defaultSeed = 1

// zooName returns the zoo architecture arg names (in any case) when arg is
// not an existing file, and "" otherwise.
func zooName(arg string) string {
	if _, err := os.Stat(arg); err == nil || strings.ContainsAny(arg, `/\.`) {
		return ""
	}
	for _, name := range zoo.Names() {
		if strings.EqualFold(name, arg) {
			return name
		}
	}
	return ""
}

// archName resolves an ARCH argument case-insensitively, suggesting a close
// name for a typo.
func archName(arg string) (string, error) {
	for _, name := range zoo.Names() {
		if strings.EqualFold(name, arg) {
			return name, nil
		}
	}
	return "", fmt.Errorf("unknown architecture %q%s (wasmnn zoo lists them)", arg, didYouMean(arg, zoo.Names()))
}

// loadModel reads a .wnn file (or an .onnx file, converted on the fly), or
// builds a zoo architecture when arg names one (in any case) and no such file
// exists. cfg.Seed 0 means defaultSeed.
func loadModel(arg string, cfg zoo.Config) (*runtime.Model, error) {
	if name := zooName(arg); name != "" {
		if cfg.Seed == 0 {
			cfg.Seed = defaultSeed
		}
		return zoo.Build(name, cfg)
	}
	if _, err := os.Stat(arg); err != nil && !strings.ContainsAny(arg, `/\.`) {
		return nil, fmt.Errorf("%q is neither a model file nor a zoo architecture%s (wasmnn zoo lists them)", arg, didYouMean(arg, zoo.Names()))
	}
	b, err := readLimited(arg)
	if err != nil {
		return nil, err
	}
	// The bytes decide, not the file name (as in the browser module).
	switch kind := sniff.Detect(b); {
	case kind == sniff.ONNX:
		m, _, err := onnx.Import(b, onnx.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return m, nil
	case kind != sniff.WNN:
		return nil, fmt.Errorf("%s: %s", arg, sniff.Explain(b))
	}
	m, err := runtime.LoadWithLimits(b, runtime.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	return m, nil
}

// algoOpts parses --algo (ALGO and/or LAYER=ALGO,...) and --threads into
// session options; unknown algorithm names and negative thread counts are
// usage errors.
func algoOpts(algo string, threads int) (runtime.Options, error) {
	opts := runtime.Options{Threads: threads}
	if threads < 0 {
		return opts, usagef("--threads must be >= 0 (0: all cores), not %d", threads)
	}
	if algo == "" {
		return opts, nil
	}
	layers := map[string]ops.ConvAlgo{}
	for _, part := range strings.Split(algo, ",") {
		name, a, perLayer := strings.Cut(part, "=")
		if !perLayer {
			a = part
		}
		parsed, err := ops.ParseConvAlgo(a)
		if err != nil || a == "" {
			return opts, usagef("--algo %s: unknown conv algorithm %q (known: %s)", algo, a, algoNames())
		}
		if perLayer {
			layers[name] = parsed
			continue
		}
		opts.Algo = parsed
	}
	if len(layers) > 0 {
		opts.LayerAlgos = layers
	}
	return opts, nil
}

// algoNames lists the names --algo accepts.
func algoNames() string {
	var names []string
	for _, a := range ops.KnownConvAlgos() {
		names = append(names, string(a))
	}
	return strings.Join(append(names, string(ops.AlgoWinograd)), ", ")
}

var algoHelp = "conv `ALGO` for every layer it applies to, and/or LAYER=ALGO,... for named layers: " + algoNames() +
	" (winograd: the best Winograd variant per layer)"

// checkInputSize rejects a negative --input-size, and one given for a model
// file, which has its own input size.
func checkInputSize(fs *flag.FlagSet, size int, model string) error {
	if size < 0 {
		return usagef("--input-size must be positive, not %d", size)
	}
	if isSet(fs, "input-size") && zooName(model) == "" {
		return usagef("--input-size applies to zoo architectures only; %s has its own input size", model)
	}
	return nil
}

// warnRandom tells the user that a zoo name stands for random weights.
func warnRandom(stderr io.Writer, model string) {
	if name := zooName(model); name != "" {
		fmt.Fprintf(stderr, "wasmnn: warning: %s is a zoo architecture with random weights (seed %d): its outputs mean nothing; give a trained .wnn file for real results\n", name, defaultSeed)
	}
}

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
	size := fs.Int("input-size", 0, "input height and width for zoo architectures (default: the architecture's)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one MODEL or ARCH, got %d arguments", len(pos))
	}
	if err := checkInputSize(fs, *size, pos[0]); err != nil {
		return err
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
	out := fs.String("o", "", "output .wnn `FILE`")
	seed := fs.Uint64("seed", defaultSeed, "random seed for the weights")
	size := fs.Int("input-size", 0, "input height and width (default: the architecture's)")
	f16 := fs.Bool("f16", false, "store weights as float16 (half the size)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("want one ARCH and -o FILE")
	}
	if *size < 0 {
		return usagef("--input-size must be positive, not %d", *size)
	}
	arch, err := archName(pos[0])
	if err != nil {
		return err
	}
	m, err := zoo.Build(arch, zoo.Config{Seed: *seed, InputSize: *size})
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
	fmt.Fprintf(stdout, "wrote %s (%s, %.1f MB)\n", *out, arch, float64(len(b))/1e6)
	return nil
}

// writeFileAtomic writes through a temporary file in the same directory so
// that a failure never leaves a partial file behind. The file gets mode 0644
// (os.CreateTemp makes 0600), and errors name path, not the temporary file.
func writeFileAtomic(path string, b []byte) error {
	fail := func(err error) error {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wasmnn-*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail(err)
	}
	return nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var inputs multiFlag
	fs.Var(&inputs, "input", "`NAME=FILE.npy` (repeat for each input; NAME= may be left out for one-input models)")
	outDir := fs.String("out", "", "write one <output>.npy per output to `DIR` (default: print shapes only)")
	algo := fs.String("algo", "", algoHelp)
	threads := fs.Int("threads", 0, "threads (default: all cores)")
	autotune := fs.Bool("autotune", false, "time every applicable conv algorithm once per layer and keep the fastest")
	wasmPath := fs.String("wasm", "", "run inside this wasmnn.wasm `FILE` (e.g. js/dist/wasmnn.wasm) under wazero instead of natively")
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
	opts, err := algoOpts(*algo, *threads)
	if err != nil {
		return err
	}
	opts.Autotune = *autotune
	m, err := loadModel(pos[0], zoo.Config{})
	if err != nil {
		return err
	}
	warnRandom(stderr, pos[0])
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
				return fmt.Errorf("output %q: %w", o.Name, err)
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

// classifyResult is one entry of classify --json: a prediction and whether
// the image was inverted before the model saw it.
type classifyResult struct {
	runtime.Prediction
	Inverted bool `json:"inverted"`
}

func cmdClassify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	top := fs.Int("top", 3, "how many classes to print")
	invertFlag := fs.String("invert", "auto", "invert the image (v -> 255 - v) before the model sees it: `auto|yes|no`; auto inverts ink on paper (dark on light) for models that want a bright signal on dark (MNIST style) and leaves images that already are bright on dark")
	asJSON := fs.Bool("json", false, "print JSON [{label, index, probability, inverted}]")
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
	mode, err := imageprep.ParseInvertMode(*invertFlag)
	if err != nil {
		return usagef("--invert must be auto, yes or no, not %q", *invertFlag)
	}
	m, err := loadModel(pos[0], zoo.Config{})
	if err != nil {
		return err
	}
	warnRandom(stderr, pos[0])
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
	invert := imageprep.ResolveInvert(img, mode, pp.Invert)
	data, shape, err := imageprep.ToTensor(img, imageprep.Params{Width: pp.Width, Height: pp.Height,
		ContentWidth: pp.ContentWidth, ContentHeight: pp.ContentHeight, Channels: pp.Channels, Invert: invert,
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
		res := make([]classifyResult, len(preds))
		for i, p := range preds {
			res[i] = classifyResult{p, invert}
		}
		return json.NewEncoder(stdout).Encode(res)
	}
	for _, p := range preds {
		fmt.Fprintf(stdout, "%-12s %6.2f%%  (class %d)\n", p.Label, 100*p.Probability, p.Index)
	}
	how := map[bool]string{true: "yes", false: "no"}[invert]
	if mode == imageprep.InvertAuto && pp.Invert {
		how += map[bool]string{true: " (auto: dark on light)", false: " (auto: already bright on dark)"}[invert]
	}
	fmt.Fprintf(stdout, "inverted: %s\n", how)
	return nil
}

func cmdServe(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "`HOST:PORT` to listen on")
	dir := fs.String("dir", "demo", "serve the files in `DIR`")
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
