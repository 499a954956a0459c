package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvTransposeGemmBitIdentical checks the GEMM path of kernel =
// stride transposed convolutions against the direct ConvTranspose on
// random shapes (ranks 1-3, groups, batch, bias, activations, threads):
// every output bit-identical, and shapes the GEMM does not take (padding,
// dilation, output padding, overlapping taps) left to ConvTranspose.
func TestConvTransposeGemmBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	acts := []Activation{{}, {Kind: ActReLU}, {Kind: ActHardSwish}, {Kind: ActSigmoid}, ReLU6}
	for i := range 60 {
		rank := 1 + rng.IntN(3)
		groups := 1 + rng.IntN(2)
		c, mg := groups*(1+rng.IntN(6)), 1+rng.IntN(5)
		in := []int{1 + rng.IntN(2), c}
		w := []int{c, mg}
		strides := make([]int, rank)
		for a := 0; a < rank; a++ {
			in = append(in, 1+rng.IntN(7))
			s := 1 + rng.IntN(3)
			if rank == 2 && i%2 == 0 {
				s = 2 // the detector's case
			}
			strides[a] = s
			w = append(w, s)
		}
		g, err := NewConvTransposeGeom(in, w, ConvTransposeParams{Window: Window{Strides: strides}, Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		x, wt := randSlice(rng, ShapeSize(in)), randSlice(rng, ShapeSize(w))
		var bias []float32
		if i%3 != 0 {
			bias = randSlice(rng, g.M)
		}
		act := acts[i%len(acts)]
		want := make([]float32, ShapeSize(g.OutShape()))
		ConvTranspose(g, want, x, wt, bias, act, 1)
		ws := make([]float32, ConvTransposeWorkspaceLen(g))
		if len(ws) == 0 {
			t.Fatalf("case %d: %v * %v strides %v: no GEMM path", i, in, w, strides)
		}
		for _, threads := range []int{1, 3} {
			got := make([]float32, len(want))
			ConvTransposeGemm(g, got, x, wt, bias, act, ws, threads)
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("case %d (%v * %v strides %v, %d threads): out[%d] = %v, direct %v", i, in, w, strides, threads, j, got[j], want[j])
				}
			}
		}
	}
	for _, p := range []ConvTransposeParams{
		{Window: Window{Strides: []int{2, 2}, PadsBegin: []int{1, 0}, PadsEnd: []int{0, 0}}},
		{Window: Window{Strides: []int{2, 2}, Dilations: []int{2, 1}}},
		{Window: Window{Strides: []int{2, 2}}, OutputPadding: []int{1, 0}},
		{Window: Window{Strides: []int{1, 1}}},
	} {
		g, err := NewConvTransposeGeom([]int{1, 2, 4, 4}, []int{2, 3, 2, 2}, p)
		if err != nil {
			t.Fatal(err)
		}
		if n := ConvTransposeWorkspaceLen(g); n != 0 {
			t.Errorf("%+v: workspace %d, want 0 (no GEMM path)", p, n)
		}
	}
}
