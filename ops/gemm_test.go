package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

type gemmCase struct {
	name string
	p    GemmParams
}

// gemmCases covers ragged sizes (every edge tile of the 2x4, 8x1 and 2x1
// kernels), transposes, padded leading dimensions, accumulation, and sizes
// that span several K, M and N blocks.
func gemmCases() []gemmCase {
	sizes := []int{1, 2, 3, 5, 7, 8, 9, 13, 17, 31, 33, 65, 70}
	rng := rand.New(rand.NewPCG(3, 4))
	var cases []gemmCase
	for i := 0; i < 48; i++ {
		p := GemmParams{M: sizes[rng.IntN(len(sizes))], N: sizes[rng.IntN(len(sizes))], K: sizes[rng.IntN(len(sizes))],
			TransA: i%2 == 1, TransB: i/2%2 == 1, Accumulate: i%5 == 0}
		if i%3 == 0 {
			p.LDA, p.LDB, p.LDC = 3+max(p.M, p.K), 1+max(p.N, p.K), p.N+2
		}
		cases = append(cases, gemmCase{fmt.Sprintf("%dx%dx%d_ta%v_tb%v_acc%v_ld%d", p.M, p.N, p.K, p.TransA, p.TransB, p.Accumulate, p.LDC), p})
	}
	for _, p := range []GemmParams{
		{M: 130, N: 260, K: 300},
		{M: 257, N: 5, K: 513, TransA: true},
		{M: 1, N: 300, K: 257, TransB: true, Accumulate: true},
		{M: 3, N: 4, K: 0},
		{M: 3, N: 4, K: 0, Accumulate: true},
	} {
		cases = append(cases, gemmCase{fmt.Sprintf("big_%dx%dx%d_ta%v_tb%v_acc%v", p.M, p.N, p.K, p.TransA, p.TransB, p.Accumulate), p})
	}
	return cases
}

// gemmOperands returns A and B as stored for p and their row-major m×k and
// k×n float64 forms.
func gemmOperands(rng *rand.Rand, p GemmParams) (a, b []float32, a64, b64 []float64) {
	_, _, _, _, _, alen, blen, _ := p.strides()
	a, b = randSlice(rng, max(alen, 0)), randSlice(rng, max(blen, 0))
	ars, acs, brs, bcs, _, _, _, _ := p.strides()
	a64, b64 = make([]float64, p.M*p.K), make([]float64, p.K*p.N)
	for i := 0; i < p.M; i++ {
		for k := 0; k < p.K; k++ {
			a64[i*p.K+k] = float64(a[i*ars+k*acs])
		}
	}
	for k := 0; k < p.K; k++ {
		for j := 0; j < p.N; j++ {
			b64[k*p.N+j] = float64(b[k*brs+j*bcs])
		}
	}
	return a, b, a64, b64
}

func runGemm(t *testing.T, p GemmParams, a, b, c0 []float32, threads int) []float32 {
	t.Helper()
	c, check := guarded(t, len(c0))
	copy(c, c0)
	ws, checkWS := guarded(t, GemmWorkspaceLen(p))
	for i := range ws {
		ws[i] = float32(math.NaN())
	}
	Gemm(p, a, b, c, ws, threads)
	check()
	checkWS()
	return append([]float32(nil), c...)
}

func TestGemmAgainstReference(t *testing.T) {
	for i, tc := range gemmCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			a, b, a64, b64 := gemmOperands(rng, p)
			_, _, _, _, ldc, _, _, clen := p.strides()
			c0 := randSlice(rng, clen)
			got := runGemm(t, p, a, b, c0, 1)
			prod := ref.Gemm(a64, b64, p.M, p.N, p.K)
			want := make([]float64, 0, p.M*p.N)
			gotC := make([]float32, 0, p.M*p.N)
			for i := 0; i < p.M; i++ {
				for j := 0; j < p.N; j++ {
					w := prod[i*p.N+j]
					if p.Accumulate {
						w += float64(c0[i*ldc+j])
					}
					want = append(want, w)
					gotC = append(gotC, got[i*ldc+j])
				}
				// Padding between rows of C must be left alone.
				for j := p.N; j < ldc && i*ldc+j < clen; j++ {
					if math.Float32bits(got[i*ldc+j]) != math.Float32bits(c0[i*ldc+j]) {
						t.Fatalf("Gemm wrote C's padding at row %d column %d", i, j)
					}
				}
			}
			checkClose(t, gotC, want, 1e-5)
			// The documented summation order: the naive float32 loop.
			ars, acs, brs, bcs, _, _, _, _ := p.strides()
			for i := 0; i < p.M; i++ {
				for j := 0; j < p.N; j++ {
					s := float32(0)
					if p.Accumulate {
						s = c0[i*ldc+j]
					}
					for k := 0; k < p.K; k++ {
						s += float32(a[i*ars+k*acs] * b[k*brs+j*bcs])
					}
					if math.Float32bits(s) != math.Float32bits(got[i*ldc+j]) {
						t.Fatalf("C[%d,%d] = %v, naive float32 loop gives %v", i, j, got[i*ldc+j], s)
					}
				}
			}
			for _, th := range []int{2, 3, 7} {
				if k := firstBitDiff(got, runGemm(t, p, a, b, c0, th)); k >= 0 {
					t.Fatalf("threads=%d differs from threads=1 at %d", th, k)
				}
			}
		})
	}
}

func TestGemmGOMAXPROCS(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	p := GemmParams{M: 300, N: 270, K: 70}
	rng := rand.New(rand.NewPCG(5, 5))
	a, b, _, _ := gemmOperands(rng, p)
	c0 := make([]float32, p.M*p.N)
	base := runGemm(t, p, a, b, c0, 1)
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for _, th := range []int{2, 3, 7, 100} {
			if k := firstBitDiff(base, runGemm(t, p, a, b, c0, th)); k >= 0 {
				t.Fatalf("GOMAXPROCS=%d threads=%d differs at %d", procs, th, k)
			}
		}
	}
}

func TestGemmPanicsOnShortBuffers(t *testing.T) {
	p := GemmParams{M: 4, N: 5, K: 6}
	full := func() (a, b, c, ws []float32) {
		return make([]float32, 24), make([]float32, 30), make([]float32, 20), make([]float32, GemmWorkspaceLen(p))
	}
	tests := []struct {
		name string
		cut  func(a, b, c, ws []float32) ([]float32, []float32, []float32, []float32)
	}{
		{"a", func(a, b, c, ws []float32) ([]float32, []float32, []float32, []float32) { return a[1:], b, c, ws }},
		{"b", func(a, b, c, ws []float32) ([]float32, []float32, []float32, []float32) { return a, b[1:], c, ws }},
		{"c", func(a, b, c, ws []float32) ([]float32, []float32, []float32, []float32) { return a, b, c[1:], ws }},
		{"ws", func(a, b, c, ws []float32) ([]float32, []float32, []float32, []float32) { return a, b, c, ws[1:] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			a, b, c, ws := tc.cut(full())
			Gemm(p, a, b, c, ws, 1)
		})
	}
}

func TestParallelForCoversRange(t *testing.T) {
	for _, tc := range []struct{ n, threads int }{{0, 3}, {1, 4}, {5, 2}, {7, 3}, {100, 7}, {10, 100}} {
		t.Run(fmt.Sprintf("n%d_t%d", tc.n, tc.threads), func(t *testing.T) {
			hits := make([]int, tc.n)
			parts := make([]int, MaxThreads)
			ParallelFor(tc.n, tc.threads, func(part, lo, hi int) {
				parts[part]++
				for i := lo; i < hi; i++ {
					hits[i]++
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("index %d visited %d times", i, h)
				}
			}
			for p, c := range parts {
				if c > 1 {
					t.Fatalf("part %d used %d times", p, c)
				}
			}
		})
	}
}
