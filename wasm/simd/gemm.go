package simd

import "fmt"

// The GEMM kernel sweeps the micro-tiles of one packed block of ops' GEMM.
//
// Layouts (those of ops/gemm.go, gemmMR = 2, gemmNR = 4): A is a sequence of
// panels of 2 rows, kc*2 floats each, element (r, kk) of a panel at kk*2+r;
// B is a sequence of panels of 4 columns, kc*4 floats each, element (kk, l) at
// kk*4+l. C is row-major with a row stride of ldc floats.
//
// The register tile is gemmTileP A panels by gemmTileQ B panels (4 rows by 8
// columns: 8 v128 accumulators, 2 B vectors, one broadcast A value and one
// product, 12 of the 16 vector registers of x86-64). Per step kk, each
// accumulator gets f32x4.add(acc, f32x4.mul(splat(a[r][kk]), b[kk][l..l+3])):
// one rounded product and one rounded sum, in increasing kk, starting from 0
// or from C, exactly as ops' kern2x4; the bias is added once after the sum.
// Edge tiles use the same code with fewer panels.
//
// A 6x8 tile (12 accumulators) does more work per load but needs 16 vector
// registers with the product's temporary, one more than V8 leaves free: its
// code keeps an accumulator on the stack (a store and a reload in that
// accumulator's chain of adds every step), and unrolling the K loop spills
// more. Measured in Node 20 on the kernel alone (m=120, n=128, kc=256, best of
// 5): 6x8 unrolled twice 24-32 GFLOP/s, 4x8 not unrolled 31-38, 4x8 unrolled
// twice 27, 2x8 29-34, 8x4 21.
const (
	gemmTileP  = 2 // A panels (2 rows each) per register tile
	gemmTileQ  = 2 // B panels (4 columns each) per register tile
	gemmUnroll = 1 // kk steps per loop iteration
)

// GemmFlagLoad makes the GEMM kernel start each sum from C's value instead
// of 0.
const GemmFlagLoad = 1

// gemmTileFn generates the tile function for p A panels and q B panels:
//
//	tile(pa, pb, pc, kc, sa, sb, ldcb, flags, bias, rows)
//
// pa and pb are the byte addresses of the first A and B panels, sa and sb
// the byte strides between panels, pc the address of the tile's C(0, 0) and
// ldcb C's row stride in bytes, bias the address of the bias of the tile's
// first row (0: none), rows the number of rows of C that exist from the
// tile's first row on (at least 1; rows past it are computed but neither
// loaded nor stored).
func gemmTileFn(m *module, p, q, unroll int) *fn {
	i32s := make([]valType, 10)
	for i := range i32s {
		i32s[i] = tI32
	}
	f := m.newFunc(fmt.Sprintf("gemm_tile_%dx%d", 2*p, 4*q), i32s, nil)
	pa, pb, pc, kc, sa, sb, ldcb, flags, bias, rows := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6), f.param(7), f.param(8), f.param(9)
	nr := 2 * p
	acc := make([][]local, nr)
	for r := range acc {
		acc[r] = make([]local, q)
		for j := range acc[r] {
			acc[r][j] = f.local(tV128)
		}
	}
	bv := make([]local, q)
	for j := range bv {
		bv[j] = f.local(tV128)
	}
	av := f.local(tV128)
	ap := make([]local, p)
	ap[0] = pa
	for i := 1; i < p; i++ {
		ap[i] = f.local(tI32)
		f.get(ap[i-1]).get(sa).i32Add().set(ap[i])
	}
	bp := make([]local, q)
	bp[0] = pb
	for j := 1; j < q; j++ {
		bp[j] = f.local(tI32)
		f.get(bp[j-1]).get(sb).i32Add().set(bp[j])
	}
	rp := f.local(tI32)
	cnt := f.local(tI32)

	// rowGuard leaves the enclosing block when row r does not exist.
	rowGuard := func(r int) {
		if r > 0 {
			f.get(rows).i32(int32(r)).i32LeS().brIf(0)
		}
	}

	// Initial values: C's rows when loading, else the zero locals.
	f.get(flags).i32(GemmFlagLoad).i32And().if_()
	f.get(pc).set(rp)
	f.block()
	for r := 0; r < nr; r++ {
		rowGuard(r)
		for j := 0; j < q; j++ {
			f.get(rp).v128Load(uint32(16 * j)).set(acc[r][j])
		}
		if r < nr-1 {
			f.addTo2(rp, ldcb)
		}
	}
	f.end()
	f.end()

	step := func(k int) {
		for j := 0; j < q; j++ {
			f.get(bp[j]).v128Load(uint32(16 * k)).set(bv[j])
		}
		for r := 0; r < nr; r++ {
			f.get(ap[r/2]).v128Load32Splat(uint32(8*k + 4*(r%2))).set(av)
			for j := 0; j < q; j++ {
				f.get(acc[r][j]).get(av).get(bv[j]).f32x4Mul().f32x4Add().set(acc[r][j])
			}
		}
	}
	advance := func(steps int) {
		for i := 0; i < p; i++ {
			f.addTo(ap[i], int32(8*steps))
		}
		for j := 0; j < q; j++ {
			f.addTo(bp[j], int32(16*steps))
		}
	}
	// kc/unroll unrolled iterations, then kc%unroll single steps.
	loops := func(n int) {
		f.block()
		f.get(cnt).i32Eqz().brIf(0)
		f.loop()
		for k := 0; k < n; k++ {
			step(k)
		}
		advance(n)
		f.get(cnt).i32(1).i32Sub().tee(cnt).brIf(0)
		f.end()
		f.end()
	}
	shift := 0
	for 1<<shift < unroll {
		shift++
	}
	f.get(kc).i32(int32(shift)).i32ShrU().set(cnt)
	loops(unroll)
	if unroll > 1 {
		f.get(kc).i32(int32(unroll - 1)).i32And().set(cnt)
		loops(1)
	}

	// Bias and store.
	f.get(pc).set(rp)
	f.block()
	for r := 0; r < nr; r++ {
		rowGuard(r)
		f.get(bias).if_()
		f.get(bias).v128Load32Splat(uint32(4 * r)).set(av)
		for j := 0; j < q; j++ {
			f.get(acc[r][j]).get(av).f32x4Add().set(acc[r][j])
		}
		f.end()
		for j := 0; j < q; j++ {
			f.get(rp).get(acc[r][j]).v128Store(uint32(16 * j))
		}
		if r < nr-1 {
			f.addTo2(rp, ldcb)
		}
	}
	f.end()
	return f
}

// addTo2 adds local v to local l.
func (f *fn) addTo2(l, v local) *fn { return f.get(l).get(v).i32Add().set(l) }

// gemmFn generates the exported sweep
//
//	gemm(a, b, c, kc, m, n, ldc, flags, bias)
//
// over a packed block: a, b and c are byte addresses of A's first panel, B's
// first panel and C(0, 0); kc is the depth, m the rows of C (A has
// ceil(m/2) panels), n the columns (a multiple of 4: n/4 B panels), ldc C's
// row stride in floats, flags GemmFlagLoad or 0, bias the address of m bias
// values or 0. Column panels are the outer loop, so that a B micro-panel
// stays in L1 while A's panels stream by.
func gemmFn(m *module, tiles [][]*fn, p, q int) *fn {
	i32s := make([]valType, 9)
	for i := range i32s {
		i32s[i] = tI32
	}
	f := m.newFunc("gemm", i32s, nil)
	a, b, c, kc, mm, n, ldc, flags, bias := f.param(0), f.param(1), f.param(2), f.param(3), f.param(4), f.param(5), f.param(6), f.param(7), f.param(8)
	sa, sb, ldcb := f.local(tI32), f.local(tI32), f.local(tI32)
	panels, colsLeft := f.local(tI32), f.local(tI32)
	pa, pc, rows, bp, pcj, left := f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32), f.local(tI32)
	f.get(kc).i32(3).i32Shl().set(sa)
	f.get(kc).i32(4).i32Shl().set(sb)
	f.get(ldc).i32(2).i32Shl().set(ldcb)
	f.get(mm).i32(1).i32Add().i32(1).i32ShrU().set(panels)
	f.get(b).set(bp)
	f.get(c).set(pcj)
	f.get(n).i32(2).i32ShrU().set(colsLeft)

	// callTile calls tile (pp A panels, qq B panels) at the current pa, pc,
	// rows and bias offset.
	callTile := func(pp, qq int) {
		f.get(pa).get(bp).get(pc).get(kc).get(sa).get(sb).get(ldcb).get(flags)
		// bias ? bias + 4*(m-rows) : 0
		f.get(bias).get(mm).get(rows).i32Sub().i32(2).i32Shl().i32Add()
		f.i32(0)
		f.get(bias)
		f.selectOp()
		f.get(rows)
		f.call(tiles[pp][qq])
	}
	// rowSweep runs all row tiles for qq B panels at bp, pcj.
	rowSweep := func(qq int) {
		f.get(a).set(pa)
		f.get(pcj).set(pc)
		f.get(mm).set(rows)
		f.get(panels).set(left)
		f.until(func() { f.get(left).i32(int32(p)).i32LtS() }, func() {
			callTile(p, qq)
			f.get(pa).get(sa).i32(int32(p)).i32Mul().i32Add().set(pa)
			f.get(pc).get(ldcb).i32(int32(2 * p)).i32Mul().i32Add().set(pc)
			f.addTo(rows, int32(-2*p))
			f.addTo(left, int32(-p))
		})
		for pp := 1; pp < p; pp++ {
			f.get(left).i32(int32(pp)).i32Eq().if_()
			callTile(pp, qq)
			f.end()
		}
	}
	f.until(func() { f.get(colsLeft).i32(int32(q)).i32LtS() }, func() {
		rowSweep(q)
		f.get(bp).get(sb).i32(int32(q)).i32Mul().i32Add().set(bp)
		f.addTo(pcj, int32(16*q))
		f.addTo(colsLeft, int32(-q))
	})
	for qq := 1; qq < q; qq++ {
		f.get(colsLeft).i32(int32(qq)).i32Eq().if_()
		rowSweep(qq)
		f.end()
	}
	return f
}

// addGemm adds the GEMM kernel for a tile of p A panels by q B panels.
func addGemm(m *module, p, q, unroll int) {
	tiles := make([][]*fn, p+1)
	for pp := 1; pp <= p; pp++ {
		tiles[pp] = make([]*fn, q+1)
		for qq := 1; qq <= q; qq++ {
			tiles[pp][qq] = gemmTileFn(m, pp, qq, unroll)
		}
	}
	m.export("gemm", gemmFn(m, tiles, p, q))
}
