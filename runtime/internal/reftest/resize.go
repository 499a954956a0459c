package reftest

import (
	"github.com/wasmnn/wasmnn/ops/ref"
	"github.com/wasmnn/wasmnn/runtime"
)

// refResize evaluates a Resize node with ref.Resize.
func refResize(a *runtime.AttrReader, x []float64, xs []int) ([]float64, []int, error) {
	y, ys := ref.Resize(x, xs, ref.ResizeAttrs{Mode: a.String("mode"), Coord: a.String("coordinate_transformation_mode"),
		Nearest: a.String("nearest_mode"), CubicA: float64(a.Float("cubic_coeff_a")), ExcludeOutside: a.Int("exclude_outside") == 1,
		Extrapolation: float64(a.Float("extrapolation_value")), Scales: a.Floats("scales", -1), Sizes: a.Ints("sizes", -1),
		Axes: a.Ints("axes", -1), Policy: a.String("keep_aspect_ratio_policy"), ROI: a.Floats("roi", -1)})
	return y, ys, a.Err()
}
