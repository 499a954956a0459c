package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestClip checks a ClipKernel on blocks with row lengths around the
// vector width and padded rows, inputs with NaNs (distinct payloads), ±0
// and ±Inf, for ReLU, ordered, equal, infinite and NaN bounds: c
// bit-identical to the contract loop and to ops' pure-Go kernel, values
// outside the block untouched, and the contract loop equal to min(max(v,
// lo), hi) in float64 for ordered bounds.
func TestClip(t *testing.T, impl ops.ClipKernel) {
	rng := rand.New(rand.NewPCG(17, 18))
	pure := ops.GoKernels().Clip
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	bounds := [][2]float32{{0, inf}, {0, 6}, {-1.5, 0.25}, {0.5, 0.5}, {-inf, 0}, {nan, 1}, {-1, nan}}
	for i := range 50 {
		rows, cols := 1+rng.IntN(4), 1+rng.IntN(13)
		if i < 4 {
			rows, cols = 1, 4*(i+1)-i%2
		}
		ldc := cols + rng.IntN(3)
		lo, hi := bounds[i%len(bounds)][0], bounds[i%len(bounds)][1]
		t.Run(caseName("rows", rows, "cols", cols, "ldc", ldc, "lo", lo, "hi", hi), func(t *testing.T) {
			c := newBuf(rng, (rows-1)*ldc+cols)
			for j := range c.back {
				c.back[j] *= 8
			}
			specialFloats(rng, c.s)
			want, fromGo, got := c.clone(), c.clone(), c.clone()
			for r := 0; r < rows; r++ {
				for j := 0; j < cols; j++ {
					v := &want.s[r*ldc+j]
					*v = clip3(*v, lo, hi)
				}
			}
			pure(fromGo.s, rows, cols, ldc, lo, hi)
			sameBits(t, "pure-Go c", fromGo, want)
			impl(got.s, rows, cols, ldc, lo, hi)
			sameBits(t, "c", got, want)
			if lo != lo || hi != hi {
				return
			}
			for j, v := range c.s {
				w := float64(v)
				if j%ldc < cols && !math.IsNaN(w) {
					w = math.Min(math.Max(w, float64(lo)), float64(hi))
				}
				if g := float64(want.s[j]); math.IsNaN(w) != math.IsNaN(g) || !math.IsNaN(w) && g != w {
					t.Fatalf("contract c[%d] = %v from %v, want %v", j, g, v, w)
				}
			}
		})
	}
}
