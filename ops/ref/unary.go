package ref

import "math"

// UnaryFunc returns the definition of the elementwise unary op that ONNX
// names op (Sqrt, Exp, Log, Erf, Abs, Floor, Ceil, Neg, Reciprocal), or nil
// if there is none.
func UnaryFunc(op string) func(float64) float64 {
	switch op {
	case "Sqrt":
		return math.Sqrt
	case "Exp":
		return math.Exp
	case "Log":
		return math.Log
	case "Erf":
		return math.Erf
	case "Abs":
		return math.Abs
	case "Floor":
		return math.Floor
	case "Ceil":
		return math.Ceil
	case "Neg":
		return func(v float64) float64 { return -v }
	case "Reciprocal":
		return func(v float64) float64 { return 1 / v }
	}
	return nil
}

// Gelu returns v/2 * (1 + erf(v/sqrt(2))), or with tanh the approximation
// v/2 * (1 + tanh(sqrt(2/pi) * (v + 0.044715 v**3))), as ONNX defines them.
func Gelu(v float64, tanh bool) float64 {
	if tanh {
		return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
	}
	return 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
}

// PRelu returns v if v >= 0, slope*v otherwise.
func PRelu(v, slope float64) float64 {
	if v < 0 {
		return slope * v
	}
	return v
}

// Variadic reduces tensors elementwise with numpy broadcasting, as ONNX's
// Sum, Mean, Max and Min (op) define it: NaN in Max and Min gives NaN. It
// returns nil if op is none of them.
func Variadic(op string, xs [][]float64, shapes [][]int) ([]float64, []int) {
	var f func(x, y float64) float64
	switch op {
	case "Sum", "Mean":
		f = func(x, y float64) float64 { return x + y }
	case "Max":
		f = func(x, y float64) float64 {
			if math.IsNaN(x) || math.IsNaN(y) {
				return math.NaN()
			}
			return math.Max(x, y)
		}
	case "Min":
		f = func(x, y float64) float64 {
			if math.IsNaN(x) || math.IsNaN(y) {
				return math.NaN()
			}
			return math.Min(x, y)
		}
	default:
		return nil, nil
	}
	y, ys := append([]float64(nil), xs[0]...), shapes[0]
	for i := 1; i < len(xs); i++ {
		y, ys = Binary(y, ys, xs[i], shapes[i], f)
	}
	if op == "Mean" {
		for i := range y {
			y[i] /= float64(len(xs))
		}
	}
	return y, ys
}
