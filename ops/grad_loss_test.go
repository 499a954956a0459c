package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests of SoftmaxCrossEntropy.

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
