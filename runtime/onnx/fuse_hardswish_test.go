package onnx

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

func scalarWeight(v float32) *ops.Tensor {
	t, _ := ops.NewTensor(1)
	t.Data[0] = v
	return t
}

// hardSwishModel spells out a hard-swish on input x of shape [1, 2, 3, 4]
// as the nodes given.
func hardSwishModel(nodes ...*runtime.Node) *runtime.Model {
	return &runtime.Model{
		Inputs:  []runtime.ValueInfo{{Name: "x", Shape: []int{1, 2, 3, 4}}},
		Outputs: []string{nodes[len(nodes)-1].Outputs[0]},
		Nodes:   nodes,
		Weights: map[string]*ops.Tensor{"three": scalarWeight(3), "six": scalarWeight(6), "sixth": scalarWeight(1.0 / 6)},
	}
}

func hsNode(name, op string, in []string, attrs map[string]any) *runtime.Node {
	return &runtime.Node{Name: name, Op: op, Inputs: in, Outputs: []string{name + ":0"}, Attrs: attrs}
}

func TestFuseHardSwish(t *testing.T) {
	clip := map[string]any{"min": 0.0, "max": 6.0}
	tests := []struct {
		name  string
		nodes []*runtime.Node
		fused bool
	}{
		{"paddle", []*runtime.Node{hsNode("a", "Add", []string{"x", "three"}, nil), hsNode("c", "Clip", []string{"a:0"}, clip),
			hsNode("m", "Mul", []string{"x", "c:0"}, nil), hsNode("d", "Div", []string{"m:0", "six"}, nil)}, true},
		{"fused_clip_mul_sixth", []*runtime.Node{hsNode("a", "Add", []string{"three", "x"}, runtime.FuseActivationAttrs(nil, ops.ReLU6)),
			hsNode("m", "Mul", []string{"a:0", "x"}, nil), hsNode("d", "Mul", []string{"sixth", "m:0"}, nil)}, true},
		{"scaled_first", []*runtime.Node{hsNode("a", "Add", []string{"x", "three"}, nil), hsNode("c", "Clip", []string{"a:0"}, clip),
			hsNode("d", "Div", []string{"c:0", "six"}, nil), hsNode("m", "Mul", []string{"d:0", "x"}, nil)}, true},
		{"hardsigmoid", []*runtime.Node{hsNode("h", "HardSigmoid", []string{"x"}, map[string]any{"alpha": 1.0 / 6}),
			hsNode("m", "Mul", []string{"x", "h:0"}, nil)}, true},
		{"hardsigmoid_default_alpha", []*runtime.Node{hsNode("h", "HardSigmoid", []string{"x"}, nil),
			hsNode("m", "Mul", []string{"x", "h:0"}, nil)}, false},
		{"clip_to_3", []*runtime.Node{hsNode("a", "Add", []string{"x", "three"}, nil), hsNode("c", "Clip", []string{"a:0"}, map[string]any{"min": 0.0, "max": 3.0}),
			hsNode("m", "Mul", []string{"x", "c:0"}, nil), hsNode("d", "Div", []string{"m:0", "six"}, nil)}, false},
		{"other_operand", []*runtime.Node{hsNode("r", "Relu", []string{"x"}, nil), hsNode("a", "Add", []string{"x", "three"}, nil),
			hsNode("c", "Clip", []string{"a:0"}, clip), hsNode("m", "Mul", []string{"r:0", "c:0"}, nil), hsNode("d", "Div", []string{"m:0", "six"}, nil)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := hardSwishModel(tc.nodes...)
			want := runHardSwishModel(t, orig)
			var cp []*runtime.Node
			for _, n := range tc.nodes {
				c := *n
				cp = append(cp, &c)
			}
			m := hardSwishModel(cp...)
			done := fuseHardSwish(m)
			if got := len(done) == 1 && m.Nodes[len(m.Nodes)-1].Op == "HardSwish"; got != tc.fused {
				t.Fatalf("fused %v (%q, nodes %d), want %v", got, done, len(m.Nodes), tc.fused)
			}
			if tc.fused && !strings.Contains(done[0], "HardSwish") {
				t.Fatalf("report %q", done[0])
			}
			got := runHardSwishModel(t, m)
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*math.Max(1, math.Abs(float64(want[i]))) {
					t.Fatalf("output %d: %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func runHardSwishModel(t *testing.T, m *runtime.Model) []float32 {
	t.Helper()
	s, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := ops.NewTensor(1, 2, 3, 4)
	for i := range x.Data {
		x.Data[i] = float32(i-12) * 0.6
	}
	out, err := s.Run(context.Background(), map[string]*ops.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	return out[m.Outputs[0]].Data
}
