package kerneltest

import (
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
)

// TestPackB checks a PackBKernel on 1 to 300 rows of 1 to 40 groups, read
// 1 to 4 values apart (and, with one row, from row stride 0), with source
// rows and panels longer than they need to be (and exactly as long), NaNs
// and infinities among the values: dst bit-identical to the contract loop
// and to ops' pure-Go kernel (untouched outside the copied values) and src
// unchanged.
func TestPackB(t *testing.T, impl ops.PackBKernel) {
	rng := rand.New(rand.NewPCG(35, 36))
	pure := ops.GoKernels().PackB
	for i := range 48 {
		rows, groups, sw := 1+rng.IntN(12), 1+rng.IntN(40), 1+i%4
		if i%7 == 3 {
			rows = 256 + rng.IntN(50)
		}
		srcRow, step := (groups*4-1)*sw+1, rows*4
		if i%2 == 1 {
			srcRow += rng.IntN(9)
			step += 4 * rng.IntN(3)
		}
		if i%5 == 4 {
			rows, srcRow = 1, 0
		}
		t.Run(caseName("rows", rows, "groups", groups, "srcRow", srcRow, "sw", sw, "step", step), func(t *testing.T) {
			src := newBuf(rng, (rows-1)*srcRow+(groups*4-1)*sw+1)
			specialFloats(rng, src.s)
			src0 := src.clone()
			d := newBuf(rng, (groups-1)*step+rows*4)
			want, fromGo, got := d.clone(), d.clone(), d.clone()
			for r := 0; r < rows; r++ {
				for q := 0; q < groups; q++ {
					for l := 0; l < 4; l++ {
						want.s[q*step+r*4+l] = src.s[r*srcRow+(q*4+l)*sw]
					}
				}
			}
			pure(fromGo.s, src.s, rows, groups, srcRow, sw, step)
			sameBits(t, "pure-Go dst", fromGo, want)
			impl(got.s, src.s, rows, groups, srcRow, sw, step)
			sameBits(t, "dst", got, want)
			unchanged(t, "src", src, src0)
		})
	}
}

// TestGather checks a GatherKernel on 1 to 200 outputs from sources of 1 to
// 100 values, with repeated, reversed and random offsets, offs longer than
// dst, NaNs with payloads and infinities among the values: dst
// bit-identical to the contract loop and to ops' pure-Go kernel (untouched
// outside its values) and src and offs unchanged.
func TestGather(t *testing.T, impl ops.GatherKernel) {
	rng := rand.New(rand.NewPCG(37, 38))
	pure := ops.GoKernels().Gather
	for i := range 40 {
		n, m := 1+rng.IntN(200), 1+rng.IntN(100)
		offs := make([]int32, n+rng.IntN(3))
		for j := range offs {
			switch i % 3 {
			case 0: // each source value repeated, as a nearest upsampling
				offs[j] = int32(min(j*m/len(offs), m-1))
			case 1:
				offs[j] = int32(m - 1 - j%m)
			default:
				offs[j] = int32(rng.IntN(m))
			}
		}
		t.Run(caseName("n", n, "src", m, "pattern", i%3), func(t *testing.T) {
			src := newBuf(rng, m)
			specialFloats(rng, src.s)
			src0 := src.clone()
			offs0 := append([]int32(nil), offs...)
			d := newBuf(rng, n)
			want, fromGo, got := d.clone(), d.clone(), d.clone()
			for j := range n {
				want.s[j] = src.s[offs[j]]
			}
			pure(fromGo.s, src.s, offs)
			sameBits(t, "pure-Go dst", fromGo, want)
			impl(got.s, src.s, offs)
			sameBits(t, "dst", got, want)
			unchanged(t, "src", src, src0)
			for j := range offs {
				if offs[j] != offs0[j] {
					t.Fatalf("offs[%d] changed", j)
				}
			}
		})
	}
}
