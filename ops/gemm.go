package ops

import "fmt"

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
	lda, ldb := p.LDA, p.LDB
	ldc = p.LDC
	if ldc == 0 {
		ldc = p.N
	}
	if p.TransA {
		if lda == 0 {
			lda = p.M
		}
		ars, acs = 1, lda
		alen = (p.K-1)*lda + p.M
	} else {
		if lda == 0 {
			lda = p.K
		}
		ars, acs = lda, 1
		alen = (p.M-1)*lda + p.K
	}
	if p.TransB {
		if ldb == 0 {
			ldb = p.K
		}
		brs, bcs = 1, ldb
		blen = (p.N-1)*ldb + p.K
	} else {
		if ldb == 0 {
			ldb = p.N
		}
		brs, bcs = ldb, 1
		blen = (p.K-1)*ldb + p.N
	}
	clen = (p.M-1)*ldc + p.N
	return
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

// GemmKernel is a replacement for the micro-kernel sweep over one packed
// block of the GEMM (and of the Winograd and FFT transform GEMMs), installed
// by SetGemmKernel. For each of the m×n elements (i, j) of C, c[i*ldc+j], it
// must start from C's value when load is set and from 0 otherwise, add the
// kc products a(i, kk)·b(kk, j) in increasing kk, each rounded to float32
// before it is added, then add bias[i] if bias is not nil, and store the
// sum; nothing else of c may change. a holds ceil(m/2) packed A panels of
// kc*2 values (element (r, kk) of panel p at p*2*kc+kk*2+r; the second row of
// a last, odd panel is padding), b holds n/4 packed B panels of kc*4 values
// (element (kk, l) of panel q at q*4*kc+kk*4+l), n is a multiple of 4. The
// slices are exactly as long as the data they hold (c: (m-1)*ldc+n values,
// bias: m). Following these rules keeps results bit-identical to the pure-Go
// kernels.
type GemmKernel func(a, b, c []float32, kc, m, n, ldc int, load bool, bias []float32)

// gemmKernel is the installed GemmKernel, nil for the pure-Go kernels.
var gemmKernel GemmKernel

// SetGemmKernel installs k for every later GEMM block whose C has unit
// column stride (nil restores the pure-Go kernels). The wasm build uses it to
// route blocks to generated WebAssembly SIMD code. Call it at startup, before
// any kernel runs: it is not synchronized.
func SetGemmKernel(k GemmKernel) { gemmKernel = k }

// gemmSlotLen is the per-goroutine scratch of gemmBlock for a product with
// the given K and N: one packed B block, plus one im2col row when withRow.
func gemmSlotLen(k, n int, withRow bool) int {
	l := min(gemmKC, k) * min(gemmNC, n)
	if withRow {
		l += min(gemmNC, n)
	}
	return l
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
	return packedALen(p.M, p.K) + min(MaxThreads, gemmUnits(p.M, p.N))*gemmSlotLen(p.K, p.N, false)
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
	slot := gemmSlotLen(p.K, p.N, false)
	slots := ws[pal:]
	src := bSource{b: b, rs: brs, cs: bcs}
	ep := gemmEpi{acc: p.Accumulate}
	mb := ceilDiv(p.M, gemmMC)
	run := func(part, lo, hi int) {
		buf := slots[part*slot : (part+1)*slot]
		for u := lo; u < hi; u++ {
			ib, jb := u%mb, u/mb
			i0, j0 := ib*gemmMC, jb*gemmNC
			gemmBlock(ap, p.M, p.K, &src, c, ldc, 1, i0, min(i0+gemmMC, p.M), j0, min(j0+gemmNC, p.N), buf, nil, &ep)
		}
	}
	units := gemmUnits(p.M, p.N)
	if threads <= 1 || units == 1 {
		run(0, 0, units)
		return
	}
	ParallelFor(units, threads, run)
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
// b[p*rs+j*cs]), or, when im is set, the im2col matrix of the input planes b
// of one image and group.
type bSource struct {
	b      []float32
	rs, cs int
	im     *im2colGeom
}

// packB packs rows [k0, k0+kcb) and columns [j0, j0+ncb) of src into dst:
// first ncb/gemmNR full panels of gemmNR columns (panel q at q*kcb*gemmNR,
// element (kk, l) at kk*gemmNR+l), then each remaining column as kcb
// contiguous values, so that column j's data always starts at j*kcb. row
// (len >= ncb) is scratch for im2col sources.
func packB(dst []float32, src *bSource, k0, kcb, j0, ncb int, row []float32) {
	nfull := ncb / gemmNR * gemmNR
	switch {
	case src.im != nil:
		row = row[:ncb]
		for kk := 0; kk < kcb; kk++ {
			src.im.row(row, src.b, k0+kk, j0)
			scatterRow(dst, row, kk, kcb, nfull)
		}
	case src.cs == 1:
		for kk := 0; kk < kcb; kk++ {
			off := (k0+kk)*src.rs + j0
			scatterRow(dst, src.b[off:off+ncb], kk, kcb, nfull)
		}
	default:
		for j := 0; j < ncb; j++ {
			col := src.b[(j0+j)*src.cs+k0*src.rs:]
			if j < nfull {
				d := dst[j/gemmNR*gemmNR*kcb+j%gemmNR:]
				for kk := 0; kk < kcb; kk++ {
					d[kk*gemmNR] = col[kk*src.rs]
				}
			} else {
				d := dst[j*kcb : j*kcb+kcb]
				for kk := range d {
					d[kk] = col[kk*src.rs]
				}
			}
		}
	}
}

// scatterRow stores row (B's row kk, restricted to the block's columns) into
// the packed layout of packB.
func scatterRow(dst, row []float32, kk, kcb, nfull int) {
	p := kk * gemmNR
	step := kcb * gemmNR
	for j := 0; j+gemmNR <= nfull && j+gemmNR <= len(row); j += gemmNR {
		s := (*[gemmNR]float32)(row[j : j+gemmNR])
		d := (*[gemmNR]float32)(dst[p : p+gemmNR])
		*d = *s
		p += step
	}
	for j := nfull; j < len(row); j++ {
		dst[j*kcb+kk] = row[j]
	}
}

// gemmEpi is what gemmBlock does besides the product: bias (one value per
// row of C, nil for none) added to the final sums, then act; acc makes the
// sums start from C's values instead of 0.
type gemmEpi struct {
	bias []float32
	act  Activation
	acc  bool
}

// gemmBlock computes rows [i0, i1) and columns [j0, j1) of C = A·B, where
// ap is the m×k matrix A packed by packA (i0 a multiple of gemmMR), B comes
// from src, and C's element (i, j) is c[i*rsC+j*csC]. buf holds
// gemmSlotLen(k, j1-j0, false) values and row, for im2col sources, j1-j0.
func gemmBlock(ap []float32, m, k int, src *bSource, c []float32, rsC, csC, i0, i1, j0, j1 int, buf, row []float32, ep *gemmEpi) {
	mp := roundUp(m, gemmMR)
	ncb := j1 - j0
	nfull := ncb / gemmNR * gemmNR
	iEnd := roundUp(i1, gemmMR)
	for k0 := 0; k0 < k; k0 += gemmKC {
		kcb := min(gemmKC, k-k0)
		packB(buf, src, k0, kcb, j0, ncb, row)
		ablk := ap[k0*mp : k0*mp+mp*kcb]
		load := k0 > 0 || ep.acc
		var bias []float32
		if k0+kcb == k {
			bias = ep.bias
		}
		jStart := 0
		if gemmKernel != nil && csC == 1 && nfull > 0 {
			var bs []float32
			if bias != nil {
				bs = bias[i0:i1]
			}
			gemmKernel(ablk[i0*kcb:iEnd*kcb], buf[:nfull*kcb], c[i0*rsC+j0:(i1-1)*rsC+j0+nfull], kcb, i1-i0, nfull, rsC, load, bs)
			jStart = nfull
		}
		for jj := jStart; jj < nfull; jj += gemmNR {
			bp := buf[jj*kcb : (jj+gemmNR)*kcb]
			for i := i0; i < iEnd; i += gemmMR {
				var t [gemmMR * gemmNR]float32
				rows := min(gemmMR, i1-i)
				base := i*rsC + (j0+jj)*csC
				if load {
					loadTile(t[:], gemmNR, c, base, rows, gemmNR, rsC, csC)
				}
				kern2x4(ablk[i*kcb:(i+gemmMR)*kcb], bp, &t)
				storeTile(t[:], gemmNR, c, base, rows, gemmNR, rsC, csC, bias, i)
			}
		}
		for jj := nfull; jj < ncb; jj++ {
			bp := buf[jj*kcb : (jj+1)*kcb]
			base := (j0 + jj) * csC
			i := i0
			for ; i+8 <= iEnd; i += 8 {
				var t [8]float32
				rows := min(8, i1-i)
				if load {
					loadTile(t[:], 1, c, base+i*rsC, rows, 1, rsC, csC)
				}
				kern8x1(ablk[i*kcb:(i+8)*kcb], bp, &t)
				storeTile(t[:], 1, c, base+i*rsC, rows, 1, rsC, csC, bias, i)
			}
			for ; i < iEnd; i += gemmMR {
				var t [gemmMR]float32
				rows := min(gemmMR, i1-i)
				if load {
					loadTile(t[:], 1, c, base+i*rsC, rows, 1, rsC, csC)
				}
				kern2x1(ablk[i*kcb:(i+gemmMR)*kcb], bp, &t)
				storeTile(t[:], 1, c, base+i*rsC, rows, 1, rsC, csC, bias, i)
			}
		}
	}
	if ep.act.Kind == ActNone {
		return
	}
	switch {
	case csC == 1:
		for i := i0; i < i1; i++ {
			ep.act.Apply(c[i*rsC+j0 : i*rsC+j1])
		}
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
// A micro-panels (rows 2q and 2q+1 in panel q) and b is one packed column of
// B (len(a) == 8*len(b)).
func kern8x1(a, b []float32, t *[8]float32) {
	kc := len(b)
	p0 := a[0 : 2*kc]
	p1 := a[2*kc : 4*kc]
	p2 := a[4*kc : 6*kc]
	p3 := a[6*kc : 8*kc]
	c0, c1, c2, c3 := t[0], t[1], t[2], t[3]
	c4, c5, c6, c7 := t[4], t[5], t[6], t[7]
	for len(b) >= 1 && len(p0) >= 2 && len(p1) >= 2 && len(p2) >= 2 && len(p3) >= 2 {
		bv := b[0]
		c0 += float32(p0[0] * bv)
		c1 += float32(p0[1] * bv)
		c2 += float32(p1[0] * bv)
		c3 += float32(p1[1] * bv)
		c4 += float32(p2[0] * bv)
		c5 += float32(p2[1] * bv)
		c6 += float32(p3[0] * bv)
		c7 += float32(p3[1] * bv)
		b = b[1:]
		p0, p1, p2, p3 = p0[2:], p1[2:], p2[2:], p3[2:]
	}
	t[0], t[1], t[2], t[3] = c0, c1, c2, c3
	t[4], t[5], t[6], t[7] = c4, c5, c6, c7
}

// kern2x1 adds A·b to the 2x1 tile t for one packed A micro-panel a and one
// packed column b of B.
func kern2x1(a, b []float32, t *[2]float32) {
	c0, c1 := t[0], t[1]
	for len(b) >= 1 && len(a) >= 2 {
		bv := b[0]
		c0 += float32(a[0] * bv)
		c1 += float32(a[1] * bv)
		a = a[2:]
		b = b[1:]
	}
	t[0], t[1] = c0, c1
}
