package ref

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
