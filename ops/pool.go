package ops

import (
	"fmt"
	"math"
)

// Pool computes max or average pooling over g: x holds the input [N, C,
// spatial...] (g.N*g.C*prod(g.In) values) and dst receives the output
// (prod(g.OutShape()) values). dst must not overlap x.
//
// Max pooling ignores padding (padded positions never win) and propagates
// NaN (it uses Go's max, which also orders -0 below +0). Average pooling sums in float64 and divides, when g.CountIncludePad is
// false, by the number of window taps inside the input; when it is true, by
// the number of taps inside the padded input [-PadHead, In+PadTail), so that
// taps beyond the explicit padding, added by ceil mode, are not counted (ONNX
// and PyTorch semantics). Pool panics if a buffer is too short.
func Pool(g PoolGeom, dst, x []float32) {
	inPlane, outPlane := g.In.prod(), g.Out.prod()
	planes := g.N * g.C
	if len(x) < planes*inPlane || len(dst) < planes*outPlane {
		panic(fmt.Sprintf("ops.Pool: buffers of %d and %d values, need %d and %d",
			len(x), len(dst), planes*inPlane, planes*outPlane))
	}
	for p := 0; p < planes; p++ {
		poolPlane(&g, dst[p*outPlane:(p+1)*outPlane], x[p*inPlane:(p+1)*inPlane])
	}
}

// tapRange returns the taps j in [lo, hi) of a window starting at start with k
// taps d apart that fall inside [0, n).
func tapRange(start, k, d, n int) (lo, hi int) {
	hi = k
	if start < 0 {
		lo = (-start + d - 1) / d
	}
	if last := start + (k-1)*d; last >= n {
		hi = (n - start + d - 1) / d
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// interiorRange returns the outputs [lo, hi) of one axis whose windows
// (start o*s-pad, k taps d apart) lie entirely inside [0, n); hi <= lo when
// there are none.
func interiorRange(out, s, pad, k, d, n int) (lo, hi int) {
	lo = min(ceilDiv(pad, s), out)
	last := n - 1 + pad - (k-1)*d // largest window start + pad
	if last < 0 {
		return lo, lo
	}
	hi = min(last/s+1, out)
	return lo, max(hi, lo)
}

// poolChunk is the number of outputs whose float64 sums the interior average
// pooling keeps on the stack at once.
const poolChunk = 64

// poolPlane pools one [D, H, W] plane. The outputs whose windows lie entirely
// inside the input (the interior) run tight loops, one window tap at a time
// across a row of outputs, with no per-output tap ranges; the border outputs
// go through poolOne. Each output folds its taps in (jd, jh, jw) order either
// way, so the result does not depend on the path.
func poolPlane(g *PoolGeom, dst, x []float32) {
	in, k, s, dl, ph := g.In, g.Kernel, g.Stride, g.Dilate, g.PadHead
	out := g.Out
	odLo, odHi := interiorRange(out.D, s.D, ph.D, k.D, dl.D, in.D)
	ohLo, ohHi := interiorRange(out.H, s.H, ph.H, k.H, dl.H, in.H)
	owLo, owHi := interiorRange(out.W, s.W, ph.W, k.W, dl.W, in.W)
	nw := owHi - owLo
	isMax := g.Kind == PoolMax
	// The SIMD sweep covers the first nv interior columns of the interior
	// rows of each interior depth slice.
	nv := 0
	poolMaxKernel := installed.PoolMax
	if isMax && poolMaxKernel != nil && k.D == 1 && ohHi > ohLo {
		nv = nw &^ 3
	}
	if nv > 0 {
		for od := odLo; od < odHi; od++ {
			xo := ((od*s.D-ph.D)*in.H+ohLo*s.H-ph.H)*in.W + owLo*s.W - ph.W
			do := (od*out.H+ohLo)*out.W + owLo
			rows := ohHi - ohLo
			poolMaxKernel(dst[do:do+(rows-1)*out.W+nv], x[xo:xo+((rows-1)*s.H+(k.H-1)*dl.H)*in.W+(nv-1)*s.W+(k.W-1)*dl.W+1],
				nv, rows, out.W, s.H*in.W, k.H, k.W, dl.H*in.W, s.W, dl.W)
		}
	}
	hw := in.H * in.W
	ksize := k.D * k.H * k.W
	for od := 0; od < out.D; od++ {
		inD := od >= odLo && od < odHi
		for oh := 0; oh < out.H; oh++ {
			oi := (od*out.H + oh) * out.W
			if !inD || oh < ohLo || oh >= ohHi || nw <= 0 {
				for ow := 0; ow < out.W; ow++ {
					dst[oi+ow] = poolOne(g, x, od, oh, ow)
				}
				continue
			}
			for ow := 0; ow < owLo; ow++ {
				dst[oi+ow] = poolOne(g, x, od, oh, ow)
			}
			for ow := owHi; ow < out.W; ow++ {
				dst[oi+ow] = poolOne(g, x, od, oh, ow)
			}
			// Interior: window tap (jd, jh, jw) of output ow is
			// x[base + jd*dl.D*hw + jh*dl.H*in.W + jw*dl.W + ow*s.W].
			base := (od*s.D-ph.D)*hw + (oh*s.H-ph.H)*in.W - ph.W
			w0 := owLo
			if inD && oh >= ohLo && oh < ohHi && k.D == 1 {
				w0 += nv // done by the SIMD sweep
			}
			if isMax {
				poolMaxRow(dst[oi+w0:oi+owHi], x, base+w0*s.W, k, dl, s.W, hw, in.W)
				continue
			}
			for c0 := w0; c0 < owHi; c0 += poolChunk {
				n := min(poolChunk, owHi-c0)
				var acc [poolChunk]float64
				sums := acc[:n]
				for jd := 0; jd < k.D; jd++ {
					for jh := 0; jh < k.H; jh++ {
						r := base + c0*s.W + jd*dl.D*hw + jh*dl.H*in.W
						for jw := 0; jw < k.W; jw++ {
							o := r + jw*dl.W
							if s.W == 1 {
								xs := x[o : o+n]
								for t, v := range xs {
									sums[t] += float64(v)
								}
								continue
							}
							xs := x[o : o+(n-1)*s.W+1]
							for t := range sums {
								sums[t] += float64(xs[t*s.W])
							}
						}
					}
				}
				d := dst[oi+c0 : oi+c0+n]
				for t, v := range sums {
					d[t] = float32(v / float64(ksize))
				}
			}
		}
	}
}

// poolMaxRow sets each d[t] to the max of its window's taps
// x[o + jd*dl.D*hw + jh*dl.H*w + jw*dl.W + t*sw], folded in (jd, jh, jw)
// order from -Inf.
func poolMaxRow(d, x []float32, o int, k, dl Dims3, sw, hw, w int) {
	n := len(d)
	if n == 0 {
		return
	}
	for t := range d {
		d[t] = negInf32
	}
	for jd := 0; jd < k.D; jd++ {
		for jh := 0; jh < k.H; jh++ {
			r := o + jd*dl.D*hw + jh*dl.H*w
			for jw := 0; jw < k.W; jw++ {
				p := r + jw*dl.W
				if sw == 1 {
					xs := x[p : p+n]
					for t, v := range xs {
						d[t] = fmax32(d[t], v)
					}
					continue
				}
				xs := x[p : p+(n-1)*sw+1]
				for t := range d {
					d[t] = fmax32(d[t], xs[t*sw])
				}
			}
		}
	}
}

// poolMaxGo is the pure-Go PoolMaxKernel: poolMaxRow on each row.
func poolMaxGo(dst, x []float32, n, rows, dstRow, xRow, kh, kw, tapRow, sw, dw int) {
	k, dl := Dims3{1, kh, kw}, Dims3{1, 1, dw}
	for r := 0; r < rows; r++ {
		poolMaxRow(dst[r*dstRow:r*dstRow+n], x, r*xRow, k, dl, sw, 0, tapRow)
	}
}

// poolOne computes output (od, oh, ow) of one plane from the taps of its
// window that fall inside the input.
func poolOne(g *PoolGeom, x []float32, od, oh, ow int) float32 {
	in, k, s, dl, ph, pt := g.In, g.Kernel, g.Stride, g.Dilate, g.PadHead, g.PadTail
	hw := in.H * in.W
	sd, sh, sw := od*s.D-ph.D, oh*s.H-ph.H, ow*s.W-ph.W
	d0, d1 := tapRange(sd, k.D, dl.D, in.D)
	h0, h1 := tapRange(sh, k.H, dl.H, in.H)
	w0, w1 := tapRange(sw, k.W, dl.W, in.W)
	if g.Kind == PoolMax {
		m := negInf32
		for jd := d0; jd < d1; jd++ {
			for jh := h0; jh < h1; jh++ {
				row := x[(sd+jd*dl.D)*hw+(sh+jh*dl.H)*in.W:]
				for jw := w0; jw < w1; jw++ {
					m = fmax32(m, row[sw+jw*dl.W])
				}
			}
		}
		return m
	}
	sum := 0.0
	for jd := d0; jd < d1; jd++ {
		for jh := h0; jh < h1; jh++ {
			row := x[(sd+jd*dl.D)*hw+(sh+jh*dl.H)*in.W:]
			for jw := w0; jw < w1; jw++ {
				sum += float64(row[sw+jw*dl.W])
			}
		}
	}
	var cnt int
	if g.CountIncludePad {
		pd0, pd1 := tapRange(sd+ph.D, k.D, dl.D, in.D+ph.D+pt.D)
		ph0, ph1 := tapRange(sh+ph.H, k.H, dl.H, in.H+ph.H+pt.H)
		pw0, pw1 := tapRange(sw+ph.W, k.W, dl.W, in.W+ph.W+pt.W)
		cnt = (pd1 - pd0) * (ph1 - ph0) * (pw1 - pw0)
	} else {
		cnt = (d1 - d0) * (h1 - h0) * (w1 - w0)
	}
	return float32(sum / float64(cnt))
}

// GlobalPool reduces each of the n*c channels of x ([n, c, spatial]) to one
// value of dst ([n, c]): their maximum (Go's max: NaN propagates) for PoolMax, their
// mean (summed in float64) for PoolAvg. It panics if a buffer is too short.
func GlobalPool(kind PoolKind, dst, x []float32, n, c, spatial int) {
	planes := n * c
	if len(x) < planes*spatial || len(dst) < planes || spatial < 1 {
		panic(fmt.Sprintf("ops.GlobalPool: buffers of %d and %d values for %d channels of %d",
			len(x), len(dst), planes, spatial))
	}
	if kind == PoolAvg {
		k := installed.GlobalAvg
		if k == nil {
			k = globalAvgGo
		}
		k(dst[:planes], x[:planes*spatial], planes, spatial)
		return
	}
	for p := 0; p < planes; p++ {
		plane := x[p*spatial : (p+1)*spatial]
		m := plane[0]
		for _, v := range plane[1:] {
			m = fmax32(m, v)
		}
		dst[p] = m
	}
}

// globalAvgGo is the pure-Go GlobalAvgKernel. Each plane's float64 sum runs
// in order; four planes are summed side by side so that their additions do
// not wait on one another.
func globalAvgGo(dst, x []float32, planes, spatial int) {
	div := float64(spatial)
	p := 0
	for ; p+4 <= planes; p += 4 {
		x0 := x[p*spatial : (p+1)*spatial]
		x1 := x[(p+1)*spatial : (p+2)*spatial]
		x2 := x[(p+2)*spatial : (p+3)*spatial]
		x3 := x[(p+3)*spatial : (p+4)*spatial]
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		var s0, s1, s2, s3 float64
		for i, v := range x0 {
			s0 += float64(v)
			s1 += float64(x1[i])
			s2 += float64(x2[i])
			s3 += float64(x3[i])
		}
		dst[p] = float32(s0 / div)
		dst[p+1] = float32(s1 / div)
		dst[p+2] = float32(s2 / div)
		dst[p+3] = float32(s3 / div)
	}
	for ; p < planes; p++ {
		sum := 0.0
		for _, v := range x[p*spatial : (p+1)*spatial] {
			sum += float64(v)
		}
		dst[p] = float32(sum / div)
	}
}

// GlobalPoolFLOPs returns the FLOP count of GlobalPool: one comparison or add
// per input element.
func GlobalPoolFLOPs(n, c, spatial int) int64 {
	return int64(n) * int64(c) * int64(spatial)
}

var negInf32 = float32(math.Inf(-1))

// fmax32 returns max(m, v) with the semantics of Go's builtin max (a NaN
// wins, +0 is above -0) using comparisons only: Go's wasm backend lowers the
// builtin on floats to a runtime call, which made max pooling 30 times slower
// there than natively. It picks between bit patterns with integer selects
// (which Go compiles to conditional moves or wasm selects, unlike float
// ones), since whether v > m is as unpredictable as the data.
func fmax32(m, v float32) float32 {
	mb, vb := math.Float32bits(m), math.Float32bits(v)
	r := mb
	if v > m {
		r = vb
	}
	if v != v {
		r = vb
	}
	// m is -0 and v is ±0.
	if (mb^0x80000000)|(vb&0x7fffffff) == 0 {
		r = vb
	}
	return math.Float32frombits(r)
}
