package ops

func (c *Conv) forwardDirect(dst, x []float32, threads int) {
	g := c.g
	rows := g.N * g.M * g.Out.D * g.Out.H
	if threads <= 1 {
		c.directRows(dst, x, 0, rows)
		return
	}
	ParallelFor(rows, threads, func(_, lo, hi int) { c.directRows(dst, x, lo, hi) })
}

// directRows computes output rows [lo, hi), row r being (n, m, od, oh) in
// row-major order, by sliding the kernel over the input. Each output sums
// its in-bounds taps in (c, kd, kh, kw) order starting from 0, then adds the
// bias: the same order as the im2col GEMM, minus the zero padding terms.
func (c *Conv) directRows(dst, x []float32, lo, hi int) {
	g := c.g
	cg, mg := g.C/g.G, g.M/g.G
	k := g.Kernel
	ksize := k.prod()
	plane := g.In.prod()
	ow := g.Out.W
	for r := lo; r < hi; r++ {
		oh := r % g.Out.H
		t := r / g.Out.H
		od := t % g.Out.D
		t /= g.Out.D
		m := t % g.M
		n := t / g.M
		row := dst[r*ow : (r+1)*ow]
		clear(row)
		wm := c.w[m*cg*ksize : (m+1)*cg*ksize]
		xg := x[(n*g.C+m/mg*cg)*plane : (n*g.C+(m/mg+1)*cg)*plane]
		for ci := 0; ci < cg; ci++ {
			xc := xg[ci*plane : (ci+1)*plane]
			wc := wm[ci*ksize : (ci+1)*ksize]
			c.accumPlane(row, xc, wc, od, oh)
		}
		var b float32
		if c.bias != nil {
			b = c.bias[m]
		}
		finishRow(row, b, c.bias != nil, c.act)
	}
}

// accumPlane adds to the output row (od, oh) the taps of one input channel
// plane xc with its kernel wc ([kd, kh, kw]), in (kd, kh, kw) order.
func (c *Conv) accumPlane(row, xc, wc []float32, od, oh int) {
	g := &c.g
	k := g.Kernel
	for a := 0; a < k.D; a++ {
		id := od*g.Stride.D - g.PadHead.D + a*g.Dilate.D
		if id < 0 || id >= g.In.D {
			continue
		}
		for b := 0; b < k.H; b++ {
			ih := oh*g.Stride.H - g.PadHead.H + b*g.Dilate.H
			if ih < 0 || ih >= g.In.H {
				continue
			}
			xoff := (id*g.In.H + ih) * g.In.W
			woff := (a*k.H + b) * k.W
			accumRow(row, xc[xoff:xoff+g.In.W], wc[woff:woff+k.W], g.Stride.W, g.Dilate.W, g.PadHead.W)
		}
	}
}
