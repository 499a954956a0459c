package ref

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
