package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveIm2col returns element (k, j) of the im2col matrix of one image and
// group computed straight from the definition: row k = (c, kd, kh, kw),
// column j = output position (od, oh, ow), 0 in the padding.
func naiveIm2col(g ConvGeom, x []float32, k, j int) float32 {
	kw := k % g.Kernel.W
	kh := k / g.Kernel.W % g.Kernel.H
	kd := k / g.Kernel.W / g.Kernel.H % g.Kernel.D
	c := k / g.Kernel.W / g.Kernel.H / g.Kernel.D
	ow := j % g.Out.W
	oh := j / g.Out.W % g.Out.H
	od := j / g.Out.W / g.Out.H
	id := od*g.Stride.D - g.PadHead.D + kd*g.Dilate.D
	ih := oh*g.Stride.H - g.PadHead.H + kh*g.Dilate.H
	iw := ow*g.Stride.W - g.PadHead.W + kw*g.Dilate.W
	if id < 0 || id >= g.In.D || ih < 0 || ih >= g.In.H || iw < 0 || iw >= g.In.W {
		return 0
	}
	return x[((c*g.In.D+id)*g.In.H+ih)*g.In.W+iw]
}

// TestIm2colPack checks im2colGeom.pack (the im2col packing of packB)
// against the definition of the im2col matrix and the packed panel layout
// for 1D, 2D and 3D geometries with strides 1 to 3, dilation and padding,
// on blocks that start and end inside output rows and panels, with guard
// values around the destination.
func TestIm2colPack(t *testing.T) {
	type tc struct {
		in, w                    []int
		strides, dil, pads, ends []int
	}
	cases := []tc{
		{in: []int{1, 3, 30, 30}, w: []int{4, 3, 7, 7}, strides: []int{2, 2}, dil: []int{1, 1}, pads: []int{3, 3}, ends: []int{3, 3}},
		{in: []int{1, 4, 14, 14}, w: []int{4, 4, 3, 3}, strides: []int{2, 2}, dil: []int{1, 1}, pads: []int{1, 1}, ends: []int{1, 1}},
		{in: []int{1, 2, 9, 11}, w: []int{2, 2, 3, 3}, strides: []int{1, 1}, dil: []int{1, 1}, pads: []int{1, 2}, ends: []int{0, 1}},
		{in: []int{1, 2, 13, 17}, w: []int{2, 2, 3, 2}, strides: []int{3, 3}, dil: []int{2, 3}, pads: []int{2, 4}, ends: []int{1, 0}},
		{in: []int{1, 5, 7, 7}, w: []int{2, 5, 1, 1}, strides: []int{2, 2}, dil: []int{1, 1}, pads: []int{0, 0}, ends: []int{0, 0}},
		{in: []int{1, 3, 40}, w: []int{2, 3, 5}, strides: []int{2}, dil: []int{2}, pads: []int{3}, ends: []int{1}},
		{in: []int{1, 2, 5, 6, 7}, w: []int{2, 2, 3, 3, 3}, strides: []int{1, 2, 1}, dil: []int{1, 1, 2}, pads: []int{1, 1, 2}, ends: []int{1, 0, 2}},
	}
	rng := rand.New(rand.NewPCG(51, 52))
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_%v_s%v_d%v_p%v", c.in, c.w, c.strides, c.dil, c.pads), func(t *testing.T) {
			p := ConvParams{Window: Window{Strides: c.strides, Dilations: c.dil, PadsBegin: c.pads, PadsEnd: c.ends}, Groups: 1}
			g, err := NewConvGeom(c.in, c.w, p)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, g.C*g.In.prod())
			im := newIm2colGeom(g)
			k, n := g.C*g.Kernel.prod(), g.Out.prod()
			type block struct{ k0, kcb, j0, ncb int }
			blocks := []block{{0, k, 0, n}, {0, 1, 0, 1}, {k - 1, 1, n - 1, 1}}
			for i := 0; i < 6; i++ {
				k0, j0 := rng.IntN(k), rng.IntN(n)
				blocks = append(blocks, block{k0, 1 + rng.IntN(k-k0), j0, 1 + rng.IntN(n-j0)})
			}
			for _, b := range blocks {
				ncp := roundUp(b.ncb, gemmNR)
				dst, check := guarded(t, b.kcb*ncp)
				im.pack(dst, x, b.k0, b.kcb, b.j0, b.ncb)
				check()
				for kk := 0; kk < b.kcb; kk++ {
					for j := 0; j < ncp; j++ {
						want := float32(0)
						if j < b.ncb {
							want = naiveIm2col(g, x, b.k0+kk, b.j0+j)
						}
						got := dst[j/gemmNR*b.kcb*gemmNR+kk*gemmNR+j%gemmNR]
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("block %+v: element (%d, %d) = %v, want %v", b, kk, j, got, want)
						}
					}
				}
			}
		})
	}
}

// TestPutRun checks the strided run copies and zero runs into the packed B
// layout for every start and end inside a panel and strides 1 to 3.
func TestPutRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	const kcb, kk, cols = 3, 1, 14
	step := kcb * gemmNR
	for _, sw := range []int{1, 2, 3} {
		for ja := 0; ja <= 5; ja++ {
			for jb := ja; jb <= cols; jb += 1 + jb%3 {
				t.Run(fmt.Sprintf("s%d_%d_%d", sw, ja, jb), func(t *testing.T) {
					xs := randSlice(rng, max((jb-ja-1)*sw+1, 0)+2)
					s := 2
					if jb > ja {
						xs = xs[:s+(jb-ja-1)*sw+1]
					} else {
						xs = xs[:s]
					}
					dst, check := guarded(t, roundUp(cols, gemmNR)*kcb)
					fill := float32(math.Float32frombits(0x7fc0beef))
					for i := range dst {
						dst[i] = fill
					}
					putRun(dst, xs, s, sw, ja, jb, kk, step)
					check()
					for j := 0; j < roundUp(cols, gemmNR); j++ {
						for r := 0; r < kcb; r++ {
							got := dst[j/gemmNR*step+r*gemmNR+j%gemmNR]
							want := fill
							if r == kk && j >= ja && j < jb {
								want = xs[s+(j-ja)*sw]
							}
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("putRun: element (%d, %d) = %v, want %v", r, j, got, want)
							}
						}
					}
					zeroRun(dst, ja, jb, kk, step)
					check()
					for j := ja; j < jb; j++ {
						if got := dst[j/gemmNR*step+kk*gemmNR+j%gemmNR]; got != 0 || math.Signbit(float64(got)) {
							t.Fatalf("zeroRun: column %d = %v, want +0", j, got)
						}
					}
				})
			}
		}
	}
}
