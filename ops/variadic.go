package ops

import "fmt"

// PRelu computes dst = x where x >= 0 and slope*x where x < 0 (NaN stays
// NaN), with slope broadcast to x as g (the geometry of x and slope, whose
// output shape is x's) describes. dst must hold g.Size() values; it may be
// x itself. PRelu panics if a buffer is too short or g's output is not x's
// shape.
func PRelu(g BroadcastGeom, dst, x, slope []float32) {
	if len(dst) < g.size || len(x) != g.size || len(slope) < g.nb || g.na != g.size {
		panic(fmt.Sprintf("ops.PRelu: buffers of %d, %d and %d values for a geometry of %d, %d and %d",
			len(dst), len(x), len(slope), g.size, g.na, g.nb))
	}
	g.eachRow(func(o, n, _, offB, _, ib int) {
		d, xs := dst[o:o+n], x[o:o+n]
		if ib == 0 {
			s := slope[offB]
			for i, v := range xs {
				if v < 0 {
					v *= s
				}
				d[i] = v
			}
			return
		}
		ss := slope[offB : offB+n]
		for i, v := range xs {
			if v < 0 {
				v *= ss[i]
			}
			d[i] = v
		}
	})
}

// VariadicKind names an elementwise reduction over any number of tensors.
type VariadicKind uint8

// Variadic reductions, as ONNX Sum, Mean, Max and Min.
const (
	VarSum  VariadicKind = iota // sum, added left to right
	VarMean                     // the sum (left to right) divided by the count
	VarMax                      // maximum; NaN if any input is NaN
	VarMin                      // minimum; NaN if any input is NaN
)

// Variadic computes the elementwise reduction kind of srcs into dst, in a
// fixed order (left to right), each src broadcast to dst as gs[i] (the
// geometry of the output shape and src i's shape) describes. Max and Min
// propagate NaN, as ONNX Runtime's do. dst must hold gs[0].Size() values
// and must not overlap any src, unless a src has the output's shape and is
// dst itself at position 0. Variadic panics if gs and srcs differ in length
// or a buffer is too short.
func Variadic(kind VariadicKind, gs []BroadcastGeom, dst []float32, srcs [][]float32) {
	if len(gs) != len(srcs) || len(srcs) == 0 {
		panic(fmt.Sprintf("ops.Variadic: %d geometries for %d sources", len(gs), len(srcs)))
	}
	size := gs[0].size
	for i, g := range gs {
		if g.size != size || g.na != size || len(srcs[i]) < g.nb {
			panic(fmt.Sprintf("ops.Variadic: source %d has %d values, geometry %d, %d and %d for an output of %d",
				i, len(srcs[i]), g.size, g.na, g.nb, size))
		}
	}
	if len(dst) < size {
		panic(fmt.Sprintf("ops.Variadic: destination of %d values, need %d", len(dst), size))
	}
	dst = dst[:size]
	for i, src := range srcs {
		gs[i].eachRow(func(o, n, _, offB, _, ib int) {
			d := dst[o : o+n]
			if ib == 0 {
				variadicScalar(kind, i == 0, d, src[offB])
			} else {
				variadicRow(kind, i == 0, d, src[offB:offB+n])
			}
		})
	}
	if kind == VarMean && len(srcs) > 1 {
		n := float32(len(srcs))
		for i := range dst {
			dst[i] /= n
		}
	}
}

func variadicRow(kind VariadicKind, first bool, d, s []float32) {
	if first {
		copy(d, s)
		return
	}
	switch kind {
	case VarSum, VarMean:
		for i, v := range s {
			d[i] += v
		}
	case VarMax:
		for i, v := range s {
			d[i] = max32(d[i], v)
		}
	case VarMin:
		for i, v := range s {
			d[i] = min32(d[i], v)
		}
	}
}

func variadicScalar(kind VariadicKind, first bool, d []float32, v float32) {
	if first {
		for i := range d {
			d[i] = v
		}
		return
	}
	switch kind {
	case VarSum, VarMean:
		for i := range d {
			d[i] += v
		}
	case VarMax:
		for i := range d {
			d[i] = max32(d[i], v)
		}
	case VarMin:
		for i := range d {
			d[i] = min32(d[i], v)
		}
	}
}

// max32 and min32 return the larger and smaller of a and b, NaN if either
// is (a if both are; ties between zeros keep a).
func max32(a, b float32) float32 {
	if b > a || b != b && a == a {
		return b
	}
	return a
}

func min32(a, b float32) float32 {
	if b < a || b != b && a == a {
		return b
	}
	return a
}

// VariadicFLOPs returns the FLOP count of Variadic with k inputs over n
// output elements: k-1 operations per element, one more for Mean's
// division.
func VariadicFLOPs(kind VariadicKind, k, n int) int64 {
	f := int64(k - 1)
	if kind == VarMean && k > 1 {
		f++
	}
	return f * int64(n)
}
