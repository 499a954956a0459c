package ops

import (
	"fmt"
	"math"
)

// HardSwish's fixed HardSigmoid parameters.
const hardSwishAlpha, hardSwishBeta = float32(1.0 / 6), float32(0.5)

// HardSigmoid computes dst[i] = max(0, min(1, alpha*x[i] + beta)), as ONNX
// HardSigmoid (the product rounded to float32, then the sum). dst may be x
// itself. It panics if dst is shorter than x.
func HardSigmoid(dst, x []float32, alpha, beta float32) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("ops.HardSigmoid: destination of %d values for %d", len(dst), len(x)))
	}
	dst = dst[:len(x)]
	copy(dst, x)
	Activation{Kind: ActHardSigmoid, Alpha: alpha, Beta: beta}.Apply(dst)
}

// HardSwish computes dst[i] = x[i] * HardSigmoid(x[i]) with alpha 1/6 and
// beta 0.5, as ONNX HardSwish. dst may be x itself. It panics if dst is
// shorter than x.
func HardSwish(dst, x []float32) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("ops.HardSwish: destination of %d values for %d", len(dst), len(x)))
	}
	dst = dst[:len(x)]
	copy(dst, x)
	Activation{Kind: ActHardSwish}.Apply(dst)
}

// hardSigmoid is max(0, min(1, alpha*v + beta)) as the comparisons in
// sequence give it (y < 0 picks 0, then y > 1 picks 1; a NaN passes), with
// integer selects instead of branches (see Activation.Apply).
func hardSigmoid(v, alpha, beta float32) float32 {
	y := float32(alpha*v) + beta
	u := math.Float32bits(y)
	if y < 0 {
		u = 0
	}
	if y > 1 {
		u = 0x3f800000 // 1
	}
	return math.Float32frombits(u)
}

// hardSigmoidGo is the pure-Go HardActKernel: HardSigmoid(v) of every value
// v of the rows×cols block of c with row stride ldc, or v*HardSigmoid(v)
// with swish.
func hardSigmoidGo(c []float32, rows, cols, ldc int, alpha, beta float32, swish bool) {
	for r := 0; r < rows; r++ {
		row := c[r*ldc : r*ldc+cols]
		if swish {
			for i, v := range row {
				row[i] = v * hardSigmoid(v, alpha, beta)
			}
			continue
		}
		for i, v := range row {
			row[i] = hardSigmoid(v, alpha, beta)
		}
	}
}
