package train

import (
	"fmt"
	"math"
)

// Param is one trainable tensor of the model: its values (the model's own
// weight data, updated in place), its gradient after the last backward pass
// and whether weight decay applies to it.
type Param struct {
	Name  string
	Value []float32
	Grad  []float32
	// Decay is true for convolution and dense weights and false for biases
	// and batch-norm scales and shifts, which are not decayed.
	Decay bool
	state [2][]float64 // optimiser slots
}

// slot returns optimiser slot i, allocating it (zeros) on first use.
func (p *Param) slot(i int) []float64 {
	if p.state[i] == nil {
		p.state[i] = make([]float64, len(p.Value))
	}
	return p.state[i]
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Update applies one step with learning rate lr to every parameter.
	Update(params []*Param, lr float64)
	// Name describes the optimiser and its settings.
	Name() string
}

// SGD is stochastic gradient descent with momentum, as PyTorch's SGD
// (dampening 0): with g = grad + WeightDecay·w (weight decay as an L2
// penalty, coupled to the gradient), the velocity is v = Momentum·v + g and
// the step w -= lr·v, or with Nesterov w -= lr·(g + Momentum·v). Updates are
// computed in float64 and rounded once.
type SGD struct {
	Momentum    float64
	Nesterov    bool
	WeightDecay float64
}

// Name describes the optimiser.
func (o *SGD) Name() string {
	n := fmt.Sprintf("SGD (momentum %g", o.Momentum)
	if o.Nesterov {
		n += ", Nesterov"
	}
	return n + fmt.Sprintf(", L2 weight decay %g)", o.WeightDecay)
}

// Update applies one SGD step.
func (o *SGD) Update(params []*Param, lr float64) {
	mom := o.Momentum
	for _, p := range params {
		wd := 0.0
		if p.Decay {
			wd = o.WeightDecay
		}
		var vel []float64
		if mom != 0 {
			vel = p.slot(0)
		}
		for i, g32 := range p.Grad {
			w := float64(p.Value[i])
			g := float64(g32) + float64(wd*w)
			if vel != nil {
				v := float64(mom*vel[i]) + g
				vel[i] = v
				if o.Nesterov {
					g += float64(mom * v)
				} else {
					g = v
				}
			}
			p.Value[i] = float32(w - float64(lr*g))
		}
	}
}

// Adam is Adam with decoupled weight decay (AdamW, Loshchilov and Hutter):
// m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², and
// w -= lr·(m̂/(sqrt(v̂) + Epsilon) + WeightDecay·w) with the bias-corrected
// m̂ = m/(1−β1^t), v̂ = v/(1−β2^t). The decay does not pass through the
// moments, so it shrinks every decayed weight by the same factor. Moments are
// kept and updates computed in float64. Use NewAdam for the usual defaults.
type Adam struct {
	Beta1, Beta2 float64
	Epsilon      float64
	WeightDecay  float64
	// t is the number of steps taken; b1t and b2t are β1^t and β2^t.
	t        int
	b1t, b2t float64
}

// NewAdam returns Adam with β1 0.9, β2 0.999, ε 1e-8 and the given
// decoupled weight decay.
func NewAdam(weightDecay float64) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: weightDecay}
}

// Name describes the optimiser.
func (o *Adam) Name() string {
	if o.WeightDecay != 0 {
		return fmt.Sprintf("AdamW (β1 %g, β2 %g, decoupled weight decay %g)", o.Beta1, o.Beta2, o.WeightDecay)
	}
	return fmt.Sprintf("Adam (β1 %g, β2 %g)", o.Beta1, o.Beta2)
}

// Update applies one Adam step.
func (o *Adam) Update(params []*Param, lr float64) {
	if o.t == 0 {
		o.b1t, o.b2t = 1, 1
	}
	o.t++
	// Powers by repeated products: exact same bits on every platform.
	o.b1t *= o.Beta1
	o.b2t *= o.Beta2
	c1, c2 := 1-o.b1t, 1-o.b2t
	b1, b2 := o.Beta1, o.Beta2
	for _, p := range params {
		decay := 0.0
		if p.Decay {
			decay = float64(lr * o.WeightDecay)
		}
		m, v := p.slot(0), p.slot(1)
		for i, g32 := range p.Grad {
			g := float64(g32)
			mi := float64(b1*m[i]) + float64((1-b1)*g)
			vi := float64(b2*v[i]) + float64(float64((1-b2)*g)*g)
			m[i], v[i] = mi, vi
			step := (mi / c1) / (math.Sqrt(vi/c2) + o.Epsilon)
			w := float64(p.Value[i])
			p.Value[i] = float32(w - float64(decay*w) - float64(lr*step))
		}
	}
}

// ScheduleKind selects a learning-rate schedule.
type ScheduleKind uint8

// Schedules.
const (
	Constant ScheduleKind = iota // the base rate throughout
	Cosine                       // cosine decay from the base rate to MinFactor times it
	Step                         // multiplied by Gamma every StepEvery steps
)

// Schedule gives the learning rate at each optimiser step as a factor of the
// base rate: a linear warm-up over the first Warmup steps (factor
// (s+1)/Warmup at step s), then the kind's decay over the remaining steps.
type Schedule struct {
	Kind      ScheduleKind
	Warmup    int
	MinFactor float64 // Cosine: the final factor
	StepEvery int     // Step: steps between decays
	Gamma     float64 // Step: the decay factor
}

// Factor returns the learning-rate factor at step s (from 0) of total.
func (s Schedule) Factor(step, total int) float64 {
	if step < s.Warmup {
		return float64(step+1) / float64(s.Warmup)
	}
	switch s.Kind {
	case Cosine:
		span := total - s.Warmup
		if span <= 1 {
			return 1
		}
		frac := float64(step-s.Warmup) / float64(span-1)
		return s.MinFactor + float64((1-s.MinFactor)*0.5*(1+math.Cos(math.Pi*min(frac, 1))))
	case Step:
		if s.StepEvery < 1 {
			return 1
		}
		f := 1.0
		for k := (step - s.Warmup) / s.StepEvery; k > 0; k-- {
			f *= s.Gamma
		}
		return f
	}
	return 1
}

// String describes the schedule.
func (s Schedule) String() string {
	var d string
	switch s.Kind {
	case Cosine:
		d = fmt.Sprintf("cosine decay to %g×", s.MinFactor)
	case Step:
		d = fmt.Sprintf("×%g every %d steps", s.Gamma, s.StepEvery)
	default:
		d = "constant"
	}
	if s.Warmup > 0 {
		d = fmt.Sprintf("%d warm-up steps, then %s", s.Warmup, d)
	}
	return d
}
