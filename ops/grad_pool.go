package ops

import (
	"fmt"
	"math"
)

// PoolBackward computes dx = ∂L/∂x of Pool over geometry g given dy = ∂L/∂y
// (prod(g.OutShape()) values); dx (g.N*g.C*prod(g.In) values) is
// overwritten. x, the forward input, is read only by max pooling (it may be
// nil for average pooling).
//
// Max pooling routes each dy to the arg-max of its window: the element whose
// value Pool returns, scanning the in-bounds taps in (depth, height, width)
// order. On ties the first tap in that order wins, except that, as Go's max
// in the forward pass, +0 wins over an earlier -0 and the first NaN wins over
// any number. Padded positions never win. Overlapping windows add up.
//
// Average pooling adds dy/count (computed in float64, rounded once) to every
// in-bounds tap of the window, with count as Pool divides: the in-bounds
// taps, or with g.CountIncludePad the taps inside the padded input (taps
// beyond the explicit padding, added by ceil mode, are not counted).
//
// Windows are visited in output order, so the result does not depend on
// anything but the inputs. dx must not overlap x or dy; short buffers panic.
func PoolBackward(g PoolGeom, x, dy, dx []float32) {
	inPlane, outPlane := g.In.prod(), g.Out.prod()
	planes := g.N * g.C
	isMax := g.Kind == PoolMax
	if len(dy) < planes*outPlane || len(dx) < planes*inPlane || isMax && len(x) < planes*inPlane {
		panic(fmt.Sprintf("ops.PoolBackward: buffers x %d, dy %d, dx %d; need %d, %d and %d",
			len(x), len(dy), len(dx), planes*inPlane, planes*outPlane, planes*inPlane))
	}
	clear(dx[:planes*inPlane])
	for p := 0; p < planes; p++ {
		var xp []float32
		if isMax {
			xp = x[p*inPlane : (p+1)*inPlane]
		}
		gradPoolPlane(&g, xp, dy[p*outPlane:(p+1)*outPlane], dx[p*inPlane:(p+1)*inPlane])
	}
}

// gradMaxWins reports whether v replaces the running maximum m in Go's
// max(m, v): v is larger, v is NaN and m is not, or v is +0 and m is -0.
func gradMaxWins(v, m float32) bool {
	if v > m {
		return true
	}
	if v != v {
		return m == m
	}
	return v == 0 && m == 0 && math.Float32bits(m) != 0 && math.Float32bits(v) == 0
}

// gradPoolPlane adds the gradient of one [D, H, W] plane.
func gradPoolPlane(g *PoolGeom, x, dy, dx []float32) {
	in, k, s, dl, ph, pt := g.In, g.Kernel, g.Stride, g.Dilate, g.PadHead, g.PadTail
	isMax := g.Kind == PoolMax
	hw := in.H * in.W
	oi := 0
	for od := 0; od < g.Out.D; od++ {
		sd := od*s.D - ph.D
		d0, d1 := gradTapRange(sd, k.D, dl.D, in.D)
		pd0, pd1 := gradTapRange(sd+ph.D, k.D, dl.D, in.D+ph.D+pt.D)
		for oh := 0; oh < g.Out.H; oh++ {
			sh := oh*s.H - ph.H
			h0, h1 := gradTapRange(sh, k.H, dl.H, in.H)
			ph0, ph1 := gradTapRange(sh+ph.H, k.H, dl.H, in.H+ph.H+pt.H)
			for ow := 0; ow < g.Out.W; ow++ {
				sw := ow*s.W - ph.W
				w0, w1 := gradTapRange(sw, k.W, dl.W, in.W)
				d := dy[oi]
				oi++
				if isMax {
					best := -1
					var m float32
					for jd := d0; jd < d1; jd++ {
						for jh := h0; jh < h1; jh++ {
							base := (sd+jd*dl.D)*hw + (sh+jh*dl.H)*in.W + sw
							for jw := w0; jw < w1; jw++ {
								if v := x[base+jw*dl.W]; best < 0 || gradMaxWins(v, m) {
									best, m = base+jw*dl.W, v
								}
							}
						}
					}
					if best >= 0 {
						dx[best] += d
					}
					continue
				}
				var cnt int
				if g.CountIncludePad {
					pw0, pw1 := gradTapRange(sw+ph.W, k.W, dl.W, in.W+ph.W+pt.W)
					cnt = (pd1 - pd0) * (ph1 - ph0) * (pw1 - pw0)
				} else {
					cnt = (d1 - d0) * (h1 - h0) * (w1 - w0)
				}
				if cnt == 0 {
					continue
				}
				share := float32(float64(d) / float64(cnt))
				for jd := d0; jd < d1; jd++ {
					for jh := h0; jh < h1; jh++ {
						base := (sd+jd*dl.D)*hw + (sh+jh*dl.H)*in.W + sw
						for jw := w0; jw < w1; jw++ {
							dx[base+jw*dl.W] += share
						}
					}
				}
			}
		}
	}
}

// GlobalPoolBackward computes dx = ∂L/∂x ([n, c, spatial], overwritten) of
// GlobalPool given dy ([n, c]). For PoolMax each dy goes to its channel's
// arg-max in x, chosen as PoolBackward does (first maximum, with Go's max
// rules for -0/+0 and NaN); for PoolAvg every element receives dy/spatial
// (computed in float64, rounded once). x is read only for PoolMax (it may be
// nil for PoolAvg). Short buffers panic.
func GlobalPoolBackward(kind PoolKind, x, dy, dx []float32, n, c, spatial int) {
	planes := n * c
	if spatial < 1 || len(dy) < planes || len(dx) < planes*spatial || kind == PoolMax && len(x) < planes*spatial {
		panic(fmt.Sprintf("ops.GlobalPoolBackward: buffers x %d, dy %d, dx %d for %d channels of %d",
			len(x), len(dy), len(dx), planes, spatial))
	}
	for p := 0; p < planes; p++ {
		out := dx[p*spatial : (p+1)*spatial]
		if kind == PoolMax {
			plane := x[p*spatial : (p+1)*spatial]
			best, m := 0, plane[0]
			for i, v := range plane[1:] {
				if gradMaxWins(v, m) {
					best, m = i+1, v
				}
			}
			clear(out)
			out[best] = dy[p]
			continue
		}
		share := float32(float64(dy[p]) / float64(spatial))
		for i := range out {
			out[i] = share
		}
	}
}
