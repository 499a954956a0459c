package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// depthwiseCases are depthwise geometries for the padded path: small maps
// (outputs narrower than a vector, 1- to 3-row maps under 5x5 kernels),
// strides 2x1 and 1x2, dilation, padding wider than the kernel reach, 1D,
// channel multipliers, and random ones.
func depthwiseCases(rng *rand.Rand) []convCase {
	win := func(s, d, p []int) ConvParams {
		return ConvParams{Window: convWin(s, d, p, p, PadExplicit)}
	}
	cases := []convCase{
		{name: "5x5_3rows", x: []int{1, 4, 3, 21}, w: []int{4, 1, 5, 5}, p: win(nil, nil, []int{2, 2})},
		{name: "5x5_1row", x: []int{1, 3, 1, 9}, w: []int{3, 1, 5, 5}, p: win(nil, nil, []int{2, 2})},
		{name: "3x3_7x7", x: []int{2, 5, 7, 7}, w: []int{5, 1, 3, 3}, p: win(nil, nil, []int{1, 1})},
		{name: "3x3_2x3", x: []int{1, 3, 2, 3}, w: []int{3, 1, 3, 3}, p: win(nil, nil, []int{1, 1})},
		{name: "3x3_s2x1", x: []int{1, 4, 12, 30}, w: []int{4, 1, 3, 3}, p: win([]int{2, 1}, nil, []int{1, 1})},
		{name: "5x5_s1x2", x: []int{1, 2, 9, 17}, w: []int{2, 1, 5, 5}, p: win([]int{1, 2}, nil, []int{2, 2})},
		{name: "3x3_dil2_pad3", x: []int{1, 2, 6, 11}, w: []int{4, 1, 3, 3}, p: win(nil, []int{2, 2}, []int{3, 3})},
		{name: "7x7_pad4_1x1map", x: []int{1, 3, 1, 1}, w: []int{3, 1, 7, 7}, p: win(nil, nil, []int{4, 4})},
		{name: "1d_k9", x: []int{1, 3, 40}, w: []int{3, 1, 9}, p: win([]int{2}, nil, []int{4})},
		{name: "1d_3wide", x: []int{1, 2, 3}, w: []int{4, 1, 3}, p: win(nil, nil, []int{1})},
	}
	for i := 0; i < 30; i++ {
		rank := 1 + rng.IntN(2)
		ch, mult := 2+rng.IntN(3), 1+rng.IntN(2)
		x, w := []int{1 + rng.IntN(2), ch}, []int{ch * mult, 1}
		var s, d, p []int
		for r := 0; r < rank; r++ {
			k := 1 + rng.IntN(5)
			dil := 1 + rng.IntN(2)
			pad := rng.IntN(k + 1)
			in := max(1+rng.IntN(16), (k-1)*dil+1-2*pad)
			x, w = append(x, in), append(w, k)
			s, d, p = append(s, 1+rng.IntN(2)), append(d, dil), append(p, pad)
		}
		cases = append(cases, convCase{name: fmt.Sprintf("random%d_x%v_w%v", i, x, w), x: x, w: w, p: win(s, d, p)})
	}
	for i := range cases {
		cases[i].p.Groups = cases[i].x[1]
		cases[i].bias = i%2 == 0
		cases[i].act = convTestActs[i%len(convTestActs)]
	}
	return cases
}

// TestDepthwisePadded checks that the padded depthwise path gives the bits of
// the bounds-testing one (which it replaces for finite weights), with 1 and
// 3 threads, and that infinite and NaN weights keep the bounds-testing path,
// whose results direct matches (a padded tap would add Inf·0 = NaN).
func TestDepthwisePadded(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for i, c := range depthwiseCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			g, x, w, b := convSetup(t, c, uint64(100+i))
			if !g.Depthwise() {
				t.Fatalf("not depthwise: %+v", g)
			}
			padded, err := NewConv(g, w, b, c.act, AlgoDepthwise)
			if err != nil {
				t.Fatal(err)
			}
			if padded.dwPad == nil {
				t.Fatal("finite weights did not take the padded path")
			}
			plain := *padded
			plain.dwPad, plain.wsLen = nil, 0
			want := runConv(t, &plain, x, 1)
			for _, threads := range []int{1, 3} {
				if j := firstBitDiff(runConv(t, padded, x, threads), want); j >= 0 {
					t.Fatalf("%d threads: padded differs at %d", threads, j)
				}
			}
			direct, err := NewConv(g, w, b, c.act, AlgoDirect)
			if err != nil {
				t.Fatal(err)
			}
			if j := firstBitDiff(runConv(t, direct, x, 1), want); j >= 0 {
				t.Fatalf("direct differs at %d", j)
			}
			for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
				wb := append([]float32(nil), w...)
				wb[len(wb)/2] = bad
				cv, err := NewConv(g, wb, b, c.act, AlgoDepthwise)
				if err != nil {
					t.Fatal(err)
				}
				if cv.dwPad != nil || cv.WorkspaceLen() != 0 {
					t.Fatalf("weight %v took the padded path", bad)
				}
				dv, err := NewConv(g, wb, b, c.act, AlgoDirect)
				if err != nil {
					t.Fatal(err)
				}
				if j := firstBitDiff(runConv(t, cv, x, 1), runConv(t, dv, x, 1)); j >= 0 {
					t.Fatalf("weight %v: depthwise differs from direct at %d", bad, j)
				}
			}
		})
	}
}
