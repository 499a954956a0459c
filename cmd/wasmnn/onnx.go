package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/sniff"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// shapeFlag collects repeatable NAME=D0,D1,... input shapes.
type shapeFlag map[string][]int

func (s shapeFlag) String() string { return fmt.Sprint(map[string][]int(s)) }

func (s shapeFlag) Set(v string) error {
	name, dims, ok := strings.Cut(v, "=")
	if !ok || name == "" || dims == "" {
		return fmt.Errorf("want NAME=D0,D1,..., got %q", v)
	}
	var shape []int
	for _, d := range strings.Split(dims, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil || n < 1 {
			return fmt.Errorf("bad dimension %q in %q", d, v)
		}
		shape = append(shape, n)
	}
	s[name] = shape
	return nil
}

// readLimited reads a file of at most maxModelBytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a model file", path)
	}
	if st.Size() > maxModelBytes {
		return nil, fmt.Errorf("%s: %d bytes is larger than the %d-byte limit", path, st.Size(), maxModelBytes)
	}
	return io.ReadAll(io.LimitReader(f, maxModelBytes+1))
}

func cmdConvert(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	out := fs.String("o", "", "output .wnn `FILE`")
	batch := fs.Int("batch", 0, "fix symbolic batch (first) dimensions to N (default: they stay symbolic, any batch runs)")
	shapes := shapeFlag{}
	fs.Var(shapes, "input-shape", "NAME=D0,D1,... fix the full shape of an input (optional: symbolic dimensions otherwise stay symbolic; repeat per input)")
	f16 := fs.Bool("f16", false, "store weights as float16 (half the size)")
	noOpt := fs.Bool("no-optimize", false, "keep BatchNormalization and activations as separate nodes")
	asJSON := fs.Bool("json", false, "print the conversion report as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("want one MODEL.onnx and -o FILE.wnn")
	}
	if *batch < 0 {
		return usagef("--batch must be at least 1")
	}
	b, err := readLimited(pos[0])
	if err != nil {
		return err
	}
	switch kind := sniff.Detect(b); {
	case kind == sniff.WNN:
		return fmt.Errorf("%s is a .wnn model already: nothing to convert (summary, run and classify read it as it is)", pos[0])
	case kind != sniff.ONNX:
		return fmt.Errorf("%s: %s", pos[0], sniff.Explain(b))
	}
	m, rep, err := onnx.Import(b, onnx.Options{Batch: *batch, InputShapes: shapes, NoOptimize: *noOpt})
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	if *f16 {
		m.WeightDType = "f16"
	}
	enc, err := m.Encode()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, enc); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%.1f MB)\n", *out, float64(len(enc))/1e6)
	return nil
}

func cmdExport(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fs.String("o", "", "output .onnx `FILE`")
	size := fs.Int("input-size", 0, "input height and width for zoo architectures (default: the architecture's)")
	seed := fs.Uint64("seed", defaultSeed, "random seed for zoo architectures' weights")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("want one MODEL (.wnn or zoo architecture) and -o FILE.onnx")
	}
	if err := checkInputSize(fs, *size, pos[0]); err != nil {
		return err
	}
	if isSet(fs, "seed") && zooName(pos[0]) == "" {
		return usagef("--seed applies to zoo architectures only; %s has its own weights", pos[0])
	}
	m, err := loadModel(pos[0], zoo.Config{InputSize: *size, Seed: *seed})
	if err != nil {
		return err
	}
	b, err := onnx.Export(m)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (ONNX opset %d or newer, %d nodes, %.1f MB)\n", *out, onnx.ExportOpset, len(m.Nodes), float64(len(b))/1e6)
	return nil
}
