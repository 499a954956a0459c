package zoo_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// TestPublishedFigures checks every architecture's parameter count exactly and
// its multiply-adds against the published figure (given to 2 decimals in G).
func TestPublishedFigures(t *testing.T) {
	for _, name := range zoo.Names() {
		t.Run(name, func(t *testing.T) {
			a, _ := zoo.Get(name)
			m, err := a.Build(zoo.Config{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := runtime.Summarize(m, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.TotalParams != a.PublishedParams {
				t.Errorf("params %d, published %d", sum.TotalParams, a.PublishedParams)
			}
			gmacs := float64(sum.TotalMACs) / 1e9
			tol := 0.005 + 1e-9
			if name == "lenet5" {
				tol = 0.0000005
			}
			if math.Abs(gmacs-a.PublishedGMACs) > tol {
				t.Errorf("GMACs %.7f, published %g", gmacs, a.PublishedGMACs)
			}
			if out := sum.Outputs[0].Shape; !ops.EqualShapes(out, []int{1, a.Classes}) {
				t.Errorf("output shape %v", out)
			}
			t.Logf("%s: %d params, %.3f GMACs, %.3f GFLOPs, peak activations %.1f MiB, %d layers",
				name, sum.TotalParams, gmacs, float64(sum.TotalFLOPs)/1e9, float64(sum.PeakActivationBytes)/(1<<20), len(sum.Layers))
		})
	}
}

// reduced input sizes keep the float64 reference quick.
var reduced = map[string]int{"lenet5": 32, "alexnet": 67, "vgg16": 32, "googlenet": 64,
	"resnet18": 64, "resnet34": 48, "resnet50": 64}

// TestForwardAgainstReference runs every architecture (at a reduced input
// size, batch 2) through a Session and through the float64 reference
// interpreter, which runs the graph node by node without fusion.
func TestForwardAgainstReference(t *testing.T) {
	for _, name := range zoo.Names() {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name != "lenet5" && name != "resnet18" {
				t.Skip("short")
			}
			m, err := zoo.Build(name, zoo.Config{Seed: 7, Batch: 2, InputSize: reduced[name]})
			if err != nil {
				t.Fatal(err)
			}
			sess, err := runtime.NewSession(m, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := sess.Inputs()[0]
			rng := rand.New(rand.NewPCG(3, 4))
			x := make([]float32, 1)
			x = x[:0]
			for i := 0; i < ops.ShapeSize(in.Shape); i++ {
				x = append(x, rng.Float32()*2-1)
			}
			out, err := sess.Run(context.Background(), map[string]*ops.Tensor{in.Name: {Shape: in.Shape, Data: x}})
			if err != nil {
				t.Fatal(err)
			}
			want, err := reftest.Eval(m, map[string][]float64{in.Name: toF64(x)})
			if err != nil {
				t.Fatal(err)
			}
			name := sess.Outputs()[0].Name
			got := out[name].Data
			abs, rel := errStats(got, want[name])
			t.Logf("max abs error %.3g, relative to output scale %.3g", abs, rel)
			if rel > 2e-5 {
				t.Fatalf("relative error %.3g > 2e-5", rel)
			}
		})
	}
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func errStats(got []float32, want []float64) (float64, float64) {
	scale, maxAbs := 0.0, 0.0
	for i, w := range want {
		scale = math.Max(scale, math.Abs(w))
		d := math.Abs(float64(got[i]) - w)
		if d != d {
			return math.Inf(1), math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, d)
	}
	return maxAbs, maxAbs / scale
}

func TestUnknownArchitecture(t *testing.T) {
	if _, err := zoo.Build("resnet9000", zoo.Config{}); err == nil {
		t.Fatal("no error")
	}
	if _, err := zoo.Build("lenet5", zoo.Config{InputSize: -3}); err == nil {
		t.Fatal("no error for a negative input size")
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	a, _ := zoo.Build("resnet18", zoo.Config{Seed: 5})
	b, _ := zoo.Build("resnet18", zoo.Config{Seed: 5})
	c, _ := zoo.Build("resnet18", zoo.Config{Seed: 6})
	ea, _ := a.Encode()
	eb, _ := b.Encode()
	ec, _ := c.Encode()
	if string(ea) != string(eb) {
		t.Fatal("same seed gave different files")
	}
	if string(ea) == string(ec) {
		t.Fatal("different seeds gave the same file")
	}
}

// TestSteadyStateRunAllocatesNothing runs whole networks (every conv
// algorithm the planner picks for them: im2col, Winograd, direct) through
// RunInto on one thread and requires zero allocations per run.
func TestSteadyStateRunAllocatesNothing(t *testing.T) {
	for _, name := range []string{"resnet18", "googlenet", "lenet5"} {
		t.Run(name, func(t *testing.T) {
			m, err := zoo.Build(name, zoo.Config{Seed: 1, InputSize: reduced[name]})
			if err != nil {
				t.Fatal(err)
			}
			sess, err := runtime.NewSession(m, runtime.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*ops.Tensor{}
			for _, vi := range sess.Inputs() {
				in[vi.Name], _ = ops.NewTensor(vi.Shape...)
			}
			out := map[string]*ops.Tensor{}
			for _, vi := range sess.Outputs() {
				out[vi.Name], _ = ops.NewTensor(vi.Shape...)
			}
			ctx := context.Background()
			if err := sess.RunInto(ctx, in, out); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(3, func() { _ = sess.RunInto(ctx, in, out) }); n != 0 {
				t.Errorf("%v allocations per run", n)
			}
		})
	}
}
