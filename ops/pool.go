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

// poolPlane pools one [D, H, W] plane.
func poolPlane(g *PoolGeom, dst, x []float32) {
	in, k, s, dl, ph, pt := g.In, g.Kernel, g.Stride, g.Dilate, g.PadHead, g.PadTail
	isMax := g.Kind == PoolMax
	hw := in.H * in.W
	oi := 0
	for od := 0; od < g.Out.D; od++ {
		sd := od*s.D - ph.D
		d0, d1 := tapRange(sd, k.D, dl.D, in.D)
		pd0, pd1 := tapRange(sd+ph.D, k.D, dl.D, in.D+ph.D+pt.D)
		for oh := 0; oh < g.Out.H; oh++ {
			sh := oh*s.H - ph.H
			h0, h1 := tapRange(sh, k.H, dl.H, in.H)
			ph0, ph1 := tapRange(sh+ph.H, k.H, dl.H, in.H+ph.H+pt.H)
			for ow := 0; ow < g.Out.W; ow++ {
				sw := ow*s.W - ph.W
				w0, w1 := tapRange(sw, k.W, dl.W, in.W)
				if isMax {
					m := negInf32
					for jd := d0; jd < d1; jd++ {
						for jh := h0; jh < h1; jh++ {
							row := x[(sd+jd*dl.D)*hw+(sh+jh*dl.H)*in.W:]
							if dl.W == 1 {
								// One slice per window row: no index arithmetic
								// or bounds check per tap (it matters in wasm).
								for _, v := range row[sw+w0 : sw+w1] {
									m = fmax32(m, v)
								}
								continue
							}
							for jw := w0; jw < w1; jw++ {
								m = fmax32(m, row[sw+jw*dl.W])
							}
						}
					}
					dst[oi] = m
				} else {
					sum := 0.0
					for jd := d0; jd < d1; jd++ {
						for jh := h0; jh < h1; jh++ {
							row := x[(sd+jd*dl.D)*hw+(sh+jh*dl.H)*in.W:]
							if dl.W == 1 {
								for _, v := range row[sw+w0 : sw+w1] {
									sum += float64(v)
								}
								continue
							}
							for jw := w0; jw < w1; jw++ {
								sum += float64(row[sw+jw*dl.W])
							}
						}
					}
					var cnt int
					if g.CountIncludePad {
						pw0, pw1 := tapRange(sw+ph.W, k.W, dl.W, in.W+ph.W+pt.W)
						cnt = (pd1 - pd0) * (ph1 - ph0) * (pw1 - pw0)
					} else {
						cnt = (d1 - d0) * (h1 - h0) * (w1 - w0)
					}
					dst[oi] = float32(sum / float64(cnt))
				}
				oi++
			}
		}
	}
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
	for p := 0; p < planes; p++ {
		plane := x[p*spatial : (p+1)*spatial]
		if kind == PoolMax {
			m := plane[0]
			for _, v := range plane[1:] {
				m = fmax32(m, v)
			}
			dst[p] = m
			continue
		}
		sum := 0.0
		for _, v := range plane {
			sum += float64(v)
		}
		dst[p] = float32(sum / float64(spatial))
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
// there than natively.
func fmax32(m, v float32) float32 {
	if v > m || v != v {
		return v
	}
	if v == 0 && m == 0 && math.Float32bits(m) != 0 {
		return v
	}
	return m
}
