package runtime_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
)

// dynamicNet is a small conv net whose input [N 3 6 W] has a symbolic batch
// and width; the representative shape is [1 3 6 8].
func dynamicNet(t *testing.T) *runtime.Model {
	t.Helper()
	b := runtime.NewBuilder("dyn", 5)
	x := b.Input("x", 1, 3, 6, 8)
	c := b.Conv("c", x, 4, runtime.ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, Bias: true})
	bn := b.BatchNorm("bn", c, 1e-5)
	r := b.Act("r", "Relu", bn, nil)
	p := b.Pool("p", "MaxPool", r, 2, 2, 0, true)
	g := b.GlobalAvgPool("g", p)
	f := b.Flatten("f", g)
	d := b.Dense("d", f, 5)
	b.Output(d, p)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	m.Inputs[0].Dims = []string{"N", "", "", "W"}
	return m
}

func withShape(m *runtime.Model, shape []int) *runtime.Model {
	c := *m
	c.Inputs = []runtime.ValueInfo{{Name: m.Inputs[0].Name, Shape: shape}}
	return &c
}

// TestDynamicShapes runs one session on inputs of several shapes and checks
// every output against the float64 reference planned for that shape.
func TestDynamicShapes(t *testing.T) {
	m := dynamicNet(t)
	sess, err := runtime.NewSession(m, runtime.Options{MaxPlans: 2})
	if err != nil {
		t.Fatal(err)
	}
	if in := sess.Inputs()[0]; in.ShapeString() != "[N 3 6 W]" || !in.Symbolic() {
		t.Errorf("input %+v (%s)", in, in.ShapeString())
	}
	rng := rand.New(rand.NewPCG(1, 1))
	shapes := [][]int{{1, 3, 6, 8}, {2, 3, 6, 13}, {3, 3, 6, 1}, {2, 3, 6, 13}, {1, 3, 6, 8}}
	for _, shape := range shapes {
		x := randTensor(rng, shape...)
		got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
		if err != nil {
			t.Fatalf("%v: %v", shape, err)
		}
		want, err := reftest.Eval(withShape(m, shape), map[string][]float64{"x": toF64(x.Data)})
		if err != nil {
			t.Fatal(err)
		}
		for name, w := range want {
			if got[name].Len() != len(w) {
				t.Fatalf("%v: output %s has %d values (shape %v), want %d", shape, name, got[name].Len(), got[name].Shape, len(w))
			}
			if rel := relErr(got[name].Data, w); rel > 1e-5 {
				t.Errorf("%v: output %s: relative error %.3g", shape, name, rel)
			}
		}
		if got["d"].Shape[0] != shape[0] {
			t.Errorf("%v: dense output %v", shape, got["d"].Shape)
		}
	}
	sum := sess.Summary()
	// Plans made: [1 3 6 8] (at NewSession), [2 3 6 13], [3 3 6 1], and [1 3 6
	// 8] again after MaxPlans 2 evicted it.
	if sum.Plans != 2 || sum.Planned != 4 || !strings.Contains(sum.PlanShapes[0].ShapeString(), "[1 3 6 8]") || sum.PlanMillis <= 0 {
		t.Errorf("summary plans %d planned %d shapes %v plan_ms %g", sum.Plans, sum.Planned, sum.PlanShapes, sum.PlanMillis)
	}
	if sum.Inputs[0].ShapeString() != "[N 3 6 W]" {
		t.Errorf("summary input %s", sum.Inputs[0].ShapeString())
	}
	outs, err := sess.OutputShapes(map[string][]int{"x": {4, 3, 6, 10}})
	if err != nil || !ops.EqualShapes(outs[0].Shape, []int{4, 5}) || !ops.EqualShapes(outs[1].Shape, []int{4, 4, 3, 5}) {
		t.Errorf("OutputShapes %v, %v", outs, err)
	}
}

// TestDynamicShapeErrors checks the messages for inputs that do not fit the
// symbolic shape, and for shapes the graph cannot take.
func TestDynamicShapeErrors(t *testing.T) {
	m := dynamicNet(t)
	m.Inputs = append(m.Inputs, runtime.ValueInfo{Name: "y", Shape: []int{1, 5}, Dims: []string{"N", ""}})
	m.Nodes = append(m.Nodes, &runtime.Node{Name: "sum", Op: "Add", Inputs: []string{"d", "y"}, Outputs: []string{"sum"}})
	m.Outputs = append(m.Outputs, "sum")
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(x, y []int) map[string]*ops.Tensor {
		xt, _ := ops.NewTensor(x...)
		yt, _ := ops.NewTensor(y...)
		return map[string]*ops.Tensor{"x": xt, "y": yt}
	}
	cases := []struct {
		name string
		x, y []int
		want string
	}{
		{"fixed dim", []int{1, 4, 6, 8}, []int{1, 5}, `input "x" has shape [1 4 6 8], the model expects [N 3 6 W] (dimension 1 is fixed)`},
		{"rank", []int{1, 3, 6}, []int{1, 5}, "expects rank 4"},
		{"same name", []int{2, 3, 6, 8}, []int{3, 5}, "dimension N is 3 here and 2 elsewhere"},
		{"zero", []int{1, 3, 6, 0}, []int{1, 5}, "dimension 3 (W) must be at least 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sess.Run(context.Background(), feed(c.x, c.y))
			if !errors.Is(err, runtime.ErrInput) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrInput with %q", err, c.want)
			}
		})
	}
	// A width the graph cannot take: the error names the node and the shapes
	// actually given; the session keeps working.
	m2 := dynamicNet(t)
	m2.Nodes[0].Attrs["pads"] = []int64{0, 0, 0, 0}
	sess2, err := runtime.NewSession(m2, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	xt, _ := ops.NewTensor(1, 3, 6, 2)
	_, err = sess2.Run(context.Background(), map[string]*ops.Tensor{"x": xt})
	if !errors.Is(err, runtime.ErrShape) || !strings.Contains(err.Error(), `for input shapes x [1 3 6 2]`) || !strings.Contains(err.Error(), `node "c" (Conv)`) {
		t.Fatalf("error %v", err)
	}
	xt, _ = ops.NewTensor(2, 3, 6, 9)
	if _, err := sess2.Run(context.Background(), map[string]*ops.Tensor{"x": xt}); err != nil {
		t.Fatalf("after an error: %v", err)
	}
}

// TestDynamicShapesNoAllocs checks that runs on shapes the session has
// planned allocate nothing, also when two shapes alternate.
func TestDynamicShapesNoAllocs(t *testing.T) {
	sess, err := runtime.NewSession(dynamicNet(t), runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(shape ...int) (map[string]*ops.Tensor, map[string]*ops.Tensor) {
		x, _ := ops.NewTensor(shape...)
		outs, err := sess.OutputShapes(map[string][]int{"x": shape})
		if err != nil {
			t.Fatal(err)
		}
		res := map[string]*ops.Tensor{}
		for _, o := range outs {
			res[o.Name], _ = ops.NewTensor(o.Shape...)
		}
		return map[string]*ops.Tensor{"x": x}, res
	}
	in1, out1 := mk(2, 3, 6, 8)
	in2, out2 := mk(1, 3, 6, 20)
	ctx := context.Background()
	for _, f := range []func() error{
		func() error { return sess.RunInto(ctx, in1, out1) },
		func() error { return sess.RunInto(ctx, in2, out2) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := sess.RunInto(ctx, in1, out1); err != nil {
			t.Fatal(err)
		}
		if err := sess.RunInto(ctx, in2, out2); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per pair of runs", allocs)
	}
}

// FuzzDynamicShapes runs a model with symbolic dimensions on fuzzed input
// shapes under a small activation limit: every run either fits the limits
// or fails with an error naming the limit, an input or a node; the session
// never keeps more than MaxPlans plans and stays usable.
func FuzzDynamicShapes(f *testing.F) {
	f.Add(uint8(1), uint16(8), uint8(1))
	f.Add(uint8(3), uint16(1), uint8(2))
	f.Add(uint8(200), uint16(4000), uint8(3))
	f.Add(uint8(0), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, n uint8, w uint16, h uint8) {
		b := runtime.NewBuilder("fuzz", 1)
		x := b.Input("x", 1, 3, 6, 8)
		c := b.Conv("c", x, 4, runtime.ConvSpec{Kernel: []int{3, 3}, Bias: true})
		b.Output(b.GlobalAvgPool("g", c))
		m, err := b.Model()
		if err != nil {
			t.Fatal(err)
		}
		m.Inputs[0].Dims = []string{"N", "", "H", "W"}
		sess, err := runtime.NewSession(m, runtime.Options{MaxPlans: 2, Limits: runtime.Limits{MaxActivationBytes: 1 << 20}})
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{int(n), 3, int(h), int(w)}
		if ops.ShapeSize(shape) > 1<<22 {
			return // the caller would have to allocate the input
		}
		xt, err := ops.NewTensor(shape...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sess.Run(context.Background(), map[string]*ops.Tensor{"x": xt})
		if err != nil && !errors.Is(err, runtime.ErrInput) && !errors.Is(err, runtime.ErrShape) && !errors.Is(err, runtime.ErrLimit) {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if sum := sess.Summary(); sum.Plans > 2 || sum.PeakActivationBytes > 1<<20 {
			t.Fatalf("plans %d, peak %d", sum.Plans, sum.PeakActivationBytes)
		}
		ok, _ := ops.NewTensor(1, 3, 6, 8)
		if _, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": ok}); err != nil {
			t.Fatalf("after shape %v: %v", shape, err)
		}
	})
}

// TestOutputShapesNoAllocs checks that asking for the output shapes of
// shapes the session has planned allocates nothing (hosts ask before every
// run whose shapes change).
func TestOutputShapesNoAllocs(t *testing.T) {
	sess, err := runtime.NewSession(dynamicNet(t), runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	a, b := map[string][]int{"x": {2, 3, 6, 8}}, map[string][]int{"x": {1, 3, 6, 20}}
	for _, s := range []map[string][]int{a, b} {
		if _, err := sess.OutputShapes(s); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := sess.OutputShapes(a); err != nil {
			t.Fatal(err)
		}
		if _, err := sess.OutputShapes(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per pair of OutputShapes calls", allocs)
	}
}
