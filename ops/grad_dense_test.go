package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests of DenseBackward.

func TestGradDense(t *testing.T) {
	cases := []struct {
		name              string
		batch, in, out    int
		transposed, skipX bool
	}{
		{"transposed_batch3", 3, 5, 4, true, false},
		{"plain_batch3", 3, 5, 4, false, false},
		{"transposed_batch1", 1, 17, 9, true, false},
		{"plain_batch2_wide", 2, 9, 17, false, false},
		{"transposed_no_dx", 4, 6, 3, true, true},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 31))
			x, w, b := gradRand(rng, c.batch*c.in), gradRand(rng, c.in*c.out), gradRand(rng, c.out)
			dy := gradRand(rng, c.batch*c.out)
			var dx []float32
			checkDx := func() {}
			if !c.skipX {
				dx, checkDx = gradGuard(t, len(x))
			}
			dw, checkDw := gradGuard(t, len(w))
			db, checkDb := gradGuard(t, len(b))
			for i := range dw {
				dw[i] = 3 // must be overwritten
			}
			DenseBackward(x, w, dy, dx, dw, db, c.batch, c.in, c.out, c.transposed)
			checkDx()
			checkDw()
			checkDb()
			x64, w64, b64, r := ref.To64(x), ref.To64(w), ref.To64(b), ref.To64(dy)
			loss := func() float64 { return gradDot(ref.Dense(x64, c.batch, c.in, c.out, w64, c.transposed, b64), r) }
			if !c.skipX {
				gradCheck(t, "dx", dx, gradFD(loss, x64, gradIndices(rng, len(x))))
			}
			gradCheck(t, "dw", dw, gradFD(loss, w64, gradIndices(rng, len(w))))
			gradCheck(t, "db", db, gradFD(loss, b64, gradIndices(rng, len(b))))
		})
	}
}
