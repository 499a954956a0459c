package ref

// Float64 references of MatMul and the data-movement ops (Gather, Expand,
// Tile, DepthToSpace, SpaceToDepth, Split), element by element from the
// ONNX definitions.

// MatMul is numpy's matmul: a 1-D a is a row and a 1-D b a column (whose
// axis is dropped from the result), the batch axes broadcast. It returns
// nil if the shapes do not multiply.
func MatMul(a []float64, as []int, b []float64, bs []int) ([]float64, []int) {
	am, bm := as, bs
	if len(as) == 1 {
		am = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bm = []int{bs[0], 1}
	}
	m, k := am[len(am)-2], am[len(am)-1]
	n := bm[len(bm)-1]
	if bm[len(bm)-2] != k {
		return nil, nil
	}
	batch := BroadcastShape(am[:len(am)-2], bm[:len(bm)-2])
	if batch == nil {
		return nil, nil
	}
	full := append(append([]int(nil), batch...), m, n)
	y := make([]float64, size(full))
	ab, bb := am[:len(am)-2], bm[:len(bm)-2]
	for i := range y {
		c := coords(i, full)
		bc := c[:len(batch)]
		row, col := c[len(batch)], c[len(batch)+1]
		s := 0.0
		for p := 0; p < k; p++ {
			ca := append(broadcastCoords(bc, ab), row, p)
			cb := append(broadcastCoords(bc, bb), p, col)
			s += a[flatIndex(ca, am)] * b[flatIndex(cb, bm)]
		}
		y[i] = s
	}
	out := append([]int(nil), batch...)
	if len(as) > 1 {
		out = append(out, m)
	}
	if len(bs) > 1 {
		out = append(out, n)
	}
	return y, out
}

// broadcastCoords maps output batch coordinates c to those of an operand
// with batch shape s (right-aligned; size-1 axes read index 0).
func broadcastCoords(c, s []int) []int {
	out := make([]int, len(s))
	for i := range s {
		j := i + len(c) - len(s)
		if s[i] != 1 {
			out[i] = c[j]
		}
	}
	return out
}

// Gather takes the entries of x (shape xs) at indices (shape is, negative
// counting from the end) along axis: the output shape is xs[:axis] + is +
// xs[axis+1:].
func Gather(x []float64, xs []int, axis int, indices []int, is []int) ([]float64, []int) {
	out := append(append(append([]int(nil), xs[:axis]...), is...), xs[axis+1:]...)
	y := make([]float64, size(out))
	for i := range y {
		c := coords(i, out)
		j := indices[flatIndex(c[axis:axis+len(is)], is)]
		if j < 0 {
			j += xs[axis]
		}
		src := append(append(append([]int(nil), c[:axis]...), j), c[axis+len(is):]...)
		y[i] = x[flatIndex(src, xs)]
	}
	return y, out
}

// Expand broadcasts x (shape xs) with shape (numpy rules, as ONNX Expand).
func Expand(x []float64, xs []int, shape []int) ([]float64, []int) {
	out := BroadcastShape(xs, shape)
	y := make([]float64, size(out))
	for i := range y {
		c := coords(i, out)
		y[i] = x[flatIndex(broadcastCoords(c, xs), xs)]
	}
	return y, out
}

// Tile repeats x (shape xs) reps[i] times along axis i.
func Tile(x []float64, xs []int, reps []int) ([]float64, []int) {
	out := make([]int, len(xs))
	for i := range xs {
		out[i] = xs[i] * reps[i]
	}
	y := make([]float64, size(out))
	for i := range y {
		c := coords(i, out)
		for ax := range c {
			c[ax] %= xs[ax]
		}
		y[i] = x[flatIndex(c, xs)]
	}
	return y, out
}

// DepthToSpace rearranges the channels of x [N, C, H, W] into blocks of
// bs x bs pixels: mode "DCR" reads channel (bh*bs + bw)*C' + c, "CRD" reads
// c*bs*bs + bh*bs + bw, C' = C/bs².
func DepthToSpace(x []float64, xs []int, bs int, mode string) ([]float64, []int) {
	n, cc, h, w := xs[0], xs[1]/(bs*bs), xs[2], xs[3]
	out := []int{n, cc, h * bs, w * bs}
	y := make([]float64, size(out))
	for i := range y {
		c := coords(i, out)
		oh, ow := c[2], c[3]
		bh, bw := oh%bs, ow%bs
		ch := (bh*bs+bw)*cc + c[1]
		if mode == "CRD" {
			ch = c[1]*bs*bs + bh*bs + bw
		}
		y[i] = x[flatIndex([]int{c[0], ch, oh / bs, ow / bs}, xs)]
	}
	return y, out
}

// SpaceToDepth moves bs x bs pixel blocks of x [N, C, H, W] into channels:
// output channel (bh*bs + bw)*C + c.
func SpaceToDepth(x []float64, xs []int, bs int) ([]float64, []int) {
	n, cc, h, w := xs[0], xs[1], xs[2]/bs, xs[3]/bs
	out := []int{n, cc * bs * bs, h, w}
	y := make([]float64, size(out))
	for i := range y {
		c := coords(i, out)
		blk, ch := c[1]/cc, c[1]%cc
		bh, bw := blk/bs, blk%bs
		y[i] = x[flatIndex([]int{c[0], ch, c[2]*bs + bh, c[3]*bs + bw}, xs)]
	}
	return y, out
}

// Split cuts x (shape xs) along axis into parts of the given sizes.
func Split(x []float64, xs []int, axis int, sizes []int) ([][]float64, [][]int) {
	var ys [][]float64
	var shapes [][]int
	start := 0
	for _, s := range sizes {
		out := append([]int(nil), xs...)
		out[axis] = s
		y := make([]float64, size(out))
		for i := range y {
			c := coords(i, out)
			c[axis] += start
			y[i] = x[flatIndex(c, xs)]
		}
		ys, shapes = append(ys, y), append(shapes, out)
		start += s
	}
	return ys, shapes
}
