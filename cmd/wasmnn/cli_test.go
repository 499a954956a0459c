package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
)

// TestHelp asks every command for help three ways: each lists the command's
// usage, every flag it defines with its default, and an example, on stdout,
// with exit status 0.
func TestHelp(t *testing.T) {
	// Flags that must be findable (issue 14), beyond "every flag".
	must := map[string][]string{
		"train":    {"--data DIR", "--limit", "--quiet", "--shift", "--weight-decay", "--threads", "(default 20)", "(default 0.0001)"},
		"bench":    {"--warmup", "--algo ALGO", "--native", "(default 7)", "(default 2)"},
		"classify": {"--invert auto|yes|no", "(default auto)", "--top", "(default 3)"},
		"run":      {"--input NAME=FILE.npy", "--algo ALGO", "winograd", "--threads", "--wasm FILE"},
		"serve":    {"--addr HOST:PORT", "(default 127.0.0.1:8080)", "(default demo)"},
		"build":    {"-o FILE", "--seed", "(default 1)"},
		"export":   {"-o FILE", "--seed", "(default 1)"},
	}
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}, {c.name, "x", "--help"}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, stderr := wasmnn(args...)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				for _, want := range append([]string{"usage: wasmnn " + c.name, c.help, "example:\n  wasmnn " + c.name}, must[c.name]...) {
					if !strings.Contains(out, want) {
						t.Errorf("help lacks %q:\n%s", want, out)
					}
				}
				// Every flag the command defines is listed.
				fs := flagsOf(t, c)
				fs.VisitAll(func(f *flag.Flag) {
					name := "--" + f.Name
					if len(f.Name) == 1 {
						name = "-" + f.Name
					}
					if !strings.Contains(out, "  "+name) {
						t.Errorf("help lacks flag %s:\n%s", name, out)
					}
				})
			})
		}
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no arguments", nil, 2, "", "usage: wasmnn COMMAND"},
		{"-h", []string{"-h"}, 0, "wasmnn COMMAND -h", ""},
		{"--help", []string{"--help"}, 0, "usage: wasmnn COMMAND", ""},
		{"help", []string{"help"}, 0, "usage: wasmnn COMMAND", ""},
		{"help of an unknown command", []string{"help", "sumary"}, 2, "", "did you mean summary?"},
		{"help with two commands", []string{"help", "run", "zoo"}, 2, "", "want one COMMAND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := wasmnn(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, out, tc.stdout, stderr, tc.stderr)
			}
		})
	}
}

// flagsOf returns the flag set c's help printed, by asking for help.
func flagsOf(t *testing.T, c command) *flag.FlagSet {
	t.Helper()
	err := c.run([]string{"-h"}, io.Discard, io.Discard)
	hr, ok := err.(helpRequest)
	if !ok {
		t.Fatalf("%s -h returned %v, not a help request", c.name, err)
	}
	return hr.fs
}

// TestUsageErrors: every mistake in the command line exits 2 with the
// command's usage line, and suggests close names.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.wnn")
	if code, _, stderr := wasmnn("build", "lenet5", "-o", model); code != 0 {
		t.Fatal(stderr)
	}
	img := filepath.Join("testdata", "digits", "1401_7.png")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"typo of a command", []string{"sumary", "lenet5"}, `unknown command "sumary"; did you mean summary?`},
		{"transposed letters", []string{"clasify", "lenet5"}, "did you mean classify?"},
		{"command in capitals", []string{"Summary", "lenet5"}, "did you mean summary?"},
		{"prefix", []string{"conv", "x.onnx"}, "did you mean convert?"},
		{"unknown flag", []string{"run", model, "--bogus"}, "bogus"},
		{"negative threads in run", []string{"run", model, "--input", "x.npy", "--threads", "-3"}, "--threads must be >= 0"},
		{"negative threads in train", []string{"train", "lenet5", "-o", filepath.Join(dir, "t.wnn"), "--threads", "-3"}, "--threads must be >= 0"},
		{"unknown algorithm", []string{"run", model, "--input", "x.npy", "--algo", "winograd3"}, `unknown conv algorithm "winograd3"`},
		{"unknown per-layer algorithm", []string{"summary", model, "--algo", "conv1=fast"}, `unknown conv algorithm "fast"`},
		{"input size of a model file", []string{"summary", model, "--input-size", "64"}, "--input-size applies to zoo architectures only"},
		{"input size of a model file in export", []string{"export", model, "-o", filepath.Join(dir, "x.onnx"), "--input-size", "64"}, "--input-size applies to zoo architectures only"},
		{"seed of a model file in export", []string{"export", model, "-o", filepath.Join(dir, "x.onnx"), "--seed", "3"}, "--seed applies to zoo architectures only"},
		{"negative input size", []string{"build", "lenet5", "-o", filepath.Join(dir, "b.wnn"), "--input-size", "-1"}, "--input-size must be positive"},
		{"negative input size in summary", []string{"summary", "lenet5", "--input-size", "-8"}, "--input-size must be positive"},
		{"bad invert", []string{"classify", model, img, "--invert", "maybe"}, "--invert must be auto, yes or no"},
		{"bench reps", []string{"bench", "--reps", "0"}, "--reps must be at least 1"},
		{"bench warmup", []string{"bench", "--warmup", "-1"}, "--warmup must be >= 0"},
		{"bench algo", []string{"bench", "--algo", "fastest"}, `unknown conv algorithm "fastest"`},
		{"top", []string{"classify", model, img, "--top", "0"}, "--top must be at least 1"},
		{"missing output", []string{"build", "lenet5"}, "-o FILE"},
		{"extra argument", []string{"zoo", "more"}, "no arguments"},
		{"convert batch", []string{"convert", "x.onnx", "-o", "y.wnn", "--batch", "-1"}, "--batch must be at least 1"},
		{"flag value", []string{"run", model, "--threads", "many"}, "invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := wasmnn(tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines > 2 {
				t.Errorf("%d lines on stderr: %s", lines, stderr)
			}
		})
	}
}

// TestZooNames: zoo names in any case; close misspellings are suggested;
// zoo names give a random-weights warning where outputs are read.
func TestZooNames(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(x, []int{1, 1, 32, 32}, make([]float32, 32*32)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "l.wnn")
	if code, _, stderr := wasmnn("build", "LeNet5", "-o", file); code != 0 {
		t.Fatalf("build LeNet5: %s", stderr)
	}
	img := filepath.Join("testdata", "digits", "1401_7.png")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		want     string // in stderr
		warnings bool
	}{
		{"summary in capitals", []string{"summary", "LENET5"}, 0, "", false},
		{"run with a zoo name warns", []string{"run", "lenet5", "--input", x}, 0, "lenet5 is a zoo architecture with random weights (seed 1)", true},
		{"classify with a zoo name warns", []string{"classify", "LeNet5", img}, 0, "lenet5 is a zoo architecture with random weights", true},
		{"run with a file does not warn", []string{"run", file, "--input", x}, 0, "", false},
		{"classify with a file does not warn", []string{"classify", file, img}, 0, "", false},
		{"misspelt zoo name", []string{"summary", "resnet19"}, 1, "did you mean resnet18?", false},
		{"misspelt architecture in build", []string{"build", "lenet", "-o", filepath.Join(dir, "y.wnn")}, 1, "did you mean lenet5?", false},
		{"far from every name", []string{"summary", "transformer"}, 1, "neither a model file nor a zoo architecture (wasmnn zoo", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := wasmnn(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, stderr, tc.want)
			}
			if got := strings.Contains(stderr, "random weights"); got != tc.warnings {
				t.Errorf("warning %v, want %v: %q", got, tc.warnings, stderr)
			}
			if tc.want == "neither a model file nor a zoo architecture (wasmnn zoo" && strings.Contains(stderr, "did you mean") {
				t.Errorf("suggested a far name: %q", stderr)
			}
		})
	}
}

// TestDefaultSeed: a zoo name in run, build and export all mean the same
// weights (seed 1).
func TestDefaultSeed(t *testing.T) {
	dir := t.TempDir()
	x := make([]float32, 32*32)
	for i := range x {
		x[i] = float32(i%11) / 11
	}
	in := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(in, []int{1, 1, 32, 32}, x); err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{"build", "lenet5", "-o", filepath.Join(dir, "default.wnn")},
		{"build", "lenet5", "-o", filepath.Join(dir, "seed1.wnn"), "--seed", "1"},
		{"export", "lenet5", "-o", filepath.Join(dir, "default.onnx")},
		{"export", filepath.Join(dir, "seed1.wnn"), "-o", filepath.Join(dir, "seed1.onnx")},
		{"run", "lenet5", "--input", in, "--out", filepath.Join(dir, "zoo")},
		{"run", filepath.Join(dir, "seed1.wnn"), "--input", in, "--out", filepath.Join(dir, "file")},
		{"run", filepath.Join(dir, "default.onnx"), "--input", in, "--out", filepath.Join(dir, "onnx")},
	}
	for _, args := range steps {
		if code, _, stderr := wasmnn(args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	same := func(a, b string) {
		t.Helper()
		x, err1 := os.ReadFile(filepath.Join(dir, a))
		y, err2 := os.ReadFile(filepath.Join(dir, b))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s and %s differ (%v, %v)", a, b, err1, err2)
		}
	}
	same("default.wnn", "seed1.wnn")
	same("default.onnx", "seed1.onnx")
	same("zoo/fc3.npy", "file/fc3.npy")
	_, a, _ := npy.ReadFile(filepath.Join(dir, "zoo", "fc3.npy"))
	_, b, _ := npy.ReadFile(filepath.Join(dir, "onnx", "fc3.npy"))
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			t.Fatalf("zoo and exported ONNX differ at %d: %v vs %v", i, a[i], b[i])
		}
	}
}

// TestOutputFiles: written files are 0644 and errors name the target path,
// never the temporary file.
func TestOutputFiles(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"build", "lenet5", "-o", filepath.Join(dir, "a.wnn")},
		{"export", "lenet5", "-o", filepath.Join(dir, "a.onnx")},
		{"convert", filepath.Join(dir, "a.onnx"), "-o", filepath.Join(dir, "b.wnn")},
	} {
		if code, _, stderr := wasmnn(args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
		st, err := os.Stat(args[len(args)-1])
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", args[len(args)-1], st.Mode().Perm())
		}
	}
	missing := filepath.Join(dir, "no", "such", "dir", "x.wnn")
	for _, tc := range []struct {
		name, target string
		want         string
	}{
		{"missing directory", missing, "no such file or directory"},
		{"target is a directory", dir, "it is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := wasmnn("build", "lenet5", "-o", tc.target)
			if code != 1 || !strings.Contains(stderr, "cannot write "+tc.target+": "+tc.want) {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			if strings.Contains(stderr, ".wasmnn-") {
				t.Errorf("stderr names the temporary file: %q", stderr)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".wasmnn-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestServeErrors: one "serve:" in a serve error, and the directory named.
func TestServeErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nodemo")
	code, _, stderr := wasmnn("serve", "--dir", missing, "--addr", "127.0.0.1:0")
	if code != 1 || strings.Count(stderr, "serve:") != 1 || !strings.Contains(stderr, missing) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestAlgoWinograd: --algo winograd runs the best Winograd variant on every
// layer it applies to (winograd4 on wide outputs, winograd2 on tiny ones)
// and the planner's choice elsewhere; per layer it must apply.
func TestAlgoWinograd(t *testing.T) {
	code, out, stderr := wasmnn("summary", "resnet18", "--input-size", "32", "--algo", "winograd", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var sum struct {
		Layers []struct {
			Name, Op, Algo string
			Output         []int `json:"output_shape"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range sum.Layers {
		count[l.Algo]++
		if l.Algo == "winograd" {
			t.Errorf("layer %s kept the alias", l.Name)
		}
	}
	// ResNet-18 at 32x32: 3x3 stride-1 convs at 8x8, 4x4 and 2x2 (stage 4:
	// 1x1) outputs; the stem and strided convs are not Winograd.
	if count["winograd4"] == 0 || count["winograd2"] == 0 || count["im2col"]+count["direct"] == 0 {
		t.Errorf("algorithms %v: want winograd4, winograd2 and others", count)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(in, []int{1, 1, 32, 32}, make([]float32, 32*32)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		algo string
		code int
		want string
	}{
		{"model-wide on LeNet-5 (5x5: not Winograd)", "winograd", 0, ""},
		{"per layer where it does not apply", "conv1=winograd", 1, `conv algorithm "winograd" does not apply`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := wasmnn("run", "lenet5", "--input", in, "--algo", tc.algo)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestRunUnknownInput: the message names the key and the model's inputs.
func TestRunUnknownInput(t *testing.T) {
	in := filepath.Join(t.TempDir(), "x.npy")
	if err := npy.WriteFile(in, []int{1, 1, 32, 32}, make([]float32, 32*32)); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := wasmnn("run", "lenet5", "--input", "image="+in)
	if code != 1 || !strings.Contains(stderr, `unknown input "image" (the model's inputs: "input")`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// invertPNG writes 255 - v of the PNG at src to dst.
func invertPNG(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.SetGray(x, y, color.Gray{Y: 255 - color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestClassifyInvert classifies the ten held-out digits (dark ink on white)
// and the same digits inverted (MNIST style, light on dark) with the shipped
// model: --invert auto reads both right and says which it used; forcing the
// wrong polarity is what --invert yes/no are for.
func TestClassifyInvert(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(digitsDir, "*.png"))
	if len(files) != 10 {
		t.Fatalf("%d digit PNGs", len(files))
	}
	sort.Strings(files)
	dir := t.TempDir()
	type pred struct {
		Label       string  `json:"label"`
		Index       int     `json:"index"`
		Probability float64 `json:"probability"`
		Inverted    *bool   `json:"inverted"`
	}
	classify := func(t *testing.T, path string, extra ...string) []pred {
		t.Helper()
		code, out, stderr := wasmnn(append([]string{"classify", shippedModel, path, "--json", "--top", "2"}, extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var ps []pred
		if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps) != 2 || ps[0].Inverted == nil {
			t.Fatalf("output %q: %v", out, err)
		}
		return ps
	}
	wrongForced := 0
	for _, path := range files {
		base := strings.TrimSuffix(filepath.Base(path), ".png")
		_, label, _ := strings.Cut(base, "_")
		mnistStyle := filepath.Join(dir, base+"_mnist.png")
		invertPNG(t, path, mnistStyle)
		for _, tc := range []struct {
			name, path, mode string
			inverted         bool
		}{
			{"paper/auto", path, "auto", true},
			{"mnist/auto", mnistStyle, "auto", false},
			{"paper/yes", path, "yes", true},
			{"mnist/no", mnistStyle, "no", false},
		} {
			t.Run(base+"/"+tc.name, func(t *testing.T) {
				ps := classify(t, tc.path, "--invert", tc.mode)
				if *ps[0].Inverted != tc.inverted || *ps[1].Inverted != tc.inverted {
					t.Errorf("inverted %v, want %v", *ps[0].Inverted, tc.inverted)
				}
				if ps[0].Label != label {
					t.Errorf("classified as %s (%.1f%%), want %s", ps[0].Label, 100*ps[0].Probability, label)
				}
			})
		}
		// The old behaviour (the model's flag applied blindly) on MNIST-style
		// images: --invert yes. It is mostly wrong, which is why auto exists.
		if ps := classify(t, mnistStyle, "--invert", "yes"); ps[0].Label != label {
			wrongForced++
		}
	}
	if wrongForced < 5 {
		t.Errorf("only %d of 10 MNIST-style digits misread when inverted anyway: the test images do not exercise the polarity", wrongForced)
	}
	// The text output says what was done.
	for _, tc := range []struct{ args, want string }{
		{files[0], "inverted: yes (auto: dark on light)"},
		{filepath.Join(dir, strings.TrimSuffix(filepath.Base(files[0]), ".png")+"_mnist.png"), "inverted: no (auto: already bright on dark)"},
	} {
		code, out, stderr := wasmnn("classify", shippedModel, tc.args)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("exit %d, stdout %q (want %q), stderr %q", code, out, tc.want, stderr)
		}
	}
}

// TestNpyCommand writes .npy tensors of a shape and rejects bad values.
func TestNpyCommand(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		shape []int
		first float32 // the first value, or -1 for "in [0, 1)"
	}{
		{"random", []string{"--shape", "1,3,4,5"}, 0, []int{1, 3, 4, 5}, -1},
		{"ones", []string{"--shape", "2,2", "--fill", "ones"}, 0, []int{2, 2}, 1},
		{"zeros", []string{"--shape", "7", "--fill", "zeros"}, 0, []int{7}, 0},
		{"no shape", nil, 2, nil, 0},
		{"bad dimension", []string{"--shape", "1,0,3"}, 2, nil, 0},
		{"bad fill", []string{"--shape", "1", "--fill", "noise"}, 2, nil, 0},
		{"too large", []string{"--shape", "65536,65536"}, 2, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".npy")
			code, _, stderr := wasmnn(append([]string{"npy", path}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if code != 0 {
				return
			}
			shape, data, err := npy.ReadFile(path)
			if err != nil || len(shape) != len(tc.shape) {
				t.Fatalf("%v %v", shape, err)
			}
			for i := range shape {
				if shape[i] != tc.shape[i] {
					t.Fatalf("shape %v, want %v", shape, tc.shape)
				}
			}
			for _, v := range data {
				if (tc.first < 0 && (v < 0 || v >= 1)) || (tc.first >= 0 && v != tc.first) {
					t.Fatalf("value %v", v)
				}
			}
		})
	}
}
