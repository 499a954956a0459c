package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGatherStrided checks gatherStrided against the plain strided loop for
// strides 2 and 3 and every length around its 4-value step, with guard
// values after the destination.
func TestGatherStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, s := range []int{2, 3} {
		for n := 0; n <= 13; n++ {
			t.Run(fmt.Sprintf("s%d_n%d", s, n), func(t *testing.T) {
				xs := randSlice(rng, max((n-1)*s+1, 0))
				d, check := guarded(t, n)
				gatherStrided(d, xs, s)
				check()
				for i := 0; i < n; i++ {
					if d[i] != xs[i*s] {
						t.Fatalf("d[%d] = %v, want xs[%d] = %v", i, d[i], i*s, xs[i*s])
					}
				}
			})
		}
	}
}
