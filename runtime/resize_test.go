package runtime_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/internal/reftest"
)

// TestResizeAgainstReference runs Resize nodes in a session and in the
// float64 oracle.
func TestResizeAgainstReference(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []int
		attrs map[string]any
	}{
		{"nearest-scales", []int{1, 2, 5, 6}, map[string]any{"scales": []float64{1, 1, 2, 0.5}}},
		{"linear-sizes-axes", []int{2, 3, 4, 7}, map[string]any{"mode": "linear", "sizes": []int64{9, 3}, "axes": []int64{-1, 2}}},
		{"cubic-policy", []int{1, 1, 6, 4}, map[string]any{"mode": "cubic", "sizes": []int64{1, 1, 12, 12}, "keep_aspect_ratio_policy": "not_larger"}},
		{"crop-3d", []int{1, 2, 9}, map[string]any{"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize",
			"sizes": []int64{5}, "axes": []int64{2}, "roi": []float64{-0.1, 1.2}, "extrapolation_value": 4.0}},
		{"trilinear-5d", []int{1, 2, 3, 4, 5}, map[string]any{"mode": "linear", "coordinate_transformation_mode": "align_corners",
			"scales": []float64{1, 1, 2, 1.5, 0.6}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: tc.in}}, Outputs: []string{"y"},
				Nodes: []*runtime.Node{{Name: "r", Op: "Resize", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: tc.attrs}}}
			sess, err := runtime.NewSession(m, runtime.Options{})
			if err != nil {
				t.Fatal(err)
			}
			x, _ := ops.NewTensor(tc.in...)
			x64 := make([]float64, len(x.Data))
			for i := range x.Data {
				x.Data[i] = float32(math.Sin(float64(i)))
				x64[i] = float64(x.Data[i])
			}
			got, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			want, err := reftest.Eval(m, map[string][]float64{"x": x64})
			if err != nil {
				t.Fatal(err)
			}
			if len(got["y"].Data) != len(want["y"]) {
				t.Fatalf("%d outputs, reference %d", len(got["y"].Data), len(want["y"]))
			}
			for i, w := range want["y"] {
				if d := math.Abs(float64(got["y"].Data[i]) - w); d > 1e-5 {
					t.Fatalf("element %d: %v, reference %v", i, got["y"].Data[i], w)
				}
			}
		})
	}
}

// TestResizeShapeErrors checks that bad Resize attributes are refused at
// load, with errors naming the node.
func TestResizeShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
	}{
		{"no-target", map[string]any{}},
		{"both", map[string]any{"scales": []float64{1, 1, 2, 2}, "sizes": []int64{1, 1, 8, 8}}},
		{"count", map[string]any{"scales": []float64{2, 2}}},
		{"bad-mode", map[string]any{"mode": "area", "scales": []float64{1, 1, 2, 2}}},
		{"exclude-linear", map[string]any{"mode": "linear", "exclude_outside": int64(1), "scales": []float64{1, 1, 2, 2}}},
		{"crop-no-roi", map[string]any{"coordinate_transformation_mode": "tf_crop_and_resize", "scales": []float64{1, 1, 2, 2}}},
		{"roi-not-crop", map[string]any{"roi": []float64{0, 0, 0, 0, 1, 1, 1, 1}, "scales": []float64{1, 1, 2, 2}}},
		{"policy-scales", map[string]any{"keep_aspect_ratio_policy": "not_larger", "scales": []float64{1, 1, 2, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: []int{1, 1, 4, 4}}}, Outputs: []string{"y"},
				Nodes: []*runtime.Node{{Name: "rz", Op: "Resize", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: tc.attrs}}}
			_, err := runtime.NewSession(m, runtime.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), `"rz"`) {
				t.Fatalf("error %v does not name the node", err)
			}
		})
	}
}
