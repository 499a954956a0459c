package ops

import "fmt"

// HardSigmoid computes dst[i] = max(0, min(1, alpha*x[i] + beta)), as ONNX
// HardSigmoid. dst may be x itself. It panics if dst is shorter than x.
func HardSigmoid(dst, x []float32, alpha, beta float32) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("ops.HardSigmoid: destination of %d values for %d", len(dst), len(x)))
	}
	for i, v := range x {
		dst[i] = hardSigmoid(v, alpha, beta)
	}
}

func hardSigmoid(v, alpha, beta float32) float32 {
	y := float32(alpha*v) + beta
	if y < 0 {
		y = 0
	}
	if y > 1 {
		y = 1
	}
	return y
}

// HardSwish computes dst[i] = x[i] * HardSigmoid(x[i]) with alpha 1/6 and
// beta 0.5, as ONNX HardSwish. dst may be x itself. It panics if dst is
// shorter than x.
func HardSwish(dst, x []float32) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("ops.HardSwish: destination of %d values for %d", len(dst), len(x)))
	}
	const alpha, beta = float32(1.0 / 6), float32(0.5)
	for i, v := range x {
		dst[i] = v * hardSigmoid(v, alpha, beta)
	}
}
