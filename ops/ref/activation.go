package ref

import "math"

// HardSigmoid returns max(0, min(1, alpha*v + beta)).
func HardSigmoid(v, alpha, beta float64) float64 { return math.Max(0, math.Min(1, alpha*v+beta)) }

// HardSwish returns v * HardSigmoid(v) with alpha 1/6 and beta 1/2.
func HardSwish(v float64) float64 { return v * HardSigmoid(v, 1.0/6, 0.5) }
