package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// rgbClassifier is a small 3-channel image classifier: 8x8 RGB input
// normalised per channel, a convolution, global pooling and softmax over 4
// classes.
func rgbClassifier() *runtime.Model {
	w := make([]float32, 4*3*3*3)
	for i := range w {
		w[i] = float32(i%5)/5 - 0.35
	}
	return &runtime.Model{
		Inputs:  []runtime.ValueInfo{{Name: "image", Shape: []int{1, 3, 8, 8}}},
		Outputs: []string{"prob"},
		Weights: map[string]*ops.Tensor{"w": {Shape: []int{4, 3, 3, 3}, Data: w}},
		Nodes: []*runtime.Node{
			{Name: "conv", Op: "Conv", Inputs: []string{"image", "w"}, Outputs: []string{"c"}},
			{Name: "gap", Op: "GlobalAveragePool", Inputs: []string{"c"}, Outputs: []string{"g"}},
			{Name: "flat", Op: "Flatten", Inputs: []string{"g"}, Outputs: []string{"f"}},
			{Name: "softmax", Op: "Softmax", Inputs: []string{"f"}, Outputs: []string{"prob"}},
		},
		Meta: runtime.Meta{Name: "rgb", Labels: []string{"r", "g", "b", "k"},
			Preprocess: &runtime.Preprocess{Width: 8, Height: 8, Channels: 3, Mean: []float32{0.5, 0.4, 0.3},
				Std: []float32{0.2, 0.25, 0.3}, Layout: "NCHW"}},
	}
}

func encodeImage(f *testing.F, format string, img image.Image) []byte {
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzClassifyImage runs `wasmnn classify MODEL IMAGE --json` in process on
// arbitrary image bytes with a 1-channel (LeNet-5, inverted and padded) and
// a 3-channel model. Images must either be classified (top 3 of the model's
// classes, probabilities in [0, 1] and sorted) or refused with exit code 1
// and a message naming the image; a panic or a usage error fails.
func FuzzClassifyImage(f *testing.F) {
	dir := f.TempDir()
	var models []string
	for i, m := range []*runtime.Model{mustZoo(f, "lenet5"), rgbClassifier()} {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		path := filepath.Join(dir, []string{"gray.wnn", "rgb.wnn"}[i])
		if err := os.WriteFile(path, b, 0o644); err != nil {
			f.Fatal(err)
		}
		models = append(models, path)
	}
	digit, err := os.ReadFile(filepath.Join("testdata", "digits", "0_0.png"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(digit, false)
	f.Add(digit, true)
	small := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := range small.Pix {
		small.Pix[i] = uint8(i * 37)
	}
	for _, format := range []string{"png", "jpeg", "gif"} {
		f.Add(encodeImage(f, format, small), true)
	}
	tall := image.NewGray(image.Rect(0, 0, 1, 40))
	tall.SetGray(0, 3, color.Gray{Y: 200})
	f.Add(encodeImage(f, "png", tall), false)
	f.Add(digit[:len(digit)/2], false)
	f.Add([]byte("GIF89a\xff\xff\xff\xff"), true)
	f.Add([]byte{}, false)
	imgPath := filepath.Join(dir, "image")
	f.Fuzz(func(t *testing.T, data []byte, rgb bool) {
		if err := os.WriteFile(imgPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		model := models[0]
		classes := 10
		if rgb {
			model, classes = models[1], 4
		}
		start := time.Now()
		code, out, stderr := wasmnn("classify", model, imgPath, "--json")
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("classify took %v", d)
		}
		switch code {
		case 0:
			var preds []struct {
				Label       string  `json:"label"`
				Index       int     `json:"index"`
				Probability float64 `json:"probability"`
			}
			if err := json.Unmarshal([]byte(out), &preds); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			if len(preds) != 3 {
				t.Fatalf("%d predictions, want 3", len(preds))
			}
			sum := 0.0
			for i, p := range preds {
				if p.Index < 0 || p.Index >= classes || math.IsNaN(p.Probability) || p.Probability < 0 || p.Probability > 1 ||
					(i > 0 && p.Probability > preds[i-1].Probability) {
					t.Fatalf("prediction %d: %+v (all: %+v)", i, p, preds)
				}
				sum += p.Probability
			}
			if sum > 1+1e-6 {
				t.Fatalf("top 3 probabilities sum to %g", sum)
			}
		case 1:
			if strings.Contains(stderr, "internal error") {
				t.Fatalf("a panic escaped: %s", stderr)
			}
			if !strings.Contains(stderr, imgPath) {
				t.Fatalf("the error does not name the image: %s", stderr)
			}
		default:
			t.Fatalf("exit code %d: %s", code, stderr)
		}
	})
}

func mustZoo(f *testing.F, name string) *runtime.Model {
	m, err := zoo.Build(name, zoo.Config{Seed: 5})
	if err != nil {
		f.Fatal(err)
	}
	return m
}
