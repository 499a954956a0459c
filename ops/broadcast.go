package ops

import (
	"fmt"
	"math"
)

// BinaryKind names an elementwise arithmetic operation on two tensors.
type BinaryKind uint8

// Binary operations, as ONNX Add, Sub, Mul, Div and Pow.
const (
	BinAdd BinaryKind = iota // a + b
	BinSub                   // a - b
	BinMul                   // a * b
	BinDiv                   // a / b
	BinPow                   // a ** b, as C's pow (see Pow32)
)

var binaryNames = [...]string{"Add", "Sub", "Mul", "Div", "Pow"}

// String returns the operation's ONNX name.
func (k BinaryKind) String() string {
	if int(k) < len(binaryNames) {
		return binaryNames[k]
	}
	return fmt.Sprintf("binary(%d)", k)
}

// ParseBinaryKind returns the binary operation ONNX names name (ok false if
// there is none).
func ParseBinaryKind(name string) (kind BinaryKind, ok bool) {
	for i, n := range binaryNames {
		if n == name {
			return BinaryKind(i), true
		}
	}
	return 0, false
}

// maxBroadcastRank bounds the rank of broadcast and transposed tensors.
const maxBroadcastRank = 8

// BroadcastGeom is the resolved geometry of a binary operation under numpy
// (ONNX multidirectional) broadcasting: the output shape and, per merged
// axis, the output size and the element strides of both operands (0 along
// axes where an operand is broadcast).
type BroadcastGeom struct {
	Out  []int // output shape
	dims []int // merged axes, outermost first
	sa   []int // a's stride per merged axis
	sb   []int // b's stride per merged axis
	size int
	na   int
	nb   int
}

// NewBroadcastGeom resolves the broadcast of shapes a and b: shapes are
// aligned at their last axis, and along each axis the sizes must be equal or
// one of them 1. It returns an error wrapping ErrShape if they are not
// compatible.
func NewBroadcastGeom(a, b []int) (BroadcastGeom, error) {
	var g BroadcastGeom
	rank := max(len(a), len(b))
	if rank > maxBroadcastRank {
		return g, fmt.Errorf("%w: broadcast of %s and %s: rank above %d", ErrShape, FormatShape(a), FormatShape(b), maxBroadcastRank)
	}
	na, err := NumElements(a)
	if err != nil {
		return g, err
	}
	nb, err := NumElements(b)
	if err != nil {
		return g, err
	}
	pa, pb := padShape(a, rank), padShape(b, rank)
	out, bad := broadcastShape(pa, pb)
	if bad >= 0 {
		return BroadcastGeom{}, fmt.Errorf("%w: shapes %s and %s do not broadcast (axis %d: %d vs %d)",
			ErrShape, FormatShape(a), FormatShape(b), bad, pa[bad], pb[bad])
	}
	g.Out = out
	size, err := NumElements(g.Out)
	if err != nil {
		return BroadcastGeom{}, err
	}
	g.size, g.na, g.nb = size, na, nb
	// Strides of each operand, 0 along broadcast axes; then merge adjacent
	// axes along which both operands stay contiguous (or both broadcast).
	sa, sb := broadcastStrides(pa, 1), broadcastStrides(pb, 1)
	for i := 0; i < rank; i++ {
		d := g.Out[i]
		if d == 1 {
			continue // size-1 axes contribute nothing
		}
		if n := len(g.dims); n > 0 && g.sa[n-1] == sa[i]*d && g.sb[n-1] == sb[i]*d {
			g.dims[n-1] *= d
			g.sa[n-1], g.sb[n-1] = sa[i], sb[i]
			continue
		}
		g.dims = append(g.dims, d)
		g.sa = append(g.sa, sa[i])
		g.sb = append(g.sb, sb[i])
	}
	if len(g.dims) == 0 {
		g.dims, g.sa, g.sb = []int{1}, []int{0}, []int{0}
	}
	return g, nil
}

// Size returns the number of output elements.
func (g BroadcastGeom) Size() int { return g.size }

// padShape returns s with leading 1s up to rank (numpy's alignment at the
// last axis).
func padShape(s []int, rank int) []int {
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	copy(out[rank-len(s):], s)
	return out
}

// broadcastShape returns the shape that pa and pb (padded to one rank)
// broadcast to, and bad = -1; or, if they do not broadcast, the first axis
// along which the sizes differ and neither is 1.
func broadcastShape(pa, pb []int) (out []int, bad int) {
	out = make([]int, len(pa))
	for i := range out {
		switch {
		case pa[i] == pb[i] || pb[i] == 1:
			out[i] = pa[i]
		case pa[i] == 1:
			out[i] = pb[i]
		default:
			return nil, i
		}
	}
	return out, -1
}

// broadcastStrides returns the strides of an operand of padded shape p
// whose innermost block holds unit elements, 0 along its size-1 axes (the
// axes along which it is broadcast).
func broadcastStrides(p []int, unit int) []int {
	s := make([]int, len(p))
	r := unit
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 1 {
			s[i] = r
		}
		r *= p[i]
	}
	return s
}

// offsetWalk steps a multi-index over dims in row-major order, keeping the
// offsets of two operands whose strides along dims are sa and sb.
type offsetWalk struct {
	dims, sa, sb []int
	idx          [maxBroadcastRank]int
	offA, offB   int
}

// next advances to the following index (past the last, back to zero).
func (w *offsetWalk) next() {
	for ax := len(w.dims) - 1; ax >= 0; ax-- {
		w.idx[ax]++
		w.offA += w.sa[ax]
		w.offB += w.sb[ax]
		if w.idx[ax] < w.dims[ax] {
			return
		}
		w.offA -= w.sa[ax] * w.dims[ax]
		w.offB -= w.sb[ax] * w.dims[ax]
		w.idx[ax] = 0
	}
}

// rows returns the length of g's innermost merged axis, the operands'
// strides along it (0 where an operand is broadcast) and a walk over the
// outer axes.
func (g BroadcastGeom) rows() (inner, ia, ib int, w offsetWalk) {
	r := len(g.dims)
	w = offsetWalk{dims: g.dims[:r-1], sa: g.sa[:r-1], sb: g.sb[:r-1]}
	return g.dims[r-1], g.sa[r-1], g.sb[r-1], w
}

// eachRow calls row for every run of the innermost merged axis of g, with
// the output offset o, the run's length n, the operands' offsets and their
// strides along the run (0 where an operand is broadcast).
func (g BroadcastGeom) eachRow(row func(o, n, offA, offB, ia, ib int)) {
	if g.size == 0 {
		return
	}
	inner, ia, ib, w := g.rows()
	for o := 0; o < g.size; o += inner {
		row(o, inner, w.offA, w.offB, ia, ib)
		w.next()
	}
}

// Binary computes dst = act(a op b) with broadcasting as g describes. dst
// must hold g.Size() values and must not overlap a or b unless it is the
// same slice with the output's shape. Binary panics if a buffer is too
// short.
//
// The innermost two merged axes go to the installed Binary kernel (see
// Kernels) in one call, rows of the innermost axis with either operand
// contiguous or broadcast along them: the channel broadcast of a [N, C, H,
// W] tensor with a [N, C, 1, 1] or [C, 1, 1] one is one call of N·C rows.
// The activation is applied to the whole output afterwards; every element
// gets the same float32 operations as with the row loop.
func Binary(kind BinaryKind, g BroadcastGeom, dst, a, b []float32, act Activation) {
	if len(dst) < g.size || len(a) < g.na || len(b) < g.nb {
		panic(fmt.Sprintf("ops.Binary: buffers of %d, %d and %d values, need %d, %d and %d", len(dst), len(a), len(b), g.size, g.na, g.nb))
	}
	if g.size == 0 {
		return
	}
	k := installed.Binary
	if k == nil || kind == BinPow {
		k = binaryKernelGo
	}
	r := len(g.dims)
	n, acs, bcs := g.dims[r-1], g.sa[r-1], g.sb[r-1]
	rows, ars, brs := 1, 0, 0
	outer := g.dims[:r-1]
	if r >= 2 {
		rows, ars, brs = g.dims[r-2], g.sa[r-2], g.sb[r-2]
		outer = g.dims[:r-2]
	}
	if acs == 0 && bcs == 0 {
		k = binaryKernelGo // the one-element output
	}
	w := offsetWalk{dims: outer, sa: g.sa[:len(outer)], sb: g.sb[:len(outer)]}
	block := rows * n
	aEnd := (rows-1)*ars + (n-1)*acs + 1
	bEnd := (rows-1)*brs + (n-1)*bcs + 1
	for o := 0; o < g.size; o += block {
		k(kind, dst[o:o+block], a[w.offA:w.offA+aEnd], b[w.offB:w.offB+bEnd], rows, n, ars, acs, brs, bcs)
		w.next()
	}
	act.Apply(dst[:g.size])
}

// binaryKernelGo is the pure-Go BinaryKernel (for every kind, Pow
// included, and for the one-element output where both operands are
// broadcast): binaryRow per row.
func binaryKernelGo(kind BinaryKind, dst, a, b []float32, rows, n, ars, acs, brs, bcs int) {
	for r := 0; r < rows; r++ {
		binaryRow(kind, dst[r*n:(r+1)*n], a, b, r*ars, r*brs, acs, bcs)
	}
}

// binaryRow computes one run of the innermost merged axis.
func binaryRow(kind BinaryKind, dst, a, b []float32, offA, offB, ia, ib int) {
	n := len(dst)
	switch {
	case ia == 1 && ib == 1:
		a, b = a[offA:offA+n], b[offB:offB+n]
		switch kind {
		case BinAdd:
			for i := range dst {
				dst[i] = a[i] + b[i]
			}
		case BinSub:
			for i := range dst {
				dst[i] = a[i] - b[i]
			}
		case BinMul:
			for i := range dst {
				dst[i] = a[i] * b[i]
			}
		case BinDiv:
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
		case BinPow:
			for i := range dst {
				dst[i] = Pow32(a[i], b[i])
			}
		}
	case ia == 1 && ib == 0:
		a = a[offA : offA+n]
		s := b[offB]
		switch kind {
		case BinAdd:
			for i := range dst {
				dst[i] = a[i] + s
			}
		case BinSub:
			for i := range dst {
				dst[i] = a[i] - s
			}
		case BinMul:
			for i := range dst {
				dst[i] = a[i] * s
			}
		case BinDiv:
			for i := range dst {
				dst[i] = a[i] / s
			}
		case BinPow:
			for i := range dst {
				dst[i] = Pow32(a[i], s)
			}
		}
	case ia == 0 && ib == 1:
		s := a[offA]
		b = b[offB : offB+n]
		switch kind {
		case BinAdd:
			for i := range dst {
				dst[i] = s + b[i]
			}
		case BinSub:
			for i := range dst {
				dst[i] = s - b[i]
			}
		case BinMul:
			for i := range dst {
				dst[i] = s * b[i]
			}
		case BinDiv:
			for i := range dst {
				dst[i] = s / b[i]
			}
		case BinPow:
			for i := range dst {
				dst[i] = Pow32(s, b[i])
			}
		}
	default: // both broadcast along this axis
		v := binaryScalar(kind, a[offA], b[offB])
		for i := range dst {
			dst[i] = v
		}
	}
}

func binaryScalar(kind BinaryKind, x, y float32) float32 {
	switch kind {
	case BinAdd:
		return x + y
	case BinSub:
		return x - y
	case BinMul:
		return x * y
	case BinPow:
		return Pow32(x, y)
	default:
		return x / y
	}
}

// Pow32 returns x**y rounded to float32 with the special cases of C's pow:
// x**0 and 1**y are 1 (even for NaN), a negative x (or -0) with an integer
// y gives the sign of x for odd y, a negative x with a fractional y is NaN.
// y = 2 is x*x and y = 0.5 a correctly rounded square root; the rest is
// computed in float64 by Pow64, so native and wasm builds agree bit for bit.
func Pow32(x, y float32) float32 {
	switch y {
	case 1:
		return x
	case 2:
		return x * x
	case 0.5:
		if x > 0 && !math.IsInf(float64(x), 1) {
			return float32(math.Sqrt(float64(x)))
		}
	}
	xd, yd := float64(x), float64(y)
	if !math.Signbit(xd) || yd == 0 || xd != xd {
		return float32(Pow64(xd, yd))
	}
	if yd != math.Trunc(yd) { // a fractional power of a negative number
		if xd == 0 || math.IsInf(xd, -1) {
			return float32(Pow64(-xd, yd)) // -0 and -Inf: as +0 and +Inf
		}
		return float32(math.NaN())
	}
	r := Pow64(-xd, yd)
	if math.Abs(yd) < 1<<53 && int64(yd)%2 != 0 {
		r = -r
	}
	return float32(r)
}

// BinaryFLOPs returns the FLOP count of Binary over n output elements: one
// operation per element plus the activation's cost.
func BinaryFLOPs(n int, act Activation) int64 {
	return int64(n) * (1 + act.FLOPsPerElement())
}
