package ops

import (
	"math"
	"testing"
)

// TestActivationBackwardHard checks the HardSigmoid and HardSwish
// derivatives against central differences away from the kinks, and their
// values at the kinks (PyTorch's conventions).
func TestActivationBackwardHard(t *testing.T) {
	for _, a := range []Activation{{Kind: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Kind: ActHardSwish}} {
		alpha, beta := float64(a.Alpha), float64(a.Beta)
		if a.Kind == ActHardSwish {
			alpha, beta = 1.0/6, 0.5
		}
		f := func(v float64) float64 {
			h := math.Max(0, math.Min(1, alpha*v+beta))
			if a.Kind == ActHardSwish {
				return v * h
			}
			return h
		}
		var x []float32
		for v := float32(-5.05); v < 5; v += 0.25 {
			x = append(x, v)
		}
		dy := make([]float32, len(x))
		for i := range dy {
			dy[i] = 1.5
		}
		dx := make([]float32, len(x))
		ActivationBackward(a, x, nil, dy, dx)
		for i, v := range x {
			const eps = 1e-3
			want := 1.5 * (f(float64(v)+eps) - f(float64(v)-eps)) / (2 * eps)
			if math.Abs(float64(dx[i])-want) > 1e-3 {
				t.Errorf("%v: dx at %v = %v, want %v", a.Kind, v, dx[i], want)
			}
		}
	}
	dx := make([]float32, 2)
	ActivationBackward(Activation{Kind: ActHardSwish}, []float32{-3, 3}, nil, []float32{1, 1}, dx)
	if dx[0] != -0.5 || dx[1] != 1.5 {
		t.Errorf("HardSwish at -3, 3: %v, want [-0.5 1.5]", dx)
	}
	ActivationBackward(Activation{Kind: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, []float32{-2.5, 2.5}, nil, []float32{1, 1}, dx)
	if dx[0] != 0 || dx[1] != 0 {
		t.Errorf("HardSigmoid at the kinks: %v, want [0 0]", dx)
	}
}
