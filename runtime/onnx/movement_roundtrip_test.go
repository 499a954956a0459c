package onnx

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestMovementExportRoundTrip imports the MatMul and data-movement cases,
// exports them and imports the export again: the outputs must not change by
// a bit (Split's several outputs included).
func TestMovementExportRoundTrip(t *testing.T) {
	for i, c := range append(matmulCases(), movementCases()...) {
		t.Run(c.name, func(t *testing.T) {
			m, _, err := Import(c.model().Encode(), Options{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			b, err := Export(m)
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			m2, _, err := Import(b, Options{})
			if err != nil {
				t.Fatalf("import of the export: %v", err)
			}
			rng := rand.New(rand.NewPCG(uint64(i), 8))
			in := map[string]*ops.Tensor{}
			for _, vi := range m.Inputs {
				tt, _ := ops.NewTensor(vi.Shape...)
				for j := range tt.Data {
					tt.Data[j] = rng.Float32()*2 - 1
				}
				in[vi.Name] = tt
			}
			want, got := runNative(t, m, in), runNative(t, m2, in)
			for name, w := range want {
				g := got[name]
				if g == nil || len(g.Data) != len(w.Data) {
					t.Fatalf("output %q missing or resized after the round trip", name)
				}
				for j := range w.Data {
					if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
						t.Fatalf("output %q element %d: %v after the round trip, %v before", name, j, g.Data[j], w.Data[j])
					}
				}
			}
		})
	}
}
