package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
)

// reduceNormModel is a model of one reduction or normalisation node over
// input x, with the given weights.
func reduceNormModel(op string, shape []int, attrs map[string]any, weights map[string]*ops.Tensor) *runtime.Model {
	inputs := []string{"x"}
	for _, w := range []string{"scale", "B"} {
		if _, ok := weights[w]; ok {
			inputs = append(inputs, w)
		}
	}
	return &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: shape}}, Outputs: []string{"y"}, Weights: weights,
		Nodes: []*runtime.Node{{Name: "n", Op: op, Inputs: inputs, Outputs: []string{"y"}, Attrs: attrs}}}
}

// TestReduceNormAgainstReference runs the reductions, ArgMax/ArgMin and the
// normalisations on random shapes and attributes against the float64
// oracle.
func TestReduceNormAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	reductions := []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceSumSquare", "ReduceLogSumExp"}
	for i := 0; i < 40; i++ {
		rank := 1 + rng.IntN(4)
		shape := make([]int, rank)
		for d := range shape {
			shape[d] = 1 + rng.IntN(5)
		}
		type tc struct {
			op      string
			attrs   map[string]any
			weights map[string]*ops.Tensor
		}
		var cases []tc
		var axes []int64
		for d := range rank {
			if rng.IntN(2) == 0 {
				axes = append(axes, int64(d-rank*rng.IntN(2))) // some negative
			}
		}
		attrs := map[string]any{"keepdims": int64(rng.IntN(2))}
		if axes != nil {
			attrs["axes"] = axes
		} else if i%4 == 0 {
			attrs["noop_with_empty_axes"] = int64(1)
		}
		cases = append(cases, tc{op: reductions[i%len(reductions)], attrs: attrs})
		arg := map[string]any{"axis": int64(rng.IntN(2*rank) - rank), "keepdims": int64(rng.IntN(2)), "select_last_index": int64(rng.IntN(2))}
		cases = append(cases, tc{op: []string{"ArgMax", "ArgMin"}[i%2], attrs: arg})
		axis := rng.IntN(rank)
		norm := shape[axis:]
		lw := map[string]*ops.Tensor{"scale": randTensor(rng, norm...)}
		if i%2 == 0 {
			lw["B"] = randTensor(rng, norm[len(norm)-1]) // broadcast over the normalised dims
		}
		cases = append(cases, tc{op: "LayerNormalization", attrs: map[string]any{"axis": int64(axis - rank*(i%2)), "epsilon": 1e-3}, weights: lw})
		if rank >= 3 {
			cases = append(cases, tc{op: "InstanceNormalization", attrs: map[string]any{"epsilon": 1e-4},
				weights: map[string]*ops.Tensor{"scale": randTensor(rng, shape[1]), "B": randTensor(rng, shape[1])}})
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s/%v/%v", i, c.op, shape, c.attrs), func(t *testing.T) {
				m := reduceNormModel(c.op, shape, c.attrs, c.weights)
				x := randTensor(rng, shape...)
				if c.op == "ArgMax" || c.op == "ArgMin" {
					for j := range x.Data {
						x.Data[j] = float32(rng.IntN(3)) // ties
					}
				}
				sess, err := runtime.NewSession(m, runtime.Options{})
				if err != nil {
					t.Fatal(err)
				}
				got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
				if err != nil {
					t.Fatal(err)
				}
				want, err := reftest.Eval(m, map[string][]float64{"x": toF64(x.Data)})
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(got["y"].Data, want["y"]); e > 1e-6 {
					t.Fatalf("relative error %.3g", e)
				}
				in, weight := [][]int{shape}, []bool{false}
				for _, w := range m.Nodes[0].Inputs[1:] {
					in, weight = append(in, m.Weights[w].Shape), append(weight, true)
				}
				shapes, err := runtime.InferShapes(m.Nodes[0], in, weight)
				if err != nil || !ops.EqualShapes(shapes[0], got["y"].Shape) {
					t.Fatalf("InferShapes = %v, %v; the session gave %v", shapes, err, got["y"].Shape)
				}
			})
		}
	}
}

func TestReduceNormShapes(t *testing.T) {
	for _, tc := range []struct {
		op    string
		shape []int
		attrs map[string]any
		want  []int
		err   bool
	}{
		{"ReduceMean", []int{2, 3, 4}, map[string]any{"axes": []int64{-1}}, []int{2, 3, 1}, false},
		{"ReduceMean", []int{2, 3, 4}, map[string]any{"axes": []int64{0, 2}, "keepdims": int64(0)}, []int{3}, false},
		{"ReduceSum", []int{2, 3, 4}, nil, []int{1, 1, 1}, false},
		{"ReduceSum", []int{2, 3, 4}, map[string]any{"keepdims": int64(0)}, []int{}, false},
		{"ReduceMax", []int{2, 3, 4}, map[string]any{"noop_with_empty_axes": int64(1)}, []int{2, 3, 4}, false},
		{"ReduceMax", []int{2, 3, 4}, map[string]any{"axes": []int64{1, -2}}, nil, true},
		{"ReduceMin", []int{2, 3, 4}, map[string]any{"axes": []int64{3}}, nil, true},
		{"ArgMax", []int{2, 3, 4}, map[string]any{"axis": int64(1), "keepdims": int64(0)}, []int{2, 4}, false},
		{"ArgMin", []int{2, 3, 4}, nil, []int{1, 3, 4}, false},
		{"ArgMin", []int{2, 0, 4}, map[string]any{"axis": int64(1)}, nil, true},
		{"ArgMax", []int{2}, map[string]any{"axis": int64(-2)}, nil, true},
	} {
		got, err := runtime.InferShapes(&runtime.Node{Name: "n", Op: tc.op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: tc.attrs},
			[][]int{tc.shape}, []bool{false})
		if tc.err {
			if err == nil || !errors.Is(err, runtime.ErrShape) {
				t.Errorf("%s %v %v: error %v, want one wrapping ErrShape", tc.op, tc.shape, tc.attrs, err)
			}
			continue
		}
		if err != nil || !ops.EqualShapes(got[0], tc.want) {
			t.Errorf("%s %v %v = %v, %v; want %v", tc.op, tc.shape, tc.attrs, got, err, tc.want)
		}
	}
	// Normalisations check their weights.
	for _, tc := range []struct {
		op     string
		shapes [][]int
		attrs  map[string]any
	}{
		{"LayerNormalization", [][]int{{2, 3, 4}, {3}}, nil},
		{"LayerNormalization", [][]int{{2, 3, 4}, {4}, {2, 4}}, nil},
		{"LayerNormalization", [][]int{{2, 3, 4}, {4}}, map[string]any{"axis": int64(3)}},
		{"LayerNormalization", [][]int{{2, 3, 4}, {4}}, map[string]any{"stash_type": int64(2)}},
		{"InstanceNormalization", [][]int{{2, 3, 4}, {3}, {4}}, nil},
		{"InstanceNormalization", [][]int{{2, 3}, {3}, {3}}, nil},
	} {
		weights := make([]bool, len(tc.shapes))
		for i := 1; i < len(weights); i++ {
			weights[i] = true
		}
		n := &runtime.Node{Name: "n", Op: tc.op, Inputs: []string{"x", "s", "b"}[:len(tc.shapes)], Outputs: []string{"y"}, Attrs: tc.attrs}
		if _, err := runtime.InferShapes(n, tc.shapes, weights); err == nil {
			t.Errorf("%s %v %v was accepted", tc.op, tc.shapes, tc.attrs)
		}
	}
}
