package ops

import "math"

// Winograd minimal filtering F(m×m, 3×3) for 3x3 stride-1 convolutions, and
// the tiled transform-GEMM engine it shares with the FFT convolution.
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

// xformGemm is the engine shared by the Winograd and FFT convolutions: the
// output is cut into tiles (over all images of the batch); a block of tiles
// is transformed into npos matrices V_p of k rows (input channels, or their
// real and imaginary parts) by tb columns (tiles); for each position p the
// product Y_p = A_p·V_p with the pre-transformed weights A_p (rows × k) is
// computed; the inverse transform turns Y into output tiles.
//
// Work units are (tile block, row block) pairs in tile-block-major order; a
// goroutine keeps the V of its last tile block, so consecutive row blocks of
// one tile block transform the input once. Every output is computed by one
// unit with the same operations whatever the split, so results do not depend
// on the thread count.
type xformGemm struct {
	npos       int                // transform positions, one GEMM each
	rows, k    int                // GEMM rows and depth
	mp         int                // rows rounded up to gemmMR
	alen       int                // packedALen(rows, k)
	a          []float32          // npos packed A operands (packA layout), alen apart
	tiles      int                // tiles over the whole batch
	tb, rb     int                // tiles per block (multiple of gemmNR), rows per row block (multiple of gemmMR)
	nblk, nrb  int                // tile blocks, row blocks
	vLen, yLen int                // V and Y scratch per goroutine
	extra      int                // transform scratch per goroutine
	slot       int                // vLen + yLen + extra
	in4        Winograd4InKernel  // transform kernels (2D F(4x4, 3x3) only), set at setup
	out4       Winograd4OutKernel // (nil: the pure-Go transforms)
	stage      int                // zero-padded input copy in the workspace (with in4), after the slots
}

// xformSlotBudget bounds the V and Y scratch of one goroutine (float32
// values): 2 MB, so the workspace stays under 16 MB at MaxThreads.
const xformSlotBudget = 512 << 10

// xformMaxTB bounds the tiles per block.
const xformMaxTB = 64

// init sizes the blocks for npos positions, rows × k GEMMs and tiles tiles,
// with extra transform scratch per goroutine, and allocates the zeroed
// packed A operands.
func (e *xformGemm) init(npos, rows, k, tiles, extra int) {
	e.extra = extra
	e.size(npos, rows, k, tiles)
	e.a = make([]float32, npos*e.alen)
}

// size sets every field of init except a, with e.extra already set.
func (e *xformGemm) size(npos, rows, k, tiles int) {
	e.npos, e.rows, e.k, e.tiles = npos, rows, k, tiles
	e.mp = roundUp(rows, gemmMR)
	e.alen = packedALen(rows, k)
	e.rb = min(e.mp, gemmMC)
	e.nrb = ceilDiv(e.mp, e.rb)
	tbMax := xformSlotBudget / (npos * (k + e.rb)) / gemmNR * gemmNR
	e.blocks(min(max(tbMax, gemmNR), xformMaxTB))
}

// blocks sets the tile blocks for at most tbMax (a multiple of gemmNR)
// tiles per block, spreading the tiles evenly over the blocks, and the
// scratch sizes.
func (e *xformGemm) blocks(tbMax int) {
	e.nblk = ceilDiv(e.tiles, tbMax)
	e.tb = roundUp(ceilDiv(e.tiles, e.nblk), gemmNR)
	e.vLen = e.npos * e.k * e.tb
	e.yLen = e.npos * e.rb * e.tb
	e.slot = e.vLen + e.yLen + e.extra
}

// units returns the number of work units.
func (e *xformGemm) units() int { return e.nblk * e.nrb }

// wsLen returns the workspace of a Forward: one slot per goroutine.
func (e *xformGemm) wsLen() int { return e.slotsLen() + e.stage }

// slotsLen returns the part of the workspace taken by the slots.
func (e *xformGemm) slotsLen() int { return min(MaxThreads, e.units()) * e.slot }

// aOff returns the offset of element (i, kk) of one A operand in the packA
// layout.
func (e *xformGemm) aOff(i, kk int) int {
	k0 := kk / gemmKC * gemmKC
	kcb := min(gemmKC, e.k-k0)
	return k0*e.mp + i/gemmMR*gemmMR*kcb + (kk-k0)*gemmMR + i%gemmMR
}

// vOff returns the offset of element (kk, t) of one V_p in its packed
// layout: the packB layout of a k × tb matrix (K blocks of gemmKC rows,
// each a sequence of kcb × gemmNR panels).
func (e *xformGemm) vOff(kk, t int) int {
	k0 := kk / gemmKC * gemmKC
	kcb := min(gemmKC, e.k-k0)
	return k0*e.tb + t/gemmNR*gemmNR*kcb + (kk-k0)*gemmNR + t%gemmNR
}

// forwardXform runs the Winograd or FFT convolution.
func (c *Conv) forwardXform(dst, x, ws []float32, threads int) {
	if e := &c.xf; e.stage > 0 {
		xp := ws[e.slotsLen() : e.slotsLen()+e.stage]
		c.winoStage(xp, x)
		x = xp
	}
	units := c.xf.units()
	if threads <= 1 || units == 1 {
		c.xformUnits(dst, x, ws, 0, 0, units)
		return
	}
	ParallelFor(units, threads, func(part, lo, hi int) { c.xformUnits(dst, x, ws, part, lo, hi) })
}

// xformUnits computes work units [lo, hi) with scratch slot part.
func (c *Conv) xformUnits(dst, x, ws []float32, part, lo, hi int) {
	e := &c.xf
	slot := ws[part*e.slot : (part+1)*e.slot]
	v := slot[:e.vLen]
	y := slot[e.vLen : e.vLen+e.yLen]
	extra := slot[e.vLen+e.yLen:]
	cur := -1
	vp, yp := e.k*e.tb, e.rb*e.tb
	for u := lo; u < hi; u++ {
		blk, rbk := u/e.nrb, u%e.nrb
		t0 := blk * e.tb
		nt := min(e.tb, e.tiles-t0)
		if blk != cur {
			switch {
			case c.algo == AlgoFFT:
				c.fftIn(v, x, t0, nt, extra)
			case c.wino4Fast(extra):
				c.winoIn4Fast(v, x, t0, nt, extra)
			default:
				c.winoIn(v, x, t0, nt)
			}
			cur = blk
		}
		r0 := rbk * e.rb
		r1 := min(r0+e.rb, e.mp)
		for p := 0; p < e.npos; p++ {
			xformGemmPos(e.a[p*e.alen:(p+1)*e.alen], e.mp, e.k, r0, r1, v[p*vp:(p+1)*vp], e.tb, nt, y[p*yp:(p+1)*yp])
		}
		switch {
		case c.algo == AlgoFFT:
			c.fftOut(dst, y, t0, nt, r0, min(r1, e.rows), extra)
		case c.wino4Fast(extra):
			c.winoOut4Fast(dst, y, t0, nt, r0, min(r1, e.rows), extra)
		default:
			c.winoOut(dst, y, t0, nt, r0, min(r1, e.rows))
		}
	}
}

// xformGemmPos computes rows [r0, r1) (r0 even, r1 <= mp) of Y = A·V for the
// first nt columns (rounded up to gemmNR), where ap is A packed by packA (mp
// rows padded, k columns) and v is V packed as described at vOff. Y is
// row-major with row length tb, its row 0 being A's row r0. Each sum runs
// over k in increasing order from 0.
func xformGemmPos(ap []float32, mp, k, r0, r1 int, v []float32, tb, nt int, y []float32) {
	ntp := roundUp(nt, gemmNR)
	for k0 := 0; k0 < k; k0 += gemmKC {
		kcb := min(gemmKC, k-k0)
		ablk := ap[k0*mp : k0*mp+mp*kcb]
		vblk := v[k0*tb : k0*tb+kcb*tb]
		if gemmKernel := installed.Gemm; gemmKernel != nil {
			gemmKernel(ablk[r0*kcb:r1*kcb], vblk[:ntp*kcb], y[:(r1-r0-1)*tb+ntp], kcb, r1-r0, ntp, tb, k0 > 0, nil)
			continue
		}
		for jj := 0; jj < ntp; jj += gemmNR {
			bp := vblk[jj*kcb : (jj+gemmNR)*kcb]
			for i := r0; i < r1; i += gemmMR {
				o := (i-r0)*tb + jj
				y0 := (*[gemmNR]float32)(y[o : o+gemmNR])
				y1 := (*[gemmNR]float32)(y[o+tb : o+tb+gemmNR])
				var t [gemmMR * gemmNR]float32
				if k0 > 0 {
					t[0], t[1], t[2], t[3] = y0[0], y0[1], y0[2], y0[3]
					t[4], t[5], t[6], t[7] = y1[0], y1[1], y1[2], y1[3]
				}
				kern2x4(ablk[i*kcb:(i+gemmMR)*kcb], bp, &t)
				y0[0], y0[1], y0[2], y0[3] = t[0], t[1], t[2], t[3]
				y1[0], y1[1], y1[2], y1[3] = t[4], t[5], t[6], t[7]
			}
		}
	}
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

// The G matrices of F(2,3) and F(4,3) (rows padded to 6).
var (
	winoG2 = [6][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	winoG4 = [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
)

// winoS2 and winoS4 are the divisors s of G = diag(1/s) H for F(2,3) and
// F(4,3), H being the integer matrices of winoH2 and winoH4.
var (
	winoS2 = [6]float64{1, 2, 2, 1, 1, 1}
	winoS4 = [6]float64{4, 6, 6, 24, 24, 1}
)

// winoSetupChunk is the number of input channels winogradSetup transforms
// per batch.
const winoSetupChunk = 64

// winoH2 sets o to H·(a, b, c) for F(2,3): rows (1 0 0), (1 1 1),
// (1 -1 1), (0 0 1).
func winoH2(o *[6]float64, a, b, c float64) {
	s := a + c
	o[0], o[1], o[2], o[3] = a, s+b, s-b, c
}

// winoH4 sets o to H·(a, b, c) for F(4,3): rows (1 0 0), (-1 -1 -1),
// (-1 1 -1), (1 2 4), (1 -2 4), (0 0 1).
func winoH4(o *[6]float64, a, b, c float64) {
	s := a + c
	t := a + float64(4*c)
	b2 := float64(2 * b)
	o[0], o[1], o[2], o[3], o[4], o[5] = a, -(s + b), b-s, t+b2, t-b2, c
}

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

// winograd4InGo is the pure-Go Winograd4InKernel: wino4In2D on each tile's
// patch.
func winograd4InGo(src [4][]float32, row, ch [4]int, v []float32, n, stride int) {
	var d, o [36]float32
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			s := src[l][g*ch[l]:]
			for r := 0; r < 6; r++ {
				copy(d[r*6:r*6+6], s[r*row[l]:r*row[l]+6])
			}
			wino4In2D(&o, &d)
			for p, y := range o {
				v[p*stride+g*4+l] = y
			}
		}
	}
}

// winograd4OutGo is the pure-Go Winograd4OutKernel: wino4Out2D on each
// tile's products, then the bias and clip32.
func winograd4OutGo(y []float32, stride, ldy int, dst [4][]float32, row, ch [4]int, n int, bias []float32, clip bool, lo, hi float32) {
	var m, o [36]float32
	for g := 0; g < n; g++ {
		for l := 0; l < 4; l++ {
			for p := range m {
				m[p] = y[p*stride+g*ldy+l]
			}
			wino4Out2D(&o, &m)
			d := dst[l][g*ch[l]:]
			for r := 0; r < 4; r++ {
				seg := d[r*row[l] : r*row[l]+4]
				for c := range seg {
					v := o[r*4+c]
					if bias != nil {
						v += bias[g]
					}
					if clip {
						v = clip32(v, lo, hi)
					}
					seg[c] = v
				}
			}
		}
	}
}

// wino2In returns Bᵀx for F(2,3).
func wino2In(x0, x1, x2, x3 float32) (y0, y1, y2, y3 float32) {
	return x0 - x2, x1 + x2, x2 - x1, x3 - x1
}

// wino2Out returns Aᵀm for F(2,3).
func wino2Out(m0, m1, m2, m3 float32) (o0, o1 float32) {
	return m0 + m1 + m2, m1 - m2 + m3
}

// Winograd4In returns Bᵀx for F(4,3): the input transform that the
// winograd4 algorithm applies along each axis of a 6x6 patch. It is exported
// so that the SIMD kernels' pure-Go twins (wasm/simd) compute exactly what
// this package does.
func Winograd4In(x0, x1, x2, x3, x4, x5 float32) (y0, y1, y2, y3, y4, y5 float32) {
	a := x4 - float32(4*x2)
	b := x3 - float32(4*x1)
	c := x4 - x2
	d := float32(2 * (x3 - x1))
	y0 = x4 + float32(4*x0) - float32(5*x2)
	y5 = x5 + float32(4*x1) - float32(5*x3)
	return y0, a + b, a - b, c + d, c - d, y5
}

// Winograd4Out returns Aᵀm for F(4,3): the output transform of the
// winograd4 algorithm along one axis (see Winograd4In).
func Winograd4Out(m0, m1, m2, m3, m4, m5 float32) (o0, o1, o2, o3 float32) {
	s12, d12 := m1+m2, m1-m2
	s34, d34 := m3+m4, m3-m4
	o0 = m0 + s12 + s34
	o1 = d12 + float32(2*d34)
	o2 = s12 + float32(4*s34)
	o3 = d12 + float32(8*d34) + m5
	return
}

// wino2In2D computes o = Bᵀ d B for a 4×4 patch d (row-major, rows 4 apart).
func wino2In2D(o, d *[36]float32) {
	var t [16]float32
	for j := 0; j < 4; j++ {
		t[j], t[4+j], t[8+j], t[12+j] = wino2In(d[j], d[4+j], d[8+j], d[12+j])
	}
	for i := 0; i < 4; i++ {
		o[4*i], o[4*i+1], o[4*i+2], o[4*i+3] = wino2In(t[4*i], t[4*i+1], t[4*i+2], t[4*i+3])
	}
}

// wino2Out2D computes the 2×2 tile o = Aᵀ m A (rows 2 apart) of a 4×4 m.
func wino2Out2D(o, m *[36]float32) {
	var t [8]float32
	for j := 0; j < 4; j++ {
		t[j], t[4+j] = wino2Out(m[j], m[4+j], m[8+j], m[12+j])
	}
	for i := 0; i < 2; i++ {
		o[2*i], o[2*i+1] = wino2Out(t[4*i], t[4*i+1], t[4*i+2], t[4*i+3])
	}
}

// wino4In2D computes o = Bᵀ d B for a 6×6 patch d (rows 6 apart).
func wino4In2D(o, d *[36]float32) {
	var t [36]float32
	for j := 0; j < 6; j++ {
		t[j], t[6+j], t[12+j], t[18+j], t[24+j], t[30+j] = Winograd4In(d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j])
	}
	for i := 0; i < 6; i++ {
		r := t[6*i : 6*i+6 : 6*i+6]
		o[6*i], o[6*i+1], o[6*i+2], o[6*i+3], o[6*i+4], o[6*i+5] = Winograd4In(r[0], r[1], r[2], r[3], r[4], r[5])
	}
}

// wino4Out2D computes the 4×4 tile o = Aᵀ m A (rows 4 apart) of a 6×6 m.
func wino4Out2D(o, m *[36]float32) {
	var t [24]float32
	for j := 0; j < 6; j++ {
		t[j], t[6+j], t[12+j], t[18+j] = Winograd4Out(m[j], m[6+j], m[12+j], m[18+j], m[24+j], m[30+j])
	}
	for i := 0; i < 4; i++ {
		r := t[6*i : 6*i+6 : 6*i+6]
		o[4*i], o[4*i+1], o[4*i+2], o[4*i+3] = Winograd4Out(r[0], r[1], r[2], r[3], r[4], r[5])
	}
}
