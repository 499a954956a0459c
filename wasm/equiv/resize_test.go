package equiv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/runtime"
)

// resizeCases are Resize nodes over seeded random shapes and targets, every
// mode and coordinate transformation.
func resizeCases() []opCase {
	rng := rand.New(rand.NewPCG(19, 7))
	coords := []string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"}
	nearests := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	var cs []opCase
	for i, coord := range coords {
		for _, mode := range []string{"nearest", "linear", "cubic"} {
			rank := 3 + rng.IntN(3)
			in := []int{1 + rng.IntN(2), 1 + rng.IntN(3)}
			for len(in) < rank {
				in = append(in, 2+rng.IntN(9))
			}
			attrs := map[string]any{"mode": mode, "coordinate_transformation_mode": coord, "nearest_mode": nearests[i%4]}
			if rng.IntN(2) == 0 {
				scales := []float64{1, 1}
				for range in[2:] {
					scales = append(scales, float64(float32(0.4+rng.Float64()*2.5)))
				}
				attrs["scales"] = scales
			} else {
				sizes := []int64{int64(in[0]), int64(in[1])}
				for _, d := range in[2:] {
					sizes = append(sizes, int64(1+rng.IntN(3*d)))
				}
				attrs["sizes"] = sizes
			}
			if mode == "cubic" {
				attrs["exclude_outside"] = int64(rng.IntN(2))
				attrs["cubic_coeff_a"] = -0.5
			}
			if coord == "tf_crop_and_resize" {
				roi := make([]float64, 2*rank)
				for a := 0; a < rank; a++ {
					roi[a], roi[rank+a] = rng.Float64()*0.4-0.2, 0.6+rng.Float64()*0.6
				}
				attrs["roi"], attrs["extrapolation_value"] = roi, 1.5
			}
			cs = append(cs, opCase{name: fmt.Sprintf("%s-%s-%v", mode, coord, in), in: in, build: func(b *runtime.Builder, x string) string {
				return b.Generic("r", "Resize", []string{x}, attrs, nil)
			}})
		}
	}
	return cs
}

// TestResizeBitIdentical runs the Resize cases natively and in the wasm
// module, bit for bit.
func TestResizeBitIdentical(t *testing.T) { runOpCases(t, resizeCases()) }
