package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// ONNX Runtime as the oracle of Slice on activations: opset 1's attribute
// form (no steps) and opsets 10, 11 and 13's input form (axes and steps
// optional), on seeded random shapes and bounds: negative indices, bounds
// beyond the axis, INT64 max and min, negative steps.

func TestORTSlice(t *testing.T) { runORTCases(t, sliceCases()) }

// randBound draws a start or end for an axis of size dim.
func randBound(rng *rand.Rand, dim int) int64 {
	switch rng.IntN(9) {
	case 0:
		return math.MaxInt64
	case 1:
		return math.MinInt64
	case 2:
		return int64(-dim - 1 - rng.IntN(3))
	case 3:
		return int64(dim + rng.IntN(3))
	}
	return int64(rng.IntN(2*dim+1) - dim)
}

func sliceCases() []opCase {
	rng := rand.New(rand.NewPCG(71, 72))
	var cs []opCase
	for i := range 48 {
		rank := 1 + rng.IntN(4)
		xs := make([]int, rank)
		for j := range xs {
			xs[j] = 1 + rng.IntN(6)
		}
		k := 1 + rng.IntN(rank)
		perm := rng.Perm(rank)[:k]
		starts, ends, axes, steps := make([]int64, k), make([]int64, k), make([]int64, k), make([]int64, k)
		for j, ax := range perm {
			axes[j] = int64(ax)
			if rng.IntN(3) == 0 {
				axes[j] -= int64(rank)
			}
			starts[j], ends[j] = randBound(rng, xs[ax]), randBound(rng, xs[ax])
			steps[j] = int64(1 + rng.IntN(3))
			if rng.IntN(3) == 0 {
				steps[j] = -steps[j]
			}
		}
		// Keep the output non-empty: ONNX Runtime and wasmnn agree on empty
		// outputs, but the comparison needs values.
		for j, ax := range perm {
			if n := sliceCount(xs[ax], starts[j], ends[j], steps[j]); n == 0 {
				starts[j], ends[j] = 0, math.MaxInt64
				if steps[j] < 0 {
					starts[j], ends[j] = -1, math.MinInt64
				}
			}
		}
		switch opset := []int64{1, 10, 11, 13}[i%4]; opset {
		case 1:
			for j := range steps {
				steps[j] = 1
			}
			for j, ax := range perm { // opset 1 has no steps: keep a forward range
				if sliceCount(xs[ax], starts[j], ends[j], 1) == 0 {
					starts[j], ends[j] = 0, math.MaxInt64
				}
			}
			attrs := []*Attr{aints("starts", starts...), aints("ends", ends...)}
			if rng.IntN(3) > 0 || !prefixAxes(perm) {
				attrs = append(attrs, aints("axes", axes...))
			}
			cs = append(cs, single(fmt.Sprintf("slice-1-%d", i), 1, "Slice", []opIn{x(xs...)}, attrs...))
		default:
			names := []string{"x", "starts", "ends", "axes", "steps"}
			ins := []opIn{x(xs...), ints("starts", starts...), ints("ends", ends...), ints("axes", axes...), ints("steps", steps...)}
			switch rng.IntN(4) {
			case 0: // no steps
				for j, ax := range perm {
					if sliceCount(xs[ax], starts[j], ends[j], 1) == 0 {
						starts[j], ends[j] = 0, math.MaxInt64
					}
				}
				ins[1], ins[2] = ints("starts", starts...), ints("ends", ends...)
				names, ins = names[:4], ins[:4]
			case 1: // no axes, no steps
				if prefixAxes(perm) {
					for j := range perm {
						if sliceCount(xs[j], starts[j], ends[j], 1) == 0 {
							starts[j], ends[j] = 0, math.MaxInt64
						}
					}
					ins[1], ins[2] = ints("starts", starts...), ints("ends", ends...)
					names, ins = names[:3], ins[:3]
				}
			case 2: // steps without axes
				if prefixAxes(perm) {
					names = []string{"x", "starts", "ends", "", "steps"}
					ins = []opIn{ins[0], ins[1], ins[2], ins[4]}
				}
			}
			cs = append(cs, singleOpt(fmt.Sprintf("slice-%d-%d", opset, i), opset, "Slice", names, ins))
		}
	}
	// After a computed op, and followed by one: a reversed row of a product.
	cs = append(cs, opCase{name: "slice-chain", opset: 13,
		inputs: []opIn{x(2, 3, 5), w("b", 3, 5, 4), ints("s", 3, -1), ints("e", math.MinInt64, 1), ints("a", -1, 1), ints("st", -1, -2)},
		nodes: []*Node{
			{Name: "mm", OpType: "MatMul", Inputs: []string{"x", "b"}, Outputs: []string{"p"}},
			{Name: "sl", OpType: "Slice", Inputs: []string{"p", "s", "e", "a", "st"}, Outputs: []string{"q"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"q"}, Outputs: []string{"y"}},
		}, outputs: []string{"y"}})
	return cs
}

// sliceCount is the length of a sliced axis (ONNX's rules, written out
// again for the test).
func sliceCount(dim int, start, end, step int64) int {
	d := int64(dim)
	if start < 0 {
		start += d
	}
	if end < 0 {
		end += d
	}
	if step > 0 {
		start, end = min(max(start, 0), d), min(max(end, 0), d)
		if end <= start {
			return 0
		}
		return int((end-start-1)/step + 1)
	}
	start, end = min(max(start, 0), d-1), min(max(end, -1), d-1)
	if start <= end {
		return 0
	}
	return int((start-end-1)/-step + 1)
}

func prefixAxes(perm []int) bool {
	for i, a := range perm {
		if a != i {
			return false
		}
	}
	return true
}

// TestSliceExportORT imports the Slice cases, exports them (opset 17, the
// bounds as inputs) and runs the export in ONNX Runtime, which must agree
// with the native run; importing the export back must give the same bits.
func TestSliceExportORT(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	cases := sliceCases()
	var jobs []ortJob
	models := make([]*runtime.Model, len(cases))
	exports := make([][]byte, len(cases))
	inputs := make([]map[string]*ops.Tensor, len(cases))
	for i, c := range cases {
		m, _, err := Import(c.model().Encode(), Options{})
		if err != nil {
			t.Fatalf("%s: import: %v", c.name, err)
		}
		pb, err := Export(m)
		if err != nil {
			t.Fatalf("%s: export: %v", c.name, err)
		}
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(sub, "m.onnx")
		if err := os.WriteFile(path, pb, 0o644); err != nil {
			t.Fatal(err)
		}
		models[i], exports[i], inputs[i] = m, pb, randomInputs(uint64(i), m.Inputs)
		jobs = append(jobs, ortJob{Model: path, Inputs: writeInputs(t, sub, inputs[i]), OutDir: filepath.Join(sub, "out")})
	}
	results := runORT(t, jobs)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := runNative(t, models[i], inputs[i])
			for name, o := range readORTOutputs(t, results[jobs[i].Model]) {
				d, err := compareTensors(want[name], o)
				if err != nil {
					t.Fatalf("output %q: %v", name, err)
				}
				if d.worst > 1 {
					t.Errorf("output %q: the export in ONNX Runtime differs by %.3g", name, d.maxAbs)
				}
			}
			back, _, err := Import(exports[i], Options{})
			if err != nil {
				t.Fatalf("import of the export: %v", err)
			}
			again := runNative(t, back, inputs[i])
			for name, w := range want {
				for j, v := range w.Data {
					if g := again[name].Data[j]; math.Float32bits(g) != math.Float32bits(v) {
						t.Fatalf("re-imported output %q[%d] = %v, want %v", name, j, g, v)
					}
				}
			}
		})
	}
}
