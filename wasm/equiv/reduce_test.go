package equiv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// reduceOpCases are the reductions and ArgMax/ArgMin on seeded random
// shapes and axes, the spatial case and the empty-axes forms included.
func reduceOpCases() []opCase {
	rng := rand.New(rand.NewPCG(5, 55))
	var cases []opCase
	for i, kind := range ops.ReduceKinds() {
		for j := 0; j < 2; j++ {
			rank := 1 + rng.IntN(4)
			shape := make([]int, rank)
			var axes []int64
			for d := range shape {
				shape[d] = 1 + rng.IntN(7)
				if rng.IntN(2) == 0 {
					axes = append(axes, int64(d-rank*rng.IntN(2)))
				}
			}
			attrs := map[string]any{"keepdims": int64((i + j) % 2)}
			if axes != nil {
				attrs["axes"] = axes
			} else if j == 1 {
				attrs["noop_with_empty_axes"] = int64(1)
			}
			op := kind.String()
			cases = append(cases, opCase{name: fmt.Sprintf("%s-%v-%v", op, shape, attrs), in: shape,
				build: func(b *runtime.Builder, x string) string {
					if kind == ops.ReduceLogSum || kind == ops.ReduceProd {
						x = b.Act("sig", "Sigmoid", x, nil) // positive values
					}
					return b.Generic("r", op, []string{x}, attrs, nil)
				}})
		}
	}
	cases = append(cases,
		opCase{name: "reducemean-large-last-axis", in: []int{3, 500}, build: func(b *runtime.Builder, x string) string {
			return b.Generic("r", "ReduceMean", []string{x}, map[string]any{"axes": []int64{-1}}, nil)
		}},
		opCase{name: "reducesum-strided", in: []int{4, 33, 9}, build: func(b *runtime.Builder, x string) string {
			return b.Generic("r", "ReduceSum", []string{x}, map[string]any{"axes": []int64{0, 2}, "keepdims": int64(0)}, nil)
		}},
	)
	for i := 0; i < 6; i++ {
		shape := []int{1 + rng.IntN(3), 1 + rng.IntN(6), 1 + rng.IntN(5)}
		attrs := map[string]any{"axis": int64(rng.IntN(6) - 3), "keepdims": int64(i % 2), "select_last_index": int64(i / 3)}
		op := []string{"ArgMax", "ArgMin"}[i%2]
		cases = append(cases, opCase{name: fmt.Sprintf("%s-%v-%v", op, shape, attrs), in: shape,
			build: func(b *runtime.Builder, x string) string {
				r := b.Act("relu", "Relu", x, nil) // ties at zero
				return b.Generic("a", op, []string{r}, attrs, nil)
			}})
	}
	return cases
}

// TestReduceBitIdentical runs the reductions natively and in the wasm
// module.
func TestReduceBitIdentical(t *testing.T) { runOpCases(t, reduceOpCases()) }

// TestNormBitIdentical runs LayerNormalization and InstanceNormalization,
// whose weights the Builder cannot make, natively and in the wasm module.
func TestNormBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 88))
	weight := func(shape ...int) *ops.Tensor {
		w, _ := ops.NewTensor(shape...)
		for i := range w.Data {
			w.Data[i] = rng.Float32()*2 - 1
		}
		return w
	}
	for i := 0; i < 8; i++ {
		shape := []int{1 + rng.IntN(3), 1 + rng.IntN(5), 2 + rng.IntN(40)}
		if i%2 == 1 {
			shape = append(shape, 1+rng.IntN(6))
		}
		axis := 1 + rng.IntN(len(shape)-1)
		ln := &runtime.Model{Inputs: []runtime.ValueInfo{{Name: "x", Shape: shape}}, Outputs: []string{"y", "z"},
			Weights: map[string]*ops.Tensor{"s": weight(shape[axis:]...), "b": weight(shape[len(shape)-1]),
				"is": weight(shape[1]), "ib": weight(shape[1])},
			Nodes: []*runtime.Node{
				{Name: "ln", Op: "LayerNormalization", Inputs: []string{"x", "s", "b"}, Outputs: []string{"y"},
					Attrs: map[string]any{"axis": int64(axis - len(shape)*(i%2)), "epsilon": 1e-4 * float64(i+1)}},
				{Name: "in", Op: "InstanceNormalization", Inputs: []string{"x", "is", "ib"}, Outputs: []string{"z"}},
			}}
		t.Run(fmt.Sprintf("%d-%v-axis%d", i, shape, axis), func(t *testing.T) { compare(t, ln, ops.AlgoAuto, 2, uint64(i)) })
	}
}
