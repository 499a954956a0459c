package ops

import (
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestHardActivations(t *testing.T) {
	x := make([]float32, 201)
	for i := range x {
		x[i] = float32(i-100) / 20
	}
	cases := []struct {
		name string
		run  func(dst []float32)
		ref  func(float64) float64
	}{
		{"hardsigmoid", func(d []float32) { HardSigmoid(d, x, 0.2, 0.5) }, func(v float64) float64 { return ref.HardSigmoid(v, 0.2, 0.5) }},
		{"hardsigmoid-custom", func(d []float32) { HardSigmoid(d, x, 0.7, -0.1) }, func(v float64) float64 { return ref.HardSigmoid(v, 0.7, -0.1) }},
		{"hardswish", func(d []float32) { HardSwish(d, x) }, ref.HardSwish},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]float32, len(x))
			c.run(dst)
			checkClose(t, dst, ref.Map(ref.To64(x), c.ref), 1e-6)
		})
	}
}
