package ops

import "fmt"

// ActivationBackward computes dx = dy·act'(·) elementwise over len(dy)
// values. What it reads depends on the kind:
//
//   - ActNone: neither (dx = dy);
//   - ActReLU: the input x; the derivative is 1 for x > 0 and 0 otherwise
//     (0 at the kink, as PyTorch);
//   - ActLeakyReLU: the input x; 1 for x > 0, Alpha otherwise (Alpha at 0,
//     as PyTorch);
//   - ActClip: the input x; 1 for Alpha < x < Beta, 0 otherwise (0 at both
//     bounds, as PyTorch's hardtanh);
//   - ActSigmoid: the output y; y·(1−y);
//   - ActTanh: the output y; 1−y²;
//   - ActHardSigmoid: the input x; Alpha where 0 < Alpha·x+Beta < 1, 0
//     otherwise (0 at both kinks, as PyTorch's hardsigmoid);
//   - ActHardSwish: the input x; with h = x/6+1/2 (HardSigmoid's argument),
//     0 for h < 0, x/3+1/2 for 0 <= h <= 1, 1 for h > 1 (as PyTorch's
//     hardswish: x/3+1/2 at both kinks).
//
// The slice that is not read may be nil. dx may be dy itself (in place) but
// must not otherwise overlap it. A NaN input takes the "otherwise" branch of
// the piecewise kinds.
// It does not allocate; short buffers panic.
func ActivationBackward(a Activation, x, y, dy, dx []float32) {
	n := len(dy)
	if len(dx) < n {
		panic(fmt.Sprintf("ops: ActivationBackward: dx has %d values, dy %d", len(dx), n))
	}
	dx = dx[:n]
	switch a.Kind {
	case ActNone:
		copy(dx, dy)
	case ActReLU:
		x = x[:n]
		for i, d := range dy {
			if x[i] > 0 {
				dx[i] = d
			} else {
				dx[i] = 0
			}
		}
	case ActLeakyReLU:
		x = x[:n]
		for i, d := range dy {
			if x[i] > 0 {
				dx[i] = d
			} else {
				dx[i] = float32(d * a.Alpha)
			}
		}
	case ActClip:
		x = x[:n]
		lo, hi := a.Alpha, a.Beta
		for i, d := range dy {
			if v := x[i]; v > lo && v < hi {
				dx[i] = d
			} else {
				dx[i] = 0
			}
		}
	case ActSigmoid:
		y = y[:n]
		for i, d := range dy {
			v := y[i]
			dx[i] = float32(d * float32(v*(1-v)))
		}
	case ActTanh:
		y = y[:n]
		for i, d := range dy {
			v := y[i]
			dx[i] = float32(d * (1 - float32(v*v)))
		}
	case ActHardSigmoid:
		x = x[:n]
		for i, d := range dy {
			if h := float32(a.Alpha*x[i]) + a.Beta; h > 0 && h < 1 {
				dx[i] = float32(d * a.Alpha)
			} else {
				dx[i] = 0
			}
		}
	case ActHardSwish:
		x = x[:n]
		for i, d := range dy {
			v := x[i]
			switch h := float32(hardSwishAlpha*v) + hardSwishBeta; {
			case h < 0:
				dx[i] = 0
			case h <= 1:
				dx[i] = float32(d * (float32(v/3) + 0.5))
			default:
				dx[i] = d
			}
		}
	default:
		panic(fmt.Sprintf("ops: ActivationBackward: unknown activation kind %d", a.Kind))
	}
}
