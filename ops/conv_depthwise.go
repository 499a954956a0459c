package ops

import (
	"math"
	"slices"
)

// dwPadGeom is the zero-bordered copy of one input plane that the padded
// depthwise path sweeps: every output of the plane, edges included, is then
// an interior output of the copy (see depthwiseSetup).
type dwPadGeom struct {
	rows, cols     int // the copy's size
	cpRows, cpCols int // input rows and columns copied into it, at (PadHead.H, PadHead.W)
	n              int // outputs per row the kernel computes: max(Out.W, 4)
	slot           int // scratch per goroutine: the copy, plus Out.H×4 outputs when Out.W < 4
}

// depthwiseSetup keeps the weights and, for 2D (and 1D) convolutions whose
// weights are all finite, prepares the padded path: each plane is copied
// into a scratch plane with a zero border as wide as the padding (zeroed
// once per Forward and goroutine: the copies only overwrite its inside), and
// the Depthwise kernel then sweeps all the plane's outputs, as interior
// outputs of the copy, in one or two calls, instead of one call per edge row
// and pure-Go sums for the edge columns.
//
// The sums are the same bit for bit: a padded tap adds w·0 = ±0 to the
// running sum, which leaves it unchanged (a sum that starts from +0 is
// never -0, and x + ±0 = x for every other x), so each output still adds
// exactly its in-bounds products in (kh, kw) order. Only an infinite or NaN
// weight breaks this (Inf·0 is NaN), hence the check. On the PP-OCRv4
// recogniser (5x5 kernels on 3- to 12-row maps, issue 15) the edges had
// taken as long as the interior in the wasm build.
func (c *Conv) depthwiseSetup(w []float32) {
	c.w = slices.Clone(w)
	g := c.g
	if g.Kernel.D != 1 || g.In.D != 1 {
		return
	}
	for _, v := range w {
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			return
		}
	}
	k, s, dl, ph := g.Kernel, g.Stride, g.Dilate, g.PadHead
	p := &dwPadGeom{n: max(g.Out.W, 4)}
	p.rows = (g.Out.H-1)*s.H + (k.H-1)*dl.H + 1
	p.cols = (p.n-1)*s.W + (k.W-1)*dl.W + 1
	p.cpRows = max(0, min(g.In.H, p.rows-ph.H))
	p.cpCols = max(0, min(g.In.W, p.cols-ph.W))
	p.slot = p.rows * p.cols
	if g.Out.W < 4 {
		p.slot += g.Out.H * 4
	}
	c.dwPad = p
	c.wsLen = min(MaxThreads, g.N*g.M) * p.slot
}

func (c *Conv) forwardDepthwise(dst, x, ws []float32, threads int) {
	g := c.g
	planes := g.N * g.M
	if c.dwPad != nil {
		slot := c.dwPad.slot
		if threads <= 1 {
			c.depthwisePadded(dst, x, ws[:slot], 0, planes)
			return
		}
		ParallelFor(planes, threads, func(part, lo, hi int) { c.depthwisePadded(dst, x, ws[part*slot:(part+1)*slot], lo, hi) })
		return
	}
	if threads <= 1 {
		c.depthwisePlanes(dst, x, 0, planes)
		return
	}
	ParallelFor(planes, threads, func(_, lo, hi int) { c.depthwisePlanes(dst, x, lo, hi) })
}

// depthwisePadded computes output planes [lo, hi) as depthwiseSetup
// describes, with scratch slot (dwPad.slot values).
func (c *Conv) depthwisePadded(dst, x, slot []float32, lo, hi int) {
	g := &c.g
	p := c.dwPad
	mult := g.M / g.G
	k, s, dl, ph, in, out := g.Kernel, g.Stride, g.Dilate, g.PadHead, g.In, g.Out
	ksize := k.H * k.W
	plane, outPlane := in.H*in.W, out.H*out.W
	buf := slot[:p.rows*p.cols]
	clear(buf)
	kernel := installed.Depthwise
	if kernel == nil {
		kernel = depthwiseGo
	}
	// The sweeps of a row: the first multiple of 4 outputs, then the last 4
	// again (recomputing a few outputs to the same values).
	sweeps := [2][2]int{{0, p.n &^ 3}, {p.n - 4, 4}}
	nsweep := 1
	if p.n%4 != 0 {
		nsweep = 2
	}
	xRow, tapRow := s.H*p.cols, dl.H*p.cols
	for pl := lo; pl < hi; pl++ {
		m := pl % g.M
		n := pl / g.M
		ci := n*g.C + m/mult
		xc := x[ci*plane : (ci+1)*plane]
		for r := 0; r < p.cpRows; r++ {
			copy(buf[(ph.H+r)*p.cols+ph.W:(ph.H+r)*p.cols+ph.W+p.cpCols], xc[r*in.W:r*in.W+p.cpCols])
		}
		wc := c.w[m*ksize : (m+1)*ksize]
		o := dst[pl*outPlane : (pl+1)*outPlane]
		var bias []float32
		if c.bias != nil {
			bias = c.bias[m : m+1]
		}
		od, dstRow := o, out.W
		if out.W < 4 {
			od, dstRow = slot[p.rows*p.cols:p.rows*p.cols+out.H*4], 4
		}
		for _, t := range sweeps[:nsweep] {
			t0, nn := t[0], t[1]
			x0 := t0 * s.W
			kernel(od[t0:t0+(out.H-1)*dstRow+nn], buf[x0:x0+(out.H-1)*xRow+(k.H-1)*tapRow+(nn-1)*s.W+(k.W-1)*dl.W+1],
				wc, nn, out.H, dstRow, xRow, k.H, k.W, tapRow, s.W, dl.W, bias)
		}
		if out.W < 4 {
			for r := 0; r < out.H; r++ {
				copy(o[r*out.W:(r+1)*out.W], od[r*4:r*4+out.W])
			}
		}
	}
	// The activation of all the planes at once (one kernel call).
	applyAct(dst[lo*outPlane:hi*outPlane], 1, (hi-lo)*outPlane, (hi-lo)*outPlane, c.act)
}

// depthwisePlanes computes output planes [lo, hi), plane p being (n, m): a
// depthwise convolution reads only input channel m/multiplier, so each plane
// is one single-channel sliding window with the kernel of channel m. Each
// output sums its in-bounds taps in (kd, kh, kw) order starting from 0, then
// adds the bias. The interior columns (whose kernel columns all lie inside
// the input) of the rows whose kernel rows lie inside the input, a
// contiguous range of them in the top and bottom rows of 2D planes, run
// without per-tap bounds tests, through the Depthwise kernel when one is
// installed; the other outputs test their taps. The order of the sums is
// the same on every path.
func (c *Conv) depthwisePlanes(dst, x []float32, lo, hi int) {
	g := &c.g
	mult := g.M / g.G
	k, in, out, s, dl, ph := g.Kernel, g.In, g.Out, g.Stride, g.Dilate, g.PadHead
	ksize := k.prod()
	plane, outPlane := in.prod(), out.prod()
	odLo, odHi := interiorRange(out.D, s.D, ph.D, k.D, dl.D, in.D)
	ohLo, ohHi := interiorRange(out.H, s.H, ph.H, k.H, dl.H, in.H)
	owLo, owHi := interiorRange(out.W, s.W, ph.W, k.W, dl.W, in.W)
	// The kernel sweeps every interior column of the rows it takes: the
	// first multiple of 4, then the last 4 again (recomputing a few outputs
	// to the same values).
	sweep := installed.Depthwise != nil && k.D == 1 && owHi-owLo >= 4
	hw := in.H * in.W
	for p := lo; p < hi; p++ {
		m := p % g.M
		n := p / g.M
		ci := n*g.C + m/mult
		xc := x[ci*plane : (ci+1)*plane]
		wc := c.w[m*ksize : (m+1)*ksize]
		o := dst[p*outPlane : (p+1)*outPlane]
		var b float32
		var bias []float32
		if c.bias != nil {
			bias = c.bias[m : m+1]
			b = bias[0]
		}
		if sweep && ohHi > ohLo {
			for od := odLo; od < odHi; od++ {
				c.depthwiseSweep(o, xc, wc, bias, (od*out.H+ohLo)*out.W+owLo,
					((od*s.D-ph.D)*in.H+ohLo*s.H-ph.H)*in.W+owLo*s.W-ph.W, ohHi-ohLo, 0, k.H, owHi-owLo)
			}
		}
		for od := 0; od < out.D; od++ {
			inD := od >= odLo && od < odHi
			for oh := 0; oh < out.H; oh++ {
				row := o[(od*out.H+oh)*out.W : (od*out.H+oh+1)*out.W]
				inH := oh >= ohLo && oh < ohHi
				// Kernel rows [jhLo, jhHi) of this output row lie inside the
				// input: all of them in interior rows, a contiguous part in
				// the others, which 2D kernels sweep the same way.
				jhLo, jhHi := 0, k.H
				if k.D == 1 && inD && !inH {
					jhLo, jhHi = tapRange(oh*s.H-ph.H, k.H, dl.H, in.H)
				}
				if owHi <= owLo || !inD || !inH && k.D != 1 {
					for ow := range row {
						row[ow] = c.depthwiseOne(xc, wc, od, oh, ow, b)
					}
					continue
				}
				// Tap (jd, jh, jw) of output ow is
				// xc[base + jd*dl.D*hw + jh*dl.H*in.W + jw*dl.W + ow*s.W].
				base := (od*s.D-ph.D)*hw + (oh*s.H-ph.H)*in.W - ph.W
				if k.D == 1 {
					c.depthwiseEdges(row, xc, wc, base, jhLo, jhHi, owLo, owHi, b)
				} else {
					for ow := 0; ow < out.W; ow++ {
						if ow == owLo { // skip the interior columns
							ow = owHi - 1
							continue
						}
						row[ow] = c.depthwiseOne(xc, wc, od, oh, ow, b)
					}
				}
				switch {
				case !sweep:
					c.depthwiseInterior(row[owLo:owHi], xc, wc, base+owLo*s.W, hw, jhLo, jhHi, b)
				case inH:
					// Done by the kernel with the interior rows.
				case jhHi > jhLo:
					c.depthwiseSweep(o, xc, wc, bias, (od*out.H+oh)*out.W+owLo, base+jhLo*dl.H*in.W+owLo*s.W, 1, jhLo, jhHi, owHi-owLo)
				default:
					c.depthwiseInterior(row[owLo:owHi], xc, wc, base+owLo*s.W, hw, jhLo, jhHi, b)
				}
			}
		}
		applyAct(o, 1, outPlane, outPlane, c.act)
	}
}

// depthwiseOne returns output (od, oh, ow) of one plane: its in-bounds taps
// in (kd, kh, kw) order from 0, plus b when the convolution has a bias.
func (c *Conv) depthwiseOne(xc, wc []float32, od, oh, ow int, b float32) float32 {
	g := &c.g
	k := g.Kernel
	var acc float32
	for jd := 0; jd < k.D; jd++ {
		id := od*g.Stride.D - g.PadHead.D + jd*g.Dilate.D
		if id < 0 || id >= g.In.D {
			continue
		}
		for jh := 0; jh < k.H; jh++ {
			ih := oh*g.Stride.H - g.PadHead.H + jh*g.Dilate.H
			if ih < 0 || ih >= g.In.H {
				continue
			}
			xrow := xc[(id*g.In.H+ih)*g.In.W : (id*g.In.H+ih+1)*g.In.W]
			wrow := wc[(jd*k.H+jh)*k.W : (jd*k.H+jh+1)*k.W]
			iw := ow*g.Stride.W - g.PadHead.W
			for _, wv := range wrow {
				if iw >= 0 && iw < len(xrow) {
					acc += float32(wv * xrow[iw])
				}
				iw += g.Dilate.W
			}
		}
	}
	if c.bias != nil {
		acc += b
	}
	return acc
}

// depthwiseSweep runs the installed Depthwise kernel over rows output rows of plane
// o from offset do on, nw >= 4 interior columns each, for the kernel rows
// [jhLo, jhHi) (those inside the input); xo is the offset in xc of the first
// output's tap (jhLo, 0).
func (c *Conv) depthwiseSweep(o, xc, wc, bias []float32, do, xo, rows, jhLo, jhHi, nw int) {
	g := &c.g
	k, s, dl, in, out := g.Kernel, g.Stride, g.Dilate, g.In, g.Out
	kh := jhHi - jhLo
	w := wc[jhLo*k.W : jhHi*k.W]
	depthwiseKernel := installed.Depthwise
	for _, t := range [2][2]int{{0, nw &^ 3}, {nw - 4, 4}} {
		d0, x0, n := do+t[0], xo+t[0]*s.W, t[1]
		depthwiseKernel(o[d0:d0+(rows-1)*out.W+n], xc[x0:x0+((rows-1)*s.H+(kh-1)*dl.H)*in.W+(n-1)*s.W+(k.W-1)*dl.W+1],
			w, n, rows, out.W, s.H*in.W, kh, k.W, dl.H*in.W, s.W, dl.W, bias)
		if nw%4 == 0 {
			break
		}
	}
}

// depthwiseEdges computes the outputs of a 2D row outside its interior
// columns [owLo, owHi), whose kernel rows [jhLo, jhHi) lie inside the input,
// base being as in depthwiseInterior: each sums the taps of its kernel
// columns inside the input row in (kh, kw) order from 0, then adds b when
// the convolution has a bias.
func (c *Conv) depthwiseEdges(row, xc, wc []float32, base, jhLo, jhHi, owLo, owHi int, b float32) {
	g := &c.g
	kw, dw, sw, inW, tap := g.Kernel.W, g.Dilate.W, g.Stride.W, g.In.W, g.Dilate.H*g.In.W
	hasBias := c.bias != nil
	for ow := 0; ow < len(row); ow++ {
		if ow == owLo { // skip the interior columns
			ow = owHi - 1
			continue
		}
		jwLo, jwHi := tapRange(ow*sw-g.PadHead.W, kw, dw, inW)
		var acc float32
		if jwHi > jwLo {
			for jh := jhLo; jh < jhHi; jh++ {
				off := base + jh*tap + ow*sw
				xs := xc[off+jwLo*dw : off+(jwHi-1)*dw+1]
				ws := wc[jh*kw+jwLo : jh*kw+jwHi]
				for i, wv := range ws {
					acc += float32(wv * xs[i*dw])
				}
			}
		}
		if hasBias {
			acc += b
		}
		row[ow] = acc
	}
}

// depthwiseInterior computes the outputs row[o] whose taps (jd, jh, jw) for
// kernel rows jh in [jhLo, jhHi) are xc[base + jd*dl.D*hw + jh*dl.H*in.W +
// jw*dl.W + o*s.W], all inside xc (the other kernel rows lie outside the
// input): each sums those taps in order from 0, then adds b when the
// convolution has a bias. 2D (and 1D) planes go through depthwiseRow.
func (c *Conv) depthwiseInterior(row, xc, wc []float32, base, hw, jhLo, jhHi int, b float32) {
	g := &c.g
	k, dl, sw, inW := g.Kernel, g.Dilate, g.Stride.W, g.In.W
	if k.D == 1 {
		depthwiseRow(row, xc, wc[jhLo*k.W:jhHi*k.W], base+jhLo*dl.H*inW, jhHi-jhLo, k.W, dl.H*inW, sw, dl.W, c.bias != nil, b)
		return
	}
	for o := range row {
		var acc float32
		for jd := 0; jd < k.D; jd++ {
			for jh := jhLo; jh < jhHi; jh++ {
				off := base + jd*dl.D*hw + jh*dl.H*inW + o*sw
				xs := xc[off : off+(k.W-1)*dl.W+1]
				ws := wc[(jd*k.H+jh)*k.W : (jd*k.H+jh+1)*k.W]
				for jw, wv := range ws {
					acc += float32(wv * xs[jw*dl.W])
				}
			}
		}
		if c.bias != nil {
			acc += b
		}
		row[o] = acc
	}
}

// depthwiseRow sets each row[o] to the sum from 0 of the products
// w[jh*kw+jw]·x[base + jh*tapRow + o*sw + jw*dw] in (jh, jw) order, each
// rounded to float32, plus b if hasBias. 3x3 stride-1 undilated kernels,
// the common case, keep the nine weights in locals and read nine input
// slices of the row's length, so the loop has no bounds checks.
func depthwiseRow(row, x, w []float32, base, kh, kw, tapRow, sw, dw int, hasBias bool, b float32) {
	n := len(row)
	if kh == 3 && kw == 3 && sw == 1 && dw == 1 {
		wk := (*[9]float32)(w[:9])
		w00, w01, w02 := wk[0], wk[1], wk[2]
		w10, w11, w12 := wk[3], wk[4], wk[5]
		w20, w21, w22 := wk[6], wk[7], wk[8]
		r0 := x[base : base+n+2]
		r1 := x[base+tapRow : base+tapRow+n+2]
		r2 := x[base+2*tapRow : base+2*tapRow+n+2]
		a0, a1, a2 := r0[0:n], r0[1:n+1], r0[2:n+2]
		b0, b1, b2 := r1[0:n], r1[1:n+1], r1[2:n+2]
		c0, c1, c2 := r2[0:n], r2[1:n+1], r2[2:n+2]
		for o := range row {
			var acc float32
			acc += float32(w00 * a0[o])
			acc += float32(w01 * a1[o])
			acc += float32(w02 * a2[o])
			acc += float32(w10 * b0[o])
			acc += float32(w11 * b1[o])
			acc += float32(w12 * b2[o])
			acc += float32(w20 * c0[o])
			acc += float32(w21 * c1[o])
			acc += float32(w22 * c2[o])
			if hasBias {
				acc += b
			}
			row[o] = acc
		}
		return
	}
	for o := range row {
		var acc float32
		for jh := 0; jh < kh; jh++ {
			off := base + jh*tapRow + o*sw
			xs := x[off : off+(kw-1)*dw+1]
			ws := w[jh*kw : (jh+1)*kw]
			for jw, wv := range ws {
				acc += float32(wv * xs[jw*dw])
			}
		}
		if hasBias {
			acc += b
		}
		row[o] = acc
	}
}

// depthwiseGo is the pure-Go DepthwiseKernel: depthwiseRow on each row.
func depthwiseGo(dst, x, w []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int, bias []float32) {
	var b float32
	if bias != nil {
		b = bias[0]
	}
	for r := 0; r < rows; r++ {
		depthwiseRow(dst[r*dstRow:r*dstRow+n], x, w[:kh*kw], r*xRow, kh, kw, tapRow, sw, dw, bias != nil, b)
	}
}
