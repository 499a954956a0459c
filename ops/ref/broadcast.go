package ref

import "math"

// coords returns the coordinates of flat index i in shape.
func coords(i int, shape []int) []int {
	c := make([]int, len(shape))
	for ax := len(shape) - 1; ax >= 0; ax-- {
		if shape[ax] > 0 {
			c[ax] = i % shape[ax]
			i /= shape[ax]
		}
	}
	return c
}

// flatIndex returns the flat index of coordinates c in shape.
func flatIndex(c, shape []int) int {
	i := 0
	for ax, d := range shape {
		i = i*d + c[ax]
	}
	return i
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// BroadcastShape returns the numpy broadcast of shapes a and b, or nil if
// they are incompatible.
func BroadcastShape(a, b []int) []int {
	rank := max(len(a), len(b))
	out := make([]int, rank)
	for i := range out {
		da, db := 1, 1
		if j := i - (rank - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (rank - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil
		}
	}
	return out
}

// Binary applies f elementwise to a and b under numpy broadcasting and
// returns the result and its shape.
func Binary(a []float64, as []int, b []float64, bs []int, f func(x, y float64) float64) ([]float64, []int) {
	out := BroadcastShape(as, bs)
	y := make([]float64, size(out))
	pick := func(c []int, s []int) int {
		off := len(c) - len(s)
		idx := 0
		for ax, d := range s {
			v := c[off+ax]
			if d == 1 {
				v = 0
			}
			idx = idx*d + v
		}
		return idx
	}
	for i := range y {
		c := coords(i, out)
		y[i] = f(a[pick(c, as)], b[pick(c, bs)])
	}
	return y, out
}

// Transpose permutes the axes of x (shape xs): output axis i is input axis
// perm[i].
func Transpose(x []float64, xs []int, perm []int) ([]float64, []int) {
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = xs[p]
	}
	y := make([]float64, len(x))
	for i := range y {
		c := coords(i, out)
		src := make([]int, len(xs))
		for j, p := range perm {
			src[p] = c[j]
		}
		y[i] = x[flatIndex(src, xs)]
	}
	return y, out
}

// Pad pads x (shape xs) by pads ([begin..., end...]) with mode "constant"
// (value), "reflect" or "edge", as ONNX Pad.
func Pad(x []float64, xs []int, pads []int, mode string, value float64) ([]float64, []int) {
	r := len(xs)
	out := make([]int, r)
	for i := range xs {
		out[i] = xs[i] + pads[i] + pads[r+i]
	}
	y := make([]float64, size(out))
	for i := range y {
		c := coords(i, out)
		src := make([]int, r)
		inside := true
		for ax := range c {
			v := c[ax] - pads[ax]
			n := xs[ax]
			switch {
			case v >= 0 && v < n:
			case mode == "reflect":
				// Reflect about the first and last element.
				for v < 0 || v >= n {
					if v < 0 {
						v = -v
					} else {
						v = 2*(n-1) - v
					}
				}
			case mode == "edge":
				v = min(max(v, 0), n-1)
			default:
				inside = false
			}
			src[ax] = v
		}
		if inside {
			y[i] = x[flatIndex(src, xs)]
		} else {
			y[i] = value
		}
	}
	return y, out
}

// ConvTransposeAttrs are a transposed convolution's attributes with every
// padding resolved: strides, dilations, begin paddings and the output
// spatial sizes.
type ConvTransposeAttrs struct {
	Strides, Dilations, PadsBegin, Out []int
	Groups                             int
}

// ConvTranspose computes ONNX ConvTranspose by scattering: every input
// element x[n, c, i] times w[c, m, k] is added to y[n, g*M/G+m, i*s - pad +
// k*d] when that position is inside the output. x is [N, C, in...], w is
// [C, M/G, k...], b is [M] or nil.
func ConvTranspose(x []float64, xs []int, w []float64, ws []int, b []float64, a ConvTransposeAttrs) ([]float64, []int) {
	rank := len(xs) - 2
	groups := max(a.Groups, 1)
	mg := ws[1]
	m := mg * groups
	cg := xs[1] / groups
	out := append([]int{xs[0], m}, a.Out...)
	y := make([]float64, size(out))
	for i := range y {
		if b != nil {
			y[i] = b[coords(i, out)[1]]
		}
	}
	for i := range x {
		cx := coords(i, xs)
		n, c := cx[0], cx[1]
		grp := c / cg
		for j := 0; j < size(ws)/ws[0]; j++ {
			cw := coords(j, ws[1:]) // [m, k...]
			oc := []int{n, grp*mg + cw[0]}
			ok := true
			for ax := 0; ax < rank; ax++ {
				o := cx[2+ax]*a.Strides[ax] - a.PadsBegin[ax] + cw[1+ax]*a.Dilations[ax]
				if o < 0 || o >= a.Out[ax] {
					ok = false
					break
				}
				oc = append(oc, o)
			}
			if ok {
				y[flatIndex(oc, out)] += x[i] * w[c*(size(ws)/ws[0])+j]
			}
		}
	}
	return y, out
}

// HardSigmoid returns max(0, min(1, alpha*v + beta)).
func HardSigmoid(v, alpha, beta float64) float64 { return math.Max(0, math.Min(1, alpha*v+beta)) }

// HardSwish returns v * HardSigmoid(v) with alpha 1/6 and beta 1/2.
func HardSwish(v float64) float64 { return v * HardSigmoid(v, 1.0/6, 0.5) }
