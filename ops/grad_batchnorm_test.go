package ops

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/wasmnn/wasmnn/ops/ref"
)

// Gradient tests of BatchNormTrain.

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
