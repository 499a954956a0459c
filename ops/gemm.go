package ops

import (
	"fmt"
)

// GEMM blocking. The micro-kernel keeps a 2x4 tile of C in 8 local float32
// variables: with Go's scalar SSE code generation on amd64 (16 XMM
// registers) a larger tile spills accumulators to the stack, and 2x4 with the
// K loop unrolled twice measured fastest. The cache blocks target a 32 KB L1
// and a 1 MB L2 per core:
//
//   - gemmKC: an A micro-panel (2 x 256 floats, 2 KB) and a B micro-panel
//     (256 x 4 floats, 4 KB) are the kernel's working set and stay in L1;
//   - gemmMC: an A block (128 x 256 floats, 128 KB) stays in L2 while the
//     B micro-panels of one N block are swept across it;
//   - gemmNC: a packed B block (256 x 128 floats, 128 KB) stays in L2 too.
const (
	gemmMR = 2
	gemmNR = 4
	gemmKC = 256
	gemmMC = 128
	gemmNC = 128
)

// GemmParams describes C = A·B (or C += A·B) with A of M×K, B of K×N and C
// of M×N, all float32 and row-major with leading dimensions LDA, LDB and LDC
// (0 means tightly packed). TransA means a holds Aᵀ (K×M, element (i, p) at
// a[p*LDA+i]); TransB means b holds Bᵀ (N×K, element (p, j) at b[j*LDB+p]).
type GemmParams struct {
	M, N, K       int
	TransA        bool
	TransB        bool
	LDA, LDB, LDC int
	// Accumulate adds the product to C's existing values instead of
	// overwriting them.
	Accumulate bool
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

func ceilDiv(n, m int) int { return (n + m - 1) / m }

// strides resolves the leading dimensions and returns the element strides
// of A, B and C ((row, column) pairs) and the minimum slice lengths.
func (p GemmParams) strides() (ars, acs, brs, bcs, ldc, alen, blen, clen int) {
	ldc = p.LDC
	if ldc == 0 {
		ldc = p.N
	}
	ars, acs, alen = operandStrides(p.TransA, p.LDA, p.M, p.K)
	brs, bcs, blen = operandStrides(p.TransB, p.LDB, p.K, p.N)
	clen = (p.M-1)*ldc + p.N
	return
}

// operandStrides returns the (row, column) element strides and the minimum
// slice length of a rows x cols operand stored row-major with leading
// dimension ld (0: tightly packed), or transposed (stored cols x rows).
func operandStrides(trans bool, ld, rows, cols int) (rs, cs, length int) {
	if trans {
		if ld == 0 {
			ld = rows
		}
		return 1, ld, (cols-1)*ld + rows
	}
	if ld == 0 {
		ld = cols
	}
	return ld, 1, (rows-1)*ld + cols
}

func (p GemmParams) check() {
	if p.M < 0 || p.N < 0 || p.K < 0 || p.LDA < 0 || p.LDB < 0 || p.LDC < 0 {
		panic(fmt.Sprintf("ops: Gemm: negative size in %+v", p))
	}
	if p.LDC != 0 && p.LDC < p.N ||
		p.LDA != 0 && (p.TransA && p.LDA < p.M || !p.TransA && p.LDA < p.K) ||
		p.LDB != 0 && (p.TransB && p.LDB < p.K || !p.TransB && p.LDB < p.N) {
		panic(fmt.Sprintf("ops: Gemm: leading dimension too small in %+v", p))
	}
}

// applyAct applies act to the rows×cols block of c with row stride ld,
// through the installed Clip or HardAct kernel when there is one for act's
// kind (ReLU, Clip with ordered bounds, HardSigmoid, HardSwish), else with
// Activation.Apply row by row.
func applyAct(c []float32, rows, cols, ld int, act Activation) {
	if act.Kind == ActNone || rows <= 0 || cols <= 0 {
		return
	}
	if act.applyKernel(c, rows, cols, ld) {
		return
	}
	for i := 0; i < rows; i++ {
		act.applyGo(c[i*ld : i*ld+cols])
	}
}

// clipGo is the pure-Go ClipKernel: Clip's Activation.Apply row by row.
func clipGo(c []float32, rows, cols, ldc int, lo, hi float32) {
	act := Activation{Kind: ActClip, Alpha: lo, Beta: hi}
	for r := 0; r < rows; r++ {
		act.applyGo(c[r*ldc : r*ldc+cols])
	}
}

// gemmSlotLen is the per-goroutine scratch of gemmBlock for a product with
// the given K and N: one packed B block (columns rounded up to whole
// panels) and one gemmMC×gemmNR tile for the ragged columns.
func gemmSlotLen(k, n int) int {
	return min(gemmKC, k)*roundUp(min(gemmNC, n), gemmNR) + gemmMC*gemmNR
}

// gemmUnits is the number of (M block, N block) work units of an m×n product.
func gemmUnits(m, n int) int { return ceilDiv(m, gemmMC) * ceilDiv(n, gemmNC) }

// GemmWorkspaceLen returns the float32 scratch Gemm needs for p with any
// thread count (up to MaxThreads goroutines): the packed A matrix plus one
// packed B block per goroutine.
func GemmWorkspaceLen(p GemmParams) int {
	p.check()
	if p.M == 0 || p.N == 0 || p.K == 0 {
		return 0
	}
	return packedALen(p.M, p.K) + min(MaxThreads, gemmUnits(p.M, p.N))*gemmSlotLen(p.K, p.N)
}

// Gemm computes C = A·B, or C += A·B with p.Accumulate, using up to threads
// goroutines (see ParallelFor). ws must hold GemmWorkspaceLen(p) values; its
// contents on entry do not matter. Each element of C is summed in increasing
// order of K, one rounded float32 product and one float32 addition at a time,
// starting from 0 (or from C's value with Accumulate), so the result is
// bit-identical for every thread count and equals the naive triple loop
// written the same way. Short buffers or bad sizes panic. C must not overlap
// A, B or ws.
func Gemm(p GemmParams, a, b, c, ws []float32, threads int) {
	p.check()
	if p.M == 0 || p.N == 0 {
		return
	}
	ars, acs, brs, bcs, ldc, alen, blen, clen := p.strides()
	if len(c) < clen {
		panic(fmt.Sprintf("ops: Gemm: c has %d values, need %d", len(c), clen))
	}
	if p.K == 0 {
		if !p.Accumulate {
			for i := 0; i < p.M; i++ {
				clear(c[i*ldc : i*ldc+p.N])
			}
		}
		return
	}
	if len(a) < alen || len(b) < blen {
		panic(fmt.Sprintf("ops: Gemm: a has %d values, need %d; b has %d, need %d", len(a), alen, len(b), blen))
	}
	if need := GemmWorkspaceLen(p); len(ws) < need {
		panic(fmt.Sprintf("ops: Gemm: workspace has %d values, need %d", len(ws), need))
	}
	pal := packedALen(p.M, p.K)
	ap := ws[:pal]
	packA(ap, a, p.M, p.K, ars, acs)
	slot := gemmSlotLen(p.K, p.N)
	slots := ws[pal:]
	src := bSource{b: b, rs: brs, cs: bcs}
	ep := gemmEpi{acc: p.Accumulate}
	units := gemmUnits(p.M, p.N)
	if threads <= 1 || units == 1 {
		// One thread: each N block is packed once for all M blocks.
		for j0 := 0; j0 < p.N; j0 += gemmNC {
			gemmBlock(ap, p.M, p.K, &src, c, ldc, 1, 0, p.M, j0, min(j0+gemmNC, p.N), slots[:slot], &ep)
		}
		return
	}
	mb := ceilDiv(p.M, gemmMC)
	ParallelFor(units, threads, func(part, lo, hi int) {
		buf := slots[part*slot : (part+1)*slot]
		for u := lo; u < hi; u++ {
			ib, jb := u%mb, u/mb
			i0, j0 := ib*gemmMC, jb*gemmNC
			gemmBlock(ap, p.M, p.K, &src, c, ldc, 1, i0, min(i0+gemmMC, p.M), j0, min(j0+gemmNC, p.N), buf, &ep)
		}
	})
}

// packedALen returns the length of an m×k matrix packed by packA.
func packedALen(m, k int) int { return roundUp(m, gemmMR) * k }

// packA packs the m×k matrix whose element (i, p) is a[i*rs+p*cs] into dst
// for gemmBlock. The layout is a sequence of K blocks of gemmKC columns (the
// last may be shorter); block [k0, k0+kcb) starts at k0*mp (mp = m rounded up
// to gemmMR) and holds mp/gemmMR row panels of kcb*gemmMR values, the panel
// of rows [i, i+gemmMR) at offset i*kcb with element (r, kk) at kk*gemmMR+r.
// Rows past m are zero.
func packA(dst, a []float32, m, k, rs, cs int) {
	mp := roundUp(m, gemmMR)
	for k0 := 0; k0 < k; k0 += gemmKC {
		kcb := min(gemmKC, k-k0)
		blk := dst[k0*mp : k0*mp+mp*kcb]
		for i := 0; i < mp; i++ {
			panel := blk[i/gemmMR*gemmMR*kcb:]
			r := i % gemmMR
			for kk := 0; kk < kcb; kk++ {
				v := float32(0)
				if i < m {
					v = a[i*rs+(k0+kk)*cs]
				}
				panel[kk*gemmMR+r] = v
			}
		}
	}
}

// bSource is the B operand of gemmBlock: a strided matrix (element (p, j) at
// b[p*rs+j*cs]); or, when im is set, the im2col matrix of the input planes b
// of one image and group; or, when pre is set, a matrix packed in advance:
// for each K block [k0, k0+kcb), the packB layout of all its columns
// (preN of them, a multiple of gemmNR) at pre[k0*preN:].
type bSource struct {
	b      []float32
	rs, cs int
	im     *im2colGeom
	pre    []float32
	preN   int
}

// packB packs rows [k0, k0+kcb) and columns [j0, j0+ncb) of src into dst:
// ceil(ncb/gemmNR) panels of gemmNR columns, panel q at q*kcb*gemmNR with
// element (kk, l) at kk*gemmNR+l; the columns of the last panel past ncb
// are zero. dst holds exactly that many values.
func packB(dst []float32, src *bSource, k0, kcb, j0, ncb int) {
	step := kcb * gemmNR
	switch {
	case src.im != nil:
		src.im.pack(dst, src.b, k0, kcb, j0, ncb)
		return
	case src.cs == 1:
		full := ncb / gemmNR
		off := k0*src.rs + j0
		ja := 0
		if k := installed.PackB; k != nil && full > 0 {
			k(dst[:(full-1)*step+kcb*gemmNR], src.b[off:off+(kcb-1)*src.rs+full*gemmNR], kcb, full, src.rs, 1, step)
			ja = full * gemmNR
		}
		if ja < ncb {
			for kk := 0; kk < kcb; kk++ {
				o := off + kk*src.rs
				putRun(dst, src.b[o:o+ncb], ja, 1, ja, ncb, kk, step)
			}
		}
	default:
		for j := 0; j < ncb; j++ {
			col := src.b[(j0+j)*src.cs+k0*src.rs:]
			d := dst[j/gemmNR*step+j%gemmNR:]
			d = d[:(kcb-1)*gemmNR+1]
			for kk := 0; kk < kcb; kk++ {
				d[kk*gemmNR] = col[kk*src.rs]
			}
		}
	}
	padPanel(dst, ncb, kcb)
}

// padPanel zeroes the columns past ncb of the last packed B panel.
func padPanel(dst []float32, ncb, kcb int) {
	if ncb%gemmNR == 0 {
		return
	}
	p := dst[ncb/gemmNR*kcb*gemmNR:]
	p = p[:kcb*gemmNR]
	for l := ncb % gemmNR; l < gemmNR; l++ {
		for kk := l; kk < len(p); kk += gemmNR {
			p[kk] = 0
		}
	}
}

// putRun stores xs[s], xs[s+sw], xs[s+2*sw], ... as the elements of row kk
// and columns [ja, jb) of a packed B block whose panels are step values
// apart. The columns in at least packBMinGroups whole panels go through the
// installed PackB kernel, if any; putRunGo does the rest.
func putRun(dst, xs []float32, s, sw, ja, jb, kk, step int) {
	k := installed.PackB
	j0 := min(roundUp(ja, gemmNR), jb)
	groups := (jb - j0) / gemmNR
	if k == nil || groups < packBMinGroups {
		putRunGo(dst, xs, s, sw, ja, jb, kk, step)
		return
	}
	putRunGo(dst, xs, s, sw, ja, j0, kk, step)
	s0 := s + (j0-ja)*sw
	p := j0/gemmNR*step + kk*gemmNR
	k(dst[p:p+(groups-1)*step+gemmNR], xs[s0:s0+(groups*gemmNR-1)*sw+1], 1, groups, 0, sw, step)
	j1 := j0 + groups*gemmNR
	putRunGo(dst, xs, s0+groups*gemmNR*sw, sw, j1, jb, kk, step)
}

// putRunGo is putRun in pure Go. The columns in whole panels move four at
// a time, with explicit element copies (a [4]float32 assignment becomes a
// memmove call in the wasm build).
func putRunGo(dst, xs []float32, s, sw, ja, jb, kk, step int) {
	j := ja
	for ; j < jb && j%gemmNR != 0; j++ {
		dst[j/gemmNR*step+kk*gemmNR+j%gemmNR] = xs[s]
		s += sw
	}
	p := j/gemmNR*step + kk*gemmNR
	switch sw {
	case 1:
		for ; j+gemmNR <= jb; j += gemmNR {
			d := (*[gemmNR]float32)(dst[p : p+gemmNR])
			v := (*[gemmNR]float32)(xs[s : s+gemmNR])
			d[0], d[1], d[2], d[3] = v[0], v[1], v[2], v[3]
			p += step
			s += gemmNR
		}
	case 2:
		for ; j+gemmNR <= jb; j += gemmNR {
			d := (*[gemmNR]float32)(dst[p : p+gemmNR])
			v := (*[7]float32)(xs[s : s+7])
			d[0], d[1], d[2], d[3] = v[0], v[2], v[4], v[6]
			p += step
			s += 8
		}
	default:
		for ; j+gemmNR <= jb; j += gemmNR {
			d := (*[gemmNR]float32)(dst[p : p+gemmNR])
			v := xs[s : s+3*sw+1]
			d[0], d[1], d[2], d[3] = v[0], v[sw], v[2*sw], v[3*sw]
			p += step
			s += gemmNR * sw
		}
	}
	for ; j < jb; j++ {
		dst[p+j%gemmNR] = xs[s]
		s += sw
	}
}

// packBMinGroups is the shortest run of whole panels putRun hands to the
// PackB kernel: a call of the wasm build's kernels costs about as much as
// copying 40 values in its pure Go (LeNet-5's first conv, runs of 7 panels,
// took 0.16 ms with the kernel and 0.06-0.10 without).
const packBMinGroups = 16

// packBGo is the pure-Go PackBKernel: putRun's loops on each row.
func packBGo(dst, src []float32, rows, groups, srcRow, sw, step int) {
	for r := 0; r < rows; r++ {
		putRunGo(dst, src[r*srcRow:r*srcRow+(groups*gemmNR-1)*sw+1], 0, sw, 0, groups*gemmNR, r, step)
	}
}

// zeroRun zeroes row kk, columns [ja, jb) of a packed B block whose panels
// are step values apart.
func zeroRun(dst []float32, ja, jb, kk, step int) {
	j := ja
	for ; j < jb && j%gemmNR != 0; j++ {
		dst[j/gemmNR*step+kk*gemmNR+j%gemmNR] = 0
	}
	p := j/gemmNR*step + kk*gemmNR
	for ; j+gemmNR <= jb; j += gemmNR {
		d := (*[gemmNR]float32)(dst[p : p+gemmNR])
		d[0], d[1], d[2], d[3] = 0, 0, 0, 0
		p += step
	}
	for ; j < jb; j++ {
		dst[p+j%gemmNR] = 0
	}
}

// gemmEpi is what gemmBlock does besides the product: bias (one value per
// row of C, nil for none) or colBias (one value per column of C, indexed
// from column 0) added to the final sums, then act; acc makes the sums
// start from C's values instead of 0.
type gemmEpi struct {
	bias    []float32
	colBias []float32
	act     Activation
	acc     bool
}

// gemmBlock computes rows [i0, i1) and columns [j0, j1) of C = A·B, where
// ap is the m×k matrix A packed by packA (i0 a multiple of gemmMC, or 0),
// B comes from src, and C's element (i, j) is c[i*rsC+j*csC]; j1-j0 is at
// most gemmNC, while [i0, i1) may span several M blocks, which then share
// each packed B block. buf holds gemmSlotLen(k, j1-j0) values.
func gemmBlock(ap []float32, m, k int, src *bSource, c []float32, rsC, csC, i0, i1, j0, j1 int, buf []float32, ep *gemmEpi) {
	mp := roundUp(m, gemmMR)
	ncb := j1 - j0
	ncp := roundUp(ncb, gemmNR)
	kcMax := min(gemmKC, k)
	tile := buf[kcMax*ncp:]
	tile = tile[:gemmMC*gemmNR]
	for k0 := 0; k0 < k; k0 += gemmKC {
		kcb := min(gemmKC, k-k0)
		var bp []float32
		if src.pre != nil {
			off := k0*src.preN + j0*kcb
			bp = src.pre[off : off+ncp*kcb]
		} else {
			bp = buf[:ncp*kcb]
			packB(bp, src, k0, kcb, j0, ncb)
		}
		ablk := ap[k0*mp : k0*mp+mp*kcb]
		load := k0 > 0 || ep.acc
		last := k0+kcb == k
		for ib := i0; ib < i1; ib += gemmMC {
			ie := min(ib+gemmMC, i1)
			var bias []float32
			if last && ep.bias != nil {
				bias = ep.bias[ib:ie]
			}
			gemmSweep(ablk[ib*kcb:roundUp(ie, gemmMR)*kcb], bp, kcb, c, ib, ie, j0, ncb, rsC, csC, load, bias, tile)
		}
	}
	if ep.colBias != nil {
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				c[i*rsC+j*csC] += ep.colBias[j]
			}
		}
	}
	if ep.act.Kind == ActNone {
		return
	}
	switch {
	case csC == 1:
		applyAct(c[i0*rsC+j0:(i1-1)*rsC+j1], i1-i0, j1-j0, rsC, ep.act)
	case rsC == 1:
		for j := j0; j < j1; j++ {
			ep.act.Apply(c[j*csC+i0 : j*csC+i1])
		}
	default:
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				c[i*rsC+j*csC] = ep.act.Scalar(c[i*rsC+j*csC])
			}
		}
	}
}

// gemmSweep computes rows [i0, i1) (at most gemmMC of them) and columns
// [j0, j0+ncb) of C for one K block of depth kcb: a holds the A panels of
// those rows, bp the packed B block (ceil(ncb/gemmNR) panels), load says to
// start from C's values, bias is nil or the values for rows [i0, i1), and
// tile is scratch of gemmMC×gemmNR values. The installed Gemm kernel, if
// any, computes the ragged last panel into tile, which keeps its sums in the
// same order as the pure-Go kernels.
func gemmSweep(a, bp []float32, kcb int, c []float32, i0, i1, j0, ncb, rsC, csC int, load bool, bias, tile []float32) {
	nfull := ncb / gemmNR * gemmNR
	rows := i1 - i0
	if gemmKernel := installed.Gemm; gemmKernel != nil && csC == 1 {
		if nfull > 0 {
			gemmKernel(a, bp[:nfull*kcb], c[i0*rsC+j0:(i1-1)*rsC+j0+nfull], kcb, rows, nfull, rsC, load, bias)
		}
		if tail := ncb - nfull; tail > 0 {
			t := tile[:(rows-1)*gemmNR+gemmNR]
			base := i0*rsC + j0 + nfull
			if load {
				for r := 0; r < rows; r++ {
					copy(t[r*gemmNR:r*gemmNR+tail], c[base+r*rsC:base+r*rsC+tail])
				}
			}
			gemmKernel(a, bp[nfull*kcb:(nfull+gemmNR)*kcb], t, kcb, rows, gemmNR, gemmNR, load, bias)
			for r := 0; r < rows; r++ {
				copy(c[base+r*rsC:base+r*rsC+tail], t[r*gemmNR:r*gemmNR+tail])
			}
		}
		return
	}
	iEnd := roundUp(rows, gemmMR)
	if nfull > 0 {
		gemmPanels(a, bp[:nfull*kcb], kcb, c[i0*rsC+j0*csC:], rows, nfull, rsC, csC, load, bias)
	}
	for jj := nfull; jj < ncb; jj++ {
		b := bp[nfull*kcb+jj-nfull : (nfull+gemmNR)*kcb]
		base := (j0+jj)*csC + i0*rsC
		i := 0
		for ; i+8 <= iEnd; i += 8 {
			var t [8]float32
			n := min(8, rows-i)
			if load {
				loadTile(t[:], 1, c, base+i*rsC, n, 1, rsC, csC)
			}
			kern8x1(a[i*kcb:(i+8)*kcb], b, &t)
			storeTile(t[:], 1, c, base+i*rsC, n, 1, rsC, csC, bias, i)
		}
		for ; i < iEnd; i += gemmMR {
			var t [gemmMR]float32
			n := min(gemmMR, rows-i)
			if load {
				loadTile(t[:], 1, c, base+i*rsC, n, 1, rsC, csC)
			}
			kern2x1(a[i*kcb:(i+gemmMR)*kcb], b, &t)
			storeTile(t[:], 1, c, base+i*rsC, n, 1, rsC, csC, bias, i)
		}
	}
}

// gemmPanels computes the n columns (a multiple of gemmNR) of rows [0, m)
// of C for one K block of depth kc with the 2x4 micro-kernel, as
// GemmKernel documents: a holds the packed A panels of the rows, b the
// n/gemmNR packed B panels, and C's element (i, j) is c[i*rsC+j*csC].
func gemmPanels(a, b []float32, kc int, c []float32, m, n, rsC, csC int, load bool, bias []float32) {
	iEnd := roundUp(m, gemmMR)
	for jj := 0; jj < n; jj += gemmNR {
		bp := b[jj*kc : (jj+gemmNR)*kc]
		for i := 0; i < iEnd; i += gemmMR {
			var t [gemmMR * gemmNR]float32
			r := min(gemmMR, m-i)
			base := i*rsC + jj*csC
			if load {
				loadTile(t[:], gemmNR, c, base, r, gemmNR, rsC, csC)
			}
			kern2x4(a[i*kc:(i+gemmMR)*kc], bp, &t)
			storeTile(t[:], gemmNR, c, base, r, gemmNR, rsC, csC, bias, i)
		}
	}
}

// gemmKernelGo is the pure-Go GemmKernel: the micro-kernel sweep Gemm
// runs over its full B panels.
func gemmKernelGo(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32) {
	if n%gemmNR != 0 {
		panic(fmt.Sprintf("ops: GemmKernel: n = %d is not a multiple of %d", n, gemmNR))
	}
	gemmPanels(a, b, kc, c, m, n, ldc, 1, load, bias)
}

// loadTile copies the rows×cols part of C at base into the tile t (row
// length tw).
func loadTile(t []float32, tw int, c []float32, base, rows, cols, rsC, csC int) {
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			t[r*tw+j] = c[base+r*rsC+j*csC]
		}
	}
}

// storeTile copies the rows×cols part of tile t back to C, adding
// bias[i+r] to row r when bias is not nil.
func storeTile(t []float32, tw int, c []float32, base, rows, cols, rsC, csC int, bias []float32, i int) {
	for r := 0; r < rows; r++ {
		b := float32(0)
		if bias != nil {
			b = bias[i+r]
		}
		for j := 0; j < cols; j++ {
			v := t[r*tw+j]
			if bias != nil {
				v += b
			}
			c[base+r*rsC+j*csC] = v
		}
	}
}

// kern2x4 adds A·B to the 2x4 tile t, where a is a packed A micro-panel
// (element (r, kk) at kk*2+r) and b a packed B micro-panel (element (kk, l)
// at kk*4+l) of the same K length. Each sum runs in increasing kk.
func kern2x4(a, b []float32, t *[8]float32) {
	c00, c01, c02, c03 := t[0], t[1], t[2], t[3]
	c10, c11, c12, c13 := t[4], t[5], t[6], t[7]
	for len(a) >= 4 && len(b) >= 8 {
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
		a0, a1 = a[2], a[3]
		b0, b1, b2, b3 = b[4], b[5], b[6], b[7]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
		a = a[4:]
		b = b[8:]
	}
	if len(a) >= 2 && len(b) >= 4 {
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
	}
	t[0], t[1], t[2], t[3] = c00, c01, c02, c03
	t[4], t[5], t[6], t[7] = c10, c11, c12, c13
}

// kern8x1 adds A·b to the 8x1 tile t, where a holds four consecutive packed
// A micro-panels (rows 2q and 2q+1 in panel q) and b is one column of a
// packed B panel, starting at the column's first element: element kk at
// b[kk*gemmNR] (len(a) == 8*kc).
func kern8x1(a, b []float32, t *[8]float32) {
	kc := len(a) / 8
	if kc == 0 {
		return
	}
	p0 := a[0 : 2*kc]
	p1 := a[2*kc : 4*kc]
	p2 := a[4*kc : 6*kc]
	p3 := a[6*kc : 8*kc]
	b = b[:(kc-1)*gemmNR+1]
	c0, c1, c2, c3 := t[0], t[1], t[2], t[3]
	c4, c5, c6, c7 := t[4], t[5], t[6], t[7]
	for kk := 0; kk < kc; kk++ {
		bv := b[kk*gemmNR]
		c0 += float32(p0[2*kk] * bv)
		c1 += float32(p0[2*kk+1] * bv)
		c2 += float32(p1[2*kk] * bv)
		c3 += float32(p1[2*kk+1] * bv)
		c4 += float32(p2[2*kk] * bv)
		c5 += float32(p2[2*kk+1] * bv)
		c6 += float32(p3[2*kk] * bv)
		c7 += float32(p3[2*kk+1] * bv)
	}
	t[0], t[1], t[2], t[3] = c0, c1, c2, c3
	t[4], t[5], t[6], t[7] = c4, c5, c6, c7
}

// kern2x1 adds A·b to the 2x1 tile t for one packed A micro-panel a and one
// column b of a packed B panel (element kk at b[kk*gemmNR]).
func kern2x1(a, b []float32, t *[2]float32) {
	kc := len(a) / 2
	if kc == 0 {
		return
	}
	b = b[:(kc-1)*gemmNR+1]
	c0, c1 := t[0], t[1]
	for kk := 0; kk < kc; kk++ {
		bv := b[kk*gemmNR]
		c0 += float32(a[2*kk] * bv)
		c1 += float32(a[2*kk+1] * bv)
	}
	t[0], t[1] = c0, c1
}
