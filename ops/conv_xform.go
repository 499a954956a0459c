package ops

// The tiled transform-GEMM engine of the Winograd and FFT convolutions.

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
