package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// refMaxPool is MaxPoolRef as an ops.PoolMaxKernel that checks the slice
// lengths ops.PoolMaxKernel implies (every output and tap inside), and
// counts its calls.
func refMaxPool(t *testing.T, calls *int) ops.PoolMaxKernel {
	return func(dst, x []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int) {
		*calls++
		if n <= 0 || n%4 != 0 || len(dst) < (rows-1)*dstRow+n || len(x) < (rows-1)*xRow+(kh-1)*tapRow+(n-1)*sw+(kw-1)*dw+1 {
			t.Fatalf("PoolMaxKernel called with n %d rows %d dstRow %d xRow %d k %dx%d tapRow %d sw %d dw %d: len(dst) %d len(x) %d",
				n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw, len(dst), len(x))
		}
		MaxPoolRef(dst, x, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw)
	}
}

// TestHookPool runs ops.Pool on 1D, 2D and 3D max pooling (padding, ceil
// mode, strides and dilations, inputs with NaNs and ±0) with the
// PoolMaxKernel hook set to MaxPoolRef and requires results bit-identical to
// the pure-Go path, and the hook to be used where a row has 4 interior
// outputs.
func TestHookPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		in                       []int
		k, s, d, pb, pe          int
		ceil, wantCalls, special bool
	}{
		{in: []int{1, 3, 112, 112}, k: 3, s: 2, d: 1, pb: 1, pe: 1, wantCalls: true},
		{in: []int{1, 2, 16, 16}, k: 2, s: 2, d: 1, wantCalls: true, special: true},
		{in: []int{2, 2, 14, 13}, k: 3, s: 1, d: 1, pb: 1, pe: 1, wantCalls: true, special: true},
		{in: []int{1, 2, 15, 17}, k: 3, s: 2, d: 1, pb: 0, pe: 1, ceil: true, wantCalls: true},
		{in: []int{1, 2, 20, 20}, k: 3, s: 3, d: 2, pb: 2, pe: 0, wantCalls: true, special: true},
		{in: []int{1, 1, 40}, k: 3, s: 2, d: 1, pb: 1, pe: 1, wantCalls: true},
		{in: []int{1, 2, 5, 9, 9}, k: 2, s: 1, d: 1, wantCalls: false},
		{in: []int{1, 2, 6, 6}, k: 3, s: 2, d: 1, pb: 1, pe: 1, wantCalls: false},
	}
	for _, tc := range cases {
		rank := len(tc.in) - 2
		rep := func(v int) []int {
			s := make([]int, rank)
			for i := range s {
				s[i] = v
			}
			return s
		}
		name := fmt.Sprintf("in%v_k%d_s%d_d%d_p%d,%d_ceil%v", tc.in, tc.k, tc.s, tc.d, tc.pb, tc.pe, tc.ceil)
		t.Run(name, func(t *testing.T) {
			p := ops.PoolParams{Kind: ops.PoolMax, Kernel: rep(tc.k), CeilMode: tc.ceil, Window: ops.Window{
				Strides: rep(tc.s), Dilations: rep(tc.d), PadsBegin: rep(tc.pb), PadsEnd: rep(tc.pe)}}
			g, err := ops.NewPoolGeom(tc.in, p)
			if err != nil {
				t.Fatal(err)
			}
			size := 1
			for _, v := range tc.in {
				size *= v
			}
			x := randSlice(rng, size)
			if tc.special {
				specialFloats(rng, x)
			}
			outLen := 1
			for _, v := range g.OutShape() {
				outLen *= v
			}
			want := make([]float32, outLen)
			ops.Pool(g, want, x)
			got := make([]float32, outLen)
			calls := 0
			ops.SetPoolMaxKernel(refMaxPool(t, &calls))
			defer ops.SetPoolMaxKernel(nil)
			ops.Pool(g, got, x)
			sameBits(t, got, want)
			if (calls > 0) != tc.wantCalls {
				t.Fatalf("%d kernel calls, want calls: %v", calls, tc.wantCalls)
			}
		})
	}
}
