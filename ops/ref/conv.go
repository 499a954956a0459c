package ref

import "fmt"

// ConvAttrs are a convolution's attributes, as in ONNX Conv: nil slices mean
// stride 1, dilation 1 and no padding; AutoPad is "", "NOTSET",
// "SAME_UPPER", "SAME_LOWER" or "VALID"; Groups 0 means 1.
type ConvAttrs struct {
	Strides, Dilations, PadsBegin, PadsEnd []int
	AutoPad                                string
	Groups                                 int
}

// ConvOutShape returns the output shape of a convolution of an input of
// shape xShape ([N, C, spatial...]) with weights of shape wShape ([M, C/G,
// kernel...]) and the begin padding of each spatial axis, following the ONNX
// definition. It panics on impossible shapes (it is a test oracle).
func ConvOutShape(xShape, wShape []int, a ConvAttrs) (out, padsBegin []int) {
	rank := len(xShape) - 2
	if rank < 1 || len(wShape) != len(xShape) {
		panic(fmt.Sprintf("ref: conv shapes %v, %v", xShape, wShape))
	}
	at := func(v []int, i, def int) int {
		if v == nil {
			return def
		}
		return v[i]
	}
	out = []int{xShape[0], wShape[0]}
	padsBegin = make([]int, rank)
	for i := 0; i < rank; i++ {
		in, k := xShape[2+i], wShape[2+i]
		s, d := at(a.Strides, i, 1), at(a.Dilations, i, 1)
		ek := (k-1)*d + 1
		var o, pb int
		switch a.AutoPad {
		case "", "NOTSET":
			pb = at(a.PadsBegin, i, 0)
			pe := at(a.PadsEnd, i, 0)
			o = (in+pb+pe-ek)/s + 1
			if in+pb+pe < ek {
				panic("ref: kernel larger than padded input")
			}
		case "VALID":
			if in < ek {
				panic("ref: kernel larger than input")
			}
			o = (in-ek)/s + 1
		case "SAME_UPPER", "SAME_LOWER":
			o = (in + s - 1) / s
			total := max(0, (o-1)*s+ek-in)
			pb = total / 2
			if a.AutoPad == "SAME_LOWER" {
				pb = total - total/2
			}
		default:
			panic("ref: auto_pad " + a.AutoPad)
		}
		out = append(out, o)
		padsBegin[i] = pb
	}
	return out, padsBegin
}

// Conv computes the convolution of x (shape xShape, [N, C, spatial...] with
// 1 to 3 or more spatial axes) with weights w (shape wShape, [M, C/G,
// kernel...]) plus bias b (nil or one value per output channel) in float64,
// straight from the definition: y[n, m, o] = b[m] + Σ over the group's
// input channels c and kernel offsets k of x[n, c, o·stride − pad + k·dilation]
// · w[m, c, k], taps in the padding counting as 0. It returns y and its
// shape.
func Conv(x []float64, xShape []int, w []float64, wShape []int, b []float64, a ConvAttrs) ([]float64, []int) {
	yShape, pads := ConvOutShape(xShape, wShape, a)
	rank := len(xShape) - 2
	groups := a.Groups
	if groups == 0 {
		groups = 1
	}
	n, c, m := xShape[0], xShape[1], wShape[0]
	cg, mg := c/groups, m/groups
	if cg != wShape[1] || m%groups != 0 {
		panic("ref: conv groups do not match the shapes")
	}
	stride := func(i int) int {
		if a.Strides == nil {
			return 1
		}
		return a.Strides[i]
	}
	dil := func(i int) int {
		if a.Dilations == nil {
			return 1
		}
		return a.Dilations[i]
	}
	outSp, inSp, kSp := yShape[2:], xShape[2:], wShape[2:]
	outPlane, inPlane, kPlane := prod(outSp), prod(inSp), prod(kSp)
	y := make([]float64, n*m*outPlane)
	o := make([]int, rank)
	k := make([]int, rank)
	for in := 0; in < n; in++ {
		for im := 0; im < m; im++ {
			g := im / mg
			for op := 0; op < outPlane; op++ {
				unravel(op, outSp, o)
				sum := 0.0
				if b != nil {
					sum = b[im]
				}
				for ic := 0; ic < cg; ic++ {
					xc := x[(in*c+g*cg+ic)*inPlane:]
					wc := w[(im*cg+ic)*kPlane:]
					for kp := 0; kp < kPlane; kp++ {
						unravel(kp, kSp, k)
						idx, ok := 0, true
						for i := 0; i < rank; i++ {
							p := o[i]*stride(i) - pads[i] + k[i]*dil(i)
							if p < 0 || p >= inSp[i] {
								ok = false
								break
							}
							idx = idx*inSp[i] + p
						}
						if ok {
							sum += float64(xc[idx] * wc[kp])
						}
					}
				}
				y[(in*m+im)*outPlane+op] = sum
			}
		}
	}
	return y, yShape
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// unravel writes the row-major multi-index of flat index i in shape s to idx.
func unravel(i int, s, idx []int) {
	for d := len(s) - 1; d >= 0; d-- {
		idx[d] = i % s[d]
		i /= s[d]
	}
}
