package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/ops"
)

// cmdNpy writes a .npy tensor of a given shape: random or constant inputs
// for run, without numpy.
func cmdNpy(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("npy", flag.ContinueOnError)
	shape := fs.String("shape", "", "dimensions `D0,D1,...` of the tensor (e.g. 1,3,224,224)")
	fill := fs.String("fill", "random", "`random|zeros|ones`: uniform values in [0, 1) from --seed, or a constant")
	seed := fs.Uint64("seed", defaultSeed, "random seed for --fill random")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *shape == "" {
		return usagef("want one FILE.npy and --shape D0,D1,...")
	}
	dims := shapeFlag{}
	if err := dims.Set("x=" + *shape); err != nil {
		return usagef("--shape %s: %v", *shape, err)
	}
	n, err := ops.NumElements(dims["x"])
	if err != nil || n > 1<<28 {
		return usagef("--shape %s: too many elements (at most %d)", *shape, 1<<28)
	}
	data := make([]float32, n)
	switch *fill {
	case "random":
		rng := rand.New(rand.NewPCG(*seed, 0x6e7079))
		for i := range data {
			data[i] = rng.Float32()
		}
	case "zeros":
	case "ones":
		for i := range data {
			data[i] = 1
		}
	default:
		return usagef("--fill must be random, zeros or ones, not %q", *fill)
	}
	var buf bytes.Buffer
	if err := npy.Write(&buf, dims["x"], data); err != nil {
		return err
	}
	if err := writeFileAtomic(pos[0], buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s float32, %s)\n", pos[0], ops.FormatShape(dims["x"]), *fill)
	return nil
}
