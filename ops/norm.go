package ops

import (
	"fmt"
	"math"
)

// meanInvStd returns the mean of row and 1/sqrt(variance+eps), the
// variance being the mean of the squared deviations (the biased estimate),
// both summed in float64 in index order over two passes.
func meanInvStd(row []float32, eps float32) (mean, inv float64) {
	s := 0.0
	for _, v := range row {
		s += float64(v)
	}
	mean = s / float64(len(row))
	q := 0.0
	for _, v := range row {
		d := float64(v) - mean
		q += float64(d * d)
	}
	return mean, 1 / math.Sqrt(q/float64(len(row))+float64(eps))
}

// LayerNorm normalises each of the outer rows of inner values of x into
// dst: y = (x - mean) / sqrt(variance + eps) * scale + bias, the mean and
// the (biased) variance taken over the row, in float64 and in index order;
// the normalised value is rounded to float32 before the scale and bias
// (float32 arithmetic) apply. scale has inner values; bias has inner values
// or is nil (zero). dst may be x itself. It allocates nothing and panics if
// a buffer is too short.
func LayerNorm(dst, x, scale, bias []float32, outer, inner int, eps float32) {
	n := outer * inner
	if inner < 1 || len(x) < n || len(dst) < n || len(scale) < inner || (bias != nil && len(bias) < inner) {
		panic(fmt.Sprintf("ops.LayerNorm: buffers of %d, %d, %d and %d values for [%d %d]", len(x), len(dst), len(scale), len(bias), outer, inner))
	}
	for r := 0; r < outer; r++ {
		row := x[r*inner : (r+1)*inner]
		out := dst[r*inner : (r+1)*inner]
		mean, inv := meanInvStd(row, eps)
		for i, v := range row {
			y := float32((float64(v) - mean) * inv)
			y = float32(y * scale[i])
			if bias != nil {
				y += bias[i]
			}
			out[i] = y
		}
	}
}

// LayerNormFLOPs returns the FLOP count of LayerNorm: per element two adds
// for the statistics, a subtraction and a square, and the normalisation's
// subtraction, multiplications and add.
func LayerNormFLOPs(outer, inner int) int64 { return 8 * int64(outer) * int64(inner) }

// InstanceNorm normalises each spatial plane of x ([n, c, spatial]) into
// dst: y = (x - mean) / sqrt(variance + eps) * scale[c] + bias[c], the
// statistics taken over the plane as LayerNorm takes them over a row. dst
// may be x itself. It allocates nothing and panics if a buffer is too short.
func InstanceNorm(dst, x, scale, bias []float32, n, c, spatial int, eps float32) {
	total := n * c * spatial
	if spatial < 1 || len(x) < total || len(dst) < total || len(scale) < c || len(bias) < c {
		panic(fmt.Sprintf("ops.InstanceNorm: buffers of %d, %d, %d and %d values for [%d %d %d]", len(x), len(dst), len(scale), len(bias), n, c, spatial))
	}
	for p := 0; p < n*c; p++ {
		row := x[p*spatial : (p+1)*spatial]
		out := dst[p*spatial : (p+1)*spatial]
		s, b := scale[p%c], bias[p%c]
		mean, inv := meanInvStd(row, eps)
		for i, v := range row {
			y := float32((float64(v) - mean) * inv)
			out[i] = float32(y*s) + b
		}
	}
}
