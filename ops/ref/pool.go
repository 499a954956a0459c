package ref

import "math"

// PoolOutSize returns the output length of a pooling (or convolution) axis
// by PyTorch's formula: floor or ceil of (in + pb + pe - dilation*(k-1) - 1)
// / stride, plus 1; in ceil mode a last window that would start at or after
// the end of the input plus begin padding is dropped. It returns a value
// below 1 when the window does not fit.
func PoolOutSize(in, k, stride, dilation, pb, pe int, ceil bool) int {
	num := float64(in + pb + pe - dilation*(k-1) - 1)
	q := num / float64(stride)
	var out int
	if ceil {
		out = int(math.Ceil(q)) + 1
		if (out-1)*stride >= in+pb {
			out--
		}
	} else {
		out = int(math.Floor(q)) + 1
	}
	return out
}

// SamePads returns the begin and end padding of ONNX's SAME_UPPER (upper
// true) or SAME_LOWER auto padding: the output has ceil(in/stride) values and
// the total padding is split evenly, the odd one going to the end (upper) or
// the beginning (lower).
func SamePads(in, k, stride, dilation int, upper bool) (pb, pe int) {
	out := int(math.Ceil(float64(in) / float64(stride)))
	total := max((out-1)*stride+dilation*(k-1)+1-in, 0)
	small, big := total/2, total-total/2
	if upper {
		return small, big
	}
	return big, small
}

// PoolSpec describes a pooling for Pool. Every slice has one value per
// spatial axis.
type PoolSpec struct {
	Max             bool
	CountIncludePad bool
	Kernel          []int
	Strides         []int
	Dilations       []int
	PadsBegin       []int
	PadsEnd         []int
	Out             []int // output spatial sizes
}

// Pool pools x, of shape [n, c, in...], window by window. Max pooling takes
// the largest in-bounds tap (NaN if any tap is NaN); average pooling averages
// the in-bounds taps, dividing, when CountIncludePad, by the number of taps
// inside the padded extent [-PadsBegin, in+PadsEnd) instead. A window with
// no in-bounds tap yields NaN.
func Pool(x []float64, n, c int, in []int, s PoolSpec) []float64 {
	rank := len(in)
	inSize, outSize, kSize := 1, 1, 1
	for i := 0; i < rank; i++ {
		inSize *= in[i]
		outSize *= s.Out[i]
		kSize *= s.Kernel[i]
	}
	y := make([]float64, n*c*outSize)
	oidx := make([]int, rank)
	kidx := make([]int, rank)
	for plane := 0; plane < n*c; plane++ {
		for o := 0; o < outSize; o++ {
			unflatten(o, s.Out, oidx)
			sum, best, inCount, padCount := 0.0, math.Inf(-1), 0, 0
			for t := 0; t < kSize; t++ {
				unflatten(t, s.Kernel, kidx)
				inside, insidePad, flat := true, true, 0
				for a := 0; a < rank; a++ {
					p := oidx[a]*s.Strides[a] - s.PadsBegin[a] + kidx[a]*s.Dilations[a]
					if p < 0 || p >= in[a] {
						inside = false
					}
					if p < -s.PadsBegin[a] || p >= in[a]+s.PadsEnd[a] {
						insidePad = false
					}
					flat = flat*in[a] + p
				}
				if insidePad {
					padCount++
				}
				if !inside {
					continue
				}
				v := x[plane*inSize+flat]
				inCount++
				sum += v
				if !math.IsNaN(best) && (math.IsNaN(v) || v > best) {
					best = v
				}
			}
			var r float64
			switch {
			case inCount == 0:
				r = math.NaN()
			case s.Max:
				r = best
			case s.CountIncludePad:
				r = sum / float64(padCount)
			default:
				r = sum / float64(inCount)
			}
			y[plane*outSize+o] = r
		}
	}
	return y
}

// unflatten writes the row-major multi-index of flat within dims to idx.
func unflatten(flat int, dims, idx []int) {
	for a := len(dims) - 1; a >= 0; a-- {
		idx[a] = flat % dims[a]
		flat /= dims[a]
	}
}

// GlobalPool reduces each of the n*c channels of x ([n, c, spatial]) to its
// maximum (max true) or its mean.
func GlobalPool(x []float64, n, c, spatial int, max bool) []float64 {
	y := make([]float64, n*c)
	for p := range y {
		plane := x[p*spatial : (p+1)*spatial]
		if max {
			best := math.Inf(-1)
			for _, v := range plane {
				if math.IsNaN(v) || v > best {
					best = v
				}
				if math.IsNaN(best) {
					break
				}
			}
			y[p] = best
			continue
		}
		sum := 0.0
		for _, v := range plane {
			sum += v
		}
		y[p] = sum / float64(spatial)
	}
	return y
}
