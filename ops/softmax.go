package ops

import "fmt"

// Softmax normalises x, viewed as [outer, axis, inner], along its middle
// axis: dst = e**(x-max) / sum(e**(x-max)), with the max and the sum taken
// over the axis. Exponentials and the sum are computed in float64 (Exp64), so
// large inputs cannot overflow. dst may be x itself but must not otherwise
// overlap it. Softmax panics if a buffer is too short. With inner = 1 (the
// innermost axis) it runs on the installed Softmax kernel, if any, which
// computes the same values (see SoftmaxKernel).
func Softmax(dst, x []float32, outer, axis, inner int) {
	n := outer * axis * inner
	if len(x) < n || len(dst) < n {
		panic(fmt.Sprintf("ops.Softmax: buffers of %d and %d values for [%d %d %d]", len(x), len(dst), outer, axis, inner))
	}
	if n == 0 {
		return
	}
	if k := installed.Softmax; k != nil && inner == 1 {
		k(dst[:n], x[:n], outer, axis)
		return
	}
	softmaxGo(dst, x, outer, axis, inner)
}

// softmaxRowsGo is the pure-Go SoftmaxKernel.
func softmaxRowsGo(dst, x []float32, rows, n int) { softmaxGo(dst, x, rows, n, 1) }

// softmaxGo is Softmax in pure Go.
func softmaxGo(dst, x []float32, outer, axis, inner int) {
	for o := 0; o < outer; o++ {
		base := o * axis * inner
		for i := 0; i < inner; i++ {
			col := base + i
			end := col + axis*inner
			m := x[col]
			for j := col + inner; j < end; j += inner {
				if v := x[j]; v > m {
					m = v
				}
			}
			mf := float64(m)
			sum := 0.0
			for j := col; j < end; j += inner {
				e := Exp64(float64(x[j]) - mf)
				sum += e
				dst[j] = float32(e)
			}
			// e rounded to float32 then divided in float64: within one
			// float32 ulp of the exact quotient.
			for j := col; j < end; j += inner {
				dst[j] = float32(float64(dst[j]) / sum)
			}
		}
	}
}

// SoftmaxFLOPs returns the FLOP count of Softmax: per element a comparison,
// a subtraction, an exponential (counted as one), an add and a division.
func SoftmaxFLOPs(outer, axis, inner int) int64 {
	return 5 * int64(outer) * int64(axis) * int64(inner)
}
