package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests of PoolBackward and GlobalPoolBackward.

func TestGradPool(t *testing.T) {
	win := func(s, d, pb, pe []int) Window {
		return Window{Strides: s, Dilations: d, PadsBegin: pb, PadsEnd: pe}
	}
	cases := []struct {
		name string
		in   []int
		p    PoolParams
	}{
		{"max_2d_overlapping", []int{2, 3, 7, 6},
			PoolParams{Kind: PoolMax, Kernel: []int{3, 3}, Window: win([]int{2, 2}, nil, []int{1, 1}, []int{1, 1})}},
		{"max_2d_ceil", []int{2, 2, 6, 7},
			PoolParams{Kind: PoolMax, Kernel: []int{2, 3}, Window: win([]int{2, 2}, nil, nil, nil), CeilMode: true}},
		{"max_2d_ceil_pad_overlap", []int{1, 2, 7, 7},
			PoolParams{Kind: PoolMax, Kernel: []int{3, 3}, Window: win([]int{2, 2}, nil, []int{1, 1}, []int{1, 1}), CeilMode: true}},
		{"max_1d_dilation2_asym_pad", []int{2, 3, 11},
			PoolParams{Kind: PoolMax, Kernel: []int{3}, Window: win([]int{2}, []int{2}, []int{1}, []int{2})}},
		{"max_3d", []int{1, 2, 5, 4, 5},
			PoolParams{Kind: PoolMax, Kernel: []int{2, 2, 3}, Window: win([]int{1, 2, 2}, nil, []int{1, 0, 1}, []int{0, 1, 1})}},
		{"avg_2d_exclude_pad", []int{2, 3, 6, 7},
			PoolParams{Kind: PoolAvg, Kernel: []int{3, 3}, Window: win([]int{2, 2}, nil, []int{1, 1}, []int{1, 2})}},
		{"avg_2d_include_pad", []int{2, 3, 6, 7},
			PoolParams{Kind: PoolAvg, Kernel: []int{3, 3}, Window: win([]int{2, 2}, nil, []int{1, 1}, []int{1, 2}), CountIncludePad: true}},
		{"avg_2d_ceil_include_pad", []int{2, 2, 6, 6},
			PoolParams{Kind: PoolAvg, Kernel: []int{3, 3}, Window: win([]int{2, 2}, nil, []int{1, 1}, []int{1, 1}), CeilMode: true, CountIncludePad: true}},
		{"avg_1d_ceil_exclude_pad", []int{2, 3, 8},
			PoolParams{Kind: PoolAvg, Kernel: []int{3}, Window: win([]int{2}, nil, []int{1}, []int{1}), CeilMode: true}},
		{"avg_2d_dilation2_overlap", []int{1, 2, 7, 8},
			PoolParams{Kind: PoolAvg, Kernel: []int{2, 3}, Window: win([]int{1, 2}, []int{2, 2}, []int{0, 1}, []int{1, 0})}},
		{"avg_3d_include_pad", []int{1, 2, 4, 5, 4},
			PoolParams{Kind: PoolAvg, Kernel: []int{2, 3, 2}, Window: win([]int{2, 1, 2}, nil, []int{1, 1, 0}, []int{0, 1, 1}), CountIncludePad: true}},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 21))
			g, err := NewPoolGeom(c.in, c.p)
			if err != nil {
				t.Fatal(err)
			}
			x := gradDistinct(rng, gradProd(c.in))
			dy := gradRand(rng, gradProd(g.OutShape()))
			dx, check := gradGuard(t, len(x))
			for i := range dx {
				dx[i] = 7 // PoolBackward must overwrite, not accumulate
			}
			PoolBackward(g, x, dy, dx)
			check()

			rank := g.Rank
			spec := ref.PoolSpec{Max: c.p.Kind == PoolMax, CountIncludePad: c.p.CountIncludePad,
				Kernel: gradDims(g.Kernel, rank), Strides: gradDims(g.Stride, rank), Dilations: gradDims(g.Dilate, rank),
				PadsBegin: gradDims(g.PadHead, rank), PadsEnd: gradDims(g.PadTail, rank), Out: gradDims(g.Out, rank)}
			x64, r := ref.To64(x), ref.To64(dy)
			loss := func() float64 {
				return gradDot(ref.Pool(x64, g.N, g.C, gradDims(g.In, rank), spec), r)
			}
			gradCheck(t, "dx", dx, gradFD(loss, x64, gradIndices(rng, len(x))))
		})
	}
}

// TestGradPoolMaxTies pins the tie rules: the first maximum in scan order
// wins, except that +0 beats an earlier -0 and the first NaN beats numbers,
// matching the value Pool returns.
func TestGradPoolMaxTies(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	cases := []struct {
		name string
		x    []float32
		want int // index receiving dy
	}{
		{"first_of_equal", []float32{1, 3, 3, 2}, 1},
		{"plus_zero_beats_minus_zero", []float32{-1, negZero, 0, -2}, 2},
		{"minus_zero_after_plus_zero", []float32{-1, 0, negZero, -2}, 1},
		{"nan_wins", []float32{5, nan, 7, nan}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := NewPoolGeom([]int{1, 1, 4}, PoolParams{Kind: PoolMax, Kernel: []int{4}})
			if err != nil {
				t.Fatal(err)
			}
			y := make([]float32, 1)
			Pool(g, y, c.x)
			dx := make([]float32, 4)
			PoolBackward(g, c.x, []float32{1.5}, dx)
			gdx := make([]float32, 4)
			GlobalPoolBackward(PoolMax, c.x, []float32{1.5}, gdx, 1, 1, 4)
			for i := range dx {
				want := float32(0)
				if i == c.want {
					want = 1.5
				}
				if dx[i] != want || gdx[i] != want {
					t.Fatalf("dx %v, global %v: want 1.5 at %d", dx, gdx, c.want)
				}
			}
			// The routed element holds the value the forward pass returns.
			if v := c.x[c.want]; math.Float32bits(v) != math.Float32bits(y[0]) && !(v != v && y[0] != y[0]) {
				t.Errorf("routed to %v, forward returned %v", v, y[0])
			}
		})
	}
}

func TestGradGlobalPool(t *testing.T) {
	for ci, kind := range []PoolKind{PoolMax, PoolAvg} {
		for _, sh := range [][3]int{{2, 3, 10}, {1, 2, 1}, {3, 1, 7}} {
			n, c, sp := sh[0], sh[1], sh[2]
			t.Run(kind.String()+"_"+FormatShape(sh[:]), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(ci), uint64(n*100+c*10+sp)))
				x := gradDistinct(rng, n*c*sp)
				dy := gradRand(rng, n*c)
				dx, check := gradGuard(t, len(x))
				GlobalPoolBackward(kind, x, dy, dx, n, c, sp)
				check()
				x64, r := ref.To64(x), ref.To64(dy)
				loss := func() float64 { return gradDot(ref.GlobalPool(x64, n, c, sp, kind == PoolMax), r) }
				gradCheck(t, "dx", dx, gradFD(loss, x64, gradIndices(rng, len(x))))
			})
		}
	}
}
