package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmnn/wasmnn/internal/bench"
	"github.com/wasmnn/wasmnn/ops"
)

func cmdBench(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	jsonOut := fs.String("json", "", "write all results as JSON to this `FILE`")
	wasmPath := fs.String("wasm", "", "also run the cases in this wasmnn.wasm `FILE` under wazero")
	reps := fs.Int("reps", 7, "timed runs per case (the median is reported)")
	warmup := fs.Int("warmup", 2, "untimed runs per case first")
	filter := fs.String("filter", "", "comma-separated substrings: run only matching cases")
	algo := fs.String("algo", "", "conv `ALGO` for every layer it applies to: "+algoNames()+" (default: the planner's choice)")
	writeSuite := fs.String("write-suite", "", "write the suite (models and index.json) to `DIR` for other runtimes, then exit")
	merge := fs.String("merge", "", "comma-separated JSON result `FILES` from other runtimes to add to the table")
	native := fs.Bool("native", true, "measure the native build (--native=false: only the wasm build)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("bench takes no positional arguments")
	}
	switch {
	case *reps < 1:
		return usagef("--reps must be at least 1, not %d", *reps)
	case *warmup < 0:
		return usagef("--warmup must be >= 0, not %d", *warmup)
	}
	if *algo != "" {
		if _, err := ops.ParseConvAlgo(*algo); err != nil {
			return usagef("--algo: unknown conv algorithm %q (known: %s)", *algo, algoNames())
		}
	}
	cases, err := bench.Suite()
	if err != nil {
		return err
	}
	if *filter != "" {
		cases = bench.Filter(cases, strings.Split(*filter, ","))
	}
	if *writeSuite != "" {
		return writeSuiteDir(*writeSuite, cases, stdout)
	}
	cfg := bench.Config{Warmup: *warmup, Reps: *reps, Algo: *algo, Log: stdout}
	if *wasmPath != "" {
		if cfg.Wasm, err = os.ReadFile(*wasmPath); err != nil {
			return err
		}
	}
	var results []bench.Result
	if *native || cfg.Wasm != nil {
		if !*native {
			cfg.Threads = []int{-1}
		}
		results, err = bench.Run(context.Background(), cases, cfg)
		if err != nil {
			return err
		}
		if !*native {
			kept := results[:0]
			for _, r := range results {
				if !strings.HasPrefix(r.Runtime, "native") {
					kept = append(kept, r)
				}
			}
			results = kept
		}
	}
	for _, f := range strings.Split(*merge, ",") {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var more []bench.Result
		if err := json.Unmarshal(b, &more); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		results = append(results, more...)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.MkdirAll(filepath.Dir(*jsonOut), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout)
	return bench.Table(stdout, cases, results)
}

// writeSuiteDir writes every case's model as DIR/<case>.wnn and an index.
func writeSuiteDir(dir string, cases []*bench.Case, stdout io.Writer) error {
	type entry struct {
		*bench.Case
		File   string  `json:"file"`
		Inputs []input `json:"inputs"`
		Output string  `json:"output"`
	}
	var index []entry
	for _, c := range cases {
		m, err := c.Build()
		if err != nil {
			return err
		}
		b, err := m.Encode()
		if err != nil {
			return err
		}
		file := strings.ReplaceAll(c.Name, "/", "__") + ".wnn"
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, file), b); err != nil {
			return err
		}
		e := entry{Case: c, File: file, Output: m.Outputs[0]}
		for _, in := range m.Inputs {
			e.Inputs = append(e.Inputs, input{Name: in.Name, Shape: in.Shape})
		}
		index = append(index, e)
	}
	b, _ := json.MarshalIndent(index, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d cases to %s\n", len(index), dir)
	return nil
}

type input struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}
