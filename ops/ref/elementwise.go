package ref

import "math"

// Softmax normalises x, viewed as [outer, axis, inner], along its middle
// axis: exp(x) / sum(exp(x)), computed with the maximum subtracted first.
func Softmax(x []float64, outer, axis, inner int) []float64 {
	y := make([]float64, len(x))
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			at := func(a int) int { return (o*axis+a)*inner + i }
			m := math.Inf(-1)
			for a := 0; a < axis; a++ {
				m = math.Max(m, x[at(a)])
			}
			sum := 0.0
			for a := 0; a < axis; a++ {
				sum += math.Exp(x[at(a)] - m)
			}
			for a := 0; a < axis; a++ {
				y[at(a)] = math.Exp(x[at(a)]-m) / sum
			}
		}
	}
	return y
}

// BatchNorm computes gamma*(x-mean)/sqrt(variance+eps) + beta per channel of
// x ([n, c, spatial], c = len(gamma)).
func BatchNorm(x, gamma, beta, mean, variance []float64, eps float64, n, spatial int) []float64 {
	c := len(gamma)
	y := make([]float64, len(x))
	for i := range y {
		ch := (i / spatial) % c
		y[i] = gamma[ch]*(x[i]-mean[ch])/math.Sqrt(variance[ch]+eps) + beta[ch]
	}
	return y
}

// LRN computes x / (bias + alpha/size * sum of squares)**beta over a window
// of size channels from c-floor((size-1)/2) to c+ceil((size-1)/2), clipped,
// for x of shape [n, c, spatial].
func LRN(x []float64, n, c, spatial, size int, alpha, beta, bias float64) []float64 {
	y := make([]float64, len(x))
	lo := int(math.Floor(float64(size-1) / 2))
	hi := int(math.Ceil(float64(size-1) / 2))
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for s := 0; s < spatial; s++ {
				sq := 0.0
				for k := ch - lo; k <= ch+hi; k++ {
					if k >= 0 && k < c {
						v := x[(b*c+k)*spatial+s]
						sq += v * v
					}
				}
				i := (b*c+ch)*spatial + s
				y[i] = x[i] / math.Pow(bias+alpha/float64(size)*sq, beta)
			}
		}
	}
	return y
}

// Add returns a + b elementwise.
func Add(a, b []float64) []float64 {
	y := make([]float64, len(a))
	for i := range y {
		y[i] = a[i] + b[i]
	}
	return y
}

// Concat joins srcs, viewed as [outer, axisSizes[i], inner], along the
// middle axis.
func Concat(srcs [][]float64, outer int, axisSizes []int, inner int) []float64 {
	total := 0
	for _, a := range axisSizes {
		total += a
	}
	y := make([]float64, outer*total*inner)
	for o := 0; o < outer; o++ {
		pos := 0
		for i, src := range srcs {
			for a := 0; a < axisSizes[i]; a++ {
				for k := 0; k < inner; k++ {
					y[(o*total+pos+a)*inner+k] = src[(o*axisSizes[i]+a)*inner+k]
				}
			}
			pos += axisSizes[i]
		}
	}
	return y
}

// Map applies f to every element of x.
func Map(x []float64, f func(float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

// ReLU returns max(v, 0).
func ReLU(v float64) float64 { return math.Max(v, 0) }

// LeakyReLU returns v for v >= 0, alpha*v otherwise.
func LeakyReLU(v, alpha float64) float64 {
	if v >= 0 {
		return v
	}
	return alpha * v
}

// Clip returns v limited to [lo, hi].
func Clip(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// Sigmoid returns 1/(1+e**-v).
func Sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// Tanh returns tanh(v).
func Tanh(v float64) float64 { return math.Tanh(v) }

// BinaryFunc returns the definition of the elementwise binary op that ONNX
// names op (Add, Sub, Mul, Div, Pow), or nil if there is none.
func BinaryFunc(op string) func(x, y float64) float64 {
	switch op {
	case "Add":
		return func(x, y float64) float64 { return x + y }
	case "Sub":
		return func(x, y float64) float64 { return x - y }
	case "Mul":
		return func(x, y float64) float64 { return x * y }
	case "Div":
		return func(x, y float64) float64 { return x / y }
	case "Pow":
		return math.Pow
	}
	return nil
}
