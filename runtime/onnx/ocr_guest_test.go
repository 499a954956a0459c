package onnx

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// TestPaddleOCRModelsWasm loads each converted PaddleOCR model, with its
// symbolic dimensions, once in the wasm build under wazero and runs it at
// several shapes (the classifier at batch 1 and 2, the detector at two page
// sizes, the recogniser at three widths), requiring the native outputs bit
// for bit: one session plans per shape on both sides.
func TestPaddleOCRModelsWasm(t *testing.T) {
	dir := ocrDir(t)
	g := wasmGuest(t)
	if g == nil {
		t.Skip("no wasm guest under -short")
	}
	cases := []struct {
		file   string
		shapes [][]int
	}{
		{"ch_ppocr_mobile_v2.0_cls_infer.onnx", [][]int{{1, 3, 48, 192}, {2, 3, 48, 192}}},
		{"ch_PP-OCRv4_det_infer.onnx", [][]int{{1, 3, 160, 224}, {1, 3, 96, 320}}},
		{"ch_PP-OCRv4_rec_infer.onnx", [][]int{{1, 3, 48, 160}, {2, 3, 48, 320}, {1, 3, 48, 96}}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := Import(b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			enc, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			gm, err := g.Load(enc, host.LoadOptions{})
			if err != nil {
				t.Fatalf("wasm load: %v", err)
			}
			defer gm.Dispose()
			sess, err := runtime.NewSession(m, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, shape := range c.shapes {
				rng := rand.New(rand.NewPCG(uint64(i), 29))
				x, _ := ops.NewTensor(shape...)
				for j := range x.Data {
					x.Data[j] = rng.Float32()*2 - 1
				}
				in := map[string]*ops.Tensor{m.Inputs[0].Name: x}
				want, err := sess.Run(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := gm.Run(context.Background(), in)
				if err != nil {
					t.Fatalf("%v: wasm run: %v", shape, err)
				}
				for name, w := range want {
					gt := got[name]
					if gt == nil || !ops.EqualShapes(gt.Shape, w.Shape) {
						t.Fatalf("%v: wasm output %q missing or of the wrong shape", shape, name)
					}
					for k := range w.Data {
						if math.Float32bits(gt.Data[k]) != math.Float32bits(w.Data[k]) {
							t.Fatalf("%v: wasm output %q[%d] = %v, native %v", shape, name, k, gt.Data[k], w.Data[k])
						}
					}
					t.Logf("input %v: output %q %v bit for bit in wasm", shape, name, w.Shape)
				}
			}
		})
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
