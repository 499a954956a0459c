package ref

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
