package ops

import (
	"fmt"
	"math"
	"slices"
)

// ReduceKind is the function a reduction (Reduce) computes over the reduced
// elements of each output.
type ReduceKind uint8

// Reductions, as ONNX names them (ReduceSum, ReduceMean, ...).
const (
	ReduceSum       ReduceKind = iota + 1 // sum
	ReduceMean                            // arithmetic mean
	ReduceMax                             // maximum (a NaN wins)
	ReduceMin                             // minimum (a NaN wins)
	ReduceProd                            // product
	ReduceL1                              // sum of |x|
	ReduceL2                              // sqrt of the sum of squares
	ReduceSumSquare                       // sum of squares
	ReduceLogSum                          // log of the sum
	ReduceLogSumExp                       // log of the sum of exp(x), with the maximum subtracted first
)

var reduceNames = map[ReduceKind]string{
	ReduceSum: "ReduceSum", ReduceMean: "ReduceMean", ReduceMax: "ReduceMax", ReduceMin: "ReduceMin",
	ReduceProd: "ReduceProd", ReduceL1: "ReduceL1", ReduceL2: "ReduceL2", ReduceSumSquare: "ReduceSumSquare",
	ReduceLogSum: "ReduceLogSum", ReduceLogSumExp: "ReduceLogSumExp",
}

// String returns the ONNX name of the reduction ("ReduceMean").
func (k ReduceKind) String() string {
	if s, ok := reduceNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ReduceKind(%d)", uint8(k))
}

// ReduceKinds returns every reduction kind, in declaration order.
func ReduceKinds() []ReduceKind {
	out := make([]ReduceKind, 0, len(reduceNames))
	for k := ReduceSum; k <= ReduceLogSumExp; k++ {
		out = append(out, k)
	}
	return out
}

// ReduceGeom is the geometry of a reduction of a tensor over some of its
// axes: the input shape collapsed into runs of adjacent axes that are all
// reduced or all kept.
type ReduceGeom struct {
	In   []int // input shape
	Axes []int // reduced axes, sorted, without repeats
	Out  []int // output shape with the reduced axes kept as 1 (keepdims)
	// Count is the number of elements reduced into each output.
	Count int
	// kept and red are the collapsed kept and reduced runs, outermost
	// first: sizes and strides (in elements of the input).
	keptSize, keptStride []int
	redSize, redStride   []int
}

// NewReduceGeom returns the geometry of reducing a tensor of shape in over
// axes (each in [0, len(in)), in any order, repeats allowed). It returns an
// error wrapping ErrShape for an axis out of range.
func NewReduceGeom(in []int, axes []int) (ReduceGeom, error) {
	g := ReduceGeom{In: slices.Clone(in), Count: 1}
	reduced := make([]bool, len(in))
	for _, a := range axes {
		if a < 0 || a >= len(in) {
			return g, fmt.Errorf("%w: reduction axis %d is out of range for shape %s", ErrShape, a, FormatShape(in))
		}
		reduced[a] = true
	}
	g.Out = slices.Clone(in)
	for a, r := range reduced {
		if r {
			g.Axes = append(g.Axes, a)
			g.Out[a] = 1
			g.Count *= in[a]
		}
	}
	// Collapse adjacent axes of the same status; axes of size 1 join any run.
	stride := 1
	type run struct {
		size, stride int
		red          bool
	}
	var runs []run // innermost first
	for a := len(in) - 1; a >= 0; a-- {
		if in[a] == 1 {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].red == reduced[a] {
			runs[n-1].size *= in[a]
		} else {
			runs = append(runs, run{size: in[a], stride: stride, red: reduced[a]})
		}
		stride *= in[a]
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.red {
			g.redSize, g.redStride = append(g.redSize, r.size), append(g.redStride, r.stride)
		} else {
			g.keptSize, g.keptStride = append(g.keptSize, r.size), append(g.keptStride, r.stride)
		}
	}
	return g, nil
}

// OutSize returns the number of outputs.
func (g ReduceGeom) OutSize() int { return ShapeSize(g.Out) }

// FLOPs returns the FLOP count of a reduction: one operation per input
// element (two for the squares and exponentials).
func (g ReduceGeom) FLOPs(kind ReduceKind) int64 {
	n := int64(ShapeSize(g.In))
	switch kind {
	case ReduceL2, ReduceSumSquare, ReduceLogSumExp:
		return 2 * n
	}
	return n
}

// maxRuns bounds the collapsed runs of a reduction (a rank-64 tensor has at
// most 64), so odometers live on the stack.
const maxRuns = 64

// redState accumulates one output of a reduction.
type redState struct {
	s float64 // sum or product
	m float32 // maximum or minimum
}

// add accumulates n elements of x from off with the given stride.
func (r *redState) add(kind ReduceKind, x []float32, off, n, stride int) {
	switch kind {
	case ReduceMax:
		m := r.m
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			m = fmax32(m, x[p])
		}
		r.m = m
	case ReduceMin:
		m := r.m
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			m = fmin32(m, x[p])
		}
		r.m = m
	case ReduceProd:
		s := r.s
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			s *= float64(x[p])
		}
		r.s = s
	case ReduceL1:
		s := r.s
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			s += math.Abs(float64(x[p]))
		}
		r.s = s
	case ReduceL2, ReduceSumSquare:
		s := r.s
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			v := float64(x[p])
			s += float64(v * v)
		}
		r.s = s
	case ReduceLogSumExp: // r.m holds the maximum, found first
		s, mf := r.s, float64(r.m)
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			s += Exp64(float64(x[p]) - mf)
		}
		r.s = s
	default:
		s := r.s
		for i, p := 0, off; i < n; i, p = i+1, p+stride {
			s += float64(x[p])
		}
		r.s = s
	}
}

// accumulate adds every reduced element of the output whose first reduced
// element is at base, in row-major index order.
func (g *ReduceGeom) accumulate(r *redState, kind ReduceKind, x []float32, base int) {
	nr := len(g.redSize)
	if nr == 0 {
		r.add(kind, x, base, 1, 1)
		return
	}
	inner, is := g.redSize[nr-1], g.redStride[nr-1]
	var idx [maxRuns]int
	off := base
	for {
		r.add(kind, x, off, inner, is)
		d := nr - 2
		for ; d >= 0; d-- {
			idx[d]++
			off += g.redStride[d]
			if idx[d] < g.redSize[d] {
				break
			}
			off -= idx[d] * g.redStride[d]
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// Reduce computes the reduction kind of x (shape g.In) into dst (g.OutSize()
// values). Each output is computed from its reduced elements taken in
// row-major index order: sums, products and means accumulate in float64 and
// are rounded once (as GlobalPool's mean), Max and Min compare float32s (a
// NaN wins), LogSumExp subtracts the maximum before exponentiating. Results
// never depend on threads. An empty reduction gives the identity (0 for sums,
// 1 for the product, -Inf for Max, +Inf for Min, NaN for the mean). It
// allocates nothing and panics if a buffer is too short.
func Reduce(kind ReduceKind, g ReduceGeom, dst, x []float32) {
	n := g.OutSize()
	if len(x) < ShapeSize(g.In) || len(dst) < n {
		panic(fmt.Sprintf("ops.Reduce: buffers of %d and %d values for %s reduced to %s", len(x), len(dst), FormatShape(g.In), FormatShape(g.Out)))
	}
	if g.Count == 0 {
		var v float32
		switch kind {
		case ReduceProd:
			v = 1
		case ReduceMax, ReduceLogSumExp, ReduceLogSum:
			v = float32(math.Inf(-1))
		case ReduceMin:
			v = float32(math.Inf(1))
		case ReduceMean:
			v = float32(math.NaN())
		}
		for i := range dst[:n] {
			dst[i] = v
		}
		return
	}
	count := float64(g.Count)
	var idx [maxRuns]int
	base := 0
	for o := 0; o < n; o++ {
		r := redState{}
		switch kind {
		case ReduceMax, ReduceLogSumExp:
			r.m = float32(math.Inf(-1))
			g.accumulate(&r, ReduceMax, x, base)
		case ReduceMin:
			r.m = float32(math.Inf(1))
		case ReduceProd:
			r.s = 1
		}
		switch kind {
		case ReduceMax:
			dst[o] = r.m
		case ReduceMin:
			g.accumulate(&r, kind, x, base)
			dst[o] = r.m
		case ReduceLogSumExp:
			if m := r.m; math.IsInf(float64(m), 0) || m != m {
				// All -Inf (the sum is 0), a +Inf or a NaN: the maximum
				// is the answer, as log(sum(exp)) would be.
				dst[o] = m
				break
			}
			g.accumulate(&r, kind, x, base)
			dst[o] = float32(float64(r.m) + Log64(r.s))
		default:
			g.accumulate(&r, kind, x, base)
			s := r.s
			switch kind {
			case ReduceMean:
				s /= count
			case ReduceL2:
				s = math.Sqrt(s)
			case ReduceLogSum:
				s = Log64(s)
			}
			dst[o] = float32(s)
		}
		// Next output: an odometer over the kept runs.
		for d := len(g.keptSize) - 1; d >= 0; d-- {
			idx[d]++
			base += g.keptStride[d]
			if idx[d] < g.keptSize[d] {
				break
			}
			base -= idx[d] * g.keptStride[d]
			idx[d] = 0
		}
	}
}

// fmin32 returns min(m, v) with the semantics of Go's builtin min (a NaN
// wins, -0 is below +0), with integer selects as fmax32.
func fmin32(m, v float32) float32 {
	mb, vb := math.Float32bits(m), math.Float32bits(v)
	r := mb
	if v < m {
		r = vb
	}
	if v != v {
		r = vb
	}
	// m is +0 and v is -0.
	if mb|(vb^0x80000000) == 0 {
		r = vb
	}
	return math.Float32frombits(r)
}

// ArgReduce writes to dst ([outer*inner]) the index along the middle axis of
// x ([outer, axis, inner]) of the largest (or, with min, the smallest) value,
// as a float32 (exact below 2**24). Ties go to the first index, or with last
// to the last. A NaN counts as larger than every number for the maximum and
// smaller for the minimum (the first NaN wins, or the last with last), as
// numpy's argmax and argmin treat it. It panics if a buffer is too short or
// axis is 0.
func ArgReduce(dst, x []float32, outer, axis, inner int, min, last bool) {
	if axis < 1 || len(x) < outer*axis*inner || len(dst) < outer*inner {
		panic(fmt.Sprintf("ops.ArgReduce: buffers of %d and %d values for [%d %d %d]", len(x), len(dst), outer, axis, inner))
	}
	for o := 0; o < outer; o++ {
		base := o * axis * inner
		for i := 0; i < inner; i++ {
			best, bi := x[base+i], 0
			for a := 1; a < axis; a++ {
				v := x[base+a*inner+i]
				var better bool
				switch {
				case best != best: // a NaN is kept, unless a later one wins
					better = last && v != v
				case v != v:
					better = true
				case min:
					better = v < best || (last && v == best)
				default:
					better = v > best || (last && v == best)
				}
				if better {
					best, bi = v, a
				}
			}
			dst[o*inner+i] = float32(bi)
		}
	}
}
