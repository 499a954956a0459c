package kerneltest

import (
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestPackB checks a PackBKernel on 1 to 300 rows of 1 to 40 groups, with
// source rows and panels longer than they need to be (and exactly as
// long), NaNs and infinities among the values: dst bit-identical to the
// contract loop and to ops' pure-Go kernel (untouched outside the copied
// values) and src unchanged.
func TestPackB(t *testing.T, impl ops.PackBKernel) {
	rng := rand.New(rand.NewPCG(35, 36))
	pure := ops.GoKernels().PackB
	for i := range 40 {
		rows, groups := 1+rng.IntN(12), 1+rng.IntN(40)
		if i%7 == 3 {
			rows = 256 + rng.IntN(50)
		}
		srcRow, step := groups*4, rows*4
		if i%2 == 1 {
			srcRow += rng.IntN(9)
			step += 4 * rng.IntN(3)
		}
		t.Run(caseName("rows", rows, "groups", groups, "srcRow", srcRow, "step", step), func(t *testing.T) {
			src := newBuf(rng, (rows-1)*srcRow+groups*4)
			specialFloats(rng, src.s)
			src0 := src.clone()
			d := newBuf(rng, (groups-1)*step+rows*4)
			want, fromGo, got := d.clone(), d.clone(), d.clone()
			for r := 0; r < rows; r++ {
				for q := 0; q < groups; q++ {
					for l := 0; l < 4; l++ {
						want.s[q*step+r*4+l] = src.s[r*srcRow+q*4+l]
					}
				}
			}
			pure(fromGo.s, src.s, rows, groups, srcRow, step)
			sameBits(t, "pure-Go dst", fromGo, want)
			impl(got.s, src.s, rows, groups, srcRow, step)
			sameBits(t, "dst", got, want)
			unchanged(t, "src", src, src0)
		})
	}
}
