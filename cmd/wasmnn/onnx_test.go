package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/runtime/onnx"
)

// TestONNXExportConvertRun exports a zoo model, converts the ONNX file back
// and runs both: the outputs must be identical.
func TestONNXExportConvertRun(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "lenet5.wnn")
	onnxPath := filepath.Join(dir, "lenet5.onnx")
	conv := filepath.Join(dir, "converted.wnn")
	if code, _, stderr := wasmnn("build", "lenet5", "-o", orig, "--seed", "3"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	code, out, stderr := wasmnn("export", orig, "-o", onnxPath)
	if code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("export exit %d: %s %s", code, out, stderr)
	}
	code, out, stderr = wasmnn("convert", onnxPath, "-o", conv)
	if code != 0 {
		t.Fatalf("convert exit %d: %s", code, stderr)
	}
	for _, want := range []string{"ONNX opset 17", "relu1 fused into conv1", "wrote " + conv} {
		if !strings.Contains(out, want) {
			t.Errorf("convert output lacks %q:\n%s", want, out)
		}
	}
	x := make([]float32, 32*32)
	for i := range x {
		x[i] = float32(i%11)/5 - 1
	}
	in := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(in, []int{1, 1, 32, 32}, x); err != nil {
		t.Fatal(err)
	}
	var results [][]float32
	for i, model := range []string{orig, conv} {
		outDir := filepath.Join(dir, "out", string(rune('a'+i)))
		if code, _, stderr := wasmnn("run", model, "--input", "input="+in, "--out", outDir); code != 0 {
			t.Fatalf("run %s: %s", model, stderr)
		}
		_, y, err := npy.ReadFile(filepath.Join(outDir, "fc3.npy"))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, y)
	}
	for i := range results[0] {
		if results[0][i] != results[1][i] {
			t.Fatalf("converted model output %d = %v, original %v", i, results[1][i], results[0][i])
		}
	}
	// --json reports the same conversion.
	code, out, _ = wasmnn("convert", onnxPath, "-o", conv, "--json")
	var rep onnx.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Opset != 17 || len(rep.Fused) != 4 {
		t.Fatalf("json report (exit %d): %s", code, out)
	}
	// A symbolic batch dimension takes --batch.
	b, err := os.ReadFile(onnxPath)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := onnx.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	pm.Graph.Inputs[0].Shape[0] = onnx.Dim{Param: "N"}
	dyn := filepath.Join(dir, "dynamic.onnx")
	os.WriteFile(dyn, pm.Encode(), 0o644)
	if code, _, stderr := wasmnn("convert", dyn, "-o", conv, "--batch", "3"); code != 0 {
		t.Fatalf("convert --batch: %s", stderr)
	}
	code, out, _ = wasmnn("summary", conv, "--json")
	var sum struct {
		Inputs []struct{ Shape []int } `json:"inputs"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &sum) != nil || len(sum.Inputs) != 1 || sum.Inputs[0].Shape[0] != 3 {
		t.Errorf("--batch 3 not applied: %s", out)
	}
}

// TestONNXConvertErrors checks that failed conversions print one clear line
// and leave no output file.
func TestONNXConvertErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.onnx")
	if code, _, stderr := wasmnn("export", "lenet5", "-o", good); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.onnx")
	os.WriteFile(truncated, b[:len(b)/3], 0o644)
	onnxNamedWNN := filepath.Join(dir, "really-onnx.wnn") // the bytes decide, not the name
	os.WriteFile(onnxNamedWNN, b, 0o644)
	pm, err := onnx.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	g := pm.Graph
	last := g.Outputs[0].Name
	g.Nodes = append(g.Nodes,
		&onnx.Node{Name: "resize1", OpType: "GridSample", Inputs: []string{last}, Outputs: []string{"r1"}},
		&onnx.Node{Name: "topk", OpType: "TopK", Inputs: []string{"r1"}, Outputs: []string{"r2"}})
	g.Outputs[0].Name = "r2"
	unsupported := filepath.Join(dir, "unsupported.onnx")
	os.WriteFile(unsupported, pm.Encode(), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no-output-flag", []string{"convert", good}, 2, []string{"-o FILE.wnn"}},
		{"missing-file", []string{"convert", filepath.Join(dir, "nope.onnx"), "-o", filepath.Join(dir, "x.wnn")}, 1, []string{"no such file"}},
		{"truncated", []string{"convert", truncated, "-o", filepath.Join(dir, "x.wnn")}, 1, []string{"truncated.onnx", "malformed ONNX model"}},
		{"unsupported", []string{"convert", unsupported, "-o", filepath.Join(dir, "x.wnn")}, 1, []string{`GridSample (node "resize1")`, `TopK (node "topk")`, "opset 17"}},
		{"bad-input-shape", []string{"convert", good, "-o", filepath.Join(dir, "x.wnn"), "--input-shape", "input=1,x"}, 2, []string{"bad dimension"}},
		{"unknown-input", []string{"convert", good, "-o", filepath.Join(dir, "x.wnn"), "--input-shape", "nosuch=1,1,32,32"}, 1, []string{"nosuch"}},
		{"export-no-output", []string{"export", "lenet5"}, 2, []string{"-o FILE.onnx"}},
		{"convert-a-wnn", []string{"convert", "../../demo/models/lenet5.wnn", "-o", filepath.Join(dir, "x.wnn")}, 1, []string{"is a .wnn model already"}},
		{"convert-text", []string{"convert", "../../README.md", "-o", filepath.Join(dir, "x.wnn")}, 1, []string{"this is a text file", "# wasmnn"}},
		{"summary-text", []string{"summary", "../../README.md"}, 1, []string{"README.md: this is a text file, not a .wnn or ONNX model"}},
		{"summary-onnx-named-wnn", []string{"summary", onnxNamedWNN}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := wasmnn(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, stderr)
				}
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
				t.Errorf("error is not one line (plus usage): %q", stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "x.wnn")); err == nil {
				t.Errorf("a failed conversion wrote its output file")
			}
		})
	}
}
