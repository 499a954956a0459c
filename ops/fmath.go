package ops

import "math"

// The elementary functions below are written in plain Go so that the native
// amd64 build (where package math uses assembly for Exp and Log) and the wasm
// build compute bit-identical results. Accuracy is far below float32's
// rounding error: every result is computed in float64 and rounded once.

const (
	ln2Hi = 6.93147180369123816490e-01 // high bits of ln 2
	ln2Lo = 1.90821492927058770002e-10 // ln 2 - ln2Hi
	log2e = 1.44269504088896338700e+00 // 1 / ln 2

	expOverflow  = 709.782712893384   // Exp64(x) is +Inf above
	expUnderflow = -745.1332191019412 // and 0 below
)

// expPoly is the Taylor series of e**r to degree 13, highest degree first:
// 1/13!, 1/12!, ..., 1/2, 1, 1 (truncation error < 1e-17 for |r| <= 0.347).
var expPoly = [14]float64{1.0 / 6227020800.0, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880,
	1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1}

// Exp64Consts are the constants of Exp64's algorithm, for code outside this
// package that computes Exp64 itself (the WebAssembly SIMD kernels) and must
// give the same bits: for x not NaN, +Inf above Overflow, 0 below
// Underflow, otherwise k = floor(x·Log2e + 0.5), r = (x - k·Ln2Hi) -
// k·Ln2Lo, p = Poly[0], then p = p·r + Poly[i] for i = 1..13, and the
// result p·2**k rounded once; every product and sum is rounded to float64
// (no fused multiply-adds).
type Exp64Consts struct {
	Log2e, Ln2Hi, Ln2Lo float64
	Overflow, Underflow float64
	Poly                [14]float64
}

// Exp64Constants returns Exp64's constants.
func Exp64Constants() Exp64Consts {
	return Exp64Consts{Log2e: log2e, Ln2Hi: ln2Hi, Ln2Lo: ln2Lo, Overflow: expOverflow, Underflow: expUnderflow, Poly: expPoly}
}

// Exp64 returns e**x for float64 x.
func Exp64(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > expOverflow:
		return math.Inf(1)
	case x < expUnderflow:
		return 0
	}
	k := math.Floor(float64(x*log2e) + 0.5)
	r := float64(x-float64(k*ln2Hi)) - float64(k*ln2Lo) // |r| <= ln2/2
	c := &expPoly
	p := c[0]
	p = float64(p*r) + c[1]
	p = float64(p*r) + c[2]
	p = float64(p*r) + c[3]
	p = float64(p*r) + c[4]
	p = float64(p*r) + c[5]
	p = float64(p*r) + c[6]
	p = float64(p*r) + c[7]
	p = float64(p*r) + c[8]
	p = float64(p*r) + c[9]
	p = float64(p*r) + c[10]
	p = float64(p*r) + c[11]
	p = float64(p*r) + c[12]
	p = float64(p*r) + c[13]
	return scale2(p, int(k))
}

// scale2 returns p·2**k rounded once to float64 (to +Inf past the largest
// float64, to a subnormal or 0 below the smallest normal), for p in
// [0.5, 2) and |k| <= 1100: what math.Ldexp(p, k) returns, in two
// multiplications by powers of two, p·2**(k>>1) (exact: its exponent stays
// within the normal range) then ·2**(k-k>>1).
func scale2(p float64, k int) float64 {
	k1 := k >> 1
	return float64(p*math.Float64frombits(uint64(k1+1023)<<52)) * math.Float64frombits(uint64(k-k1+1023)<<52)
}

// Log64 returns the natural logarithm of x for float64 x.
func Log64(x float64) float64 {
	switch {
	case x != x || x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	}
	m, e := math.Frexp(x) // x = m * 2**e, m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	// log(m) = 2 atanh(s) with s = (m-1)/(m+1), |s| <= 0.1716.
	s := (m - 1) / (m + 1)
	s2 := float64(s * s)
	p := 1.0 / 23
	for _, c := range [...]float64{1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11,
		1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1} {
		p = float64(p*s2) + c
	}
	fe := float64(e)
	return float64(float64(2*s)*p) + float64(fe*ln2Lo) + float64(fe*ln2Hi)
}

// Pow64 returns x**y for x >= 0 (NaN for x < 0 unless y is 0). As in
// math.Pow, x**0 and 1**y are 1 for any x and y, even NaN and infinities.
func Pow64(x, y float64) float64 {
	switch {
	case y == 0 || x == 1:
		return 1
	case x != x || y != y:
		return math.NaN()
	case x == 0:
		if y > 0 {
			return 0
		}
		return math.Inf(1)
	}
	return Exp64(float64(y * Log64(x)))
}

// Sigmoid32 returns 1/(1+e**-x) rounded to float32.
func Sigmoid32(x float32) float32 {
	return float32(1 / (1 + Exp64(-float64(x))))
}

// Tanh32 returns tanh(x) rounded to float32.
func Tanh32(x float32) float32 {
	v := float64(x)
	a := math.Abs(v)
	switch {
	case v == 0:
		return x // keep the sign of zero, as math.Tanh does
	case a < 1e-4:
		v2 := float64(v * v)
		return float32(v - float64(float64(v*v2)/3) + float64(float64(2*v)*float64(v2*v2))/15)
	case a > 20:
		return float32(math.Copysign(1, v))
	}
	return float32(1 - 2/(Exp64(2*v)+1))
}
