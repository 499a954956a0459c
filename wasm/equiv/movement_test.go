package equiv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/runtime"
)

// MatMul (batched, broadcast, both operands computed) and the data-movement
// ops, natively and in the wasm module, bit for bit.
func TestMatMulBitIdentical(t *testing.T) { runOpCases(t, matmulOpCases()) }

func TestMovementBitIdentical(t *testing.T) { runOpCases(t, movementOpCases()) }

func matmulOpCases() []opCase {
	rng := rand.New(rand.NewPCG(71, 72))
	k := func(v ...int) []int { return v }
	mm := func(name string, a, b []int) opCase {
		return opCase{name: name, in: a, build: func(bl *runtime.Builder, x string) string {
			z := bl.Input("z", b...)
			return bl.Generic("mm", "MatMul", []string{x, z}, nil, nil)
		}}
	}
	cases := []opCase{
		mm("matmul-2d", k(7, 33), k(33, 19)),
		mm("matmul-batched-broadcast", k(2, 1, 5, 9), k(3, 9, 6)),
		mm("matmul-1d-left", k(9), k(2, 9, 4)),
		mm("matmul-1d-right", k(3, 4, 9), k(9)),
		mm("matmul-large", k(2, 150, 270), k(270, 140)),   // Gemm blocks, threads within each product
		mm("matmul-many-small", k(16, 3, 5), k(16, 5, 4)), // products split across threads
	}
	for i := range 6 {
		m, n, kk := 1+rng.IntN(20), 1+rng.IntN(20), 1+rng.IntN(40)
		b := 1 + rng.IntN(4)
		cases = append(cases, mm(fmt.Sprintf("matmul-random-%d", i), k(b, m, kk), k(1, kk, n)))
	}
	cases = append(cases, opCase{name: "attention", in: k(2, 3, 7, 8), build: func(b *runtime.Builder, x string) string {
		kt := b.Generic("kt", "Transpose", []string{x}, map[string]any{"perm": []int64{0, 1, 3, 2}}, nil)
		qk := b.Generic("qk", "MatMul", []string{x, kt}, nil, nil)
		p := b.Generic("sm", "Softmax", []string{qk}, map[string]any{"axis": int64(-1)}, nil)
		return b.Generic("pv", "MatMul", []string{p, x}, nil, nil)
	}})
	return cases
}

func movementOpCases() []opCase {
	k := func(v ...int) []int { return v }
	gen := func(name, op string, in []int, attrs map[string]any) opCase {
		return opCase{name: name, in: in, build: func(b *runtime.Builder, x string) string {
			return b.Generic("op", op, []string{x}, attrs, nil)
		}}
	}
	return []opCase{
		gen("gather-axis1", "Gather", k(2, 5, 3), map[string]any{"axis": int64(1), "indices": []int64{4, -1, 0, 2}, "indices_shape": []int64{2, 2}}),
		gen("gather-scalar", "Gather", k(3, 4), map[string]any{"axis": int64(-1), "indices": []int64{-2}, "indices_shape": []int64{}}),
		gen("expand", "Expand", k(3, 1, 4), map[string]any{"shape": []int64{2, 1, 5, 1}}),
		gen("tile", "Tile", k(2, 3, 4), map[string]any{"repeats": []int64{2, 1, 3}}),
		gen("depthtospace-dcr", "DepthToSpace", k(2, 8, 3, 5), map[string]any{"blocksize": int64(2)}),
		gen("depthtospace-crd", "DepthToSpace", k(1, 18, 2, 3), map[string]any{"blocksize": int64(3), "mode": "CRD"}),
		gen("spacetodepth", "SpaceToDepth", k(2, 3, 6, 4), map[string]any{"blocksize": int64(2)}),
		{name: "split", in: k(2, 9, 4), build: func(b *runtime.Builder, x string) string {
			parts := b.GenericOutputs("split", "Split", []string{x}, map[string]any{"axis": int64(1), "split": []int64{2, 3, 4}})
			b.Output(parts[0], parts[2])
			return b.Generic("sig", "Sigmoid", []string{parts[1]}, nil, nil)
		}},
	}
}
