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

// pack writes rows [k0, k0+kcb) and columns [j0, j0+ncb) of the im2col
// matrix of the input planes x into dst in packB's layout (panels of
// gemmNR columns, the last one zero-padded), straight from x: each row is
// a run of output rows, each split into the padding (zeros) and the
// interior, whose taps are a strided run of one input row.
func (g *im2colGeom) pack(dst, x []float32, k0, kcb, j0, ncb int) {
	step := kcb * gemmNR
	ow0 := j0 % g.out.W
	t := j0 / g.out.W
	oh0 := t % g.out.H
	od0 := t / g.out.H
	kw := k0 % g.kernel.W
	t = k0 / g.kernel.W
	kh := t % g.kernel.H
	t /= g.kernel.H
	kd := t % g.kernel.D
	c := t / g.kernel.D
	inW, outW, sw := g.in.W, g.out.W, g.stride.W
	for kk := 0; kk < kcb; kk++ {
		xc := x[c*g.plane : (c+1)*g.plane]
		offW := kw*g.dilate.W - g.pad.W // input column of output column 0
		dh := kh*g.dilate.H - g.pad.H
		dd := kd*g.dilate.D - g.pad.D
		ow, oh, od := ow0, oh0, od0
		for j := 0; j < ncb; {
			cnt := min(outW-ow, ncb-j)
			id := od*g.stride.D + dd
			ih := oh*g.stride.H + dh
			if id < 0 || id >= g.in.D || ih < 0 || ih >= g.in.H {
				zeroRun(dst, j, j+cnt, kk, step)
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
				if lo > 0 {
					zeroRun(dst, j, j+lo, kk, step)
				}
				if hi > lo {
					putRun(dst, xrow, first+lo*sw, sw, j+lo, j+hi, kk, step)
				}
				if hi < cnt {
					zeroRun(dst, j+hi, j+cnt, kk, step)
				}
			}
			j += cnt
			ow = 0
			oh++
			if oh == g.out.H {
				oh = 0
				od++
			}
		}
		if kw++; kw == g.kernel.W {
			kw = 0
			if kh++; kh == g.kernel.H {
				kh = 0
				if kd++; kd == g.kernel.D {
					kd = 0
					c++
				}
			}
		}
	}
	padPanel(dst, ncb, kcb)
}

// pointwise reports whether g is a 1x1 convolution with stride 1 and no
// padding: its im2col matrix is the input itself.
func (g ConvGeom) pointwise() bool {
	return g.Kernel == (Dims3{1, 1, 1}) && g.Stride == (Dims3{1, 1, 1}) && g.PadHead == (Dims3{}) && g.Out == g.In
}

// im2colSetup packs the weights of every group as GEMM A operands and
// sizes the per-goroutine scratch.
func (c *Conv) im2colSetup(w []float32) {
	g := c.g
	mg, cg := g.M/g.G, g.C/g.G
	k := cg * g.Kernel.prod()
	ncol := g.Out.prod()
	c.gemmK, c.gemmN = k, ncol
	c.pointwise = g.pointwise()
	c.im = newIm2colGeom(g)
	alen := packedALen(mg, k)
	c.packed = make([]float32, g.G*alen)
	for grp := 0; grp < g.G; grp++ {
		packA(c.packed[grp*alen:(grp+1)*alen], w[grp*mg*k:(grp+1)*mg*k], mg, k, k, 1)
	}
	c.units = g.N * g.G * gemmUnits(mg, ncol)
	c.slotLen = gemmSlotLen(k, ncol)
	c.wsLen = min(MaxThreads, c.units) * c.slotLen
}

func (c *Conv) forwardIm2col(dst, x, ws []float32, threads int) {
	if threads <= 1 || c.units == 1 {
		// One thread: each N block is packed once for all M blocks.
		mb := ceilDiv(c.g.M/c.g.G, gemmMC)
		for u := 0; u < c.units; u += mb {
			c.im2colUnit(dst, x, ws[:c.slotLen], u, true)
		}
		return
	}
	ParallelFor(c.units, threads, func(part, lo, hi int) {
		for u := lo; u < hi; u++ {
			c.im2colUnit(dst, x, ws[part*c.slotLen:(part+1)*c.slotLen], u, false)
		}
	})
}

// im2colUnit computes work unit u with scratch slot: M block u%mb (every M
// block when allM), N block (u/mb)%nb of the GEMM of group (u/mb/nb)%G of
// image u/mb/nb/G.
func (c *Conv) im2colUnit(dst, x, slot []float32, u int, allM bool) {
	g := c.g
	mg, cg := g.M/g.G, g.C/g.G
	k, ncol := c.gemmK, c.gemmN
	mb, nb := ceilDiv(mg, gemmMC), ceilDiv(ncol, gemmNC)
	alen := packedALen(mg, k)
	plane := g.In.prod()
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
	i0, i1 := ib*gemmMC, min(ib*gemmMC+gemmMC, mg)
	if allM {
		i0, i1 = 0, mg
	}
	j0 := jb * gemmNC
	gemmBlock(c.packed[grp*alen:(grp+1)*alen], mg, k, &src, dst[coff:coff+mg*ncol], ncol, 1,
		i0, i1, j0, min(j0+gemmNC, ncol), slot, &ep)
}
