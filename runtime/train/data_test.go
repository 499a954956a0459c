package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// npyF32 encodes a float32 .npy file.
func npyF32(t testing.TB, shape []int, data []float32) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := npy.Write(&b, shape, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// npyInts encodes integers as a .npy file of dtype descr ('<i8', '<i4',
// '|u1', '<f4' or '<f8').
func npyInts(descr string, shape []int, vals []float64) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, tuple)
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	b = append(append(b, dict...), '\n')
	for _, v := range vals {
		switch descr {
		case "<i8":
			b = binary.LittleEndian.AppendUint64(b, uint64(int64(v)))
		case "<i4":
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		case "|u1":
			b = append(b, uint8(v))
		case "<f4":
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		case "<f8":
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

// ramp returns n values 0, 1/n, ...
func ramp(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i) / float32(n)
	}
	return x
}

func TestFromNPY(t *testing.T) {
	x := ramp(3 * 1 * 4 * 4)
	for _, descr := range []string{"<i8", "<i4", "|u1", "<f4", "<f8"} {
		t.Run(descr, func(t *testing.T) {
			d, err := FromNPY(npyF32(t, []int{3, 1, 4, 4}, x), npyInts(descr, []int{3}, []float64{2, 0, 1}))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Shape, []int{1, 4, 4}) || !reflect.DeepEqual(d.Labels, []int{2, 0, 1}) || !reflect.DeepEqual(d.Images, x) || d.Classes != nil {
				t.Errorf("got %+v", d)
			}
		})
	}
	t.Run("NxHxW_and_Nx1_labels", func(t *testing.T) {
		d, err := FromNPY(npyF32(t, []int{3, 4, 4}, x), npyInts("<i8", []int{3, 1}, []float64{2, 0, 1}))
		if err != nil || !reflect.DeepEqual(d.Shape, []int{1, 4, 4}) || d.Len() != 3 {
			t.Errorf("%+v, %v", d, err)
		}
	})
}

// TestBadData checks that every kind of bad data gives an ErrData error
// naming the array, the file, the class or the example at fault, before any
// training step.
func TestBadData(t *testing.T) {
	x := ramp(2 * 1 * 4 * 4)
	labels := npyInts("<i8", []int{2}, []float64{0, 1})
	nan := ramp(2 * 16)
	nan[20] = float32(math.NaN())
	for _, tc := range []struct {
		name           string
		images, labels []byte
		want           string
	}{
		{"counts", npyF32(t, []int{2, 1, 4, 4}, x), npyInts("<i8", []int{3}, []float64{0, 1, 1}), "images holds 2 images but labels holds 3 labels"},
		{"negative_label", npyF32(t, []int{2, 1, 4, 4}, x), npyInts("<i8", []int{2}, []float64{0, -1}), "labels: label -1 of example 1"},
		{"fractional_label", npyF32(t, []int{2, 1, 4, 4}, x), npyInts("<f4", []int{2}, []float64{0, 1.5}), "labels: npy: invalid file: element 1 is 1.5"},
		{"label_matrix", npyF32(t, []int{2, 1, 4, 4}, x), npyInts("<i8", []int{1, 2}, []float64{0, 1}), "want N class indices"},
		{"images_rank2", npyF32(t, []int{2, 16}, x), labels, "images: shape [2 16]: want N x C x H x W"},
		{"images_not_npy", []byte("P5 4 4 255\n"), labels, "images: npy: invalid file"},
		{"labels_truncated", npyF32(t, []int{2, 1, 4, 4}, x), labels[:len(labels)-3], "labels: npy: invalid file: data is truncated"},
		{"non_finite", npyF32(t, []int{2, 1, 4, 4}, nan), labels, "example 1 has a non-finite value NaN (at offset 4"},
		{"no_examples", npyF32(t, []int{0, 1, 4, 4}, nil), npyInts("<i8", []int{0}, nil), "there are no examples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromNPY(tc.images, tc.labels)
			if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrData and %q", err, tc.want)
			}
		})
	}

	m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(m, Config{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	img := func(n int) []float32 { return make([]float32, n*32*32) }
	for _, tc := range []struct {
		name string
		d    *Data
		want string
	}{
		{"nil", nil, "no data"},
		{"no_shape", &Data{Images: img(1), Labels: []int{0}}, "no shape"},
		{"zero_dim", &Data{Images: img(1), Shape: []int{1, 0, 32}, Labels: []int{0}}, "dimension < 1"},
		{"ragged", &Data{Images: img(1)[:1000], Shape: []int{1, 32, 32}, Labels: []int{0}}, "1000 image values are not a whole number of [1 32 32] examples"},
		{"counts", &Data{Images: img(2), Shape: []int{1, 32, 32}, Labels: []int{0}}, "2 images but 1 labels"},
		{"label_range_model", &Data{Images: img(3), Shape: []int{1, 32, 32}, Labels: []int{0, 9, 10}}, "example 2 has label 10; the model has 10 classes"},
		{"label_range_classes", &Data{Images: img(2), Shape: []int{1, 32, 32}, Labels: []int{0, 3}, Classes: []string{"a", "b", "c"}}, "example 1 has label 3, outside [0, 3)"},
		{"negative_label", &Data{Images: img(2), Shape: []int{1, 32, 32}, Labels: []int{0, -2}}, "example 1 has label -2"},
		{"wrong_shape", &Data{Images: img(2)[:2*28*28], Shape: []int{1, 28, 28}, Labels: []int{0, 1}}, `the examples are [1 28 28] but the model's input "input" takes [1 32 32]`},
		{"wrong_channels", &Data{Images: make([]float32, 3*32*32), Shape: []int{3, 32, 32}, Labels: []int{0}}, "the examples are [3 32 32]"},
		{"class_count", &Data{Images: img(1), Shape: []int{1, 32, 32}, Labels: []int{0}, Classes: []string{"a", "b"}}, "the data has 2 classes but the model outputs 10: replace its head"},
		{"duplicate_class", &Data{Images: img(1), Shape: []int{1, 32, 32}, Labels: []int{0}, Classes: []string{"a", "a"}}, `classes 0 and 1 are both named "a"`},
		{"empty_class_name", &Data{Images: img(1), Shape: []int{1, 32, 32}, Labels: []int{0}, Classes: []string{"a", ""}}, "class 1 has an empty name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.Fit(context.Background(), tc.d)
			if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Fit: error %v, want ErrData and %q", err, tc.want)
			}
			if _, err := Evaluate(context.Background(), m, tc.d, 1); !errors.Is(err, ErrData) {
				t.Errorf("Evaluate: error %v, want ErrData", err)
			}
		})
	}

	pp := m.Meta.Preprocess
	white := image.NewGray(image.Rect(0, 0, 8, 8))
	for _, tc := range []struct {
		name    string
		images  []LabeledImage
		classes []string
		want    string
	}{
		{"empty_class", []LabeledImage{{"a/1.png", white, 0}}, []string{"a", "b"}, `class 1 ("b") has no images`},
		{"label_range", []LabeledImage{{"drawing 7", white, 2}}, []string{"a", "b"}, "drawing 7: label 2, outside [0, 2)"},
		{"nil_image", []LabeledImage{{"drawing 3", nil, 0}}, []string{"a", "b"}, "drawing 3: no image"},
		{"empty_image", []LabeledImage{{"drawing 4", image.NewGray(image.Rect(0, 0, 0, 5)), 0}}, []string{"a", "b"}, "drawing 4: imageprep: invalid image: image is empty"},
		{"no_classes", nil, nil, "there are no classes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromImages(tc.images, tc.classes, pp, imageprep.InvertAuto)
			if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrData and %q", err, tc.want)
			}
		})
	}
	if _, err := FromImages([]LabeledImage{{"x", white, 0}}, []string{"a"}, nil, imageprep.InvertAuto); err == nil || !strings.Contains(err.Error(), "no preprocessing metadata") {
		t.Errorf("no preprocessing: %v", err)
	}
}

// writePNG writes a w x h gray PNG of one value.
func writePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
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

func TestLoadImageDir(t *testing.T) {
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	pp := m.Meta.Preprocess
	dir := t.TempDir()
	// Classes sort by name: "circle" < "line" < "square".
	for i, c := range []string{"square", "circle", "line"} {
		for k := 0; k < 2+i; k++ {
			writePNG(t, filepath.Join(dir, c, fmt.Sprintf("%d.png", k)), 20+k, 30, uint8(40*k))
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 9, 9)), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "line", "x.JPG"), jb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "circle", ".DS_Store"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadImageDir(dir, pp, imageprep.InvertAuto)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Classes, []string{"circle", "line", "square"}) || !reflect.DeepEqual(d.Shape, []int{1, 32, 32}) {
		t.Fatalf("classes %v shape %v", d.Classes, d.Shape)
	}
	if want := []int{0, 0, 0, 1, 1, 1, 1, 1, 2, 2}; !reflect.DeepEqual(d.Labels, want) {
		t.Errorf("labels %v, want %v", d.Labels, want)
	}
	// Each image as classify would see it.
	f, err := os.Open(filepath.Join(dir, "line", "1.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageprep.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := imageprep.ToTensor(img, imageprep.Params{Width: pp.Width, Height: pp.Height, ContentWidth: pp.ContentWidth,
		ContentHeight: pp.ContentHeight, Channels: pp.Channels, Invert: imageprep.ResolveInvert(img, imageprep.InvertAuto, pp.Invert),
		Scale: pp.Scale, Mean: pp.Mean, Std: pp.Std})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Example(4), want) {
		t.Error("line/1.png is not the tensor classify makes of it")
	}

	bad := func(t *testing.T, setup func(dir string)) error {
		dir := t.TempDir()
		writePNG(t, filepath.Join(dir, "a", "1.png"), 8, 8, 0)
		writePNG(t, filepath.Join(dir, "b", "1.png"), 8, 8, 255)
		setup(dir)
		_, err := LoadImageDir(dir, pp, imageprep.InvertAuto)
		return err
	}
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"empty_class", func(dir string) { os.Mkdir(filepath.Join(dir, "c"), 0o755) }, filepath.Join("c") + ": empty class folder"},
		{"unreadable", func(dir string) { os.WriteFile(filepath.Join(dir, "b", "2.png"), []byte("not a png"), 0o644) }, filepath.Join("b", "2.png") + ": imageprep: invalid image: unrecognised image format"},
		{"truncated_png", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "a", "1.png"))
			os.WriteFile(filepath.Join(dir, "a", "0.png"), b[:len(b)/2], 0o644)
		}, filepath.Join("a", "0.png") + ": imageprep: invalid image"},
		{"other_file", func(dir string) { os.WriteFile(filepath.Join(dir, "a", "notes.txt"), []byte("hi"), 0o644) }, filepath.Join("a", "notes.txt") + ": not a .png, .jpg or .jpeg file"},
		{"loose_file", func(dir string) { os.WriteFile(filepath.Join(dir, "3.png"), []byte("x"), 0o644) }, "3.png: not a folder"},
		{"nested", func(dir string) { os.MkdirAll(filepath.Join(dir, "a", "more"), 0o755) }, filepath.Join("a", "more") + ": a folder inside class folder"},
		{"one_class", func(dir string) { os.RemoveAll(filepath.Join(dir, "b")) }, "has 1 class folders: a classifier needs at least two"},
		{"missing_dir", func(dir string) { os.RemoveAll(dir) }, "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := bad(t, tc.setup)
			if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrData and %q", err, tc.want)
			}
		})
	}
}

func TestLoadNPY(t *testing.T) {
	dir := t.TempDir()
	xp, yp := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := os.WriteFile(xp, npyF32(t, []int{2, 1, 2, 2}, ramp(8)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yp, npyInts("<i8", []int{3}, []float64{0, 1, 1}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNPY(xp, yp); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), xp+" holds 2 images but "+yp+" holds 3 labels") {
		t.Errorf("error %v", err)
	}
	if _, err := LoadNPY(xp, filepath.Join(dir, "none.npy")); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "none.npy") {
		t.Errorf("error %v", err)
	}
	if err := os.WriteFile(yp, npyInts("|u1", []int{2}, []float64{1, 0}), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadNPY(xp, yp)
	if err != nil || !reflect.DeepEqual(d.Labels, []int{1, 0}) {
		t.Errorf("%+v, %v", d, err)
	}
}

func TestSplit(t *testing.T) {
	// 3 classes of 10, 7 and 2 examples, interleaved.
	var labels []int
	for i := 0; i < 10; i++ {
		labels = append(labels, 0)
		if i < 7 {
			labels = append(labels, 1)
		}
		if i < 2 {
			labels = append(labels, 2)
		}
	}
	d := &Data{Images: ramp(len(labels)), Shape: []int{1}, Labels: labels}
	for i := range d.Images {
		d.Images[i] = float32(i) // each example's value is its index
	}
	tr, ho, err := Split(d, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	count := func(x *Data) [3]int {
		var c [3]int
		for _, y := range x.Labels {
			c[y]++
		}
		return c
	}
	if got := count(ho); got != [3]int{3, 2, 0} {
		t.Errorf("held out per class %v, want ⌊n/3⌋ = [3 2 0]", got)
	}
	if tr.Len()+ho.Len() != d.Len() {
		t.Fatalf("%d + %d examples of %d", tr.Len(), ho.Len(), d.Len())
	}
	seen := map[float32]bool{}
	for _, x := range []*Data{tr, ho} {
		for i := 0; i < x.Len(); i++ {
			v := x.Example(i)[0]
			if seen[v] || x.Labels[i] != labels[int(v)] || i > 0 && x.Example(i - 1)[0] >= v {
				t.Fatalf("example %v: repeated, relabelled or out of order", v)
			}
			seen[v] = true
		}
	}
	tr2, ho2, _ := Split(d, 3, 7)
	if !reflect.DeepEqual(tr, tr2) || !reflect.DeepEqual(ho, ho2) {
		t.Error("the same seed gave another split")
	}
	_, ho3, _ := Split(d, 3, 8)
	if reflect.DeepEqual(ho.Images, ho3.Images) {
		t.Error("seeds 7 and 8 gave the same split")
	}
	if _, _, err := Split(d, 1, 0); err == nil {
		t.Error("k = 1 accepted")
	}
}

func TestReplaceHead(t *testing.T) {
	m := shippedLeNet(t)
	old := weightsOf(m)
	name, err := ReplaceHead(m, 4, []string{"a", "b", "c", "d"}, 3)
	if err != nil || name != "fc3" {
		t.Fatalf("%q, %v", name, err)
	}
	w, b := m.Weights["fc3.weight"], m.Weights["fc3.bias"]
	if !reflect.DeepEqual(w.Shape, []int{4, 84}) || !reflect.DeepEqual(b.Shape, []int{4}) {
		t.Fatalf("shapes %v %v", w.Shape, b.Shape)
	}
	sum, sq := 0.0, 0.0
	for _, v := range w.Data {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	std := math.Sqrt(sq/float64(len(w.Data)) - (sum/float64(len(w.Data)))*(sum/float64(len(w.Data))))
	if want := math.Sqrt(2.0 / 84); math.Abs(std-want) > 0.25*want {
		t.Errorf("weight std %.4f, He %.4f", std, want)
	}
	for _, v := range b.Data {
		if math.Abs(float64(v)) > 1/math.Sqrt(84) {
			t.Errorf("bias %g outside ±1/sqrt(84)", v)
		}
	}
	for k, v := range old {
		if k != "fc3.weight" && k != "fc3.bias" && !sameBits(map[string][]float32{k: v}, map[string][]float32{k: m.Weights[k].Data}) {
			t.Errorf("%s changed", k)
		}
	}
	if !reflect.DeepEqual(m.Meta.Labels, []string{"a", "b", "c", "d"}) {
		t.Errorf("labels %v", m.Meta.Labels)
	}
	sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
	if err != nil || !reflect.DeepEqual(sess.Outputs()[0].Shape, []int{1, 4}) {
		t.Fatalf("session: %v", err)
	}
	// The same seed, the same head.
	m2 := shippedLeNet(t)
	ReplaceHead(m2, 4, nil, 3)
	if !sameBits(map[string][]float32{"w": w.Data}, map[string][]float32{"w": m2.Weights["fc3.weight"].Data}) {
		t.Error("the same seed gave another head")
	}
	if !reflect.DeepEqual(m2.Meta.Labels, []string{"0", "1", "2", "3"}) {
		t.Errorf("default labels %v", m2.Meta.Labels)
	}

	for _, tc := range []struct {
		name    string
		classes int
		labels  []string
		edit    func(m *runtime.Model)
		want    string
	}{
		{"one_class", 1, nil, nil, "at least 2 classes"},
		{"label_count", 3, []string{"a"}, nil, "1 labels for 3 classes"},
		{"softmax_output", 3, nil, func(m *runtime.Model) {
			m.Nodes = append(m.Nodes, &runtime.Node{Name: "sm", Op: "Softmax", Inputs: []string{m.Outputs[0]}, Outputs: []string{"sm"}})
			m.Outputs[0] = "sm"
		}, `node "sm" (Softmax): the output "sm" is computed through this node`},
		{"through_dropout", 3, nil, func(m *runtime.Model) {
			m.Nodes = append(m.Nodes, &runtime.Node{Name: "drop", Op: "Dropout", Inputs: []string{m.Outputs[0]}, Outputs: []string{"drop"},
				Attrs: map[string]any{"ratio": 0.1}})
			m.Outputs[0] = "drop"
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := shippedLeNet(t)
			if tc.edit != nil {
				tc.edit(m)
			}
			before := weightsOf(m)
			_, err := ReplaceHead(m, tc.classes, tc.labels, 1)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if !sameBits(before, weightsOf(m)) || len(m.Meta.Labels) != 10 {
				t.Error("a failed ReplaceHead changed the model")
			}
		})
	}
}
