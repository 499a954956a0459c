package host

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/internal/wasmtest"
	wrt "github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/imageprep"
	"github.com/wasmnn/wasmnn/runtime/train"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// newWasmnn starts wasmnn.wasm with opts.
func newWasmnn(t *testing.T, opts ...Option) *Host {
	t.Helper()
	if testing.Short() {
		t.Skip("needs wasmnn.wasm")
	}
	wasm, err := wasmtest.Module()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := New(ctx, wasm, append([]Option{WithCompilationCacheDir(wasmtest.CacheDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(ctx) })
	return h
}

// shippedLeNet reads demo/models/lenet5.wnn.
func shippedLeNet(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "demo", "models", "lenet5.wnn"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bars draws n images of three classes on white, dark ink at a random
// place: a horizontal bar, a vertical bar, a filled square, of several
// sizes.
func bars(n int, seed uint64) ([]RGBA, []train.LabeledImage, []int) {
	rng := rand.New(rand.NewPCG(seed, 2))
	var raw []RGBA
	var imgs []train.LabeledImage
	var labels []int
	for i := 0; i < n; i++ {
		c := i % 3
		w, h := 24+rng.IntN(20), 24+rng.IntN(20)
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for p := range img.Pix {
			img.Pix[p] = 255
		}
		x0, y0 := rng.IntN(w/3), rng.IntN(h/3)
		bw, bh := w/2, h/2
		switch c {
		case 0:
			bh = 3 + rng.IntN(3)
		case 1:
			bw = 3 + rng.IntN(3)
		}
		for y := y0; y < y0+bh; y++ {
			for x := x0; x < x0+bw; x++ {
				img.SetNRGBA(x, y, color.NRGBA{A: 255})
			}
		}
		raw = append(raw, RGBA{Pix: img.Pix, Width: w, Height: h})
		imgs = append(imgs, train.LabeledImage{Name: "drawing", Image: img, Label: c})
		labels = append(labels, c)
	}
	return raw, imgs, labels
}

// tensors returns n random LeNet-5 inputs and labels in [0, classes).
func tensors(n, classes int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n*32*32)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % classes
	}
	return x, y
}

// nativeTrain trains model (file bytes, or zoo arch when arch is set) on
// data natively with o and threads, returning the trained model and its
// held-out evaluation.
func nativeTrain(t *testing.T, file []byte, arch string, data *train.Data, o train.Options, threads int) (*wrt.Model, *train.Evaluation) {
	t.Helper()
	var m *wrt.Model
	var err error
	if arch != "" {
		m, err = zoo.Build(arch, zoo.Config{Seed: o.Seed})
	} else {
		m, err = wrt.Load(file)
	}
	if err != nil {
		t.Fatal(err)
	}
	o.Threads = threads
	job, err := train.Prepare(m, data, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := job.Trainer.Fit(ctx, job.Train); err != nil {
		t.Fatal(err)
	}
	var ev *train.Evaluation
	if job.HeldOut != nil {
		if ev, err = job.Trainer.Evaluate(ctx, job.HeldOut); err != nil {
			t.Fatal(err)
		}
	}
	return m, ev
}

// sameWeights reports the first weight of a whose bits differ in b.
func sameWeights(a, b *wrt.Model) string {
	if len(a.Weights) != len(b.Weights) {
		return "the weight count"
	}
	for name, w := range a.Weights {
		v := b.Weights[name]
		if v == nil || len(v.Data) != len(w.Data) {
			return name
		}
		for i := range w.Data {
			if math.Float32bits(w.Data[i]) != math.Float32bits(v.Data[i]) {
				return name
			}
		}
	}
	return ""
}

// TestTrainSameAsNative trains in wasmnn.wasm under wazero (1 and 2 kernel
// threads) and natively (1 and 3 threads) with the same model, data,
// options and seed: the same weights bit for bit, the same held-out
// evaluation and labels. The cases cover fine-tuning the shipped LeNet-5
// with a new head and a frozen layer on RGBA images preprocessed in the
// guest, tensors with SGD, and a zoo architecture from its seed; the
// guest's run is sliced into calls of a few steps.
func TestTrainSameAsNative(t *testing.T) {
	lenet := shippedLeNet(t)
	pp := func() *wrt.Preprocess {
		m, err := wrt.Load(lenet)
		if err != nil {
			t.Fatal(err)
		}
		return m.Meta.Preprocess
	}()
	rgba, imgs, imgLabels := bars(36, 1)
	names := []string{"across", "down", "block"}
	imgData, err := train.FromImages(imgs, names, pp, imageprep.InvertAuto)
	if err != nil {
		t.Fatal(err)
	}
	x, y := tensors(30, 10, 4)
	base := train.Options{Epochs: 2, Batch: 8, LR: 2e-3, Optimizer: "adam", WeightDecay: 1e-4, Shift: 2, Seed: 5, Holdout: 4}
	for _, tc := range []struct {
		name   string
		file   []byte
		arch   string
		guest  TrainData
		native *train.Data
		edit   func(*train.Options)
		head   string
	}{
		{"finetune_rgba", lenet, "", TrainData{RGBA: rgba, Labels: imgLabels, ClassNames: names}, imgData,
			func(o *train.Options) { o.Classes = 3; o.Freeze = []string{"conv1"} }, "fc3"},
		{"tensors_sgd", lenet, "", TrainData{Images: x, Labels: y}, &train.Data{Images: x, Shape: []int{1, 32, 32}, Labels: y},
			func(o *train.Options) { o.Optimizer = "sgd"; o.Shift = 0; o.Batch = 7 }, ""},
		{"zoo_arch", nil, "lenet5", TrainData{Images: x, Labels: y}, &train.Data{Images: x, Shape: []int{1, 32, 32}, Labels: y},
			func(o *train.Options) { o.Holdout = 0; o.Epochs = 1 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			want, wantEv := nativeTrain(t, tc.file, tc.arch, tc.native, o, 1)
			if m, _ := nativeTrain(t, tc.file, tc.arch, tc.native, o, 3); sameWeights(want, m) != "" {
				t.Fatalf("native training with 3 threads differs in %s", sameWeights(want, m))
			}
			init, err := wrt.Load(tc.file)
			if tc.arch != "" {
				init, err = zoo.Build(tc.arch, zoo.Config{Seed: o.Seed})
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.head == "" && sameWeights(want, init) == "" {
				t.Fatal("training did not change the weights")
			}
			for _, threads := range []int{1, 2} {
				h := newWasmnn(t, WithThreads(threads))
				ctx := context.Background()
				var tr *Trainer
				if tc.arch != "" {
					tr, err = h.StartTrainingArch(ctx, strings.ToUpper(tc.arch), tc.guest, o)
				} else {
					tr, err = h.StartTraining(ctx, tc.file, tc.guest, o)
				}
				if err != nil {
					t.Fatal(err)
				}
				if tr.Info.Head != tc.head || tr.Info.Examples != tc.native.Len() || tr.Info.Classes != len(want.Meta.Labels) && len(want.Meta.Labels) > 0 {
					t.Errorf("info %+v", tr.Info)
				}
				slices := 0
				p, err := tr.Run(ctx, 3, func(TrainProgress) { slices++ })
				if err != nil {
					t.Fatal(err)
				}
				if !p.Done || p.Step != p.Steps || p.Steps != tr.Info.Steps || slices != (p.Steps+2)/3 || len(p.Stats) != o.Epochs {
					t.Errorf("progress %+v after %d slices", p, slices)
				}
				file, err := tr.Save(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got, err := wrt.Load(file)
				if err != nil {
					t.Fatal(err)
				}
				if w := sameWeights(want, got); w != "" {
					t.Errorf("%d guest threads: weight %s differs from native training", threads, w)
				}
				if !reflect.DeepEqual(got.Meta.Labels, want.Meta.Labels) || got.Meta.Extra["weights"] != "trained" {
					t.Errorf("labels %v, want %v; extra %v", got.Meta.Labels, want.Meta.Labels, got.Meta.Extra)
				}
				ev, err := tr.Evaluate(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(ev, wantEv) {
					t.Errorf("evaluation %+v, native %+v", ev, wantEv)
				}
				if err := tr.Dispose(); err != nil {
					t.Fatal(err)
				}
				if _, err := tr.Step(ctx, 1, 0); err == nil || !strings.Contains(err.Error(), "does not exist") {
					t.Errorf("a step after Dispose: %v", err)
				}
			}
		})
	}
}

// TestTrainBadData checks that the guest refuses bad data and options
// before any trainer exists, naming the example or class, and keeps
// working.
func TestTrainBadData(t *testing.T) {
	h := newWasmnn(t)
	ctx := context.Background()
	lenet := shippedLeNet(t)
	x, y := tensors(6, 3, 1)
	rgba, _, rl := bars(6, 2)
	o := train.Options{Epochs: 1, Batch: 4, LR: 1e-3, Optimizer: "adam", Seed: 1}
	with := func(edit func(*train.Options)) train.Options {
		c := o
		edit(&c)
		return c
	}
	for _, tc := range []struct {
		name  string
		model any
		data  TrainData
		o     train.Options
		want  string
	}{
		{"counts", lenet, TrainData{Images: x, Labels: y[:5]}, o, "6 images but 5 labels"},
		{"partial_example", lenet, TrainData{Images: x[:len(x)-1], Labels: y}, o, "6143 image values are not a whole number of [1 32 32] examples"},
		{"label_range", lenet, TrainData{Images: x, Labels: []int{0, 1, 2, 0, 10, 1}}, o, "example 4 has label 10; the model has 10 classes"},
		{"negative_label", lenet, TrainData{Images: x, Labels: []int{0, 1, -2, 0, 1, 1}}, o, "example 2 has label -2"},
		{"label_new_head", lenet, TrainData{Images: x, Labels: []int{0, 1, 2, 0, 3, 1}}, with(func(o *train.Options) { o.Classes = 3 }), "example 4 has label 3; the model has 3 classes"},
		{"empty_class", lenet, TrainData{Images: x, Labels: []int{0, 1, 0, 0, 1, 1}}, with(func(o *train.Options) { o.Classes = 3 }), "class 2 has no training examples"},
		{"empty_image_class", lenet, TrainData{RGBA: rgba, Labels: []int{0, 1, 0, 1, 0, 1}, ClassNames: []string{"a", "b", "c"}},
			with(func(o *train.Options) { o.Classes = 3 }), `class 2 ("c") has no images`},
		{"rgba_short", lenet, TrainData{RGBA: append([]RGBA{{Pix: rgba[0].Pix[:10], Width: rgba[0].Width, Height: rgba[0].Height}}, rgba[1:]...), Labels: rl},
			with(func(o *train.Options) { o.Classes = 3 }), "bytes of RGBA, only"},
		{"rgba_counts", lenet, TrainData{RGBA: rgba, Labels: rl[:4]}, o, "6 images but 4 labels"},
		{"non_finite", lenet, TrainData{Images: append(append([]float32(nil), x[:3*1024+7]...), append([]float32{float32(math.Inf(1))}, x[3*1024+8:]...)...), Labels: y},
			o, "example 3 has a non-finite value +Inf (at offset 7"},
		{"class_names", lenet, TrainData{Images: x, Labels: y, ClassNames: []string{"a", "b"}}, with(func(o *train.Options) { o.Classes = 3 }), "2 class names for 3 classes"},
		{"lr", lenet, TrainData{Images: x, Labels: y}, with(func(o *train.Options) { o.LR = 0 }), "lr must be in (0, 10], not 0"},
		{"optimizer", lenet, TrainData{Images: x, Labels: y}, with(func(o *train.Options) { o.Optimizer = "lion" }), `optimizer must be adam or sgd, not "lion"`},
		{"freeze", lenet, TrainData{Images: x, Labels: y}, with(func(o *train.Options) { o.Freeze = []string{"pool1"} }), `cannot freeze "pool1": a MaxPool node has no weights`},
		{"not_a_model", []byte("hello, world"), TrainData{Images: x, Labels: y}, o, "bad model"},
		{"unknown_arch", "lenet6", TrainData{Images: x, Labels: y}, o, `unknown architecture "lenet6"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.startTraining(ctx, tc.model, tc.data, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	res, err := h.callAPI(ctx, "memory")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.Get("trainers").(float64); n != 0 {
		t.Errorf("%v trainers left after the errors", n)
	}
	tr, err := h.StartTraining(ctx, lenet, TrainData{Images: x, Labels: y}, o)
	if err != nil {
		t.Fatalf("after the errors: %v", err)
	}
	if p, err := tr.Run(ctx, 100, nil); err != nil || !p.Done || p.Steps != 2 {
		t.Errorf("after the errors: %+v, %v", p, err)
	}
	if _, err := tr.Step(ctx, 0, 0); err == nil {
		t.Error("maxSteps 0 was taken")
	}
	if p, err := tr.Step(ctx, 1, 0); err != nil || p.Step != 2 {
		t.Errorf("a step after the last: %+v, %v", p, err)
	}
}
