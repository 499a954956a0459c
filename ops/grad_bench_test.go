package ops

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGradConvBackward times ConvBackward (dx, dw and db) on a
// ResNet-style 3x3 layer, 64 -> 64 channels at 56x56, batch 1.
func BenchmarkGradConvBackward(b *testing.B) {
	g, err := NewConvGeom([]int{1, 64, 56, 56}, []int{64, 64, 3, 3},
		ConvParams{Window: Window{PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, dy := gradRand(rng, gradProd(g.InShape())), gradRand(rng, gradProd(g.WeightShape())), gradRand(rng, gradProd(g.OutShape()))
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, g.M)
	ws := make([]float32, ConvBackwardWorkspaceLen(g))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ConvBackward(g, x, w, dy, dx, dw, db, ws, 1)
	}
	b.ReportMetric(float64(2*g.FLOPs(false))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
