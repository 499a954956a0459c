package onnx

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
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
