package ref

// Slice takes, as ONNX Slice (opset 13), the entries of x (shape xs) along
// each listed axis from starts[i] towards ends[i] in steps of steps[i]
// (axes nil: 0, 1, ...; steps nil: 1). Negative starts and ends count from
// the end of the axis; they are then clamped to [0, dim] for positive steps
// and to [0, dim-1] and [-1, dim-1] for negative ones. It returns the result
// and its shape.
func Slice(x []float64, xs []int, starts, ends, axes, steps []int64) ([]float64, []int) {
	rank := len(xs)
	// picks[ax] lists the input indices the output takes along axis ax.
	picks := make([][]int, rank)
	for ax := range picks {
		for i := 0; i < xs[ax]; i++ {
			picks[ax] = append(picks[ax], i)
		}
	}
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		if ax < 0 {
			ax += int64(rank)
		}
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		dim := int64(xs[ax])
		start, end := starts[i], ends[i]
		if start < 0 {
			start += dim
		}
		if end < 0 {
			end += dim
		}
		var list []int
		if step > 0 {
			start, end = clamp64(start, 0, dim), clamp64(end, 0, dim)
			for j := start; j < end; j += step {
				list = append(list, int(j))
				if step >= end-j { // the next index is past the end (j+step may overflow)
					break
				}
			}
		} else {
			start, end = clamp64(start, 0, dim-1), clamp64(end, -1, dim-1)
			for j := start; j > end; j += step {
				list = append(list, int(j))
				if step <= end-j { // the next index is past the end
					break
				}
			}
		}
		picks[ax] = list
	}
	out := make([]int, rank)
	for ax := range out {
		out[ax] = len(picks[ax])
	}
	y := make([]float64, size(out))
	src := make([]int, rank)
	for o := range y {
		c := coords(o, out)
		for ax := range c {
			src[ax] = picks[ax][c[ax]]
		}
		y[o] = x[flatIndex(src, xs)]
	}
	return y, out
}

func clamp64(v, lo, hi int64) int64 {
	return min(max(v, lo), hi)
}
