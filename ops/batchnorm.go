package ops

import (
	"fmt"
	"math"
)

// BatchNorm is inference-time batch normalisation folded into one scale and
// one shift per channel: y = Scale[c]*x + Shift[c].
type BatchNorm struct{ Scale, Shift []float32 }

// NewBatchNorm folds the per-channel parameters of a batch normalisation,
// y = gamma*(x-mean)/sqrt(variance+eps) + beta, into a = gamma/sqrt(variance+eps)
// and b = beta - mean*a, computed in float64 and rounded once. It returns an
// error wrapping ErrShape if the four slices are empty or differ in length,
// and an error if some variance+eps is not a positive finite number.
func NewBatchNorm(gamma, beta, mean, variance []float32, eps float32) (*BatchNorm, error) {
	c := len(gamma)
	if c == 0 || len(beta) != c || len(mean) != c || len(variance) != c {
		return nil, fmt.Errorf("%w: batch norm gamma, beta, mean and variance have %d, %d, %d and %d values; need the same nonzero count",
			ErrShape, len(gamma), len(beta), len(mean), len(variance))
	}
	bn := &BatchNorm{Scale: make([]float32, c), Shift: make([]float32, c)}
	for i := range c {
		v := float64(variance[i]) + float64(eps)
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("batch norm channel %d: variance %g + epsilon %g must be positive and finite", i, variance[i], eps)
		}
		a := float64(gamma[i]) / math.Sqrt(v)
		bn.Scale[i] = float32(a)
		bn.Shift[i] = float32(float64(beta[i]) - float64(float64(mean[i])*a))
	}
	return bn, nil
}

// Forward normalises x ([n, C, spatial], C = len(bn.Scale)) into dst; dst
// may be x itself. It panics if a buffer is too short.
func (bn *BatchNorm) Forward(dst, x []float32, n, spatial int) {
	c := len(bn.Scale)
	total := n * c * spatial
	if len(x) < total || len(dst) < total || len(bn.Shift) != c {
		panic(fmt.Sprintf("ops.BatchNorm.Forward: buffers of %d and %d values for [%d %d %d]", len(x), len(dst), n, c, spatial))
	}
	for p := 0; p < n*c; p++ {
		a, b := bn.Scale[p%c], bn.Shift[p%c]
		src := x[p*spatial : (p+1)*spatial]
		out := dst[p*spatial : (p+1)*spatial]
		for i, v := range src {
			out[i] = float32(v*a) + b
		}
	}
}

// FLOPs returns the FLOP count of Forward: a multiply and an add per element.
func (bn *BatchNorm) FLOPs(n, spatial int) int64 {
	return 2 * int64(n) * int64(len(bn.Scale)) * int64(spatial)
}
