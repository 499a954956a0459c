package train

import (
	"math"
	"testing"
)

// refOptim replays an optimiser in float64 with the textbook formulas.
func refOptim(kind string, w0, grads [][]float64, decay []bool, lrs []float64, mom, wd float64) [][]float64 {
	w := make([][]float64, len(w0))
	v := make([][]float64, len(w0))
	s := make([][]float64, len(w0))
	for i := range w0 {
		w[i] = append([]float64(nil), w0[i]...)
		v[i] = make([]float64, len(w0[i]))
		s[i] = make([]float64, len(w0[i]))
	}
	for t, lr := range lrs {
		for p := range w {
			d := 0.0
			if decay[p] {
				d = wd
			}
			for i := range w[p] {
				g := grads[t][p*len(w[p])+i]
				switch kind {
				case "sgd", "nesterov":
					g += d * w[p][i]
					v[p][i] = mom*v[p][i] + g
					if kind == "nesterov" {
						w[p][i] -= lr * (g + mom*v[p][i])
					} else {
						w[p][i] -= lr * v[p][i]
					}
				case "adamw":
					b1, b2 := 0.9, 0.999
					v[p][i] = b1*v[p][i] + (1-b1)*g
					s[p][i] = b2*s[p][i] + (1-b2)*g*g
					mh := v[p][i] / (1 - math.Pow(b1, float64(t+1)))
					sh := s[p][i] / (1 - math.Pow(b2, float64(t+1)))
					w[p][i] -= lr*d*w[p][i] + lr*mh/(math.Sqrt(sh)+1e-8)
				}
			}
		}
	}
	return w
}

func TestOptimizers(t *testing.T) {
	cases := []struct {
		name string
		opt  func() Optimizer
		mom  float64
	}{
		{"sgd", func() Optimizer { return &SGD{Momentum: 0.8, WeightDecay: 0.05} }, 0.8},
		{"nesterov", func() Optimizer { return &SGD{Momentum: 0.9, Nesterov: true, WeightDecay: 0.05} }, 0.9},
		{"adamw", func() Optimizer { return NewAdam(0.05) }, 0},
	}
	const n, steps = 5, 7
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			params := []*Param{{Name: "w", Decay: true}, {Name: "b"}}
			w0 := make([][]float64, 2)
			for p, prm := range params {
				prm.Value, prm.Grad = make([]float32, n), make([]float32, n)
				for i := range prm.Value {
					prm.Value[i] = float32(math.Sin(float64(3*i+p+ci))) * 2
					w0[p] = append(w0[p], float64(prm.Value[i]))
				}
			}
			grads := make([][]float64, steps)
			lrs := make([]float64, steps)
			opt := c.opt()
			for s := 0; s < steps; s++ {
				lrs[s] = 0.1 / float64(s+1)
				for p, prm := range params {
					for i := range prm.Grad {
						prm.Grad[i] = float32(math.Cos(float64(7*s + 2*i + p)))
						grads[s] = append(grads[s], float64(prm.Grad[i]))
					}
				}
				opt.Update(params, lrs[s])
			}
			want := refOptim(c.name, w0, grads, []bool{true, false}, lrs, c.mom, 0.05)
			for p, prm := range params {
				for i, v := range prm.Value {
					if math.Abs(float64(v)-want[p][i]) > 1e-5*math.Max(1, math.Abs(want[p][i])) {
						t.Errorf("%s[%d] = %.8g, want %.8g", prm.Name, i, v, want[p][i])
					}
				}
			}
		})
	}
}

func TestScheduleFactor(t *testing.T) {
	cases := []struct {
		name        string
		s           Schedule
		step, total int
		want        float64
	}{
		{"constant", Schedule{}, 17, 100, 1},
		{"warmup_first", Schedule{Kind: Cosine, Warmup: 10}, 0, 100, 0.1},
		{"warmup_last", Schedule{Kind: Cosine, Warmup: 10}, 9, 100, 1},
		{"cosine_start", Schedule{Kind: Cosine, Warmup: 10}, 10, 100, 1},
		{"cosine_middle", Schedule{Kind: Cosine}, 50, 101, 0.5},
		{"cosine_quarter", Schedule{Kind: Cosine, MinFactor: 0.2}, 25, 101, 0.2 + 0.8*(1+math.Sqrt(0.5))/2},
		{"cosine_end", Schedule{Kind: Cosine, Warmup: 5, MinFactor: 0.01}, 99, 100, 0.01},
		{"step_before", Schedule{Kind: Step, StepEvery: 30, Gamma: 0.1}, 29, 100, 1},
		{"step_twice", Schedule{Kind: Step, StepEvery: 30, Gamma: 0.1}, 60, 100, 0.01},
		{"step_after_warmup", Schedule{Kind: Step, Warmup: 4, StepEvery: 10, Gamma: 0.5}, 14, 100, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.Factor(c.step, c.total); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("Factor(%d, %d) = %.15g, want %.15g", c.step, c.total, got, c.want)
			}
		})
	}
}
