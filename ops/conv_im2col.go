package ops

// im2colGeom describes the im2col matrix of one image and group: row k =
// (c, kd, kh, kw) in row-major order over [C/G, KD, KH, KW], column j = output
// position (od, oh, ow) in row-major order; the element is the input value
// under that kernel tap at that output position, or 0 in the padding.
type im2colGeom struct {
	in, kernel, out, stride, dilate, pad Dims3
	plane                                int // input values per channel
}

func newIm2colGeom(g ConvGeom) im2colGeom {
	return im2colGeom{in: g.In, kernel: g.Kernel, out: g.Out, stride: g.Stride, dilate: g.Dilate, pad: g.PadHead, plane: g.In.prod()}
}

// row writes columns [j0, j0+len(dst)) of row k of the im2col matrix of the
// input planes x into dst.
func (g *im2colGeom) row(dst, x []float32, k, j0 int) {
	kw := k % g.kernel.W
	t := k / g.kernel.W
	kh := t % g.kernel.H
	t /= g.kernel.H
	kd := t % g.kernel.D
	c := t / g.kernel.D
	xc := x[c*g.plane : (c+1)*g.plane]
	ow := j0 % g.out.W
	t = j0 / g.out.W
	oh := t % g.out.H
	od := t / g.out.H
	inW := g.in.W
	sw := g.stride.W
	offW := kw*g.dilate.W - g.pad.W // input column of output column 0
	for len(dst) > 0 {
		cnt := min(g.out.W-ow, len(dst))
		seg := dst[:cnt]
		dst = dst[cnt:]
		id := od*g.stride.D - g.pad.D + kd*g.dilate.D
		ih := oh*g.stride.H - g.pad.H + kh*g.dilate.H
		if id < 0 || id >= g.in.D || ih < 0 || ih >= g.in.H {
			clear(seg)
		} else {
			xrow := xc[(id*g.in.H+ih)*inW : (id*g.in.H+ih+1)*inW]
			// Output columns ow+t with 0 <= (ow+t)*sw+offW < inW.
			first := ow*sw + offW
			lo := 0
			if first < 0 {
				lo = min(ceilDiv(-first, sw), cnt)
			}
			hi := 0
			if first < inW {
				hi = min((inW-1-first)/sw+1, cnt)
			}
			hi = max(hi, lo)
			clear(seg[:lo])
			clear(seg[hi:])
			if hi == lo {
				// No tap of this row falls inside the input.
			} else if sw == 1 {
				copy(seg[lo:hi], xrow[first+lo:first+hi])
			} else {
				gatherStrided(seg[lo:hi], xrow[first+lo*sw:first+(hi-1)*sw+1], sw)
			}
		}
		ow = 0
		oh++
		if oh == g.out.H {
			oh = 0
			od++
		}
	}
}

// im2colSetup packs the weights of every group as GEMM A operands and
// sizes the per-goroutine scratch.
func (c *Conv) im2colSetup(w []float32) {
	g := c.g
	mg, cg := g.M/g.G, g.C/g.G
	k := cg * g.Kernel.prod()
	ncol := g.Out.prod()
	c.gemmK, c.gemmN = k, ncol
	c.pointwise = g.Kernel == (Dims3{1, 1, 1}) && g.Stride == (Dims3{1, 1, 1}) && g.PadHead == (Dims3{}) && g.Out == g.In
	c.im = newIm2colGeom(g)
	alen := packedALen(mg, k)
	c.packed = make([]float32, g.G*alen)
	for grp := 0; grp < g.G; grp++ {
		packA(c.packed[grp*alen:(grp+1)*alen], w[grp*mg*k:(grp+1)*mg*k], mg, k, k, 1)
	}
	c.units = g.N * g.G * gemmUnits(mg, ncol)
	c.slotLen = gemmSlotLen(k, ncol, !c.pointwise)
	c.wsLen = min(MaxThreads, c.units) * c.slotLen
}

func (c *Conv) forwardIm2col(dst, x, ws []float32, threads int) {
	if threads <= 1 || c.units == 1 {
		c.im2colUnits(dst, x, ws, 0, 0, c.units)
		return
	}
	ParallelFor(c.units, threads, func(part, lo, hi int) { c.im2colUnits(dst, x, ws, part, lo, hi) })
}

// im2colUnits computes work units [lo, hi): unit u is M block u%mb, N block
// (u/mb)%nb of the GEMM of group (u/mb/nb)%G of image u/mb/nb/G.
func (c *Conv) im2colUnits(dst, x, ws []float32, part, lo, hi int) {
	g := c.g
	mg, cg := g.M/g.G, g.C/g.G
	k, ncol := c.gemmK, c.gemmN
	mb, nb := ceilDiv(mg, gemmMC), ceilDiv(ncol, gemmNC)
	alen := packedALen(mg, k)
	slot := ws[part*c.slotLen : (part+1)*c.slotLen]
	bbuf := slot[:min(gemmKC, k)*min(gemmNC, ncol)]
	row := slot[len(bbuf):]
	plane := g.In.prod()
	for u := lo; u < hi; u++ {
		ib := u % mb
		t := u / mb
		jb := t % nb
		t /= nb
		grp := t % g.G
		n := t / g.G
		xoff := (n*g.C + grp*cg) * plane
		src := bSource{b: x[xoff : xoff+cg*plane], rs: plane, cs: 1}
		if !c.pointwise {
			src.im = &c.im
		}
		ep := gemmEpi{act: c.act}
		if c.bias != nil {
			ep.bias = c.bias[grp*mg : (grp+1)*mg]
		}
		coff := (n*g.M + grp*mg) * ncol
		i0, j0 := ib*gemmMC, jb*gemmNC
		gemmBlock(c.packed[grp*alen:(grp+1)*alen], mg, k, &src, dst[coff:coff+mg*ncol], ncol, 1,
			i0, min(i0+gemmMC, mg), j0, min(j0+gemmNC, ncol), bbuf, row, &ep)
	}
}

// gatherStrided sets d[t] = xs[t*s] for every t < len(d). The stride-2 case
// (conv1 and the downsampling 3x3 layers) moves four values per bounds
// check, which matters in the wasm build.
func gatherStrided(d, xs []float32, s int) {
	if s == 2 {
		for len(d) >= 4 && len(xs) >= 8 {
			d4 := (*[4]float32)(d)
			x8 := (*[8]float32)(xs)
			d4[0], d4[1], d4[2], d4[3] = x8[0], x8[2], x8[4], x8[6]
			d, xs = d[4:], xs[8:]
		}
	}
	for t := range d {
		d[t] = xs[t*s]
	}
}
