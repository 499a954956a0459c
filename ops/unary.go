package ops

import (
	"fmt"
	"math"
)

// UnaryKind names an elementwise function of one tensor.
type UnaryKind uint8

// Unary functions, as ONNX Sqrt, Exp, Log, Erf, Abs, Floor, Ceil, Neg and
// Reciprocal.
const (
	UnSqrt       UnaryKind = iota // correctly rounded square root (NaN below 0)
	UnExp                         // e**x, by Exp64
	UnLog                         // natural logarithm, by Log64
	UnErf                         // error function, by Erf64
	UnAbs                         // |x|
	UnFloor                       // largest integer <= x
	UnCeil                        // smallest integer >= x
	UnNeg                         // -x
	UnReciprocal                  // 1/x
)

var unaryNames = [...]string{"Sqrt", "Exp", "Log", "Erf", "Abs", "Floor", "Ceil", "Neg", "Reciprocal"}

// UnaryKinds returns every unary function, in declaration order.
func UnaryKinds() []UnaryKind {
	ks := make([]UnaryKind, len(unaryNames))
	for i := range ks {
		ks[i] = UnaryKind(i)
	}
	return ks
}

// String returns the function's ONNX name.
func (k UnaryKind) String() string {
	if int(k) < len(unaryNames) {
		return unaryNames[k]
	}
	return fmt.Sprintf("unary(%d)", k)
}

// ParseUnaryKind returns the unary function ONNX names name (ok false if
// there is none).
func ParseUnaryKind(name string) (kind UnaryKind, ok bool) {
	for i, n := range unaryNames {
		if n == name {
			return UnaryKind(i), true
		}
	}
	return 0, false
}

// Unary32 returns kind applied to x, rounded to float32. Exp, Log and Erf
// are computed in float64 by the plain-Go Exp64, Log64 and Erf64 and
// rounded once, so that native and wasm builds agree bit for bit.
func Unary32(kind UnaryKind, x float32) float32 {
	switch kind {
	case UnSqrt:
		return float32(math.Sqrt(float64(x)))
	case UnExp:
		return float32(Exp64(float64(x)))
	case UnLog:
		return float32(Log64(float64(x)))
	case UnErf:
		return Erf32(x)
	case UnAbs:
		return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	case UnFloor:
		return float32(math.Floor(float64(x)))
	case UnCeil:
		return float32(math.Ceil(float64(x)))
	case UnNeg:
		return -x
	case UnReciprocal:
		return 1 / x
	}
	panic(fmt.Sprintf("ops.Unary32: unknown function %d", kind))
}

// Unary computes dst[i] = kind(x[i]) for every i < len(x). dst must hold at
// least len(x) values; it may be x itself. Unary panics if it is shorter.
func Unary(kind UnaryKind, dst, x []float32) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("ops.Unary: destination of %d values for %d", len(dst), len(x)))
	}
	dst = dst[:len(x)]
	switch kind {
	case UnNeg:
		for i, v := range x {
			dst[i] = -v
		}
	case UnReciprocal:
		for i, v := range x {
			dst[i] = 1 / v
		}
	case UnSqrt:
		for i, v := range x {
			dst[i] = float32(math.Sqrt(float64(v)))
		}
	default:
		for i, v := range x {
			dst[i] = Unary32(kind, v)
		}
	}
}

// UnaryFLOPs returns the FLOP count of Unary over n elements: one per
// element.
func UnaryFLOPs(n int) int64 { return int64(n) }

// Gelu32 returns the Gaussian error linear unit of x rounded to float32:
// x/2 * (1 + erf(x/sqrt(2))), or with tanh the approximation x/2 * (1 +
// tanh(sqrt(2/pi) * (x + 0.044715 x**3))), computed in float64 as x/2 *
// erfc(-x/sqrt(2)) and x / (1 + e**(-2u)) (the same values, without the
// cancellation of 1 + erf or 1 + tanh for negative x).
func Gelu32(x float32, tanh bool) float32 {
	v := float64(x)
	if !tanh {
		return float32(float64(0.5*v) * Erfc64(-float64(v*invSqrt2)))
	}
	const c = 0.79788456080286535588 // sqrt(2/pi)
	cube := float64(float64(v*v) * v)
	u := float64(c * float64(v+float64(0.044715*cube)))
	if u != u {
		return x // NaN
	}
	return float32(v / (1 + Exp64(-2*u)))
}

// Gelu computes dst[i] = Gelu32(x[i], tanh) for every i < len(x). dst must
// hold at least len(x) values; it may be x itself.
func Gelu(dst, x []float32, tanh bool) {
	if len(dst) < len(x) {
		panic(fmt.Sprintf("ops.Gelu: destination of %d values for %d", len(dst), len(x)))
	}
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = Gelu32(v, tanh)
	}
}

// GeluFLOPs returns the FLOP count of Gelu over n elements (erf or tanh
// counted as one operation).
func GeluFLOPs(n int, tanh bool) int64 {
	if tanh {
		return 8 * int64(n)
	}
	return 5 * int64(n)
}
