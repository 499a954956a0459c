package ref

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
