package ref

import "math"

// Reduce reduces x, of shape shape, over axes (distinct, in [0, rank)) with
// the ONNX reduction op (ReduceSum, ReduceMean, ReduceMax, ReduceMin,
// ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum,
// ReduceLogSumExp). The output has the input's rank, with 1 on the reduced
// axes (keepdims); its values are in row-major order, so dropping those axes
// only changes the shape. It returns nil for an unknown op.
func Reduce(op string, x []float64, shape, axes []int) ([]float64, []int) {
	reduced := make([]bool, len(shape))
	for _, a := range axes {
		reduced[a] = true
	}
	out := append([]int(nil), shape...)
	for a, r := range reduced {
		if r {
			out[a] = 1
		}
	}
	outSize := 1
	for _, d := range out {
		outSize *= d
	}
	// Gather each output's elements, in input order.
	groups := make([][]float64, outSize)
	idx := make([]int, len(shape))
	for i, v := range x {
		unflatten(i, shape, idx)
		o := 0
		for a := range shape {
			k := idx[a]
			if reduced[a] {
				k = 0
			}
			o = o*out[a] + k
		}
		groups[o] = append(groups[o], v)
	}
	y := make([]float64, outSize)
	for o, vs := range groups {
		var r float64
		switch op {
		case "ReduceSum", "ReduceMean", "ReduceLogSum":
			for _, v := range vs {
				r += v
			}
			if op == "ReduceMean" {
				r /= float64(len(vs))
			} else if op == "ReduceLogSum" {
				r = math.Log(r)
			}
		case "ReduceL1":
			for _, v := range vs {
				r += math.Abs(v)
			}
		case "ReduceL2", "ReduceSumSquare":
			for _, v := range vs {
				r += v * v
			}
			if op == "ReduceL2" {
				r = math.Sqrt(r)
			}
		case "ReduceProd":
			r = 1
			for _, v := range vs {
				r *= v
			}
		case "ReduceMax", "ReduceMin":
			r = math.Inf(1)
			if op == "ReduceMax" {
				r = math.Inf(-1)
			}
			for _, v := range vs {
				if math.IsNaN(v) || (op == "ReduceMax" && v > r) || (op == "ReduceMin" && v < r) {
					r = v
				}
				if math.IsNaN(r) {
					break
				}
			}
		case "ReduceLogSumExp":
			m := math.Inf(-1)
			for _, v := range vs {
				m = math.Max(m, v)
			}
			if math.IsInf(m, 0) || math.IsNaN(m) {
				r = m
				break
			}
			for _, v := range vs {
				r += math.Exp(v - m)
			}
			r = m + math.Log(r)
		default:
			return nil, nil
		}
		y[o] = r
	}
	return y, out
}

// ArgReduce returns the index along the middle axis of x ([outer, axis,
// inner]) of the largest value (the smallest with min), the first of equal
// ones or with last the last; a NaN beats every number.
func ArgReduce(x []float64, outer, axis, inner int, min, last bool) []float64 {
	y := make([]float64, outer*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			at := func(a int) float64 { return x[(o*axis+a)*inner+i] }
			bi := 0
			for a := 1; a < axis; a++ {
				v, b := at(a), at(bi)
				switch {
				case math.IsNaN(b):
					if last && math.IsNaN(v) {
						bi = a
					}
				case math.IsNaN(v), min && v < b, !min && v > b, last && v == b:
					bi = a
				}
			}
			y[o*inner+i] = float64(bi)
		}
	}
	return y
}

// LayerNorm computes (x - mean) / sqrt(var + eps) * scale + bias over each
// of the outer rows of inner values of x (variance: mean squared deviation);
// bias may be nil.
func LayerNorm(x, scale, bias []float64, outer, inner int, eps float64) []float64 {
	y := make([]float64, len(x))
	for r := 0; r < outer; r++ {
		row := x[r*inner : (r+1)*inner]
		mean, sd := meanStd(row, eps)
		for i, v := range row {
			b := 0.0
			if bias != nil {
				b = bias[i]
			}
			y[r*inner+i] = (v-mean)/sd*scale[i] + b
		}
	}
	return y
}

// InstanceNorm computes (x - mean) / sqrt(var + eps) * scale[c] + bias[c]
// over each spatial plane of x ([n, c, spatial]).
func InstanceNorm(x, scale, bias []float64, n, c, spatial int, eps float64) []float64 {
	y := make([]float64, len(x))
	for p := 0; p < n*c; p++ {
		row := x[p*spatial : (p+1)*spatial]
		mean, sd := meanStd(row, eps)
		for i, v := range row {
			y[p*spatial+i] = (v-mean)/sd*scale[p%c] + bias[p%c]
		}
	}
	return y
}

// meanStd returns the mean of row and sqrt(variance + eps).
func meanStd(row []float64, eps float64) (float64, float64) {
	mean := 0.0
	for _, v := range row {
		mean += v
	}
	mean /= float64(len(row))
	q := 0.0
	for _, v := range row {
		q += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(q/float64(len(row)) + eps)
}
