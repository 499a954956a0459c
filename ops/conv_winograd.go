package ops

import "math"

// Winograd minimal filtering F(m×m, 3×3) for 3x3 stride-1 convolutions: the
// tiling, the weight setup and the input and output passes. The transforms are
// in conv_winograd_transform.go, and the tiled transform-GEMM engine it shares
// with the FFT convolution in conv_xform.go.
//
// A Winograd convolution splits the output of each image into tiles of m×m
// outputs. Each tile needs an α×α input patch (α = m+2), which is transformed
// into V = Bᵀ d B. The weights of every (output, input) channel pair are
// transformed once into U = G g Gᵀ. For each of the α² transform positions
// (ξ, ν) the products Σ_c U[m,c](ξ,ν)·V[c,tile](ξ,ν) form a GEMM of the M×C
// matrix U(ξ,ν) by the C×tiles matrix V(ξ,ν). The output tile is the inverse
// transform Y = Aᵀ M A of the α×α products. The matrices below come from the
// Toom-Cook construction: Aᵀ is the Vandermonde matrix of the interpolation
// points (plus the point at infinity), G evaluates the kernel polynomial at
// the points divided by Π_{l≠j}(a_j - a_l), and Bᵀ is the unique matrix that
// makes Aᵀ[(G g) ⊙ (Bᵀ d)] equal the 3-tap correlation y_i = Σ_k g_k d_{i+k}
// for every g and d (solved and checked symbolically).
//
// F(2,3), points 0, 1, -1, ∞:
//
//	Bᵀ = [ 1  0 -1  0 ]    G = [  1    0    0  ]    Aᵀ = [ 1  1  1  0 ]
//	     [ 0  1  1  0 ]        [ 1/2  1/2  1/2 ]         [ 0  1 -1  1 ]
//	     [ 0 -1  1  0 ]        [ 1/2 -1/2  1/2 ]
//	     [ 0 -1  0  1 ]        [  0    0    1  ]
//
// F(4,3), points 0, 1, -1, 2, -2, ∞:
//
//	Bᵀ = [ 4  0 -5  0  1  0 ]    G = [  1/4     0     0  ]    Aᵀ = [ 1  1  1  1  1  0 ]
//	     [ 0 -4 -4  1  1  0 ]        [ -1/6  -1/6  -1/6 ]         [ 0  1 -1  2 -2  0 ]
//	     [ 0  4 -4 -1  1  0 ]        [ -1/6   1/6  -1/6 ]         [ 0  1  1  4  4  0 ]
//	     [ 0 -2 -1  2  1  0 ]        [ 1/24  1/12   1/6 ]         [ 0  1 -1  8 -8  1 ]
//	     [ 0  2 -1 -2  1  0 ]        [ 1/24 -1/12   1/6 ]
//	     [ 0  4  0 -5  0  1 ]        [   0     0     1  ]
//
// The 2D transforms apply the 1D ones along H and then along W. A 1D
// convolution (or a 2D one with a 1x3 kernel) uses tiles of 1×m outputs and
// only the W transform. Weights are transformed in float64 and rounded once;
// input and output transforms run in float32. F(4,3) is less accurate than
// F(2,3): its transforms multiply values by up to 5 (Bᵀ) and 8 (Aᵀ) and G
// divides by 6 and 24, so rounding errors grow by roughly an order of
// magnitude (see TestWinogradAccuracy for measured figures).

// Winograd algorithms.
const (
	AlgoWinograd2 ConvAlgo = "winograd2" // Winograd F(2x2,3x3) (F(2,3) in 1D): 3x3 (or 3-tap), stride 1, dilation 1, groups 1
	AlgoWinograd4 ConvAlgo = "winograd4" // Winograd F(4x4,3x3) (F(4,3) in 1D): same conditions as winograd2
)

// wino4Chunk is the number of input channels per Winograd4In kernel call,
// and wino4Scratch the per-goroutine scratch of the Winograd kernels' path: a
// zero patch, or the border output tiles of four tiles of gemmMC channels.
const (
	wino4Chunk   = 64
	wino4Scratch = max(36, gemmMC*64)
)

// winogradApplies reports whether the Winograd algorithms handle g: groups
// 1, rank 1 or 2, stride and dilation 1, and a 3x3 (or 1x3) kernel.
func winogradApplies(g ConvGeom) bool {
	one := Dims3{1, 1, 1}
	return g.G == 1 && g.Rank <= 2 && g.Stride == one && g.Dilate == one &&
		g.Kernel.D == 1 && g.Kernel.W == 3 && (g.Kernel.H == 3 || g.Kernel.H == 1)
}

// winoGeom is the tiling of a Winograd convolution.
type winoGeom struct {
	m      int // 2 or 4: outputs per tile along W (and H in 2D)
	twoD   bool
	mh, ah int // outputs and input rows per tile along H: m and m+2, or 1 and 1
	aw     int // input columns per tile: m+2
	th, tw int // tiles per image along H and W
	hp, wp int // rows and columns of the zero-padded input copy (Winograd kernels path)
}

// winogradSetup transforms the weights (U = G g Gᵀ, in float64) into the
// packed A operands of the α² position GEMMs and sizes the scratch.
func (c *Conv) winogradSetup(w []float32, m int) {
	g := c.g
	wg := winoGeom{m: m, twoD: g.Kernel.H == 3, mh: 1, ah: 1, aw: m + 2}
	if wg.twoD {
		wg.mh, wg.ah = m, m+2
	}
	wg.th, wg.tw = ceilDiv(g.Out.H, wg.mh), ceilDiv(g.Out.W, m)
	c.wino = wg
	npos := wg.ah * wg.aw
	e := &c.xf
	extra := 0
	if m == 4 && wg.twoD && installed.Winograd4In != nil {
		extra = wino4Scratch
		e.in4, e.out4 = installed.Winograd4In, installed.Winograd4Out
	}
	e.init(npos, g.M, g.C, g.N*wg.th*wg.tw, extra)
	if extra > 0 {
		// The kernels read every patch from a zero-padded copy of the
		// input that covers all tiles.
		c.wino.hp, c.wino.wp = wg.th*4+2, wg.tw*4+2
		e.stage = g.N * g.C * c.wino.hp * c.wino.wp
	}
	// G = diag(1/s) H with H integer (winoH2, winoH4): U = (H g Hᵀ) / (s_i s_j),
	// the integer part exact in float64 for all but extreme weights, then one
	// product by the float64 reciprocal and one rounding to float32 per value.
	sc := &winoS2
	if m == 4 {
		sc = &winoS4
	}
	alpha := m + 2
	var inv [36]float64 // 1/(s_i s_j), or 1/s_j in 1D
	for p := 0; p < npos; p++ {
		d := sc[p%wg.aw]
		if wg.twoD {
			d = float64(sc[p/wg.aw] * sc[p%wg.aw])
		}
		inv[p] = 1 / d
	}
	// Transform winoSetupChunk channels of a row panel into tmp (position
	// major, each position's values in packA order), then copy each
	// position's run into its operand.
	kh := g.Kernel.H
	tmp := make([]float32, npos*gemmMR*winoSetupChunk)
	run := gemmMR * winoSetupChunk
	var u [38]float64
	var t [3][6]float64
	for mo0 := 0; mo0 < g.M; mo0 += gemmMR {
		for ci0 := 0; ci0 < g.C; {
			k0 := ci0 / gemmKC * gemmKC
			kcb := min(gemmKC, g.C-k0)
			ncc := min(winoSetupChunk, k0+kcb-ci0)
			if mo0+gemmMR > g.M {
				clear(tmp)
			}
			for r := 0; r < gemmMR && mo0+r < g.M; r++ {
				for cc := 0; cc < ncc; cc++ {
					i0 := ((mo0+r)*g.C + ci0 + cc) * kh * 3
					k := w[i0 : i0+kh*3]
					if wg.twoD {
						// t = H g (α×3) column by column, then u = t Hᵀ row
						// by row (each row written 6 wide, the next one
						// overwriting the padding of F(2,3)'s rows of 4).
						for j := 0; j < 3; j++ {
							if m == 4 {
								winoH4(&t[j], float64(k[j]), float64(k[3+j]), float64(k[6+j]))
							} else {
								winoH2(&t[j], float64(k[j]), float64(k[3+j]), float64(k[6+j]))
							}
						}
						for i := 0; i < alpha; i++ {
							row := (*[6]float64)(u[i*alpha : i*alpha+6])
							if m == 4 {
								winoH4(row, t[0][i], t[1][i], t[2][i])
							} else {
								winoH2(row, t[0][i], t[1][i], t[2][i])
							}
						}
					} else {
						row := (*[6]float64)(u[:6])
						if m == 4 {
							winoH4(row, float64(k[0]), float64(k[1]), float64(k[2]))
						} else {
							winoH2(row, float64(k[0]), float64(k[1]), float64(k[2]))
						}
					}
					q := cc*gemmMR + r
					for p := 0; p < npos; p++ {
						tmp[p*run+q] = float32(u[p] * inv[p])
					}
				}
			}
			base := k0*e.mp + mo0*kcb + (ci0-k0)*gemmMR
			for p := 0; p < npos; p++ {
				copy(e.a[p*e.alen+base:p*e.alen+base+ncc*gemmMR], tmp[p*run:p*run+ncc*gemmMR])
			}
			ci0 += ncc
		}
	}
	c.wsLen = e.wsLen()
}

// winoSetupChunk is the number of input channels winogradSetup transforms
// per batch.
const winoSetupChunk = 64

// winoTile returns the image and the first input row and column (in
// unpadded coordinates) of tile t.
func (c *Conv) winoTile(t int) (n, iy0, ix0 int) {
	wg := &c.wino
	per := wg.th * wg.tw
	n, t = t/per, t%per
	return n, t/wg.tw*wg.mh - c.g.PadHead.H, t%wg.tw*wg.m - c.g.PadHead.W
}

// wino4Fast reports whether the Winograd convolution runs its transforms
// with the Winograd kernels installed at its creation (with the scratch
// set up for them).
func (c *Conv) wino4Fast(extra []float32) bool {
	return c.algo != AlgoFFT && c.xf.in4 != nil && len(extra) >= wino4Scratch
}

// winoStage copies x into xp, the zero-padded input of the Winograd kernels'
// path: wino.hp × wino.wp planes holding the input at (PadHead.H,
// PadHead.W), zero around it, so that every tile's patch lies inside.
func (c *Conv) winoStage(xp, x []float32) {
	g := &c.g
	hp, wp := c.wino.hp, c.wino.wp
	inW, inH := g.In.W, g.In.H
	ph, pw := g.PadHead.H, g.PadHead.W
	rows, cols := min(inH, hp-ph), min(inW, wp-pw)
	for pl := 0; pl < g.N*g.C; pl++ {
		dp := xp[pl*hp*wp : (pl+1)*hp*wp]
		xc := x[pl*inH*inW : (pl+1)*inH*inW]
		clear(dp[:ph*wp])
		for r := 0; r < rows; r++ {
			dr := dp[(ph+r)*wp : (ph+r+1)*wp]
			clear(dr[:pw])
			copy(dr[pw:pw+cols], xc[r*inW:r*inW+cols])
			clear(dr[pw+cols:])
		}
		clear(dp[(ph+rows)*wp:])
	}
}

// winoIn4Fast is winoIn for 2D F(4x4, 3x3) with a Winograd4InKernel, four
// tiles and up to wino4Chunk channels of one K block per call: it reads
// the patches from xp, the zero-padded input copy (winoStage); tiles past
// nt read a zero patch in d.
func (c *Conv) winoIn4Fast(v, xp []float32, t0, nt int, d []float32) {
	g := &c.g
	e := &c.xf
	wg := &c.wino
	plane := wg.hp * wg.wp
	per := wg.th * wg.tw
	vp := e.k * e.tb
	zero := d[:36]
	clear(zero)
	for tt0 := 0; tt0 < nt; tt0 += gemmNR {
		var base [4]int
		lanes := min(4, nt-tt0)
		for l := 0; l < lanes; l++ {
			n, t := (t0+tt0+l)/per, (t0+tt0+l)%per
			base[l] = n*g.C*plane + t/wg.tw*4*wg.wp + t%wg.tw*4
		}
		for ci0 := 0; ci0 < g.C; {
			nc := min(wino4Chunk, g.C-ci0, (ci0/gemmKC+1)*gemmKC-ci0)
			var src [4][]float32
			var row, ch [4]int
			for l := 0; l < 4; l++ {
				if l >= lanes {
					src[l] = zero
					continue
				}
				src[l] = xp[base[l]+ci0*plane:]
				row[l], ch[l] = wg.wp, plane
			}
			off := e.vOff(ci0, tt0)
			e.in4(src, row, ch, v[off:off+35*vp+nc*4], nc, vp)
			ci0 += nc
		}
	}
}

// winoOut4Fast is winoOut for 2D F(4x4, 3x3) with a Winograd4OutKernel,
// which inverse-transforms four tiles of all rows [r0, r1), adds the bias
// and applies ReLU or Clip, writing tiles inside the output straight into
// dst; border tiles go to o and are copied into dst here. Other
// activations are applied afterwards.
func (c *Conv) winoOut4Fast(dst, y []float32, t0, nt, r0, r1 int, o []float32) {
	g := &c.g
	e := &c.xf
	wg := &c.wino
	oplane := g.Out.H * g.Out.W
	outW := g.Out.W
	yp := e.rb * e.tb
	rows := r1 - r0
	var bias []float32
	if c.bias != nil {
		bias = c.bias[r0:r1]
	}
	clip, lo, hi := false, float32(0), float32(0)
	switch {
	case c.act.Kind == ActReLU:
		clip, hi = true, float32(math.Inf(1))
	case c.act.Kind == ActClip && !(c.act.Alpha > c.act.Beta):
		clip, lo, hi = true, c.act.Alpha, c.act.Beta
	}
	after := !clip && c.act.Kind != ActNone
	per := wg.th * wg.tw
	for tt0 := 0; tt0 < nt; tt0 += gemmNR {
		var dsts [4][]float32
		var row, ch, base [4]int
		var full [4]bool
		var oy0, ox0 [4]int
		for l := 0; l < 4; l++ {
			if tt0+l < nt {
				n, t := (t0+tt0+l)/per, (t0+tt0+l)%per
				oy0[l], ox0[l] = t/wg.tw*4, t%wg.tw*4
				base[l] = (n*g.M+r0)*oplane + oy0[l]*outW + ox0[l]
				full[l] = oy0[l]+4 <= g.Out.H && ox0[l]+4 <= outW
			}
			if full[l] {
				dsts[l], row[l], ch[l] = dst[base[l]:], outW, oplane
			} else {
				dsts[l], row[l], ch[l] = o[l*rows*16:(l+1)*rows*16], 4, 16
			}
		}
		e.out4(y[tt0:tt0+35*yp+(rows-1)*e.tb+4], yp, e.tb, dsts, row, ch, rows, bias, clip, lo, hi)
		for l := 0; l < 4 && tt0+l < nt; l++ {
			if full[l] && !after {
				continue
			}
			nr, cols := min(4, g.Out.H-oy0[l]), min(4, outW-ox0[l])
			for mo := 0; mo < rows; mo++ {
				out := dst[base[l]+mo*oplane:]
				for r := 0; r < nr; r++ {
					seg := out[r*outW : r*outW+cols]
					if !full[l] {
						src := o[l*rows*16+mo*16+r*4 : l*rows*16+mo*16+r*4+cols]
						for j, v := range src {
							seg[j] = v
						}
					}
					if after {
						c.act.Apply(seg)
					}
				}
			}
		}
	}
}

// winoIn transforms the input patches of tiles [t0, t0+nt) into V (all
// channels and positions) and zeroes the padding columns up to the next
// multiple of gemmNR.
func (c *Conv) winoIn(v, x []float32, t0, nt int) {
	g := &c.g
	e := &c.xf
	wg := &c.wino
	plane := g.In.H * g.In.W
	vp := e.k * e.tb
	npos := e.npos
	var d, o [36]float32
	for tt := nt; tt < roundUp(nt, gemmNR); tt++ {
		for ci := 0; ci < g.C; ci++ {
			off := e.vOff(ci, tt)
			for p := 0; p < npos; p++ {
				v[p*vp+off] = 0
			}
		}
	}
	for tt := 0; tt < nt; tt++ {
		n, iy0, ix0 := c.winoTile(t0 + tt)
		inside := iy0 >= 0 && ix0 >= 0 && iy0+wg.ah <= g.In.H && ix0+wg.aw <= g.In.W
		for ci := 0; ci < g.C; ci++ {
			xc := x[(n*g.C+ci)*plane : (n*g.C+ci+1)*plane]
			// Gather the ah×aw patch, zero outside the input.
			for r := 0; r < wg.ah; r++ {
				dr := d[r*wg.aw : (r+1)*wg.aw]
				iy := iy0 + r
				if inside {
					copy(dr, xc[iy*g.In.W+ix0:])
					continue
				}
				if iy < 0 || iy >= g.In.H {
					clear(dr)
					continue
				}
				row := xc[iy*g.In.W : (iy+1)*g.In.W]
				for j := range dr {
					if ix := ix0 + j; ix >= 0 && ix < g.In.W {
						dr[j] = row[ix]
					} else {
						dr[j] = 0
					}
				}
			}
			switch {
			case wg.m == 2 && wg.twoD:
				wino2In2D(&o, &d)
			case wg.m == 2:
				o[0], o[1], o[2], o[3] = wino2In(d[0], d[1], d[2], d[3])
			case wg.twoD:
				wino4In2D(&o, &d)
			default:
				o[0], o[1], o[2], o[3], o[4], o[5] = Winograd4In(d[0], d[1], d[2], d[3], d[4], d[5])
			}
			off := e.vOff(ci, tt)
			for p := 0; p < npos; p++ {
				v[p*vp+off] = o[p]
			}
		}
	}
}

// winoOut inverse-transforms Y (rows [r0, r1) = output channels) of tiles
// [t0, t0+nt) into dst, adding the bias and applying the activation, and
// drops the parts of edge tiles outside the output.
func (c *Conv) winoOut(dst, y []float32, t0, nt, r0, r1 int) {
	g := &c.g
	e := &c.xf
	wg := &c.wino
	oplane := g.Out.H * g.Out.W
	yp := e.rb * e.tb
	npos := e.npos
	var mv, o [36]float32
	for mo := r0; mo < r1; mo++ {
		var b float32
		if c.bias != nil {
			b = c.bias[mo]
		}
		yr := y[(mo-r0)*e.tb:]
		for tt := 0; tt < nt; tt++ {
			for p := 0; p < npos; p++ {
				mv[p] = yr[p*yp+tt]
			}
			switch {
			case wg.m == 2 && wg.twoD:
				wino2Out2D(&o, &mv)
			case wg.m == 2:
				o[0], o[1] = wino2Out(mv[0], mv[1], mv[2], mv[3])
			case wg.twoD:
				wino4Out2D(&o, &mv)
			default:
				o[0], o[1], o[2], o[3] = Winograd4Out(mv[0], mv[1], mv[2], mv[3], mv[4], mv[5])
			}
			n, t := (t0+tt)/(wg.th*wg.tw), (t0+tt)%(wg.th*wg.tw)
			oy0, ox0 := t/wg.tw*wg.mh, t%wg.tw*wg.m
			rows, cols := min(wg.mh, g.Out.H-oy0), min(wg.m, g.Out.W-ox0)
			out := dst[(n*g.M+mo)*oplane:]
			for r := 0; r < rows; r++ {
				seg := out[(oy0+r)*g.Out.W+ox0 : (oy0+r)*g.Out.W+ox0+cols]
				src := o[r*wg.m : r*wg.m+cols]
				if c.bias != nil {
					for j := range seg {
						seg[j] = src[j] + b
					}
				} else {
					copy(seg, src)
				}
				c.act.Apply(seg)
			}
		}
	}
}
