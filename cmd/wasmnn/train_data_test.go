package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/runtime"
)

// writeLabelsNPY writes labels as an int64 .npy file.
func writeLabelsNPY(t *testing.T, path string, labels []int64) {
	t.Helper()
	dict := fmt.Sprintf("{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }", len(labels))
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	b = append(append(b, dict...), '\n')
	for _, v := range labels {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// halvesNPY writes n 1x32x32 inputs of two classes (bright left or right
// half, with noise) and their labels.
func halvesNPY(t *testing.T, dir string, n int) (string, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*32*32)
	labels := make([]int64, n)
	for i := range labels {
		labels[i] = int64(i % 2)
		for p := 0; p < 32*32; p++ {
			v := 0.2 * rng.Float32()
			if (p%32 < 16) == (labels[i] == 0) {
				v += 1.5
			}
			x[i*1024+p] = v
		}
	}
	xp, yp := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := npy.WriteFile(xp, []int{n, 1, 32, 32}, x); err != nil {
		t.Fatal(err)
	}
	writeLabelsNPY(t, yp, labels)
	return xp, yp
}

// shapePNG draws a dark shape on white, as someone would: a horizontal bar
// ("bar"), a vertical bar ("pole") or a hollow box ("box"), at a random
// place and size.
func shapePNG(t *testing.T, path, shape string, rng *rand.Rand) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	cx, cy := 20+rng.IntN(7)-3, 20+rng.IntN(7)-3
	r := 9 + rng.IntN(6)
	w := 2 + rng.IntN(2)
	for y := 0; y < 40; y++ {
		for x := 0; x < 40; x++ {
			dx, dy := x-cx, y-cy
			in := false
			switch shape {
			case "bar":
				in = abs(dx) <= r && abs(dy) < w
			case "pole":
				in = abs(dy) <= r && abs(dx) < w
			case "box":
				in = abs(dx) <= r && abs(dy) <= r && (abs(dx) > r-w || abs(dy) > r-w)
			}
			if in {
				img.SetGray(x, y, color.Gray{Y: 20})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func abs(v int) int { return max(v, -v) }

// shapeDir writes perClass PNGs of each shape, one folder per shape.
func shapeDir(t *testing.T, perClass int) string {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []string{"pole", "bar", "box"} {
		for i := 0; i < perClass; i++ {
			shapePNG(t, filepath.Join(dir, s, fmt.Sprintf("%02d.png", i)), s, rng)
		}
	}
	return dir
}

func loadWNN(t *testing.T, path string) *runtime.Model {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func quietProgress(t *testing.T) {
	progressOut = io.Discard
	t.Cleanup(func() { progressOut = os.Stderr })
}

// TestTrainNPY trains LeNet-5 from scratch on .npy inputs and labels with a
// new 2-class head and a held-out split.
func TestTrainNPY(t *testing.T) {
	quietProgress(t)
	dir := t.TempDir()
	xp, yp := halvesNPY(t, dir, 60)
	out := filepath.Join(dir, "halves.wnn")
	code, stdout, stderr := wasmnn("train", "lenet5", "--images", xp, "--labels", yp, "--classes", "2", "--epochs", "3",
		"--batch", "8", "--shift", "0", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"60 examples, 12 held out (every 5-th of each class, seed 1)", "new 2-class head fc3", "held-out accuracy: ", "/12 = ", "recall", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	m := loadWNN(t, out)
	acc, err := strconv.ParseFloat(m.Meta.Extra["test_accuracy"], 64)
	if err != nil || acc < 0.9 || !reflect.DeepEqual(m.Meta.Labels, []string{"0", "1"}) || m.Meta.Extra["architecture"] != "lenet5" {
		t.Errorf("accuracy %v (%v), meta %+v", acc, err, m.Meta)
	}
	if !strings.Contains(m.Meta.Description, "x.npy and "+yp) {
		t.Errorf("description %q", m.Meta.Description)
	}
}

// TestTrainImageDir fine-tunes the shipped LeNet-5 on a folder of drawn
// shapes: a new 3-class head named after the folders, conv1 and conv2
// frozen, and classify reads the new classes.
func TestTrainImageDir(t *testing.T) {
	quietProgress(t)
	dir := shapeDir(t, 20)
	out := filepath.Join(t.TempDir(), "shapes.wnn")
	code, stdout, stderr := wasmnn("train", shippedModel, "--images", dir, "--classes", "3", "--freeze", "conv1,conv2",
		"--epochs", "6", "--batch", "8", "--holdout", "4", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"(bar, box, pole): 60 examples, 15 held out (every 4-th of each class, seed 1)", "frozen conv1,conv2", "/15 = ", "true\\pred bar"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	m := loadWNN(t, out)
	src := loadWNN(t, shippedModel)
	if !reflect.DeepEqual(m.Meta.Labels, []string{"bar", "box", "pole"}) || !reflect.DeepEqual(m.Meta.Preprocess, src.Meta.Preprocess) ||
		m.Meta.Extra["frozen"] != "conv1,conv2" || m.Meta.Extra["fine_tuned_from"] != "lenet5.wnn" {
		t.Errorf("meta %+v", m.Meta)
	}
	for _, name := range []string{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"} {
		a, b := m.Weights[name].Data, src.Weights[name].Data
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("frozen %s changed", name)
			}
		}
	}
	if !reflect.DeepEqual(m.Weights["fc3.weight"].Shape, []int{3, 84}) {
		t.Errorf("head %v", m.Weights["fc3.weight"].Shape)
	}
	acc, err := strconv.ParseFloat(m.Meta.Extra["test_accuracy"], 64)
	if err != nil || acc < 0.8 {
		t.Errorf("held-out accuracy %v (%v)", acc, err)
	}
	// classify reads a new drawing with the new labels.
	img := filepath.Join(t.TempDir(), "box.png")
	shapePNG(t, img, "box", rand.New(rand.NewPCG(9, 9)))
	code, js, stderr := wasmnn("classify", out, img, "--json", "--top", "1")
	var preds []classifyResult
	if code != 0 || json.Unmarshal([]byte(js), &preds) != nil || len(preds) != 1 {
		t.Fatalf("classify: exit %d %s %s", code, js, stderr)
	}
	if preds[0].Label != "box" || !preds[0].Inverted {
		t.Errorf("classified %+v", preds[0])
	}
}

// TestTrainDataErrors checks that bad data is refused with a message naming
// the file, class or example before anything trains.
func TestTrainDataErrors(t *testing.T) {
	quietProgress(t)
	dir := t.TempDir()
	xp, yp := halvesNPY(t, dir, 6)
	out := filepath.Join(dir, "m.wnn")
	short := filepath.Join(dir, "short.npy")
	writeLabelsNPY(t, short, []int64{0, 1, 0})
	big := filepath.Join(dir, "big.npy")
	writeLabelsNPY(t, big, []int64{0, 1, 0, 12, 1, 0})
	x28 := filepath.Join(dir, "x28.npy")
	if err := npy.WriteFile(x28, []int{6, 1, 28, 28}, make([]float32, 6*28*28)); err != nil {
		t.Fatal(err)
	}
	notNPY := filepath.Join(dir, "labels.csv")
	os.WriteFile(notNPY, []byte("0,1,0,1,0,1\n"), 0o644)

	shapes := shapeDir(t, 2)
	emptyClass := shapeDir(t, 2)
	os.Mkdir(filepath.Join(emptyClass, "star"), 0o755)
	unreadable := shapeDir(t, 2)
	bad := filepath.Join(unreadable, "box", "03.png")
	os.WriteFile(bad, []byte("GIF89a but not really"), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"count_mismatch", []string{"--images", xp, "--labels", short}, 1, xp + " holds 6 images but " + short + " holds 3 labels"},
		{"label_out_of_range", []string{"--images", xp, "--labels", big}, 1, "example 3 has label 12; the model has 10 classes (--classes K gives the model a new head of K classes)"},
		{"label_out_of_range_classes", []string{"--images", xp, "--labels", big, "--classes", "3"}, 1, "has label 12; the model has 3 classes"},
		{"wrong_shape", []string{"--images", x28, "--labels", yp}, 1, `the examples are [1 28 28] but the model's input "input" takes [1 32 32]`},
		{"labels_not_npy", []string{"--images", xp, "--labels", notNPY}, 1, notNPY + ": npy: invalid file: not a .npy file"},
		{"missing_labels", []string{"--images", xp}, 2, "needs --labels Y.npy"},
		{"labels_without_images", []string{"--labels", yp}, 2, "--labels goes with --images"},
		{"labels_with_dir", []string{"--images", shapes, "--labels", yp}, 2, "drop --labels"},
		{"missing_images", []string{"--images", filepath.Join(dir, "none.npy"), "--labels", yp}, 1, "none.npy: no such file"},
		{"empty_class_folder", []string{"--images", emptyClass, "--classes", "4"}, 1, filepath.Join(emptyClass, "star") + ": empty class folder"},
		{"unreadable_image", []string{"--images", unreadable, "--classes", "3"}, 1, bad + ": imageprep: invalid image"},
		{"class_count", []string{"--images", shapes}, 1, "has 3 classes (bar, box, pole) but the model outputs 10: add --classes 3"},
		{"classes_vs_folders", []string{"--images", shapes, "--classes", "4"}, 2, "--classes 4, but " + shapes + " has 3 class folders"},
		{"unknown_freeze", []string{"--images", shapes, "--classes", "3", "--freeze", "conv1,convX"}, 1, `cannot freeze "convX": the model has no such node`},
		{"freeze_relu", []string{"--images", shapes, "--classes", "3", "--freeze", "relu1"}, 1, `cannot freeze "relu1": a Relu node has no weights`},
		{"freeze_empty_name", []string{"--freeze", "conv1,,fc1"}, 2, "empty layer name"},
		{"holdout_1", []string{"--images", shapes, "--holdout", "1"}, 2, "--holdout must be 0 (none) or at least 2"},
		{"classes_1", []string{"--images", shapes, "--classes", "1"}, 2, "--classes must be at least 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := wasmnn(append([]string{"train", shippedModel, "-o", out}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if !strings.HasPrefix(lines[0], "wasmnn train: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("first line %q lacks %q", lines[0], tc.want)
			}
			if strings.Contains(stdout, "training ") {
				t.Errorf("training started:\n%s", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

// TestTrainHelp checks that --help states the held-out rule.
func TestTrainHelp(t *testing.T) {
	code, stdout, _ := wasmnn("train", "--help")
	for _, want := range []string{"--holdout", "every K-th example of each class", "--freeze", "--classes", "--images", "--labels"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q (exit %d):\n%s", want, code, stdout)
		}
	}
}
