package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests: every analytic float32 gradient is compared with central
// finite differences of an independent float64 forward pass (ops/ref where it
// exists), for the scalar loss L = Σ y·r with r = dy.

const (
	gradH   = 1e-6 // finite-difference step, in float64
	gradTol = 1e-4 // max error relative to the largest reference gradient
	// gradMaxFD bounds the elements perturbed per tensor; larger tensors are
	// checked on a random subset of this size.
	gradMaxFD = 300
)

// gradRand returns n values uniform in [-1, 1).
func gradRand(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// gradDistinct returns n distinct values in (-1, 1), in random order, at
// least 2/n apart and at least 1/n away from 0, so that max pooling and ReLU
// have no ties or kinks within a finite-difference step.
func gradDistinct(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i, p := range rng.Perm(n) {
		s[i] = float32((float64(p)+0.5)/float64(n)*2 - 1)
	}
	return s
}

// gradFD returns the central-difference derivatives of f with respect to
// p[i] for each i in idx, perturbing p in place (and restoring it).
func gradFD(f func() float64, p []float64, idx []int) []float64 {
	d := make([]float64, len(idx))
	for k, i := range idx {
		v := p[i]
		p[i] = v + gradH
		fp := f()
		p[i] = v - gradH
		fm := f()
		p[i] = v
		d[k] = (fp - fm) / (2 * gradH)
	}
	return d
}

// gradIndices returns all indices of an n-element tensor, or a random subset
// of gradMaxFD of them when n is larger.
func gradIndices(rng *rand.Rand, n int) []int {
	if n <= gradMaxFD {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rng.Perm(n)[:gradMaxFD]
}

// gradPick returns got[idx].
func gradPick(got []float32, idx []int) []float32 {
	s := make([]float32, len(idx))
	for k, i := range idx {
		s[k] = got[i]
	}
	return s
}

// gradDot returns Σ y·r.
func gradDot(y, r []float64) float64 {
	s := 0.0
	for i := range y {
		s += y[i] * r[i]
	}
	return s
}

// gradCheck fails the test if got differs from want by more than gradTol
// times want's largest magnitude, or if want is all zeros (a reference that
// cannot tell a right gradient from a wrong one).
func gradCheck(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, maxErr, at := 0.0, 0.0, -1
	for i, w := range want {
		scale = math.Max(scale, math.Abs(w))
		if d := math.Abs(float64(got[i]) - w); !(d <= maxErr) {
			maxErr, at = d, i
		}
	}
	if scale == 0 {
		t.Fatalf("%s: reference gradient is all zeros", what)
	}
	if maxErr > gradTol*scale {
		t.Errorf("%s: max error %.3g at %d (got %g, want %g), scale %.3g: relative %.3g > %g",
			what, maxErr, at, got[at], want[at], scale, maxErr/scale, gradTol)
	}
}

// gradGuard returns a slice of n values followed by a sentinel tail, and a
// check that the tail is intact.
func gradGuard(t *testing.T, n int) ([]float32, func()) {
	const tail = 8
	sentinel := math.Float32frombits(0x7fc0beef)
	buf := make([]float32, n+tail)
	for i := n; i < len(buf); i++ {
		buf[i] = sentinel
	}
	return buf[:n:n], func() {
		t.Helper()
		for _, v := range buf[n:] {
			if math.Float32bits(v) != 0x7fc0beef {
				t.Fatalf("kernel wrote past its output")
			}
		}
	}
}

func gradProd(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func gradDims(d Dims3, rank int) []int {
	return []int{d.D, d.H, d.W}[3-rank:]
}

func gradOnes(rank, v int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = v
	}
	return s
}

func gradSameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

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

func TestGradActivation(t *testing.T) {
	cases := []struct {
		name string
		a    Activation
		f    func(float64) float64
	}{
		{"none", Activation{Kind: ActNone}, func(v float64) float64 { return v }},
		{"relu", Activation{Kind: ActReLU}, ref.ReLU},
		{"leakyrelu", Activation{Kind: ActLeakyReLU, Alpha: 0.1}, func(v float64) float64 { return ref.LeakyReLU(v, float64(float32(0.1))) }},
		{"clip", Activation{Kind: ActClip, Alpha: -0.55, Beta: 0.73}, func(v float64) float64 {
			return ref.Clip(v, float64(float32(-0.55)), float64(float32(0.73)))
		}},
		{"relu6", ReLU6, func(v float64) float64 { return ref.Clip(v, 0, 6) }},
		{"sigmoid", Activation{Kind: ActSigmoid}, ref.Sigmoid},
		{"tanh", Activation{Kind: ActTanh}, ref.Tanh},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 41))
			const n = 200
			// Distinct values on the grid -8 + 0.04 + 0.08k: at least 0.04
			// from 0 and 0.02 from every clip bound, spanning the saturated
			// regions of clip (ReLU6 included), sigmoid and tanh.
			x := gradDistinct(rng, n)
			for i := range x {
				x[i] *= 8
			}
			y := append([]float32(nil), x...)
			c.a.Apply(y)
			dy := gradRand(rng, n)
			dx, check := gradGuard(t, n)
			ActivationBackward(c.a, x, y, dy, dx)
			check()
			// The Jacobian is diagonal: one finite difference per element.
			want := make([]float64, n)
			for i, v := range x {
				xv := float64(v)
				want[i] = float64(dy[i]) * (c.f(xv+gradH) - c.f(xv-gradH)) / (2 * gradH)
			}
			gradCheck(t, "dx", dx, want)
			// In place gives the same bits.
			in := append([]float32(nil), dy...)
			ActivationBackward(c.a, x, y, in, in)
			if !gradSameBits(in, dx) {
				t.Errorf("in-place result differs")
			}
		})
	}
}

// gradSoftmaxCE is the float64 reference: mean over rows of
// log Σ exp(l) − l[label].
func gradSoftmaxCE(logits []float64, labels []int, batch, classes int) float64 {
	loss := 0.0
	for n := 0; n < batch; n++ {
		row := logits[n*classes : (n+1)*classes]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - m)
		}
		loss += m + math.Log(s) - row[labels[n]]
	}
	return loss / float64(batch)
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	cases := []struct {
		name           string
		batch, classes int
		scale, offset  float32
	}{
		{"batch3_classes5", 3, 5, 3, 0},
		{"batch1_classes2", 1, 2, 1, 0},
		{"batch4_classes10_large_logits", 4, 10, 5, 1000},
		{"batch2_one_class", 2, 1, 1, 0},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 51))
			logits := gradRand(rng, c.batch*c.classes)
			for i := range logits {
				logits[i] = logits[i]*c.scale + c.offset
			}
			labels := make([]int, c.batch)
			for i := range labels {
				labels[i] = rng.IntN(c.classes)
			}
			dl, check := gradGuard(t, len(logits))
			loss := SoftmaxCrossEntropy(logits, labels, c.batch, c.classes, dl)
			check()
			l64 := ref.To64(logits)
			want := gradSoftmaxCE(l64, labels, c.batch, c.classes)
			if d := math.Abs(loss - want); d > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("loss %.17g, want %.17g", loss, want)
			}
			if got := SoftmaxCrossEntropy(logits, labels, c.batch, c.classes, nil); got != loss {
				t.Errorf("loss without gradient %.17g, with %.17g", got, loss)
			}
			if c.classes == 1 {
				// log-softmax of one class is 0 whatever the logit: the
				// gradient is exactly zero.
				for i, v := range dl {
					if v != 0 {
						t.Fatalf("dlogits[%d] = %g, want 0", i, v)
					}
				}
				return
			}
			f := func() float64 { return gradSoftmaxCE(l64, labels, c.batch, c.classes) }
			gradCheck(t, "dlogits", dl, gradFD(f, l64, gradIndices(rng, len(l64))))
			// In place gives the same bits.
			in := append([]float32(nil), logits...)
			SoftmaxCrossEntropy(in, labels, c.batch, c.classes, in)
			if !gradSameBits(in, dl) {
				t.Errorf("in-place gradient differs")
			}
		})
	}
}

// gradBNForward is the float64 training-mode batch norm: it returns y and
// the batch mean and biased variance of each channel.
func gradBNForward(x, gamma, beta []float64, eps float64, n, c, sp int) (y, mean, variance []float64) {
	mean, variance = make([]float64, c), make([]float64, c)
	cnt := float64(n * sp)
	for ch := 0; ch < c; ch++ {
		for b := 0; b < n; b++ {
			for i := 0; i < sp; i++ {
				mean[ch] += x[(b*c+ch)*sp+i]
			}
		}
		mean[ch] /= cnt
		for b := 0; b < n; b++ {
			for i := 0; i < sp; i++ {
				d := x[(b*c+ch)*sp+i] - mean[ch]
				variance[ch] += d * d
			}
		}
		variance[ch] /= cnt
	}
	return ref.BatchNorm(x, gamma, beta, mean, variance, eps, n, sp), mean, variance
}

func TestGradBatchNormTrain(t *testing.T) {
	cases := []struct {
		name     string
		n, c, sp int
		momentum float32
	}{
		{"batch2_spatial5", 2, 3, 5, 0.1},
		{"batch4_spatial1", 4, 2, 1, 0.3},
		{"batch1_spatial6", 1, 3, 6, 1},
		{"batch2_spatial2_momentum0", 2, 2, 2, 0},
	}
	const eps = 1e-5
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 61))
			total := c.n * c.c * c.sp
			x := gradRand(rng, total)
			for i := range x {
				x[i] = x[i]*2 + 0.5 // nonzero mean
			}
			gamma, beta := gradRand(rng, c.c), gradRand(rng, c.c)
			rm, rv := gradRand(rng, c.c), gradRand(rng, c.c)
			for i := range rv {
				rv[i] += 1.5
			}
			rm0, rv0 := ref.To64(rm), ref.To64(rv)
			bn, err := NewBatchNormTrain(gamma, beta, rm, rv, eps, c.momentum)
			if err != nil {
				t.Fatal(err)
			}
			y, check := gradGuard(t, total)
			if err := bn.Forward(y, x, c.n, c.sp); err != nil {
				t.Fatal(err)
			}
			check()
			x64, g64, b64 := ref.To64(x), ref.To64(gamma), ref.To64(beta)
			wantY, mean, variance := gradBNForward(x64, g64, b64, eps, c.n, c.c, c.sp)
			gradCheck(t, "y", y, wantY)
			m, cnt := float64(c.momentum), float64(c.n*c.sp)
			for ch := 0; ch < c.c; ch++ {
				wm := (1-m)*rm0[ch] + m*mean[ch]
				wv := (1-m)*rv0[ch] + m*variance[ch]*cnt/(cnt-1)
				if math.Abs(float64(rm[ch])-wm) > 1e-6 || math.Abs(float64(rv[ch])-wv) > 1e-6*wv {
					t.Errorf("channel %d: running mean %g, var %g; want %g, %g", ch, rm[ch], rv[ch], wm, wv)
				}
			}

			dy := gradRand(rng, total)
			dx, checkDx := gradGuard(t, total)
			dg, checkDg := gradGuard(t, c.c)
			dbt, checkDb := gradGuard(t, c.c)
			bn.Backward(x, dy, dx, dg, dbt, c.n, c.sp)
			checkDx()
			checkDg()
			checkDb()
			r := ref.To64(dy)
			loss := func() float64 {
				y, _, _ := gradBNForward(x64, g64, b64, eps, c.n, c.c, c.sp)
				return gradDot(y, r)
			}
			gradCheck(t, "dx", dx, gradFD(loss, x64, gradIndices(rng, total)))
			gradCheck(t, "dgamma", dg, gradFD(loss, g64, gradIndices(rng, c.c)))
			gradCheck(t, "dbeta", dbt, gradFD(loss, b64, gradIndices(rng, c.c)))

			// In place (dx = dy) and with skipped outputs gives the same bits.
			in := append([]float32(nil), dy...)
			bn.Backward(x, in, in, nil, nil, c.n, c.sp)
			if !gradSameBits(in, dx) {
				t.Errorf("in-place dx differs")
			}
		})
	}
}

func TestGradBatchNormTrainErrors(t *testing.T) {
	one := []float32{1}
	two := []float32{1, 1}
	cases := []struct {
		name                    string
		gamma, beta, mean, vars []float32
		eps, momentum           float32
		wantShape               bool
	}{
		{"empty", nil, nil, nil, nil, 1e-5, 0.1, true},
		{"length_mismatch", two, two, one, two, 1e-5, 0.1, true},
		{"negative_eps", one, one, one, one, -1, 0.1, false},
		{"nan_eps", one, one, one, one, float32(math.NaN()), 0.1, false},
		{"momentum_above_1", one, one, one, one, 1e-5, 1.5, false},
		{"momentum_negative", one, one, one, one, 1e-5, -0.1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewBatchNormTrain(c.gamma, c.beta, c.mean, c.vars, c.eps, c.momentum)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrShape) != c.wantShape {
				t.Errorf("error %v: wraps ErrShape = %v, want %v", err, !c.wantShape, c.wantShape)
			}
		})
	}
	t.Run("one_value_per_channel", func(t *testing.T) {
		rm, rv := []float32{0.25, 0.5}, []float32{2, 3}
		bn, err := NewBatchNormTrain([]float32{1, 1}, []float32{0, 0}, rm, rv, 1e-5, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]float32, 2)
		if err := bn.Forward(y, []float32{1, 2}, 1, 1); !errors.Is(err, ErrShape) {
			t.Fatalf("error %v, want ErrShape", err)
		}
		if rm[0] != 0.25 || rm[1] != 0.5 || rv[0] != 2 || rv[1] != 3 {
			t.Errorf("running statistics changed on error: %v %v", rm, rv)
		}
	})
}

// TestGradNoAllocs checks that the single-threaded backward kernels do not
// allocate.
func TestGradNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 71))
	cg, err := NewConvGeom([]int{2, 4, 9, 9}, []int{6, 2, 3, 3},
		ConvParams{Window: Window{Strides: []int{2, 1}, PadsBegin: []int{1, 1}, PadsEnd: []int{1, 1}}, Groups: 2})
	if err != nil {
		t.Fatal(err)
	}
	x, w, dy := gradRand(rng, gradProd(cg.InShape())), gradRand(rng, gradProd(cg.WeightShape())), gradRand(rng, gradProd(cg.OutShape()))
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, cg.M)
	ws := make([]float32, ConvBackwardWorkspaceLen(cg))
	pg, err := NewPoolGeom([]int{2, 4, 9, 9}, PoolParams{Kind: PoolMax, Kernel: []int{3, 3}, Window: Window{Strides: []int{2, 2}}, CeilMode: true})
	if err != nil {
		t.Fatal(err)
	}
	pdy := gradRand(rng, gradProd(pg.OutShape()))
	gamma, beta, rm, rv := gradRand(rng, 4), gradRand(rng, 4), gradRand(rng, 4), []float32{1, 2, 3, 4}
	bn, err := NewBatchNormTrain(gamma, beta, rm, rv, 1e-5, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(x))
	labels := []int{1, 3}
	cases := []struct {
		name string
		fn   func()
	}{
		{"pool", func() { PoolBackward(pg, x, pdy, dx) }},
		{"global_pool", func() { GlobalPoolBackward(PoolMax, x, dy[:8], dx, 2, 4, 81) }},
		{"dense", func() { DenseBackward(x[:20], w[:60], dy[:12], dx[:20], dw[:60], db[:6], 2, 10, 6, true) }},
		{"activation", func() { ActivationBackward(Activation{Kind: ActTanh}, nil, x, dy, dx[:len(dy)]) }},
		{"softmax_ce", func() { SoftmaxCrossEntropy(x[:10], labels, 2, 5, dx[:10]) }},
		{"batchnorm", func() {
			if err := bn.Forward(y, x, 2, 81); err != nil {
				t.Fatal(err)
			}
			bn.Backward(x, y, dx, dw[:4], db[:4], 2, 81)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(3, c.fn); n != 0 {
				t.Errorf("%v allocations per call", n)
			}
		})
	}
	// ConvBackward itself allocates nothing, but it calls Gemm twice per
	// image and group: allow exactly what those Gemm calls allocate (0 if
	// Gemm keeps its promise of no allocation with one thread).
	t.Run("conv", func(t *testing.T) {
		kc, p, mg := gradConvDims(cg)
		pw, pd := gradConvDWParams(kc, p, mg, true), gradConvDXParams(kc, p, mg)
		gemm := testing.AllocsPerRun(3, func() {
			Gemm(pw, dy, ws[:kc*p], dw, ws[kc*p:], 1)
			Gemm(pd, w, dy, ws[:kc*p], ws[kc*p:], 1)
		})
		calls := float64(cg.N * cg.G)
		if n := testing.AllocsPerRun(3, func() { ConvBackward(cg, x, w, dy, dx, dw, db, ws, 1) }); n > calls*gemm {
			t.Errorf("%v allocations per call; its %v Gemm pairs account for %v", n, calls, calls*gemm)
		} else if gemm != 0 {
			t.Logf("Gemm allocates %v times per pair of calls", gemm)
		}
	})
}
