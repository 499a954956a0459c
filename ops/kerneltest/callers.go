package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// calls counts the calls of each kernel of a table.
type calls struct {
	gemm, in4, out4, pool, depthwise, clip, hard, binary, gavg, sigmoid, softmax, packb, gather atomic.Int64
}

// checked wraps the kernels set in k so that every call counts in n and
// fails t (without calling the kernel) unless its slices have the lengths
// the kernel's contract gives. The wrappers may run on several goroutines.
func checked(t *testing.T, k ops.Kernels, n *calls) ops.Kernels {
	var w ops.Kernels
	bad := func(format string, args ...any) { t.Errorf(format, args...) }
	if f := k.Gemm; f != nil {
		w.Gemm = func(a, b, c []float32, kc, m, nc, ldc int, load bool, bias []float32) {
			n.gemm.Add(1)
			if m < 1 || nc < 4 || nc%4 != 0 || ldc < nc || len(a) != (m+1)/2*2*kc || len(b) != nc*kc || len(c) != (m-1)*ldc+nc || bias != nil && len(bias) != m {
				bad("Gemm called with kc %d m %d n %d ldc %d: len(a) %d len(b) %d len(c) %d len(bias) %d", kc, m, nc, ldc, len(a), len(b), len(c), len(bias))
				return
			}
			f(a, b, c, kc, m, nc, ldc, load, bias)
		}
	}
	if f := k.Winograd4In; f != nil {
		w.Winograd4In = func(src [4][]float32, row, ch [4]int, v []float32, g, stride int) {
			n.in4.Add(1)
			ok := g >= 1 && len(v) == 35*stride+g*4
			for l := range src {
				ok = ok && len(src[l]) >= (g-1)*ch[l]+5*row[l]+6
			}
			if !ok {
				bad("Winograd4In called with n %d stride %d row %v ch %v: len(v) %d, len(src) %d %d %d %d", g, stride, row, ch, len(v),
					len(src[0]), len(src[1]), len(src[2]), len(src[3]))
				return
			}
			f(src, row, ch, v, g, stride)
		}
	}
	if f := k.Winograd4Out; f != nil {
		w.Winograd4Out = func(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, g int, bias []float32, clip bool, lo, hi float32) {
			n.out4.Add(1)
			ok := g >= 1 && len(y) == 35*stride+(g-1)*ldy+4 && (bias == nil || len(bias) == g) && !(clip && lo > hi)
			for l := range dst {
				ok = ok && len(dst[l]) >= (g-1)*ch[l]+3*row[l]+4
			}
			if !ok {
				bad("Winograd4Out called with n %d stride %d ldy %d row %v ch %v clip %v [%v, %v]: len(y) %d len(bias) %d, len(dst) %d %d %d %d",
					g, stride, ldy, row, ch, clip, lo, hi, len(y), len(bias), len(dst[0]), len(dst[1]), len(dst[2]), len(dst[3]))
				return
			}
			f(y, stride, ldy, dst, row, ch, g, bias, clip, lo, hi)
		}
	}
	sweepOK := func(c sweepCase, dst, x []float32) bool {
		return c.n >= 4 && c.n%4 == 0 && c.rows >= 1 && c.kh >= 1 && c.kw >= 1 && c.dstRow >= c.n && len(dst) == c.dstLen() && len(x) == c.xLen()
	}
	if f := k.PoolMax; f != nil {
		w.PoolMax = func(dst, x []float32, nc, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int) {
			n.pool.Add(1)
			if c := (sweepCase{nc, rows, dstRow, xRow, kh, kw, tapRow, sw, dw}); !sweepOK(c, dst, x) {
				bad("PoolMax called with %s: len(dst) %d len(x) %d", c.name(), len(dst), len(x))
				return
			}
			f(dst, x, nc, rows, dstRow, xRow, kh, kw, tapRow, sw, dw)
		}
	}
	if f := k.Depthwise; f != nil {
		w.Depthwise = func(dst, x, wt []float32, nc, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32) {
			n.depthwise.Add(1)
			if c := (sweepCase{nc, rows, dstRow, xRow, kh, kw, tapRow, sw, dw}); !sweepOK(c, dst, x) || len(wt) != kh*kw || bias != nil && len(bias) != 1 {
				bad("Depthwise called with %s: len(dst) %d len(x) %d len(w) %d len(bias) %d", c.name(), len(dst), len(x), len(wt), len(bias))
				return
			}
			f(dst, x, wt, nc, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, bias)
		}
	}
	if f := k.Clip; f != nil {
		w.Clip = func(c []float32, rows, cols, ldc int, lo, hi float32) {
			n.clip.Add(1)
			if rows < 1 || cols < 1 || ldc < cols || len(c) != (rows-1)*ldc+cols || lo > hi {
				bad("Clip called with rows %d cols %d ldc %d [%v, %v]: len(c) %d", rows, cols, ldc, lo, hi, len(c))
				return
			}
			f(c, rows, cols, ldc, lo, hi)
		}
	}
	if f := k.HardAct; f != nil {
		w.HardAct = func(c []float32, rows, cols, ldc int, alpha, beta float32, swish bool) {
			n.hard.Add(1)
			if rows < 1 || cols < 1 || ldc < cols || len(c) != (rows-1)*ldc+cols {
				bad("HardAct called with rows %d cols %d ldc %d: len(c) %d", rows, cols, ldc, len(c))
				return
			}
			f(c, rows, cols, ldc, alpha, beta, swish)
		}
	}
	if f := k.Binary; f != nil {
		w.Binary = func(kind ops.BinaryKind, dst, a, b []float32, rows, nc, ars, acs, brs, bcs int) {
			n.binary.Add(1)
			if kind > ops.BinDiv || rows < 1 || nc < 1 || acs|1 != 1 || bcs|1 != 1 || acs+bcs == 0 || len(dst) != rows*nc ||
				len(a) != (rows-1)*ars+(nc-1)*acs+1 || len(b) != (rows-1)*brs+(nc-1)*bcs+1 {
				bad("Binary called with kind %v rows %d n %d a (%d, %d) b (%d, %d): len %d %d %d", kind, rows, nc, ars, acs, brs, bcs, len(dst), len(a), len(b))
				return
			}
			f(kind, dst, a, b, rows, nc, ars, acs, brs, bcs)
		}
	}
	if f := k.GlobalAvg; f != nil {
		w.GlobalAvg = func(dst, x []float32, planes, spatial int) {
			n.gavg.Add(1)
			if planes < 1 || spatial < 1 || len(dst) != planes || len(x) != planes*spatial {
				bad("GlobalAvg called with planes %d spatial %d: len %d %d", planes, spatial, len(dst), len(x))
				return
			}
			f(dst, x, planes, spatial)
		}
	}
	if f := k.Sigmoid; f != nil {
		w.Sigmoid = func(c []float32, rows, cols, ldc int) {
			n.sigmoid.Add(1)
			if rows < 1 || cols < 1 || ldc < cols || len(c) != (rows-1)*ldc+cols {
				bad("Sigmoid called with rows %d cols %d ldc %d: len(c) %d", rows, cols, ldc, len(c))
				return
			}
			f(c, rows, cols, ldc)
		}
	}
	if f := k.Softmax; f != nil {
		w.Softmax = func(dst, x []float32, rows, nc int) {
			n.softmax.Add(1)
			if rows < 1 || nc < 1 || len(dst) != rows*nc || len(x) != rows*nc {
				bad("Softmax called with rows %d n %d: len %d %d", rows, nc, len(dst), len(x))
				return
			}
			f(dst, x, rows, nc)
		}
	}
	if f := k.PackB; f != nil {
		w.PackB = func(dst, src []float32, rows, groups, srcRow, sw, step int) {
			n.packb.Add(1)
			if rows < 1 || groups < 1 || srcRow < 0 || sw < 1 || step < rows*4 || len(dst) != (groups-1)*step+rows*4 ||
				len(src) != (rows-1)*srcRow+(groups*4-1)*sw+1 {
				bad("PackB called with rows %d groups %d srcRow %d sw %d step %d: len %d %d", rows, groups, srcRow, sw, step, len(dst), len(src))
				return
			}
			f(dst, src, rows, groups, srcRow, sw, step)
		}
	}
	if f := k.Gather; f != nil {
		w.Gather = func(dst, src []float32, offs []int32) {
			n.gather.Add(1)
			ok := len(dst) >= 1 && len(offs) >= len(dst)
			for _, o := range offs[:min(len(dst), len(offs))] {
				ok = ok && o >= 0 && int(o) < len(src)
			}
			if !ok {
				bad("Gather called with len(dst) %d len(src) %d len(offs) %d (or an offset out of range)", len(dst), len(src), len(offs))
				return
			}
			f(dst, src, offs)
		}
	}
	return w
}

// with runs f with k installed, then restores the table installed before.
func with(k ops.Kernels, f func()) {
	prev := ops.InstalledKernels()
	ops.UseKernels(k)
	defer ops.UseKernels(prev)
	f()
}

// wantCalls fails t if a kernel set in k was not called although want
// says it should have been.
func wantCalls(t *testing.T, k ops.Kernels, n *calls, want string) {
	t.Helper()
	for _, c := range []struct {
		name string
		set  bool
		n    int64
	}{
		{"gemm", k.Gemm != nil, n.gemm.Load()},
		{"winograd", k.Winograd4In != nil, min(n.in4.Load(), n.out4.Load())},
		{"pool", k.PoolMax != nil, n.pool.Load()},
		{"depthwise", k.Depthwise != nil, n.depthwise.Load()},
		{"clip", k.Clip != nil, n.clip.Load()},
		{"hardact", k.HardAct != nil, n.hard.Load()},
		{"binary", k.Binary != nil, n.binary.Load()},
		{"globalavg", k.GlobalAvg != nil, n.gavg.Load()},
		{"sigmoid", k.Sigmoid != nil, n.sigmoid.Load()},
		{"softmax", k.Softmax != nil, n.softmax.Load()},
		{"packb", k.PackB != nil, n.packb.Load()},
		{"gather", k.Gather != nil, n.gather.Load()},
	} {
		for _, w := range strings.Fields(want) {
			if w == c.name && c.set && c.n == 0 {
				t.Fatalf("the %s kernel was never called", c.name)
			}
		}
	}
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

func rep(rank, v int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = v
	}
	return s
}

// sameOut fails t where got and want differ in bits.
func sameOut(t *testing.T, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("out[%d] = %v with the kernels, %v with pure Go", i, got[i], want[i])
		}
	}
}

// TestCallers installs the kernels set in k (wrapped to check every call's
// slices against the contracts) and runs ops' GEMM, convolutions (im2col,
// 1x1, Winograd F(2,3) and F(4,3), FFT, depthwise; fused ReLU, ReLU6,
// Clip and other activations), Dense and max pooling on one and two
// goroutines, requiring outputs bit-identical to the pure-Go table and
// each installed kernel to be called where ops routes work to it. It
// restores the table installed before.
func TestCallers(t *testing.T, k ops.Kernels) {
	t.Run("Gemm", func(t *testing.T) { testGemmCallers(t, k) })
	t.Run("Conv", func(t *testing.T) { testConvCallers(t, k) })
	t.Run("Depthwise", func(t *testing.T) { testDepthwiseCallers(t, k) })
	t.Run("Dense", func(t *testing.T) { testDenseCallers(t, k) })
	t.Run("PoolMax", func(t *testing.T) { testPoolCallers(t, k) })
	t.Run("Elementwise", func(t *testing.T) { testElementwiseCallers(t, k) })
	t.Run("ConvTranspose", func(t *testing.T) { testConvTransposeCallers(t, k) })
}

// testElementwiseCallers runs Binary on the layouts of mobile networks
// (same shape, a per-channel [C, 1, 1] or [N, C, 1, 1] operand on either
// side, a scalar, a bias row) with fused HardSwish, HardSigmoid and ReLU,
// standalone activations (Sigmoid among them), global average pooling and
// Softmax.
func testElementwiseCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(31, 32))
	acts := []ops.Activation{{}, {Kind: ops.ActHardSwish}, {Kind: ops.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Kind: ops.ActReLU},
		{Kind: ops.ActSigmoid}}
	cases := [][2][]int{
		{{2, 8, 5, 7}, {2, 8, 5, 7}},
		{{2, 8, 5, 7}, {2, 8, 1, 1}},
		{{1, 8, 1, 1}, {1, 8, 6, 6}},
		{{2, 8, 5, 7}, {8, 1, 1}},
		{{3, 16, 9}, {1}},
		{{5, 12}, {12}},
		{{2, 3, 4, 5}, {3, 1, 5}},
	}
	for i, c := range cases {
		for _, kind := range []ops.BinaryKind{ops.BinAdd, ops.BinSub, ops.BinMul, ops.BinDiv, ops.BinPow} {
			act := acts[(i+int(kind))%len(acts)]
			g, err := ops.NewBroadcastGeom(c[0], c[1])
			if err != nil {
				t.Fatal(err)
			}
			a, b := randSlice(rng, prod(c[0])), randSlice(rng, prod(c[1]))
			want := make([]float32, g.Size())
			ops.Binary(kind, g, want, a, b, act)
			var n calls
			got := make([]float32, g.Size())
			with(checked(t, k, &n), func() { ops.Binary(kind, g, got, a, b, act) })
			sameOut(t, got, want)
			if kind != ops.BinPow {
				wantCalls(t, k, &n, "binary")
			}
		}
	}
	x := randSlice(rng, 3*40*7)
	for j := range x {
		x[j] *= 8
	}
	for _, act := range acts[1:] {
		want := append([]float32(nil), x...)
		act.Apply(want)
		var n calls
		got := append([]float32(nil), x...)
		with(checked(t, k, &n), func() { act.Apply(got) })
		sameOut(t, got, want)
		kernel := map[ops.ActKind]string{ops.ActReLU: "clip", ops.ActSigmoid: "sigmoid"}[act.Kind]
		if kernel == "" {
			kernel = "hardact"
		}
		wantCalls(t, k, &n, kernel)
	}
	want := make([]float32, 3*40)
	ops.GlobalPool(ops.PoolAvg, want, x, 3, 40, 7)
	var n calls
	got := make([]float32, 3*40)
	with(checked(t, k, &n), func() { ops.GlobalPool(ops.PoolAvg, got, x, 3, 40, 7) })
	sameOut(t, got, want)
	wantCalls(t, k, &n, "globalavg")
	// Nearest Resize: upsampling by 2 and 3 (rows gathered once, then
	// copied) and a shrink.
	for _, c := range []struct {
		in     []int
		scales []float32
	}{{[]int{1, 3, 5, 20}, []float32{1, 1, 2, 2}}, {[]int{2, 4, 12}, []float32{1, 3, 3}}, {[]int{1, 2, 9, 64}, []float32{1, 1, 0.5, 0.75}}} {
		out, sc, err := ops.ResolveResize(c.in, ops.ResizeTarget{Scales: c.scales})
		if err != nil {
			t.Fatal(err)
		}
		g, err := ops.NewResizeGeom(c.in, out, sc, ops.ResizeParams{Mode: ops.ResizeNearest, Coord: ops.CoordAsymmetric, Nearest: ops.NearestFloor})
		if err != nil {
			t.Fatal(err)
		}
		src := randSlice(rng, prod(c.in))
		want := make([]float32, prod(out))
		ops.Resize(g, want, src, make([]float32, g.Workspace()))
		var n calls
		got := make([]float32, len(want))
		with(checked(t, k, &n), func() { ops.Resize(g, got, src, make([]float32, g.Workspace())) })
		sameOut(t, got, want)
		wantCalls(t, k, &n, "gather")
	}
	// Softmax along the innermost axis (the kernel), in place and not, and
	// along a middle axis (pure Go either way).
	for _, sh := range [][3]int{{3, 40, 1}, {1, 7, 1}, {8, 70, 1}, {2, 5, 3}} {
		for _, inPlace := range []bool{false, true} {
			want := make([]float32, sh[0]*sh[1]*sh[2])
			ops.Softmax(want, x[:len(want)], sh[0], sh[1], sh[2])
			var n calls
			got := make([]float32, len(want))
			with(checked(t, k, &n), func() {
				if inPlace {
					copy(got, x)
					ops.Softmax(got, got, sh[0], sh[1], sh[2])
				} else {
					ops.Softmax(got, x[:len(got)], sh[0], sh[1], sh[2])
				}
			})
			sameOut(t, got, want)
			if sh[2] == 1 {
				wantCalls(t, k, &n, "softmax")
			}
		}
	}
}

// testConvTransposeCallers runs ConvTransposeGemm (the GEMM path of kernel
// = stride transposed convolutions) with the kernels, against the direct
// ConvTranspose in pure Go: the same sums in the same order.
func testConvTransposeCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, c := range []struct {
		in, w   []int
		stride  int
		groups  int
		bias    bool
		act     ops.Activation
		threads int
	}{
		{in: []int{1, 24, 9, 13}, w: []int{24, 24, 2, 2}, stride: 2, threads: 1},
		{in: []int{2, 6, 7, 5}, w: []int{6, 3, 2, 2}, stride: 2, bias: true, act: ops.Activation{Kind: ops.ActReLU}, threads: 2},
		{in: []int{1, 8, 6, 6}, w: []int{8, 1, 2, 2}, stride: 2, bias: true, act: ops.Activation{Kind: ops.ActSigmoid}, threads: 1},
		{in: []int{1, 8, 5, 6}, w: []int{8, 2, 3, 3}, stride: 3, groups: 2, bias: true, threads: 2},
		{in: []int{2, 5, 11}, w: []int{5, 4, 2}, stride: 2, bias: true, act: ops.Activation{Kind: ops.ActHardSwish}, threads: 1},
	} {
		rank := len(c.in) - 2
		p := ops.ConvTransposeParams{Window: ops.Window{Strides: rep(rank, c.stride)}, Groups: c.groups}
		g, err := ops.NewConvTransposeGeom(c.in, c.w, p)
		if err != nil {
			t.Fatal(err)
		}
		x, w := randSlice(rng, prod(c.in)), randSlice(rng, prod(c.w))
		var bias []float32
		if c.bias {
			bias = randSlice(rng, g.M)
		}
		out := prod(g.OutShape())
		want := make([]float32, out)
		ops.ConvTranspose(g, want, x, w, bias, c.act, 1)
		ws := make([]float32, ops.ConvTransposeWorkspaceLen(g))
		if len(ws) == 0 {
			t.Fatalf("%v * %v stride %d: no GEMM path", c.in, c.w, c.stride)
		}
		var n calls
		got := make([]float32, out)
		with(checked(t, k, &n), func() { ops.ConvTransposeGemm(g, got, x, w, bias, c.act, ws, c.threads) })
		sameOut(t, got, want)
		wantCalls(t, k, &n, "gemm")
	}
}

func testGemmCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range []ops.GemmParams{
		{M: 1, N: 4, K: 1},
		{M: 5, N: 3, K: 5},
		{M: 7, N: 13, K: 9, Accumulate: true},
		{M: 130, N: 131, K: 300},
		{M: 33, N: 260, K: 257, TransA: true, TransB: true, LDC: 270},
		{M: 20, N: 9, K: 6, TransB: true, LDA: 8, LDB: 7, LDC: 11, Accumulate: true},
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			lda, ldb := max(p.LDA, p.K), max(p.LDB, p.N)
			if p.TransA {
				lda = max(p.LDA, p.M)
			}
			if p.TransB {
				ldb = max(p.LDB, p.K)
			}
			a := randSlice(rng, max(p.M, p.K)*lda)
			b := randSlice(rng, max(p.K, p.N)*ldb)
			ldc := max(p.LDC, p.N)
			c0 := randSlice(rng, p.M*ldc)
			ws := make([]float32, ops.GemmWorkspaceLen(p))
			want := append([]float32(nil), c0...)
			with(ops.Kernels{}, func() { ops.Gemm(p, a, b, want, ws, 1) })
			var n calls
			kc := checked(t, k, &n)
			for _, threads := range []int{1, 2} {
				got := append([]float32(nil), c0...)
				with(kc, func() { ops.Gemm(p, a, b, got, ws, threads) })
				sameOut(t, got, want)
			}
			if p.N >= 4 {
				wantCalls(t, k, &n, "gemm")
			}
		})
	}
}

func testConvCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(5, 6))
	relu := ops.Activation{Kind: ops.ActReLU}
	for _, tc := range []struct {
		in, w  []int
		pad    int
		stride int // 0: 1
		algo   ops.ConvAlgo
		act    ops.Activation
		want   string
	}{
		{in: []int{1, 5, 11, 9}, w: []int{7, 5, 3, 3}, pad: 1, algo: ops.AlgoIm2col, act: relu, want: "gemm clip"},
		{in: []int{1, 3, 20, 150}, w: []int{8, 3, 3, 3}, pad: 1, algo: ops.AlgoIm2col, want: "gemm packb"},
		{in: []int{1, 3, 16, 300}, w: []int{16, 3, 3, 3}, pad: 1, stride: 2, algo: ops.AlgoIm2col, act: relu, want: "gemm packb clip"},
		{in: []int{1, 4, 9, 400}, w: []int{8, 4, 3, 3}, pad: 1, stride: 3, algo: ops.AlgoIm2col, want: "gemm packb"},
		{in: []int{2, 16, 12, 12}, w: []int{13, 16, 1, 1}, algo: ops.AlgoIm2col, want: "gemm packb"},
		{in: []int{1, 300, 7, 9}, w: []int{20, 300, 1, 1}, algo: ops.AlgoIm2col, act: relu, want: "gemm packb clip"},
		{in: []int{1, 30, 10, 10}, w: []int{140, 30, 3, 3}, pad: 1, algo: ops.AlgoIm2col, act: ops.ReLU6, want: "gemm clip"},
		{in: []int{1, 9, 13, 11}, w: []int{10, 9, 3, 3}, pad: 1, algo: ops.AlgoWinograd2, want: "gemm"},
		{in: []int{2, 9, 13, 11}, w: []int{11, 9, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, act: relu, want: "gemm winograd"},
		{in: []int{1, 260, 6, 6}, w: []int{8, 260, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, want: "gemm winograd"},
		{in: []int{3, 70, 9, 15}, w: []int{130, 70, 3, 3}, algo: ops.AlgoWinograd4, act: ops.ReLU6, want: "gemm winograd"},
		{in: []int{1, 3, 4, 4}, w: []int{5, 3, 3, 3}, pad: 2, algo: ops.AlgoWinograd4, want: "gemm winograd"},
		{in: []int{1, 20, 22, 18}, w: []int{9, 20, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, act: ops.Activation{Kind: ops.ActSigmoid}, want: "gemm winograd"},
		{in: []int{2, 8, 16, 16}, w: []int{6, 8, 3, 3}, pad: 1, algo: ops.AlgoWinograd4, act: ops.Activation{Kind: ops.ActClip, Alpha: -0.2, Beta: 0.3}, want: "gemm winograd"},
		{in: []int{1, 4, 20, 20}, w: []int{6, 4, 5, 5}, pad: 2, algo: ops.AlgoFFT, want: "gemm"},
	} {
		t.Run(fmt.Sprintf("%v_%v_p%d_s%d_%s_%v", tc.in, tc.w, tc.pad, tc.stride, tc.algo, tc.act.Kind), func(t *testing.T) {
			p := ops.ConvParams{Window: ops.Window{Strides: rep(2, max(tc.stride, 1)), PadsBegin: rep(2, tc.pad), PadsEnd: rep(2, tc.pad)}, Groups: 1}
			g, err := ops.NewConvGeom(tc.in, tc.w, p)
			if err != nil {
				t.Fatal(err)
			}
			w, bias, x := randSlice(rng, prod(tc.w)), randSlice(rng, tc.w[0]), randSlice(rng, prod(tc.in))
			want := convRun(t, ops.Kernels{}, g, w, bias, x, tc.act, tc.algo, 1)
			var n calls
			kc := checked(t, k, &n)
			for _, threads := range []int{1, 2} {
				sameOut(t, convRun(t, kc, g, w, bias, x, tc.act, tc.algo, threads), want)
			}
			wantCalls(t, k, &n, tc.want)
		})
	}
}

// convRun creates and runs a convolution with k installed.
func convRun(t *testing.T, k ops.Kernels, g ops.ConvGeom, w, bias, x []float32, act ops.Activation, algo ops.ConvAlgo, threads int) []float32 {
	t.Helper()
	out := make([]float32, prod(g.OutShape()))
	for i := range out {
		out[i] = float32(math.NaN()) // every output must be written
	}
	with(k, func() {
		c, err := ops.NewConv(g, w, bias, act, algo)
		if err != nil {
			t.Fatal(err)
		}
		c.Forward(out, x, make([]float32, c.WorkspaceLen()), threads)
	})
	return out
}

func testDepthwiseCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, tc := range []struct {
		in, w     []int
		s, d, pad int
		bias      bool
		act       ops.Activation
		want      string
	}{
		{in: []int{1, 8, 20, 20}, w: []int{8, 1, 3, 3}, s: 1, d: 1, pad: 1, bias: true, act: ops.Activation{Kind: ops.ActReLU}, want: "depthwise clip"},
		{in: []int{2, 3, 23, 19}, w: []int{6, 1, 3, 3}, s: 2, d: 1, pad: 1, act: ops.ReLU6, want: "depthwise clip"},
		{in: []int{1, 4, 17, 22}, w: []int{4, 1, 5, 5}, s: 1, d: 2, pad: 3, bias: true, want: "depthwise"},
		{in: []int{1, 2, 40}, w: []int{2, 1, 7}, s: 3, d: 1, pad: 2, bias: true, act: ops.Activation{Kind: ops.ActReLU}, want: "depthwise clip"},
		{in: []int{1, 3, 6, 6}, w: []int{3, 1, 3, 3}, s: 2, d: 1, pad: 1, bias: true},
		{in: []int{1, 6, 3, 21}, w: []int{6, 1, 5, 5}, s: 1, d: 1, pad: 2, bias: true, act: ops.Activation{Kind: ops.ActReLU}, want: "depthwise clip"},
		{in: []int{2, 3, 2, 3}, w: []int{6, 1, 3, 3}, s: 1, d: 1, pad: 1, bias: true, want: "depthwise"},
		{in: []int{1, 2, 5, 8, 8}, w: []int{2, 1, 3, 3, 3}, s: 1, d: 1, pad: 1, act: ops.Activation{Kind: ops.ActLeakyReLU, Alpha: 0.1}},
	} {
		t.Run(fmt.Sprintf("%v_%v_s%d_d%d_p%d_%v", tc.in, tc.w, tc.s, tc.d, tc.pad, tc.act.Kind), func(t *testing.T) {
			rank := len(tc.in) - 2
			p := ops.ConvParams{Window: ops.Window{Strides: rep(rank, tc.s), Dilations: rep(rank, tc.d), PadsBegin: rep(rank, tc.pad),
				PadsEnd: rep(rank, tc.pad)}, Groups: tc.in[1]}
			g, err := ops.NewConvGeom(tc.in, tc.w, p)
			if err != nil {
				t.Fatal(err)
			}
			w, x := randSlice(rng, prod(tc.w)), randSlice(rng, prod(tc.in))
			var bias []float32
			if tc.bias {
				bias = randSlice(rng, tc.w[0])
			}
			want := convRun(t, ops.Kernels{}, g, w, bias, x, tc.act, ops.AlgoDepthwise, 1)
			var n calls
			kc := checked(t, k, &n)
			for _, threads := range []int{1, 2} {
				sameOut(t, convRun(t, kc, g, w, bias, x, tc.act, ops.AlgoDepthwise, threads), want)
			}
			wantCalls(t, k, &n, tc.want)
		})
	}
}

func testDenseCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		batch, in, out int
		transposed     bool
		act            ops.Activation
		want           string
	}{
		{1, 512, 1000, true, ops.Activation{}, "gemm"},
		{1, 300, 7, false, ops.Activation{Kind: ops.ActReLU}, "gemm clip"},
		{3, 33, 130, true, ops.ReLU6, "gemm clip"},
		{2, 520, 17, false, ops.Activation{Kind: ops.ActTanh}, "gemm"},
		{130, 20, 9, true, ops.Activation{Kind: ops.ActReLU}, "gemm clip"},
	} {
		t.Run(fmt.Sprintf("b%d_in%d_out%d_T%v_%v", tc.batch, tc.in, tc.out, tc.transposed, tc.act.Kind), func(t *testing.T) {
			w, bias, x := randSlice(rng, tc.in*tc.out), randSlice(rng, tc.out), randSlice(rng, tc.batch*tc.in)
			run := func(k ops.Kernels, threads int) []float32 {
				y := make([]float32, tc.batch*tc.out)
				with(k, func() {
					d, err := ops.NewDense(w, bias, tc.in, tc.out, tc.transposed, tc.act)
					if err != nil {
						t.Fatal(err)
					}
					d.Forward(y, x, make([]float32, d.WorkspaceLen(tc.batch)), tc.batch, threads)
				})
				return y
			}
			want := run(ops.Kernels{}, 1)
			var n calls
			kc := checked(t, k, &n)
			for _, threads := range []int{1, 2} {
				sameOut(t, run(kc, threads), want)
			}
			wantCalls(t, k, &n, tc.want)
		})
	}
}

func testPoolCallers(t *testing.T, k ops.Kernels) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		in              []int
		k, s, d, pb, pe int
		ceil, special   bool
		want            string
	}{
		{in: []int{1, 3, 112, 112}, k: 3, s: 2, d: 1, pb: 1, pe: 1, want: "pool"},
		{in: []int{1, 2, 16, 16}, k: 2, s: 2, d: 1, special: true, want: "pool"},
		{in: []int{2, 2, 14, 13}, k: 3, s: 1, d: 1, pb: 1, pe: 1, special: true, want: "pool"},
		{in: []int{1, 2, 15, 17}, k: 3, s: 2, d: 1, pe: 1, ceil: true, want: "pool"},
		{in: []int{1, 2, 20, 20}, k: 3, s: 3, d: 2, pb: 2, special: true, want: "pool"},
		{in: []int{1, 1, 40}, k: 3, s: 2, d: 1, pb: 1, pe: 1, want: "pool"},
		{in: []int{1, 2, 5, 9, 9}, k: 2, s: 1, d: 1},
		{in: []int{1, 2, 6, 6}, k: 3, s: 2, d: 1, pb: 1, pe: 1},
	} {
		t.Run(fmt.Sprintf("in%v_k%d_s%d_d%d_p%d,%d_ceil%v", tc.in, tc.k, tc.s, tc.d, tc.pb, tc.pe, tc.ceil), func(t *testing.T) {
			rank := len(tc.in) - 2
			p := ops.PoolParams{Kind: ops.PoolMax, Kernel: rep(rank, tc.k), CeilMode: tc.ceil, Window: ops.Window{
				Strides: rep(rank, tc.s), Dilations: rep(rank, tc.d), PadsBegin: rep(rank, tc.pb), PadsEnd: rep(rank, tc.pe)}}
			g, err := ops.NewPoolGeom(tc.in, p)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(rng, prod(tc.in))
			if tc.special {
				specialFloats(rng, x)
			}
			want := make([]float32, prod(g.OutShape()))
			with(ops.Kernels{}, func() { ops.Pool(g, want, x) })
			var n calls
			got := make([]float32, len(want))
			with(checked(t, k, &n), func() { ops.Pool(g, got, x) })
			sameOut(t, got, want)
			wantCalls(t, k, &n, tc.want)
		})
	}
}
