package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests of ActivationBackward.

func TestGradActivation(t *testing.T) {
	cases := []struct {
		name string
		a    Activation
		f    func(float64) float64
	}{
		{"none", Activation{Kind: ActNone}, func(v float64) float64 { return v }},
		{"relu", Activation{Kind: ActReLU}, ref.ReLU},
		{"leakyrelu", Activation{Kind: ActLeakyReLU, Alpha: 0.1}, func(v float64) float64 { return ref.LeakyReLU(v, float64(float32(0.1))) }},
		{"clip", Activation{Kind: ActClip, Alpha: -0.55, Beta: 0.73}, func(v float64) float64 {
			return ref.Clip(v, float64(float32(-0.55)), float64(float32(0.73)))
		}},
		{"relu6", ReLU6, func(v float64) float64 { return ref.Clip(v, 0, 6) }},
		{"sigmoid", Activation{Kind: ActSigmoid}, ref.Sigmoid},
		{"tanh", Activation{Kind: ActTanh}, ref.Tanh},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 41))
			const n = 200
			// Distinct values on the grid -8 + 0.04 + 0.08k: at least 0.04
			// from 0 and 0.02 from every clip bound, spanning the saturated
			// regions of clip (ReLU6 included), sigmoid and tanh.
			x := gradDistinct(rng, n)
			for i := range x {
				x[i] *= 8
			}
			y := append([]float32(nil), x...)
			c.a.Apply(y)
			dy := gradRand(rng, n)
			dx, check := gradGuard(t, n)
			ActivationBackward(c.a, x, y, dy, dx)
			check()
			// The Jacobian is diagonal: one finite difference per element.
			want := make([]float64, n)
			for i, v := range x {
				xv := float64(v)
				want[i] = float64(dy[i]) * (c.f(xv+gradH) - c.f(xv-gradH)) / (2 * gradH)
			}
			gradCheck(t, "dx", dx, want)
			// In place gives the same bits.
			in := append([]float32(nil), dy...)
			ActivationBackward(c.a, x, y, in, in)
			if !gradSameBits(in, dx) {
				t.Errorf("in-place result differs")
			}
		})
	}
}
