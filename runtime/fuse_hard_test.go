package runtime

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestFusedHardActivationsBitIdentical checks that HardSwish and
// HardSigmoid fused into the Conv, Add and global-pool squeeze-excite
// layers before them give the bits of the standalone ops (NoFusion), and
// that they are fused.
func TestFusedHardActivationsBitIdentical(t *testing.T) {
	b := NewBuilder("hard", 1)
	x := b.Input("x", 1, 4, 9, 11)
	y := b.Conv("c0", x, 8, ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}})
	y = b.Act("hs0", "HardSwish", y, nil)
	d := b.Conv("dw", y, 8, ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, Groups: 8})
	d = b.Act("hs1", "HardSwish", d, nil)
	s := b.GlobalAvgPool("gap", d)
	s = b.Conv("se1", s, 4, ConvSpec{Kernel: []int{1, 1}})
	s = b.Act("r", "Relu", s, nil)
	s = b.Conv("se2", s, 8, ConvSpec{Kernel: []int{1, 1}})
	s = b.Act("hsig", "HardSigmoid", s, map[string]any{"alpha": 1.0 / 6})
	m := b.Generic("mul", "Mul", []string{d, s}, nil, b.Shape(d))
	a := b.Add("add", m, y)
	a = b.Act("hsig2", "HardSigmoid", a, nil)
	b.Output(a)
	model, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	in, _ := ops.NewTensor(1, 4, 9, 11)
	for i := range in.Data {
		in.Data[i] = rng.Float32()*8 - 4
	}
	run := func(noFusion bool) ([]float32, int) {
		sess, err := NewSession(model, Options{NoFusion: noFusion})
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.Run(context.Background(), map[string]*ops.Tensor{"x": in})
		if err != nil {
			t.Fatal(err)
		}
		return out[a].Data, len(sess.plans[0].plan.steps)
	}
	fused, nf := run(false)
	plain, np := run(true)
	if nf+5 != np {
		t.Errorf("%d steps fused, %d unfused: want the 4 hard activations and the ReLU fused", nf, np)
	}
	for i := range plain {
		if math.Float32bits(fused[i]) != math.Float32bits(plain[i]) {
			t.Fatalf("out[%d] = %v fused, %v standalone", i, fused[i], plain[i])
		}
	}
}
