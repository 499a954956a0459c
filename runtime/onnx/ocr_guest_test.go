package onnx

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
)

// TestPaddleOCRRecognizerWasm runs the converted PP-OCRv4 recogniser (with
// its symbolic batch and width generalised) in the wasm build under wazero
// at several batches and widths and requires the native outputs bit for bit.
func TestPaddleOCRRecognizerWasm(t *testing.T) {
	dir := ocrDir(t)
	g := wasmGuest(t)
	if g == nil {
		t.Skip("no wasm guest under -short")
	}
	b, err := os.ReadFile(filepath.Join(dir, "ch_PP-OCRv4_rec_infer.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Import(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, shape := range [][]int{{1, 3, 48, 160}, {2, 3, 48, 320}} {
		rng := rand.New(rand.NewPCG(uint64(i), 29))
		x, _ := ops.NewTensor(shape...)
		for j := range x.Data {
			x.Data[j] = rng.Float32()*2 - 1
		}
		in := map[string]*ops.Tensor{m.Inputs[0].Name: x}
		// The converted graph at this shape (the file's representative shape
		// replaced): its generalised attributes resolve as for any size.
		spec := *m
		spec.Inputs = []runtime.ValueInfo{{Name: m.Inputs[0].Name, Shape: shape}}
		want := runNative(t, &spec, in)
		guestMatches(t, g, &spec, in, want)
		for name, w := range want {
			t.Logf("input %v: output %q %v matches bit for bit in wasm", shape, name, w.Shape)
		}
	}
}

// TestPaddleOCRRecognizerReference checks the converted recogniser (its
// Slices, attention MatMuls and fused LayerNorms included) against the
// float64 reference interpreter.
func TestPaddleOCRRecognizerReference(t *testing.T) {
	dir := ocrDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "ch_PP-OCRv4_rec_infer.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Import(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	shape := []int{1, 3, 48, 96}
	rng := rand.New(rand.NewPCG(3, 29))
	x, _ := ops.NewTensor(shape...)
	for j := range x.Data {
		x.Data[j] = rng.Float32()*2 - 1
	}
	spec := *m
	spec.Inputs = []runtime.ValueInfo{{Name: m.Inputs[0].Name, Shape: shape}}
	got := runNative(t, &spec, map[string]*ops.Tensor{m.Inputs[0].Name: x})
	want, err := reftest.Eval(&spec, map[string][]float64{m.Inputs[0].Name: ref.To64(x.Data)})
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		worst, scale := 0.0, 0.0
		for j := range w {
			worst = math.Max(worst, math.Abs(float64(got[k].Data[j])-w[j]))
			scale = math.Max(scale, math.Abs(w[j]))
		}
		t.Logf("output %q %v: max difference from the float64 reference %.3g of the output scale", k, got[k].Shape, worst/scale)
		if worst > 1e-5*scale {
			t.Errorf("output %q differs from the float64 reference by %.3g of the output scale", k, worst/scale)
		}
	}
}
