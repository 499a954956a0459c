package runtime_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Hostile models: attribute and shape values chosen to overflow shape
// arithmetic, to make hosts allocate far more than the file's size, or to
// spin in validation. Every one must be refused by NewSession quickly, with
// an error naming the problem, before anything of the declared size exists.

// oneNode is a model with the given inputs and one node reading them and
// writing "y", the only output.
func oneNode(inputs []runtime.ValueInfo, op string, attrs map[string]any, weights map[string]*ops.Tensor, nodeIn ...string) *runtime.Model {
	return &runtime.Model{Inputs: inputs, Outputs: []string{"y"}, Weights: weights,
		Nodes: []*runtime.Node{{Name: "n", Op: op, Inputs: nodeIn, Outputs: []string{"y"}, Attrs: attrs}}}
}

func vi(name string, shape ...int) runtime.ValueInfo {
	return runtime.ValueInfo{Name: name, Shape: shape}
}

const maxInt32 = 1<<31 - 1

// hostileCase is a model NewSession must refuse with an error wrapping
// want and mentioning msg.
type hostileCase struct {
	name string
	m    *runtime.Model
	lim  runtime.Limits
	want error
	msg  string
}

func hostileCases() []hostileCase {
	x4 := []runtime.ValueInfo{vi("x", 1, 1, 4, 4)}
	x5 := []runtime.ValueInfo{vi("x", 1, 1, 1, 1, 1)}
	w1 := map[string]*ops.Tensor{"w": {Shape: []int{1, 1, 1, 1}, Data: []float32{1}}}
	// 16 inputs of 2^27 elements each: every one is within MaxTensorElements,
	// together they are 8 GiB, which a wasm host allocating input buffers
	// at load cannot hold.
	var manyBig []runtime.ValueInfo
	for i := 0; i < 16; i++ {
		manyBig = append(manyBig, vi(fmt.Sprint("x", i), 1, 1<<27))
	}
	dupOut := oneNode([]runtime.ValueInfo{vi("x", 1, 1<<20)}, "Relu", nil, nil, "x")
	for i := 0; i < 1000; i++ {
		dupOut.Outputs = append(dupOut.Outputs, "y")
	}
	return []hostileCase{
		// Found by this audit: the product of a 3D pooling kernel overflowed
		// int (average pooling with count_include_pad divided by a wrapped
		// count, and the layer's FLOPs went negative).
		{name: "3D pool kernel product overflows", m: oneNode(x5, "AveragePool", map[string]any{
			"kernel_shape": []int64{maxInt32, maxInt32, maxInt32}, "count_include_pad": int64(1),
			"pads": []int64{1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30}}, nil, "x"),
			want: ops.ErrShape, msg: "kernel"},
		{name: "2D pool kernel product above the element bound", m: oneNode(x4, "MaxPool", map[string]any{
			"kernel_shape": []int64{1 << 20, 1 << 20}, "strides": []int64{1 << 20, 1 << 20},
			"pads": []int64{1 << 20, 1 << 20, 1 << 20, 1 << 20}}, nil, "x"),
			want: ops.ErrShape, msg: "kernel"},
		// Found by this audit: inputs were limited one by one only.
		{name: "inputs together above the memory limit", m: oneNode(manyBig, "Relu", nil, nil, "x0"),
			want: runtime.ErrLimit, msg: "inputs"},
		{name: "inputs together above a configured memory limit", lim: runtime.Limits{MaxActivationBytes: 1 << 20},
			m:    oneNode([]runtime.ValueInfo{vi("a", 1, 200_000), vi("b", 1, 200_000)}, "Add", nil, nil, "a", "b"),
			want: runtime.ErrLimit, msg: "inputs"},
		// Found by this audit: an output listed n times made hosts that keep
		// a buffer per listed output allocate n copies.
		{name: "output listed twice", m: dupOut, want: runtime.ErrBadModel, msg: `output "y"`},

		// Already guarded; kept as regression tests.
		{name: "conv pads beyond the element bound", m: oneNode(x4, "Conv", map[string]any{
			"pads": []int64{maxInt32, maxInt32, maxInt32, maxInt32}}, w1, "x", "w"),
			want: ops.ErrShape, msg: "elements"},
		{name: "conv pads above MaxTensorElements", m: oneNode(x4, "Conv", map[string]any{
			"pads": []int64{1 << 14, 1 << 14, 1 << 14, 1 << 14}}, w1, "x", "w"),
			want: runtime.ErrLimit, msg: "output"},
		{name: "conv stride and dilation at the bound", m: oneNode(x4, "Conv", map[string]any{
			"strides": []int64{maxInt32, maxInt32}, "dilations": []int64{maxInt32, maxInt32}}, map[string]*ops.Tensor{
			"w": {Shape: []int{1, 1, 2, 2}, Data: make([]float32, 4)}}, "x", "w"),
			want: ops.ErrShape, msg: "larger than padded input"},
		{name: "conv stride above int32", m: oneNode(x4, "Conv", map[string]any{
			"strides": []int64{1 << 40, 1}}, w1, "x", "w"),
			msg: "out of range"},
		{name: "pool same padding, window extent near 2^62", m: oneNode(x4, "MaxPool", map[string]any{
			"kernel_shape": []int64{maxInt32, 2}, "strides": []int64{maxInt32, maxInt32}, "dilations": []int64{maxInt32, 1},
			"auto_pad": "SAME_UPPER"}, nil, "x"),
			want: ops.ErrShape, msg: "kernel"},
		{name: "conv transpose stride times input", m: oneNode(x4, "ConvTranspose", map[string]any{
			"strides": []int64{maxInt32, maxInt32}}, w1, "x", "w"),
			want: ops.ErrShape, msg: "out of range"},
		{name: "pad to 2^62 elements", m: oneNode([]runtime.ValueInfo{vi("x", 2, 2)}, "Pad", map[string]any{
			"pads": []int64{maxInt32, maxInt32, maxInt32, maxInt32}}, nil, "x"),
			want: ops.ErrShape, msg: "elements"},
		{name: "reshape to a huge shape", m: oneNode([]runtime.ValueInfo{vi("x", 2, 2)}, "Reshape", map[string]any{
			"shape": []int64{maxInt32, maxInt32, maxInt32, 0}}, nil, "x"),
			want: ops.ErrShape, msg: "too large"},
		{name: "concat along an axis past the bound", m: &runtime.Model{
			Inputs: []runtime.ValueInfo{vi("x", 1, 1<<27)}, Outputs: []string{"y"},
			Nodes: []*runtime.Node{{Name: "n", Op: "Concat", Inputs: []string{"x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x"},
				Outputs: []string{"y"}, Attrs: map[string]any{"axis": int64(1)}}}},
			want: ops.ErrShape, msg: "elements"},
		{name: "input rank above the limit", m: oneNode([]runtime.ValueInfo{vi("x", 1, 1, 1, 1, 1, 1, 1, 1, 1)}, "Relu", nil, nil, "x"),
			want: runtime.ErrLimit, msg: "dimensions"},
		{name: "input of 2^62 elements", m: oneNode([]runtime.ValueInfo{vi("x", maxInt32, maxInt32)}, "Relu", nil, nil, "x"),
			want: ops.ErrShape, msg: "elements"},
		{name: "negative input dimension", m: oneNode([]runtime.ValueInfo{vi("x", 2, -3)}, "Relu", nil, nil, "x"),
			want: ops.ErrShape, msg: "negative"},
	}
}

func TestHostileModelsRefused(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			start := time.Now()
			s, err := runtime.NewSession(tc.m, runtime.Options{Limits: tc.lim})
			took := time.Since(start)
			goruntime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("accepted (peak activations %d bytes, summary %+v)", s.PeakActivationBytes(), s.Summary().Layers)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if len(err.Error()) > 4096 {
				t.Errorf("error message of %d bytes", len(err.Error()))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("allocated %d bytes before refusing", alloc)
			}
			if took > 2*time.Second {
				t.Errorf("took %v to refuse", took)
			}
		})
	}
}

// TestHostileLookingModelsRun checks models that look hostile but are valid
// (windows far larger than the input, reaching it only through padding):
// they must run and agree with a float64 reference.
func TestHostileLookingModelsRun(t *testing.T) {
	x := []float32{0.5, -1.25, 2, 3.5, -0.75}
	sum := 0.0
	for _, v := range x {
		sum += float64(v)
	}
	const k = 1 << 20 // window taps along the one axis
	cases := []struct {
		name  string
		attrs map[string]any
		op    string
		want  func(o int) float64 // output o
		outW  int
	}{
		{name: "avg pool, huge window, count_include_pad", op: "AveragePool",
			attrs: map[string]any{"kernel_shape": []int64{k}, "pads": []int64{k - 1, k - 1}, "count_include_pad": int64(1), "strides": []int64{k - 1}},
			// Two windows, starting at -(k-1) (its last tap is x[0]) and
			// at 0 (it covers all of x); both lie inside the padded axis.
			outW: 2, want: func(o int) float64 { return []float64{float64(x[0]), sum}[o] / k }},
		{name: "avg pool, huge window, padding excluded", op: "AveragePool",
			attrs: map[string]any{"kernel_shape": []int64{k}, "pads": []int64{k - 1, k - 1}, "strides": []int64{k - 1}},
			outW:  2, want: func(o int) float64 { return []float64{float64(x[0]), sum / 5}[o] }},
		{name: "max pool, dilated window over the input", op: "MaxPool",
			// Taps o, o+d and o+2d: only the first is inside x.
			attrs: map[string]any{"kernel_shape": []int64{3}, "dilations": []int64{maxInt32 / 4}, "pads": []int64{0, 2 * (maxInt32 / 4)}},
			outW:  5, want: func(o int) float64 { return float64(x[o]) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := oneNode([]runtime.ValueInfo{vi("x", 1, 1, len(x))}, tc.op, tc.attrs, nil, "x")
			s, err := runtime.NewSession(m, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(context.Background(), map[string]*ops.Tensor{"x": {Shape: []int{1, 1, len(x)}, Data: x}})
			if err != nil {
				t.Fatal(err)
			}
			y := out["y"]
			if !ops.EqualShapes(y.Shape, []int{1, 1, tc.outW}) {
				t.Fatalf("output shape %v, want [1 1 %d]", y.Shape, tc.outW)
			}
			for o, v := range y.Data {
				want := tc.want(o)
				if d := float64(v) - want; d > 1e-6*max(1, abs(want)) || -d > 1e-6*max(1, abs(want)) {
					t.Errorf("y[%d] = %g, want %g", o, v, want)
				}
			}
			for _, l := range s.Summary().Layers {
				if l.FLOPs < 0 {
					t.Errorf("layer %s has %d FLOPs", l.Name, l.FLOPs)
				}
			}
		})
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
