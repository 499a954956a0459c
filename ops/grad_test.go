package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Gradient tests: every analytic float32 gradient is compared with central
// finite differences of an independent float64 forward pass (ops/ref where it
// exists), for the scalar loss L = Σ y·r with r = dy. This file holds the
// shared helpers and TestGradNoAllocs; each kernel's tests are in
// grad_<kernel>_test.go.

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
