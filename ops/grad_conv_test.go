package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests of ConvBackward.

type gradConvCase struct {
	name string
	in   []int // [N, C, spatial...]
	w    []int // [M, C/G, kernel...]
	p    ConvParams
}

var gradConvCases = []gradConvCase{
	{name: "1d_basic", in: []int{2, 3, 7}, w: []int{4, 3, 3}},
	{name: "1d_asym_pad_stride2_dil2", in: []int{2, 2, 9}, w: []int{3, 2, 3},
		p: ConvParams{Window: Window{Strides: []int{2}, Dilations: []int{2}, PadsBegin: []int{1}, PadsEnd: []int{2}}}},
	{name: "2d_asym_pad_stride2", in: []int{2, 3, 6, 7}, w: []int{4, 3, 3, 2},
		p: ConvParams{Window: Window{Strides: []int{2, 2}, PadsBegin: []int{0, 1}, PadsEnd: []int{2, 1}}}},
	{name: "2d_dilation2_groups2", in: []int{2, 4, 7, 6}, w: []int{6, 2, 3, 3},
		p: ConvParams{Window: Window{Dilations: []int{2, 2}, PadsBegin: []int{1, 2}, PadsEnd: []int{2, 1}}, Groups: 2}},
	{name: "2d_depthwise_multiplier2", in: []int{2, 4, 5, 5}, w: []int{8, 1, 3, 3},
		p: ConvParams{Window: Window{Strides: []int{2, 1}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}, Groups: 4}},
	{name: "2d_depthwise_stride2", in: []int{2, 3, 6, 5}, w: []int{3, 1, 3, 3},
		p: ConvParams{Window: Window{Strides: []int{2, 2}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}, Groups: 3}},
	{name: "2d_kernel_larger_than_input", in: []int{2, 2, 3, 2}, w: []int{3, 2, 5, 4},
		p: ConvParams{Window: Window{PadsBegin: []int{2, 1}, PadsEnd: []int{1, 2}}}},
	{name: "2d_pointwise", in: []int{2, 5, 4, 3}, w: []int{3, 5, 1, 1}},
	{name: "2d_multi_block_gemm", in: []int{1, 2, 14, 14}, w: []int{3, 2, 3, 3},
		p: ConvParams{Window: Window{PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}}},
	{name: "3d_stride_pad_groups2", in: []int{2, 4, 4, 5, 4}, w: []int{4, 2, 3, 2, 3},
		p: ConvParams{Window: Window{Strides: []int{1, 2, 2}, PadsBegin: []int{1, 0, 1}, PadsEnd: []int{0, 1, 2}}, Groups: 2}},
	{name: "3d_dilation2", in: []int{1, 2, 5, 5, 5}, w: []int{2, 2, 2, 2, 2},
		p: ConvParams{Window: Window{Dilations: []int{2, 2, 2}}}},
}

// gradConvRef returns the reference attributes of c with explicit padding.
func gradConvRef(c gradConvCase) ref.ConvAttrs {
	rank := len(c.in) - 2
	pb, pe := c.p.PadsBegin, c.p.PadsEnd
	if pb == nil {
		pb, pe = gradOnes(rank, 0), gradOnes(rank, 0)
	}
	return ref.ConvAttrs{Strides: c.p.Strides, Dilations: c.p.Dilations, PadsBegin: pb, PadsEnd: pe, Groups: c.p.Groups}
}

func TestGradConv(t *testing.T) {
	for ci, c := range gradConvCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 11))
			g, err := NewConvGeom(c.in, c.w, c.p)
			if err != nil {
				t.Fatal(err)
			}
			x, w, b := gradRand(rng, gradProd(c.in)), gradRand(rng, gradProd(c.w)), gradRand(rng, c.w[0])
			dy := gradRand(rng, gradProd(g.OutShape()))
			dx, checkDx := gradGuard(t, len(x))
			dw, checkDw := gradGuard(t, len(w))
			db, checkDb := gradGuard(t, len(b))
			ws := make([]float32, ConvBackwardWorkspaceLen(g))
			ConvBackward(g, x, w, dy, dx, dw, db, ws, 1)
			checkDx()
			checkDw()
			checkDb()

			attrs := gradConvRef(c)
			x64, w64, b64, r := ref.To64(x), ref.To64(w), ref.To64(b), ref.To64(dy)
			if _, shape := ref.Conv(x64, c.in, w64, c.w, b64, attrs); !EqualShapes(shape, g.OutShape()) {
				t.Fatalf("reference output %v, geometry %v", shape, g.OutShape())
			}
			loss := func() float64 {
				y, _ := ref.Conv(x64, c.in, w64, c.w, b64, attrs)
				return gradDot(y, r)
			}
			ix, iw := gradIndices(rng, len(x)), gradIndices(rng, len(w))
			gradCheck(t, "dx", gradPick(dx, ix), gradFD(loss, x64, ix))
			gradCheck(t, "dw", gradPick(dw, iw), gradFD(loss, w64, iw))
			gradCheck(t, "db", db, gradFD(loss, b64, gradIndices(rng, len(b))))
		})
	}
}

// TestGradConvThreadsAndSkip checks that ConvBackward's results do not
// depend on the thread count or on which gradients are requested, on a
// geometry large enough to split every GEMM into several blocks.
func TestGradConvThreadsAndSkip(t *testing.T) {
	cases := []gradConvCase{
		{name: "im2col_rows_over_kc", in: []int{2, 30, 12, 12}, w: []int{4, 30, 3, 3},
			p: ConvParams{Window: Window{PadsBegin: []int{1, 0}, PadsEnd: []int{0, 1}}}},
		{name: "grouped_strided", in: []int{2, 6, 15, 15}, w: []int{9, 2, 3, 3},
			p: ConvParams{Window: Window{Strides: []int{2, 2}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}, Groups: 3}},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 12))
			g, err := NewConvGeom(c.in, c.w, c.p)
			if err != nil {
				t.Fatal(err)
			}
			x, w := gradRand(rng, gradProd(c.in)), gradRand(rng, gradProd(c.w))
			dy := gradRand(rng, gradProd(g.OutShape()))
			ws := make([]float32, ConvBackwardWorkspaceLen(g))
			run := func(threads int, wantDx, wantDw, wantDb bool) (dx, dw, db []float32) {
				if wantDx {
					dx = make([]float32, len(x))
				}
				if wantDw {
					dw = make([]float32, len(w))
				}
				if wantDb {
					db = make([]float32, c.w[0])
				}
				ConvBackward(g, x, w, dy, dx, dw, db, ws, threads)
				return dx, dw, db
			}
			dx1, dw1, db1 := run(1, true, true, true)
			dx3, dw3, db3 := run(3, true, true, true)
			if !gradSameBits(dx1, dx3) || !gradSameBits(dw1, dw3) || !gradSameBits(db1, db3) {
				t.Errorf("results differ between 1 and 3 threads")
			}
			if dx, _, _ := run(2, true, false, false); !gradSameBits(dx, dx1) {
				t.Errorf("dx alone differs")
			}
			if _, dw, db := run(2, false, true, true); !gradSameBits(dw, dw1) || !gradSameBits(db, db1) {
				t.Errorf("dw and db without dx differ")
			}
			// Spot-check the large case against finite differences too.
			attrs := gradConvRef(c)
			x64, w64, r := ref.To64(x), ref.To64(w), ref.To64(dy)
			loss := func() float64 {
				y, _ := ref.Conv(x64, c.in, w64, c.w, nil, attrs)
				return gradDot(y, r)
			}
			ix, iw := rng.Perm(len(x))[:12], rng.Perm(len(w))[:12]
			gradCheck(t, "dx", gradPick(dx1, ix), gradFD(loss, x64, ix))
			gradCheck(t, "dw", gradPick(dw1, iw), gradFD(loss, w64, iw))
		})
	}
}
