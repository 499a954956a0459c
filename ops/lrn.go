package ops

import (
	"fmt"
	"math"
)

// LRN applies local response normalisation across channels, as ONNX defines
// it (and AlexNet, Caffe and PyTorch for odd sizes): for x of shape [n, c,
// spatial],
//
//	y[c] = x[c] / (bias + alpha/size * sum(x[c']**2))**beta
//
// with c' running over the channels from c-floor((size-1)/2) to
// c+ceil((size-1)/2), clipped to [0, c). Sums and powers are computed in
// float64 (with square roots for beta 0.5, 0.75 and 1, Pow64 otherwise). dst must not overlap x. LRN panics if a buffer is too short
// or size < 1.
func LRN(dst, x []float32, n, c, spatial, size int, alpha, beta, bias float32) {
	total := n * c * spatial
	if len(x) < total || len(dst) < total || size < 1 {
		panic(fmt.Sprintf("ops.LRN: buffers of %d and %d values for [%d %d %d], size %d", len(x), len(dst), n, c, spatial, size))
	}
	before, after := (size-1)/2, size/2
	scale := float64(alpha) / float64(size)
	b64, beta64 := float64(bias), float64(beta)
	for in := 0; in < n; in++ {
		img := x[in*c*spatial : (in+1)*c*spatial]
		out := dst[in*c*spatial : (in+1)*c*spatial]
		for ch := 0; ch < c; ch++ {
			lo, hi := max(ch-before, 0), min(ch+after, c-1)
			for s := 0; s < spatial; s++ {
				sq := 0.0
				for k := lo; k <= hi; k++ {
					v := float64(img[k*spatial+s])
					sq += float64(v * v)
				}
				den := powBeta(b64+float64(scale*sq), beta64)
				out[ch*spatial+s] = float32(float64(img[ch*spatial+s]) / den)
			}
		}
	}
}

// LRNFLOPs returns the FLOP count of LRN: per element, a multiply and an add
// per window channel, then a scale, an add, a power (counted as one) and a
// division.
func LRNFLOPs(n, c, spatial, size int) int64 {
	return int64(n) * int64(c) * int64(spatial) * (2*int64(size) + 4)
}

// powBeta returns x**beta, with the common exponents 0.75 (AlexNet, ONNX's
// default), 0.5 and 1 computed from square roots, which are correctly rounded
// on every platform, at a tenth of Pow64's cost.
func powBeta(x, beta float64) float64 {
	switch beta {
	case 0.75:
		r := math.Sqrt(x)
		return float64(r * math.Sqrt(r))
	case 0.5:
		return math.Sqrt(x)
	case 1:
		return x
	}
	return Pow64(x, beta)
}
