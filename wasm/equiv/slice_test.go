package equiv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/runtime"
)

// Slice on activations (negative indices, clamped and INT64 bounds,
// negative steps, a view when it keeps everything), natively and in the
// wasm module, bit for bit.
func TestSliceBitIdentical(t *testing.T) { runOpCases(t, sliceOpCases()) }

func sliceOpCases() []opCase {
	k := func(v ...int) []int { return v }
	slice := func(name string, in []int, attrs map[string]any) opCase {
		return opCase{name: name, in: in, build: func(b *runtime.Builder, x string) string {
			r := b.Generic("relu", "Relu", []string{x}, nil, nil) // a computed input
			return b.Generic("slice", "Slice", []string{r}, attrs, nil)
		}}
	}
	i64 := func(v ...int64) []int64 { return v }
	cases := []opCase{
		slice("slice-last-axis", k(2, 3, 9), map[string]any{"starts": i64(-3), "ends": i64(math.MaxInt64), "axes": i64(-1)}),
		slice("slice-reverse", k(2, 3, 9), map[string]any{"starts": i64(-1), "ends": i64(math.MinInt64), "axes": i64(2), "steps": i64(-1)}),
		slice("slice-steps", k(4, 5, 6, 7), map[string]any{"starts": i64(1, 6, 0), "ends": i64(4, -100, 7), "axes": i64(0, 3, 1), "steps": i64(2, -3, 2)}),
		slice("slice-head-of-three", k(3, 2, 8, 5, 15), map[string]any{"starts": i64(1), "ends": i64(2), "axes": i64(0)}),
		slice("slice-everything", k(3, 4), map[string]any{"starts": i64(0, -10), "ends": i64(10, math.MaxInt64)}),
		slice("slice-empty", k(3, 4), map[string]any{"starts": i64(2), "ends": i64(1)}),
	}
	rng := rand.New(rand.NewPCG(81, 82))
	for i := range 8 {
		rank := 1 + rng.IntN(5)
		in := make([]int, rank)
		for j := range in {
			in[j] = 1 + rng.IntN(7)
		}
		var starts, ends, axes, steps []int64
		for _, ax := range rng.Perm(rank)[:1+rng.IntN(rank)] {
			d := int64(in[ax])
			starts = append(starts, rng.Int64N(2*d+1)-d)
			ends = append(ends, rng.Int64N(2*d+3)-d-1)
			axes = append(axes, int64(ax))
			st := 1 + rng.Int64N(3)
			if rng.IntN(2) == 0 {
				st = -st
			}
			steps = append(steps, st)
		}
		cases = append(cases, slice(fmt.Sprintf("slice-random-%d", i), in,
			map[string]any{"starts": starts, "ends": ends, "axes": axes, "steps": steps}))
	}
	return cases
}
