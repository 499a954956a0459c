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

// TestMovementAgainstReference runs MatMul, the data-movement ops and a
// multi-output Split (its outputs read by later nodes, one of them a graph
// output, one unread) in a session and in the float64 oracle.
func TestMovementAgainstReference(t *testing.T) {
	b := runtime.NewBuilder("movement", 7)
	x := b.Input("x", 2, 8, 4, 6)
	z := b.Input("z", 6, 5)
	parts := b.GenericOutputs("split", "Split", []string{x}, map[string]any{"axis": int64(1), "split": []int64{4, 2, 2}})
	d2s := b.Generic("d2s", "DepthToSpace", []string{parts[0]}, map[string]any{"blocksize": int64(2), "mode": "CRD"}, []int{2, 1, 8, 12})
	s2d := b.Generic("s2d", "SpaceToDepth", []string{d2s}, map[string]any{"blocksize": int64(2)}, []int{2, 4, 4, 6})
	g := b.Generic("gather", "Gather", []string{s2d}, map[string]any{"axis": int64(-2), "indices": []int64{3, -4}}, []int{2, 4, 2, 6})
	mm := b.Generic("mm", "MatMul", []string{g, z}, nil, []int{2, 4, 2, 5})
	tile := b.Generic("tile", "Tile", []string{parts[1]}, map[string]any{"repeats": []int64{1, 2, 1, 1}}, []int{2, 4, 4, 6})
	ex := b.Generic("expand", "Expand", []string{parts[1]}, map[string]any{"shape": []int64{3, 1, 1, 1, 1}}, []int{3, 2, 2, 4, 6})
	mm2 := b.Generic("mm2", "MatMul", []string{tile, z}, nil, []int{2, 4, 4, 5})
	b.Output(mm, mm2, ex, parts[1])
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	in := map[string]*ops.Tensor{}
	in64 := map[string][]float64{}
	for _, vi := range m.Inputs {
		tt, _ := ops.NewTensor(vi.Shape...)
		for i := range tt.Data {
			tt.Data[i] = rng.Float32()*2 - 1
		}
		in[vi.Name], in64[vi.Name] = tt, toF64(tt.Data)
	}
	want, err := reftest.Eval(m, in64)
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{1, 3} {
		sess, err := runtime.NewSession(m, runtime.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		got, err := sess.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range m.Outputs {
			if e := relErr(got[o].Data, want[o]); e > 1e-6 {
				t.Errorf("%d threads: output %q differs from the reference by %.3g", threads, o, e)
			}
		}
	}
}

// TestMultiOutputChecks: only ops that declare several outputs may have
// them, and a node must have as many as its op gives.
func TestMultiOutputChecks(t *testing.T) {
	mk := func(op string, outs []string, attrs map[string]any) *runtime.Model {
		return &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: []int{2, 4}}}, Outputs: outs[:1],
			Nodes: []*runtime.Node{{Name: "n", Op: op, Inputs: []string{"x"}, Outputs: outs, Attrs: attrs}}}
	}
	for _, c := range []struct {
		name string
		m    *runtime.Model
		msg  string
	}{
		{"relu-two", mk("Relu", []string{"a", "b"}, nil), "has 2 outputs, want 1"},
		{"split-too-few", mk("Split", []string{"a"}, map[string]any{"axis": int64(1), "split": []int64{1, 3}}), "has 1 outputs, want 2"},
		{"split-too-many", mk("Split", []string{"a", "b", "c"}, map[string]any{"axis": int64(1), "split": []int64{1, 3}}), "has 3 outputs, want 2"},
		{"split-sum", mk("Split", []string{"a", "b"}, map[string]any{"axis": int64(1), "split": []int64{1, 2}}), "does not add up"},
		{"gather-range", mk("Gather", []string{"a"}, map[string]any{"axis": int64(1), "indices": []int64{4}}), "out of range"},
	} {
		_, err := runtime.NewSession(c.m, runtime.Options{})
		if err == nil || !strings.Contains(err.Error(), c.msg) || !(errors.Is(err, runtime.ErrBadModel) || errors.Is(err, runtime.ErrShape)) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.msg)
		}
	}
}
