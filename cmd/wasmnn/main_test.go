package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// wasmnn runs the CLI in-process and returns its exit code, stdout and stderr.
func wasmnn(args ...string) (int, string, string) {
	var out, errw bytes.Buffer
	code := run(args, &out, &errw)
	return code, out.String(), errw.String()
}

func TestSummaryJSONMatchesPublished(t *testing.T) {
	for _, name := range []string{"resnet50", "lenet5"} {
		code, out, stderr := wasmnn("summary", name, "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var sum struct {
			Name        string `json:"name"`
			TotalParams int64  `json:"total_params"`
			TotalFLOPs  int64  `json:"total_flops"`
			TotalMACs   int64  `json:"total_macs"`
			Inputs      []struct {
				Name  string `json:"name"`
				Shape []int  `json:"shape"`
			} `json:"inputs"`
			Layers []struct {
				Name string `json:"name"`
				Algo string `json:"algo"`
			} `json:"layers"`
		}
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatal(err)
		}
		a, _ := zoo.Get(name)
		if sum.TotalParams != a.PublishedParams || sum.Name != name || len(sum.Layers) == 0 || sum.TotalFLOPs < 2*sum.TotalMACs {
			t.Errorf("%s summary: %+v", name, sum)
		}
		if len(sum.Inputs) != 1 || sum.Inputs[0].Name != "input" {
			t.Errorf("inputs %+v", sum.Inputs)
		}
	}
}

func TestBuildRunAndClassify(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "lenet5.wnn")
	if code, _, stderr := wasmnn("build", "lenet5", "-o", model, "--seed", "4"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	code, out, stderr := wasmnn("summary", model)
	if code != 0 || !strings.Contains(out, "61,706") || !strings.Contains(out, "conv1") {
		t.Fatalf("summary exit %d: %s %s", code, out, stderr)
	}
	x := make([]float32, 32*32)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	in := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(in, []int{1, 1, 32, 32}, x); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	code, out, stderr = wasmnn("run", model, "--input", "input="+in, "--out", outDir, "--algo", "direct")
	if code != 0 {
		t.Fatalf("run: %s", stderr)
	}
	if !strings.Contains(out, "top-5[0]") {
		t.Errorf("no top-5 line: %s", out)
	}
	shape, y1, err := npy.ReadFile(filepath.Join(outDir, "fc3.npy"))
	if err != nil || len(shape) != 2 || shape[1] != 10 {
		t.Fatalf("output %v %v", shape, err)
	}
	// The im2col algorithm gives the same classes (values agree to rounding).
	if code, _, stderr = wasmnn("run", model, "--input", in, "--out", outDir, "--algo", "im2col"); code != 0 {
		t.Fatalf("run im2col: %s", stderr)
	}
	_, y2, _ := npy.ReadFile(filepath.Join(outDir, "fc3.npy"))
	for i := range y1 {
		if d := y1[i] - y2[i]; d > 1e-4 || d < -1e-4 {
			t.Errorf("direct and im2col differ at %d: %v vs %v", i, y1[i], y2[i])
		}
	}
	// classify a drawn vertical bar.
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := 0; y < 28; y++ {
		for x := 0; x < 28; x++ {
			img.SetGray(x, y, color.Gray{255})
			if x >= 12 && x <= 15 && y >= 4 && y <= 23 {
				img.SetGray(x, y, color.Gray{0})
			}
		}
	}
	pngPath := filepath.Join(dir, "one.png")
	f, _ := os.Create(pngPath)
	png.Encode(f, img)
	f.Close()
	code, out, stderr = wasmnn("classify", model, pngPath, "--top", "2", "--json")
	if code != 0 {
		t.Fatalf("classify: %s", stderr)
	}
	var preds []struct {
		Label       string  `json:"label"`
		Index       int     `json:"index"`
		Probability float64 `json:"probability"`
	}
	if err := json.Unmarshal([]byte(out), &preds); err != nil || len(preds) != 2 || preds[0].Probability < preds[1].Probability {
		t.Fatalf("classify output %q: %v", out, err)
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.wnn")
	os.WriteFile(junk, []byte("this is not a model"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"summary"}, 2, "want one MODEL"},
		{[]string{"summary", "nosuchmodel"}, 1, "neither a model file nor a zoo architecture"},
		{[]string{"summary", junk}, 1, "junk.wnn"},
		{[]string{"summary", filepath.Join(dir, "missing.wnn")}, 1, "no such file"},
		{[]string{"summary", "lenet5", "--algo", "winograd9"}, 2, "winograd9"},
		{[]string{"build", "lenet5"}, 2, "-o FILE"},
		{[]string{"run", "lenet5"}, 2, "--input"},
		{[]string{"run", "lenet5", "--input", "input=" + filepath.Join(dir, "none.npy")}, 1, "none.npy"},
		{[]string{"run", "lenet5", "--input", "input=" + junk}, 1, "input"},
		{[]string{"classify", "lenet5", junk}, 1, "junk.wnn"},
		{[]string{"summary", "lenet5", "--bogus"}, 2, "bogus"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := wasmnn(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr has a Go trace: %s", stderr)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines > 2 {
				t.Errorf("%d lines on stderr: %s", lines, stderr)
			}
		})
	}
}

func TestZooList(t *testing.T) {
	code, out, _ := wasmnn("zoo")
	if code != 0 {
		t.Fatal(code)
	}
	for _, name := range zoo.Names() {
		if !strings.Contains(out, name) {
			t.Errorf("zoo list lacks %s", name)
		}
	}
}

func TestSummaryReadsONNX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lenet5.onnx")
	if code, _, stderr := wasmnn("export", "lenet5", "-o", path); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	code, out, stderr := wasmnn("summary", path)
	if code != 0 {
		t.Fatalf("summary of an .onnx file: %s", stderr)
	}
	if !strings.Contains(out, "61,706") || !strings.Contains(out, "fused when converted") {
		t.Errorf("summary:\n%s", out)
	}
}

// TestRunInWasm runs a model natively and inside wasmnn.wasm under wazero
// (run --wasm) and requires the same bits.
func TestRunInWasm(t *testing.T) {
	wasm, err := wasmtest.Module()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wasmPath := filepath.Join(dir, "wasmnn.wasm")
	if err := os.WriteFile(wasmPath, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "r18.wnn")
	if code, _, stderr := wasmnn("build", "resnet18", "--input-size", "32", "-o", model); code != 0 {
		t.Fatal(stderr)
	}
	x := make([]float32, 3*32*32)
	for i := range x {
		x[i] = float32(i%13)/13 - 0.5
	}
	in := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(in, []int{1, 3, 32, 32}, x); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{"native", "wasm"} {
		args := []string{"run", model, "--input", in, "--out", filepath.Join(dir, out)}
		if out == "wasm" {
			args = append(args, "--wasm", wasmPath)
		}
		if code, _, stderr := wasmnn(args...); code != 0 {
			t.Fatalf("%s: %s", out, stderr)
		}
	}
	_, a, err1 := npy.ReadFile(filepath.Join(dir, "native", "fc.npy"))
	_, b, err2 := npy.ReadFile(filepath.Join(dir, "wasm", "fc.npy"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("fc[%d]: native %v, wasm %v", i, a[i], b[i])
		}
	}
	if code, _, stderr := wasmnn("run", model, "--input", in, "--wasm", filepath.Join(dir, "missing.wasm")); code != 1 || !strings.Contains(stderr, "make wasm") {
		t.Errorf("missing wasm: exit %d, %s", code, stderr)
	}
}
