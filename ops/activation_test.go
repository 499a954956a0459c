package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

func TestActivationApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	x := make([]float32, 0, 5000)
	for i := 0; i < 4000; i++ {
		x = append(x, float32(rng.NormFloat64()*5))
	}
	inf := float32(math.Inf(1))
	x = append(x, 0, float32(math.Copysign(0, -1)), 6, -6, 0.1, -0.1, inf, -inf, 1e30, -1e30, 1e-30, -1e-30, 25, -25)
	for _, tc := range []struct {
		name string
		act  Activation
		ref  func(float64) float64
		ulps int64 // 0: exact
	}{
		{"none", Activation{}, func(v float64) float64 { return v }, 0},
		{"relu", Activation{Kind: ActReLU}, ref.ReLU, 0},
		{"leakyrelu", Activation{Kind: ActLeakyReLU, Alpha: 0.01}, func(v float64) float64 { return ref.LeakyReLU(v, float64(float32(0.01))) }, 0},
		{"leakyrelu_0.2", Activation{Kind: ActLeakyReLU, Alpha: 0.2}, func(v float64) float64 { return ref.LeakyReLU(v, float64(float32(0.2))) }, 0},
		{"relu6", ReLU6, func(v float64) float64 { return ref.Clip(v, 0, 6) }, 0},
		{"clip", Activation{Kind: ActClip, Alpha: -1.5, Beta: 2.25}, func(v float64) float64 { return ref.Clip(v, -1.5, 2.25) }, 0},
		{"sigmoid", Activation{Kind: ActSigmoid}, ref.Sigmoid, 1},
		{"tanh", Activation{Kind: ActTanh}, ref.Tanh, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := append([]float32(nil), x...)
			tc.act.Apply(got)
			for i, v := range x {
				want := float32(tc.ref(float64(v)))
				if d := ulps32(got[i], want, false); d < 0 || d > tc.ulps {
					t.Fatalf("%s(%v) = %v, want %v", tc.name, v, got[i], want)
				}
				if s := tc.act.Scalar(v); math.Float32bits(s) != math.Float32bits(got[i]) {
					t.Fatalf("Scalar(%v) = %v, Apply gave %v", v, s, got[i])
				}
			}
		})
	}
}

func TestActKindNames(t *testing.T) {
	for k := ActNone; k <= ActTanh; k++ {
		t.Run(k.String(), func(t *testing.T) {
			got, err := ParseActKind(k.String())
			if err != nil || got != k {
				t.Fatalf("ParseActKind(%q) = %v, %v", k.String(), got, err)
			}
		})
	}
	if _, err := ParseActKind("swish"); err == nil {
		t.Fatal("ParseActKind accepted an unknown name")
	}
}
