package ops

func (c *Conv) forwardDepthwise(dst, x []float32, threads int) {
	g := c.g
	planes := g.N * g.M
	if threads <= 1 {
		c.depthwisePlanes(dst, x, 0, planes)
		return
	}
	ParallelFor(planes, threads, func(_, lo, hi int) { c.depthwisePlanes(dst, x, lo, hi) })
}

// depthwisePlanes computes output planes [lo, hi), plane p being (n, m): a
// depthwise convolution reads only input channel m/multiplier, so each plane
// is one single-channel sliding window with the kernel of channel m. Each
// output sums its in-bounds taps in (kd, kh, kw) order, then adds the bias.
func (c *Conv) depthwisePlanes(dst, x []float32, lo, hi int) {
	g := c.g
	mult := g.M / g.G
	ksize := g.Kernel.prod()
	plane, outPlane := g.In.prod(), g.Out.prod()
	ow := g.Out.W
	for p := lo; p < hi; p++ {
		m := p % g.M
		n := p / g.M
		ci := n*g.C + m/mult
		xc := x[ci*plane : (ci+1)*plane]
		wc := c.w[m*ksize : (m+1)*ksize]
		out := dst[p*outPlane : (p+1)*outPlane]
		var b float32
		if c.bias != nil {
			b = c.bias[m]
		}
		for od := 0; od < g.Out.D; od++ {
			for oh := 0; oh < g.Out.H; oh++ {
				r := od*g.Out.H + oh
				row := out[r*ow : (r+1)*ow]
				clear(row)
				c.accumPlane(row, xc, wc, od, oh)
				finishRow(row, b, c.bias != nil, c.act)
			}
		}
	}
}
